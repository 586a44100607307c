//! Checks for facility and party identifiers.

use super::vocabulary::{FacilityIdentifierScheme, PartyIdentifierScheme};

/// Why a `scheme:value` text is not an identifier.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Unreadable {
    /// No `:` between a scheme and a value.
    Shape,
    /// An unknown scheme; `expected` lists the known ones.
    Scheme { expected: String },
    /// The value is not valid for its scheme.
    Value(String),
}

impl Unreadable {
    /// What to tell the caller; an unknown scheme is `{unknown_scheme} {expected}`.
    pub fn message(self, unknown_scheme: &str) -> String {
        match self {
            Unreadable::Shape => "must be scheme:value, such as rmi_cid:CID001234".to_owned(),
            Unreadable::Scheme { expected } => format!("{unknown_scheme} {expected}"),
            Unreadable::Value(reason) => reason,
        }
    }
}

fn read<S: Copy>(
    text: &str,
    scheme_of: fn(&str) -> Option<S>,
    expected: fn() -> String,
    check: fn(S, &str) -> Result<String, String>,
) -> Result<(S, String), Unreadable> {
    let (scheme, value) = text.split_once(':').ok_or(Unreadable::Shape)?;
    let scheme = scheme_of(scheme).ok_or_else(|| Unreadable::Scheme {
        expected: expected(),
    })?;
    let value = check(scheme, value).map_err(Unreadable::Value)?;
    Ok((scheme, value))
}

/// Reads `scheme:value` (such as `rmi_cid:CID001234`) as a facility identifier.
pub fn read_facility_identifier(
    text: &str,
) -> Result<(FacilityIdentifierScheme, String), Unreadable> {
    read(
        text,
        FacilityIdentifierScheme::parse,
        FacilityIdentifierScheme::expected,
        facility_identifier,
    )
}

/// Reads `scheme:value` (such as `lei:5493001KJTIIGC8Y1R12`) as a party identifier.
pub fn read_party_identifier(text: &str) -> Result<(PartyIdentifierScheme, String), Unreadable> {
    read(
        text,
        PartyIdentifierScheme::parse,
        PartyIdentifierScheme::expected,
        party_identifier,
    )
}

/// Checks (and normalises) a facility identifier's value for its scheme.
pub fn facility_identifier(
    scheme: FacilityIdentifierScheme,
    value: &str,
) -> Result<String, String> {
    let value = value.trim();
    match scheme {
        FacilityIdentifierScheme::RmiCid => {
            let digits = value.strip_prefix("CID").unwrap_or("");
            if digits.len() == 6 && digits.bytes().all(|b| b.is_ascii_digit()) {
                Ok(value.to_owned())
            } else {
                Err("an RMI id is CID followed by six digits, such as CID001234".into())
            }
        }
        FacilityIdentifierScheme::Gln => gln(value),
        _ => free_text(value),
    }
}

/// Checks (and normalises) a party identifier's value for its scheme.
pub fn party_identifier(scheme: PartyIdentifierScheme, value: &str) -> Result<String, String> {
    let value = value.trim();
    match scheme {
        PartyIdentifierScheme::Lei => lei(value),
        PartyIdentifierScheme::Duns => {
            let digits: String = value.chars().filter(|c| *c != '-').collect();
            if digits.len() == 9 && digits.bytes().all(|b| b.is_ascii_digit()) {
                Ok(digits)
            } else {
                Err("a D-U-N-S number has nine digits".into())
            }
        }
        PartyIdentifierScheme::Gln => gln(value),
        _ => free_text(value),
    }
}

fn free_text(value: &str) -> Result<String, String> {
    if value.is_empty() || value.chars().count() > 100 {
        return Err("must be 1 to 100 characters".into());
    }
    if value.chars().any(char::is_control) {
        return Err("must not contain control characters".into());
    }
    Ok(value.to_owned())
}

/// The GS1 check digit of `digits` (the digits of a key without its check digit): weights 3
/// and 1 alternating from the right, the digit that makes the sum a multiple of 10.
pub fn gs1_check_digit(digits: &str) -> Option<u8> {
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let sum: u32 = digits
        .bytes()
        .rev()
        .enumerate()
        .map(|(i, b)| u32::from(b - b'0') * if i % 2 == 0 { 3 } else { 1 })
        .sum();
    Some(((10 - sum % 10) % 10) as u8)
}

/// A GS1 Global Location Number: 13 digits whose last is the check digit.
pub fn gln(value: &str) -> Result<String, String> {
    if value.len() != 13 || !value.bytes().all(|b| b.is_ascii_digit()) {
        return Err("a GLN has 13 digits".into());
    }
    if gs1_check_digit(&value[..12]) == Some(value.as_bytes()[12] - b'0') {
        Ok(value.to_owned())
    } else {
        Err("the GLN's check digit does not match (GS1 General Specifications)".into())
    }
}

