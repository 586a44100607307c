//! GS1 keys in the forms EPCIS 2.0 carries them: EPC URNs (`urn:epc:class:lgtin:…`,
//! `urn:epc:id:sgtin:…`, `urn:epc:id:sgln:…`, `urn:epc:id:pgln:…`, GS1 Tag Data Standard 2.0)
//! and GS1 Digital Link URIs (`https://id.gs1.org/01/…/10/…`, `/414/…`, `/417/…`), and
//! Oretrace's own URNs. Pure: reading and canonical forms only.

use crate::domain::identifiers::{gln, gs1_check_digit};

/// The namespace of Oretrace's own URNs and JSON-LD terms.
pub const URN_LOT: &str = "urn:oretrace:lot:";
pub const URN_FACILITY: &str = "urn:oretrace:facility:";
pub const URN_PARTY: &str = "urn:oretrace:party:";
/// A document reference that is not a URI, carried as a `bizTransaction` URI.
pub const URN_DOCUMENT: &str = "urn:oretrace:document:";
/// A document kind that is not a CBV business transaction type.
pub const URN_DOCUMENT_TYPE: &str = "urn:oretrace:document-type:";

/// The canonical Digital Link host: identifiers are compared in this form.
const DIGITAL_LINK: &str = "https://id.gs1.org";

/// How a location or a party is named in an event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Named {
    /// A GS1 Global Location Number (13 digits, check digit verified).
    Gln(String),
    /// One of Oretrace's own ids (`urn:oretrace:facility:{uuid}`).
    Id(uuid::Uuid),
    /// An identifier Oretrace already knows: `urn:oretrace:facility:rmi_cid:CID001234`,
    /// `urn:oretrace:party:lei:…`, or `urn:lei:…` for a party.
    Identifier { scheme: String, value: String },
}

fn digits(text: &str) -> bool {
    !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit())
}

/// A GTIN of 8, 12, 13 or 14 digits, check digit verified, as 14 digits.
fn gtin14(text: &str) -> Result<String, String> {
    if !digits(text) || ![8, 12, 13, 14].contains(&text.len()) {
        return Err("a GTIN has 8, 12, 13 or 14 digits".into());
    }
    let padded = format!("{text:0>14}");
    if gs1_check_digit(&padded[..13]) == Some(padded.as_bytes()[13] - b'0') {
        Ok(padded)
    } else {
        Err("the GTIN's check digit does not match".into())
    }
}

/// `CompanyPrefix.Reference` of an EPC URN (together 12 digits for a GLN, 13 for a GTIN
/// with its indicator digit first in the reference), with the check digit added.
fn key_from_urn(prefix: &str, reference: &str, gtin: bool) -> Result<String, String> {
    let total = if gtin { 13 } else { 12 };
    if !digits(prefix) || !(reference.is_empty() || digits(reference)) {
        return Err("the company prefix and reference are digits".into());
    }
    if prefix.len() + reference.len() != total || !(6..=12).contains(&prefix.len()) {
        return Err(format!(
            "the company prefix and reference have {total} digits together"
        ));
    }
    let body = if gtin {
        // The indicator digit leads the item reference in the URN, the GTIN in the key.
        let (indicator, rest) = reference.split_at(1);
        format!("{indicator}{prefix}{rest}")
    } else {
        format!("{prefix}{reference}")
    };
    let check = gs1_check_digit(&body).ok_or("not digits")?;
    Ok(format!("{body}{check}"))
}

/// The path segments of a Digital Link URI (any host), without query or fragment.
fn digital_link_path(uri: &str) -> Option<Vec<&str>> {
    let rest = uri
        .strip_prefix("https://")
        .or_else(|| uri.strip_prefix("http://"))?;
    let rest = rest.split(['?', '#']).next().unwrap_or_default();
    let (_, path) = rest.split_once('/')?;
    Some(path.split('/').filter(|s| !s.is_empty()).collect())
}

