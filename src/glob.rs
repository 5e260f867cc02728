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

/// Matches `text` against `pattern` where `*` stands for any substring. The parts between
/// stars are found left to right, each as early as possible, and the last part must end the
/// text; nothing is allocated.
pub fn star_match(pattern: &str, text: &str) -> bool {
    let Some((first, tail)) = pattern.split_once('*') else {
        // No `*` at all: an exact match.
        return pattern == text;
    };
    let Some(mut rest) = text.strip_prefix(first) else {
        return false;
    };
    let (middle, last) = tail.rsplit_once('*').unwrap_or(("", tail));
    for part in middle.split('*').filter(|p| !p.is_empty()) {
        match rest.find(part) {
            Some(at) => rest = &rest[at + part.len()..],
            None => return false,
        }
    }
    rest.ends_with(last)
}

/// The literal text a pattern's matches all start with: everything before the first `*`.
pub fn literal_prefix(pattern: &str) -> &str {
    pattern
        .split_once('*')
        .map_or(pattern, |(prefix, _)| prefix)
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
        assert!(star_match("a**b", "ab"));
        assert!(star_match("a*", "a"));
        assert!(!star_match("a*b", "a"));
        assert!(star_match("*a*", "xay"));
        assert!(!star_match("*a*a", "xa"));
        assert!(star_match("*a*a", "xaa"));
        assert!(star_match("", ""));
        assert!(!star_match("", "x"));
    }

    #[test]
    fn literal_prefixes_end_at_the_first_star() {
        use super::literal_prefix;
        assert_eq!(literal_prefix("svc:fraud-*"), "svc:fraud-");
        assert_eq!(literal_prefix("*:x*"), "");
        assert_eq!(literal_prefix("exact"), "exact");
    }
}
