//! `*` globs over principals and node ids, as SPEC.md defines them: `*` matches any run of
//! characters (including `:` and `/`); every other character matches itself.

/// A pattern that is either an exact string or contains `*` wildcards.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct StarGlob {
    pattern: String,
}

impl StarGlob {
    pub fn new(pattern: &str) -> StarGlob {
        StarGlob {
            pattern: pattern.to_string(),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.pattern
    }

    pub fn is_exact(&self) -> bool {
        !self.pattern.contains('*')
    }

    pub fn matches(&self, text: &str) -> bool {
        star_match(&self.pattern, text)
    }
}

/// Matches `text` against `pattern` where `*` stands for any substring.
pub fn star_match(pattern: &str, text: &str) -> bool {
    let mut parts = pattern.split('*');
    let first = parts.next().unwrap_or_default();
    let Some(mut rest) = text.strip_prefix(first) else {
        return false;
    };
    let middle: Vec<&str> = parts.collect();
    let Some((last, middle)) = middle.split_last() else {
        // No `*` at all: an exact match.
        return rest.is_empty();
    };
    for part in middle {
        match rest.find(part) {
            Some(at) => rest = &rest[at + part.len()..],
            None => return false,
        }
    }
    rest.len() >= last.len() && rest.ends_with(last)
}

#[cfg(test)]
mod tests {
    use super::star_match;

    #[test]
    fn stars_match_any_run() {
        assert!(star_match("svc:fraud-trainer-*", "svc:fraud-trainer-7"));
        assert!(star_match("svc:fraud-trainer-*", "svc:fraud-trainer-"));
        assert!(!star_match("svc:fraud-trainer-*", "svc:fraud-scorer"));
        assert!(star_match("*", ""));
        assert!(star_match("a*b*c", "a-x-b-y-c"));
        assert!(!star_match("a*b*c", "a-x-c"));
        assert!(star_match("*:reporting-*", "service:reporting-eu"));
        assert!(!star_match("ab*ba", "aba"));
        assert!(star_match("exact", "exact"));
        assert!(!star_match("exact", "exactly"));
        assert!(star_match("s3://b/[x]?*", "s3://b/[x]?/y"));
    }
}
