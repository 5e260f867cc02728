//! dbt-style selectors: `+NODE` (NODE and everything upstream), `NODE+` (downstream),
//! `2+NODE+1` (upstream up to depth 2, downstream up to depth 1).

use super::QueryError;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Selector {
    pub node: String,
    /// `None`: not selected; `Some(None)`: unbounded; `Some(Some(n))`: up to depth n.
    pub upstream: Option<Option<usize>>,
    pub downstream: Option<Option<usize>>,
}

pub fn parse(text: &str) -> Result<Selector, QueryError> {
    let bad = || QueryError::Selector(text.to_string());
    let text = text.trim();
    let (upstream, rest) = match text.find('+') {
        Some(at) if text[..at].chars().all(|c| c.is_ascii_digit()) => {
            let depth = &text[..at];
            let depth = if depth.is_empty() {
                None
            } else {
                Some(depth.parse::<usize>().map_err(|_| bad())?)
            };
            (Some(depth), &text[at + 1..])
        }
        _ => (None, text),
    };
    let (downstream, node) = match rest.rfind('+') {
        Some(at) if rest[at + 1..].chars().all(|c| c.is_ascii_digit()) => {
            let depth = &rest[at + 1..];
            let depth = if depth.is_empty() {
                None
            } else {
                Some(depth.parse::<usize>().map_err(|_| bad())?)
            };
            (Some(depth), &rest[..at])
        }
        _ => (None, rest),
    };
    if node.is_empty() {
        return Err(bad());
    }
    Ok(Selector {
        node: node.to_string(),
        upstream,
        downstream,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    type Parts = (String, Option<Option<usize>>, Option<Option<usize>>);

    fn sel(text: &str) -> Option<Parts> {
        parse(text).ok().map(|s| (s.node, s.upstream, s.downstream))
    }

    #[test]
    fn parses_dbt_selectors() {
        assert_eq!(sel("+model:a"), Some(("model:a".into(), Some(None), None)));
        assert_eq!(sel("model:a+"), Some(("model:a".into(), None, Some(None))));
        assert_eq!(
            sel("2+a+1"),
            Some(("a".into(), Some(Some(2)), Some(Some(1))))
        );
        assert_eq!(sel("+a+"), Some(("a".into(), Some(None), Some(None))));
        assert_eq!(sel("a"), Some(("a".into(), None, None)));
        assert_eq!(
            sel("3+dataset:s3://b/x"),
            Some(("dataset:s3://b/x".into(), Some(Some(3)), None))
        );
        assert!(parse("+").is_err());
        assert!(parse("++").is_err());
    }
}
