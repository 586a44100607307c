//! Checks for the free-text values of the catalog: names, short texts, URLs and digests.
//! Each returns the normalised value or the reason it is refused.

/// A display name: trimmed, 1 to 200 characters, no control characters.
pub fn name(value: &str) -> Result<String, String> {
    short_text(value, 200)
}

/// A short text: trimmed, 1 to `max` characters, no control characters.
pub fn short_text(value: &str, max: usize) -> Result<String, String> {
    let trimmed = value.trim();
    if trimmed.is_empty() || trimmed.chars().count() > max {
        return Err(format!("must be 1 to {max} characters"));
    }
    if trimmed.chars().any(char::is_control) {
        return Err("must not contain control characters".into());
    }
    Ok(trimmed.to_owned())
}

/// A longer explanation (such as the basis of a CAHRA designation): 1 to 2,000 characters;
/// line breaks and tabs are allowed, other control characters are not.
pub fn explanation(value: &str) -> Result<String, String> {
    let trimmed = value.trim();
    if trimmed.is_empty() || trimmed.chars().count() > 2000 {
        return Err("must be 1 to 2000 characters".into());
    }
    if trimmed
        .chars()
        .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
    {
        return Err("must not contain control characters".into());
    }
    Ok(trimmed.to_owned())
}

/// The lower-cased form names are searched by, the same on every database.
pub fn search_key(name: &str) -> String {
    name.to_lowercase()
}

/// An absolute `http` or `https` URL with a host, at most 2,000 characters. Other schemes
/// (`javascript:`, `file:`, `ftp:`…) are refused: evidence must be retrievable by an auditor.
pub fn http_url(value: &str) -> Result<String, String> {
    let trimmed = value.trim();
    if trimmed.is_empty() || trimmed.len() > 2000 {
        return Err("must be an http or https URL of at most 2000 characters".into());
    }
    // The URL parser would silently drop tabs and line breaks and escape other control
    // characters; refuse them as every other text field does.
    if trimmed.chars().any(char::is_control) {
        return Err("must not contain control characters".into());
    }
    let parsed =
        url::Url::parse(trimmed).map_err(|_| "must be an absolute http or https URL".to_owned())?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err("must be an http or https URL".into());
    }
    if parsed.host_str().is_none_or(str::is_empty) {
        return Err("must name a host".into());
    }
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err("must not carry credentials".into());
    }
    Ok(parsed.to_string())
}

/// A SHA-256 digest as 64 hexadecimal digits, returned in lower case.
pub fn sha256_hex(value: &str) -> Result<String, String> {
    let trimmed = value.trim();
    if trimmed.len() == 64 && trimmed.bytes().all(|b| b.is_ascii_hexdigit()) {
        Ok(trimmed.to_ascii_lowercase())
    } else {
        Err("must be a SHA-256 digest: 64 hexadecimal digits".into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_trimmed_and_bounded() {
        assert_eq!(name("  Mina Sur  ").unwrap(), "Mina Sur");
        assert!(name("   ").is_err());
        assert!(name(&"x".repeat(201)).is_err());
        assert!(name("a\u{0}b").is_err());
        assert_eq!(search_key("ÉCLAT Mining"), "éclat mining");
    }

    #[test]
    fn only_http_urls_with_a_host() {
        assert_eq!(
            http_url("https://example.org/cert.pdf").unwrap(),
            "https://example.org/cert.pdf"
        );
        assert!(http_url("HTTP://Example.org/x").is_ok());
        for bad in [
            "javascript:alert(1)",
            "ftp://example.org/x",
            "file:///etc/passwd",
            "example.org/x",
            "https://",
            "https://user:pw@example.org/",
            "",
        ] {
            assert!(http_url(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn digests_are_64_hex_digits() {
        let digest = "A".repeat(64);
        assert_eq!(sha256_hex(&digest).unwrap(), "a".repeat(64));
        assert!(sha256_hex(&"g".repeat(64)).is_err());
        assert!(sha256_hex(&"a".repeat(63)).is_err());
    }
}

/// Whatever text arrives, a name, a text, a URL, a hash or an external reference is accepted or
/// refused, never a panic.
#[cfg(test)]
mod properties {
    use proptest::prelude::*;

    use super::{explanation, http_url, name, search_key, sha256_hex, short_text};
    use crate::domain::purchase::external_ref;
    use crate::domain::test_strategies::tricky_text;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn texts_never_panic(value in tricky_text(), max in 0usize..300) {
            let _ = name(&value);
            let _ = short_text(&value, max);
            let _ = explanation(&value);
            let _ = search_key(&value);
            let _ = http_url(&value);
            let _ = sha256_hex(&value);
            let _ = external_ref(&value);
        }
    }
}