/// The segments after primary key `ai` in a Digital Link path (the key value first).
fn after_key<'a>(segments: &'a [&'a str], ai: &str) -> Option<&'a [&'a str]> {
    let at = segments
        .windows(2)
        .position(|w| w[0] == ai && digits(w[1]))?;
    Some(&segments[at + 1..])
}

/// The canonical form of a lot identifier: class-level LGTIN and instance SGTIN URNs and
/// Digital Link URIs become `https://id.gs1.org/01/{GTIN-14}[/10/{lot}][/21/{serial}]`, so
/// that the URN and the Digital Link of one lot are one identifier; any other URI is kept as
/// it is. Patterns (`urn:epc:idpat:…`) name no lot and are refused.
pub fn lot_identifier(uri: &str) -> Result<String, String> {
    let uri = uri.trim();
    if uri.is_empty() {
        return Err("an identifier is required".into());
    }
    if uri.starts_with("urn:epc:idpat:") {
        return Err(
            "a pattern names no single lot: give a class-level or instance identifier".into(),
        );
    }
    for (urn, qualifier) in [("urn:epc:class:lgtin:", "10"), ("urn:epc:id:sgtin:", "21")] {
        if let Some(rest) = uri.strip_prefix(urn) {
            let parts: Vec<&str> = rest.splitn(3, '.').collect();
            let [prefix, reference, lot] = parts[..] else {
                return Err(format!("{urn}CompanyPrefix.ItemReference.Value"));
            };
            if lot.is_empty() {
                return Err(format!("{urn}CompanyPrefix.ItemReference.Value"));
            }
            let gtin = key_from_urn(prefix, reference, true)?;
            return Ok(format!("{DIGITAL_LINK}/01/{gtin}/{qualifier}/{lot}"));
        }
    }
    if let Some(segments) = digital_link_path(uri)
        && let Some(rest) = after_key(&segments, "01")
    {
        let gtin = gtin14(rest[0])?;
        let mut canonical = format!("{DIGITAL_LINK}/01/{gtin}");
        for pair in rest[1..].chunks(2) {
            if let [ai @ ("10" | "21"), value] = pair {
                canonical.push_str(&format!("/{ai}/{value}"));
            }
        }
        return Ok(canonical);
    }
    if uri.chars().any(char::is_whitespace) || !uri.contains(':') {
        return Err("an identifier is a URI".into());
    }
    Ok(uri.to_owned())
}

fn oretrace_named(rest: &str) -> Result<Named, String> {
    if let Ok(id) = uuid::Uuid::parse_str(rest) {
        return Ok(Named::Id(id));
    }
    match rest.split_once(':') {
        Some((scheme, value)) if !scheme.is_empty() && !value.is_empty() => Ok(Named::Identifier {
            scheme: scheme.to_owned(),
            value: value.to_owned(),
        }),
        _ => Err("give an Oretrace id or scheme:value after the prefix".into()),
    }
}

/// Reads a location (`readPoint`/`bizLocation` id, or a `location` source/destination).
pub fn location(uri: &str) -> Result<Named, String> {
    let uri = uri.trim();
    if let Some(rest) = uri.strip_prefix("urn:epc:id:sgln:") {
        let parts: Vec<&str> = rest.splitn(3, '.').collect();
        let [prefix, reference, _extension] = parts[..] else {
            return Err("urn:epc:id:sgln:CompanyPrefix.LocationReference.Extension".into());
        };
        return key_from_urn(prefix, reference, false).map(Named::Gln);
    }
    if let Some(rest) = uri.strip_prefix(URN_FACILITY) {
        return oretrace_named(rest);
    }
    if let Some(segments) = digital_link_path(uri)
        && let Some(rest) = after_key(&segments, "414")
    {
        return gln(rest[0]).map(Named::Gln);
    }
    Err(
        "not a location Oretrace reads: give an sgln URN, a Digital Link /414/ URI or an \
         Oretrace facility URN"
            .into(),
    )
}

/// Reads a party (an `owning_party`/`possessing_party` source or destination).
pub fn party(uri: &str) -> Result<Named, String> {
    let uri = uri.trim();
    if let Some(rest) = uri.strip_prefix("urn:epc:id:pgln:") {
        let parts: Vec<&str> = rest.splitn(2, '.').collect();
        let [prefix, reference] = parts[..] else {
            return Err("urn:epc:id:pgln:CompanyPrefix.PartyReference".into());
        };
        return key_from_urn(prefix, reference, false).map(Named::Gln);
    }
    if uri.starts_with("urn:epc:id:sgln:") {
        // A party named by the GLN of one of its locations (as in EPCIS example 9.6.2).
        return location(uri);
    }
    if let Some(rest) = uri.strip_prefix(URN_PARTY) {
        return oretrace_named(rest);
    }
    if let Some(lei) = uri.strip_prefix("urn:lei:") {
        return Ok(Named::Identifier {
            scheme: "lei".into(),
            value: lei.to_owned(),
        });
    }
    if let Some(segments) = digital_link_path(uri)
        && let Some(rest) = after_key(&segments, "417")
    {
        return gln(rest[0]).map(Named::Gln);
    }
    Err(
        "not a party Oretrace reads: give a pgln URN, a Digital Link /417/ URI, urn:lei:… or \
         an Oretrace party URN"
            .into(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_class_level_urn_and_its_digital_link_are_one_identifier() {
        let urn = lot_identifier("urn:epc:class:lgtin:0614141.077777.987").unwrap();
        let link = lot_identifier("https://id.gs1.org/01/00614141777778/10/987").unwrap();
        assert_eq!(urn, link);
        assert_eq!(link, "https://id.gs1.org/01/00614141777778/10/987");
        let other_host = lot_identifier("https://example.com/01/00614141777778/10/987?x=1");
        assert_eq!(other_host.unwrap(), link);
        assert!(lot_identifier("https://id.gs1.org/01/00614141777779/10/987").is_err());
        assert!(lot_identifier("urn:epc:idpat:sgtin:4012345.066666.*").is_err());
        assert_eq!(
            lot_identifier("urn:oretrace:lot:x").unwrap(),
            "urn:oretrace:lot:x"
        );
    }

    #[test]
    fn locations_and_parties_are_read_from_urns_and_links() {
        assert_eq!(
            location("urn:epc:id:sgln:0614141.07346.1234"),
            Ok(Named::Gln("0614141073467".into()))
        );
        assert_eq!(
            location("https://id.gs1.org/414/0614141073467/254/1234"),
            Ok(Named::Gln("0614141073467".into()))
        );
        assert_eq!(
            party("urn:epc:id:pgln:0614141.07346"),
            Ok(Named::Gln("0614141073467".into()))
        );
        assert_eq!(
            location("urn:oretrace:facility:rmi_cid:CID001234"),
            Ok(Named::Identifier {
                scheme: "rmi_cid".into(),
                value: "CID001234".into()
            })
        );
        assert!(location("urn:epc:id:sgln:0614141.0734.1").is_err());
        assert!(party("https://example.com/nothing").is_err());
    }
}
