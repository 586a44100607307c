//! ISO 3166-1 alpha-2 country codes, validated against the real list (the `celes` crate, which
//! also carries the user-assigned `XK` for Kosovo, as the EU and most supply-chain registries do).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize};
use utoipa::openapi::{ObjectBuilder, RefOr, Schema, Type};

/// An ISO 3166-1 alpha-2 code in capitals, such as `CD` or `PE`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CountryCode([u8; 2]);

impl CountryCode {
    /// Every code the API accepts, in alphabetical order: exactly what `from_str` accepts, so
    /// the OpenAPI document lists them as an enum (a bare `^[A-Z]{2}$` pattern would promise
    /// that `AA` is valid).
    pub fn all() -> Vec<CountryCode> {
        let mut codes = Vec::new();
        for first in b'A'..=b'Z' {
            for second in b'A'..=b'Z' {
                let text = [first, second];
                if let Ok(code) = std::str::from_utf8(&text).unwrap_or("").parse() {
                    codes.push(code);
                }
            }
        }
        codes
    }

    pub fn as_str(&self) -> &str {
        // Both bytes are ASCII capitals by construction.
        std::str::from_utf8(&self.0).unwrap_or("??")
    }
}

impl CountryCode {
    /// The country's name as the RMI templates write it: the ISO short name in capitals
    /// (`INDONESIA`).
    pub fn template_name(&self) -> String {
        celes::Country::from_alpha2(self.as_str())
            .map(|c| c.long_name.to_uppercase())
            .unwrap_or_else(|_| self.as_str().to_owned())
    }

    /// The country a name as the RMI templates and people write it names: `INDONESIA`,
    /// `VIET NAM`, `CONGO, DEMOCRATIC REPUBLIC OF THE`, `Korea, Republic of`, `Bolivia`, or an
    /// alpha-2 code. `None` when it is none Oretrace knows (or `Unknown`).
    pub fn from_name(text: &str) -> Option<CountryCode> {
        let text = text.trim();
        if text.len() == 2 {
            return text.to_ascii_uppercase().parse().ok();
        }
        let squeeze = |s: &str| -> String {
            s.chars()
                .filter(|c| c.is_alphanumeric())
                .flat_map(char::to_lowercase)
                .collect()
        };
        let mut candidates = vec![squeeze(text)];
        if let Some((head, tail)) = text.split_once(',') {
            // ISO's inverted form: "CONGO, DEMOCRATIC REPUBLIC OF THE".
            candidates.push(squeeze(&format!("{tail} {head}")));
            candidates.push(squeeze(head));
        }
        let with_the: Vec<String> = candidates.iter().map(|c| format!("the{c}")).collect();
        candidates.extend(with_the);
        candidates.iter().find_map(|name| {
            let country = celes::Country::from_name(name)
                .or_else(|_| celes::Country::from_alias(name))
                .ok()?;
            country.alpha2.parse().ok()
        })
    }
}

impl FromStr for CountryCode {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bytes = s.as_bytes();
        if bytes.len() != 2 || !bytes.iter().all(u8::is_ascii_uppercase) {
            return Err("must be an ISO 3166-1 alpha-2 code in capitals, such as PE".into());
        }
        if assigned(bytes[0], bytes[1]) {
            Ok(CountryCode([bytes[0], bytes[1]]))
        } else {
            Err(format!("{s} is not an ISO 3166-1 alpha-2 country code"))
        }
    }
}

/// Whether `first second` (two ASCII capitals) is a code `celes` knows. Its table is read once
/// into a bitmap, one bit per pair of letters: a mix or a trace parses tens of thousands of
/// stored codes, and `celes` looks each up by name.
fn assigned(first: u8, second: u8) -> bool {
    static ASSIGNED: std::sync::OnceLock<[u32; 26]> = std::sync::OnceLock::new();
    let table = ASSIGNED.get_or_init(|| {
        let mut table = [0u32; 26];
        for (row, first) in (b'A'..=b'Z').enumerate() {
            for (column, second) in (b'A'..=b'Z').enumerate() {
                let text = [first, second];
                let code = std::str::from_utf8(&text).unwrap_or("");
                if celes::Country::from_alpha2(code).is_ok() {
                    table[row] |= 1 << column;
                }
            }
        }
        table
    });
    let (row, column) = (usize::from(first - b'A'), u32::from(second - b'A'));
    table.get(row).is_some_and(|bits| bits & (1 << column) != 0)
}

impl fmt::Display for CountryCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl utoipa::PartialSchema for CountryCode {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .description(Some(
                "An ISO 3166-1 alpha-2 code in capitals, such as `CD` or `PE` (and `XK` for Kosovo).",
            ))
            .enum_values(Some(
                CountryCode::all()
                    .iter()
                    .map(|c| c.as_str().to_owned())
                    .collect::<Vec<_>>(),
            ))
            .examples(["PE"])
            .into()
    }
}

impl utoipa::ToSchema for CountryCode {
    fn name() -> std::borrow::Cow<'static, str> {
        "CountryCode".into()
    }
}

impl Serialize for CountryCode {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for CountryCode {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bitmap_accepts_exactly_what_celes_knows() {
        for first in b'A'..=b'Z' {
            for second in b'A'..=b'Z' {
                let text = [first, second];
                let code = std::str::from_utf8(&text).unwrap();
                assert_eq!(
                    code.parse::<CountryCode>().is_ok(),
                    celes::Country::from_alpha2(code).is_ok(),
                    "{code}"
                );
            }
        }
        assert_eq!(CountryCode::all().len(), 250);
        assert!("XK".parse::<CountryCode>().is_ok());
        assert!("AA".parse::<CountryCode>().is_err());
    }

    #[test]
    fn names_as_the_templates_write_them() {
        let code = |s: &str| CountryCode::from_name(s).map(|c| c.to_string());
        assert_eq!(code("INDONESIA").as_deref(), Some("ID"));
        assert_eq!(code("VIET NAM").as_deref(), Some("VN"));
        assert_eq!(
            code("CONGO, DEMOCRATIC REPUBLIC OF THE").as_deref(),
            Some("CD")
        );
        assert_eq!(code("Korea, Republic of").as_deref(), Some("KR"));
        assert_eq!(code("Bolivia").as_deref(), Some("BO"));
        assert_eq!(code("pe").as_deref(), Some("PE"));
        assert_eq!(code("Unknown"), None);
    }

    #[test]
    fn every_template_name_reads_back_as_its_code() {
        for code in CountryCode::all() {
            assert_eq!(
                CountryCode::from_name(&code.template_name()),
                Some(code),
                "{code} {}",
                code.template_name()
            );
        }
    }

    #[test]
    fn real_codes_only() {
        for code in ["CD", "PE", "GH", "CN", "AU", "XK", "BO"] {
            assert_eq!(code.parse::<CountryCode>().unwrap().as_str(), code);
        }
        for bad in ["ZZ", "QQ", "cd", "COD", "C", "", "1A", "ÉU"] {
            assert!(bad.parse::<CountryCode>().is_err(), "{bad}");
        }
        let json: CountryCode = serde_json::from_str("\"PE\"").unwrap();
        assert_eq!(serde_json::to_string(&json).unwrap(), "\"PE\"");
        assert!(serde_json::from_str::<CountryCode>("\"XX\"").is_err());
    }

    #[test]
    fn the_schema_lists_exactly_the_accepted_codes() {
        let all = CountryCode::all();
        assert!(all.len() > 240, "{}", all.len());
        assert!(all.iter().any(|c| c.as_str() == "XK"));
        assert!(!all.iter().any(|c| c.as_str() == "AA"));
    }
}