/// An ISO 17442 Legal Entity Identifier: 18 alphanumerics and two check digits (ISO 7064
/// MOD 97-10, as IBANs).
pub fn lei(value: &str) -> Result<String, String> {
    let value = value.to_ascii_uppercase();
    if value.len() != 20 || !value.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err("an LEI has 20 letters and digits".into());
    }
    if !value[18..].bytes().all(|b| b.is_ascii_digit()) {
        return Err("an LEI ends with two check digits".into());
    }
    let mut remainder: u32 = 0;
    for b in value.bytes() {
        let n = if b.is_ascii_digit() {
            u32::from(b - b'0')
        } else {
            u32::from(b - b'A') + 10
        };
        remainder = if n >= 10 {
            (remainder * 100 + n) % 97
        } else {
            (remainder * 10 + n) % 97
        };
    }
    if remainder == 1 {
        Ok(value)
    } else {
        Err("the LEI's check digits do not match (ISO 17442)".into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scheme_and_value_texts_are_read_or_refused_with_their_reason() {
        assert_eq!(
            read_facility_identifier("rmi_cid:CID001234"),
            Ok((FacilityIdentifierScheme::RmiCid, "CID001234".to_owned()))
        );
        let refused = |text: &str| {
            read_party_identifier(text)
                .unwrap_err()
                .message("the scheme must be one of")
        };
        assert_eq!(
            refused("lei"),
            "must be scheme:value, such as rmi_cid:CID001234"
        );
        assert!(refused("isin:X").starts_with("the scheme must be one of lei, duns"));
        assert_eq!(refused("duns:12"), "a D-U-N-S number has nine digits");
    }

    #[test]
    fn lei_check_digits_are_verified() {
        // Real LEIs (GLEIF, Bloomberg LP).
        assert!(lei("5493001KJTIIGC8Y1R12").is_ok());
        assert!(lei("549300GKFG0RYRRQ1414").is_ok());
        assert!(lei("5493001KJTIIGC8Y1R13").is_err(), "wrong check digits");
        assert!(lei("5493001KJTIIGC8Y1R1").is_err(), "too short");
        assert!(
            lei("5493001KJTIIGC8Y1RAB").is_err(),
            "letters as check digits"
        );
    }

    #[test]
    fn rmi_ids_have_six_digits() {
        let scheme = FacilityIdentifierScheme::RmiCid;
        assert_eq!(
            facility_identifier(scheme, "CID001234").unwrap(),
            "CID001234"
        );
        for bad in ["CID1234", "cid001234", "CID00123X", "001234", "CID0012345"] {
            assert!(facility_identifier(scheme, bad).is_err(), "{bad}");
        }
        assert!(facility_identifier(FacilityIdentifierScheme::MiningTitle, "").is_err());
    }

    #[test]
    fn gln_check_digits_are_verified() {
        // GS1's own example GLN (EPCIS sgln 0614141.07346.1234 is GLN 0614141073467).
        assert_eq!(gln("0614141073467").unwrap(), "0614141073467");
        assert!(gln("0614141073468").is_err(), "wrong check digit");
        assert!(gln("061414107346").is_err(), "12 digits");
        assert_eq!(gs1_check_digit("0061414177777"), Some(8));
        assert!(party_identifier(PartyIdentifierScheme::Gln, "0614141073467").is_ok());
    }

    #[test]
    fn duns_numbers_are_nine_digits() {
        assert_eq!(
            party_identifier(PartyIdentifierScheme::Duns, "15-048-3782").unwrap(),
            "150483782"
        );
        assert!(party_identifier(PartyIdentifierScheme::Duns, "1234").is_err());
    }
}

/// Whatever text arrives, an identifier, a typed id or a country parses or is refused, never a
/// panic.
#[cfg(test)]
mod properties {
    use proptest::prelude::*;

    use super::{facility_identifier, lei, party_identifier};
    use crate::domain::country::CountryCode;
    use crate::domain::ids::{AnyId, PurchaseId};
    use crate::domain::test_strategies::tricky_text;
    use crate::domain::vocabulary::{FacilityIdentifierScheme, PartyIdentifierScheme};

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn identifiers_never_panic(value in tricky_text()) {
            for scheme in FacilityIdentifierScheme::ALL {
                let _ = facility_identifier(*scheme, &value);
            }
            for scheme in PartyIdentifierScheme::ALL {
                let _ = party_identifier(*scheme, &value);
            }
            let _ = lei(&value);
            let _ = value.parse::<AnyId>();
            let _ = value.parse::<PurchaseId>();
            let _ = value.parse::<CountryCode>();
        }
    }
}
