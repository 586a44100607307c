//! Property tests for every parser of outside input: whatever bytes or text arrive, parsing
//! answers `Ok` or `Err`, never a panic. Each parser also has example tests beside it; these
//! throw arbitrary and near-valid input at it.
//!
//! Covered: batch bodies (JSON array, NDJSON, CSV) and CSV `declared_origin`, catalog CSV,
//! quantities and units, shares, cursors and limits, dates in batches, countries, identifiers
//! (facility and party schemes, LEI), typed ids, names and texts, URLs and hashes, bounding
//! boxes, subdivisions, the mix's `group_by`, `Idempotency-Key` and `X-Request-Id` values.

use proptest::prelude::*;

use crate::api::http::pagination::{PageRequest, decode_cursor, encode_cursor};
use crate::app::purchases::batch_body::{Format, parse, parse_declared_origin};
use crate::domain::country::CountryCode;
use crate::domain::facility::{BoundingBox, subdivision};
use crate::domain::identifiers;
use crate::domain::ids::{AnyId, PurchaseId};
use crate::domain::mix::{GroupBy, parse_share, parse_share_text};
use crate::domain::purchase::external_ref;
use crate::domain::quantity::{Decimal, MassUnit, Quantity};
use crate::domain::text;
use crate::domain::vocabulary::{FacilityIdentifierScheme, PartyIdentifierScheme};
use crate::import::catalog::CatalogKind;
use crate::import::csv_file::csv_rows;

const CSV_HEADER: &str = "external_ref,supplier_party_id,mineral,quantity_value,quantity_unit,purchased_on,declared_origin";

/// Text that is mostly near-valid: digits, separators, signs, exponents, unicode and controls.
fn tricky_text() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[0-9eE.,:;=+\\- ]{0,40}",
        "(asm|lsm|recycled|unknown|facility)(:[A-Z]{0,3})?=[0-9.eE+-]{0,12}(;[a-z:A-Z0-9=.-]{0,20}){0,4}",
        "[\\x00-\\x1f\\u{7f}-\\u{9f}a-z]{0,20}",
        "9{15,40}(\\.9{0,30})?",
    ]
}

fn csv_cell() -> impl Strategy<Value = String> {
    prop_oneof![
        tricky_text(),
        Just(String::from("0193c3a0-0000-7000-8000-000000000001")),
        Just(String::from("gold")),
        Just(String::from("kg")),
        Just(String::from("2026-02-30")),
        Just(String::from("\"quoted, \"\"cell\"\"\"")),
        "[0-9]{4}-[0-9]{2}-[0-9]{2}",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn batch_bodies_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
        for format in [Format::JsonArray, Format::Ndjson, Format::Csv] {
            let _ = parse(format, &bytes);
        }
    }

    #[test]
    fn csv_batches_with_a_header_never_panic(
        rows in proptest::collection::vec(proptest::collection::vec(csv_cell(), 0..9), 0..12),
    ) {
        let mut body = String::from(CSV_HEADER);
        body.push('\n');
        for row in &rows {
            body.push_str(&row.join(","));
            body.push('\n');
        }
        let _ = parse(Format::Csv, body.as_bytes());
    }

    #[test]
    fn json_and_ndjson_rows_never_panic(
        values in proptest::collection::vec(json_value(), 0..8),
    ) {
        let array = serde_json::Value::Array(values.clone()).to_string();
        let _ = parse(Format::JsonArray, array.as_bytes());
        let lines: Vec<String> = values.iter().map(|v| v.to_string()).collect();
        let _ = parse(Format::Ndjson, lines.join("\n").as_bytes());
    }

    #[test]
    fn declared_origins_never_panic(text in tricky_text()) {
        let _ = parse_declared_origin(&text);
    }

    #[test]
    fn catalog_csv_never_panics(text in any::<String>(), cells in proptest::collection::vec(csv_cell(), 0..20)) {
        for kind in [CatalogKind::Facilities, CatalogKind::Parties, CatalogKind::Certifications] {
            let _ = csv_rows(kind, &text);
            let header = kind.columns().join(",");
            let _ = csv_rows(kind, &format!("{header}\n{}\n", cells.join(",")));
        }
    }

    #[test]
    fn quantities_never_panic(text in tricky_text(), value in any::<f64>()) {
        let _ = Decimal::parse(&text);
        let _ = Decimal::from_f64(value);
        for unit in MassUnit::ALL {
            let _ = Quantity::from_text(&text, *unit);
            if let Some(decimal) = Decimal::from_f64(value) {
                let _ = Quantity::new(decimal, *unit);
            }
        }
        let _ = MassUnit::parse(&text);
        let _ = parse_share(value);
        let _ = parse_share_text(&text);
    }

    #[test]
    fn huge_and_tiny_quantities_are_refused_or_exact(mantissa in any::<i64>(), exponent in -40i32..40) {
        let text = format!("{mantissa}e{exponent}");
        for unit in MassUnit::ALL {
            if let Ok(quantity) = Quantity::from_text(&text, *unit) {
                prop_assert!(quantity.mg > 0);
            }
        }
    }

    #[test]
    fn cursors_and_limits_never_panic(cursor in any::<String>(), limit in any::<Option<i64>>()) {
        let _ = decode_cursor(&cursor);
        let _ = PageRequest::new(limit, Some(&cursor));
        let _ = PageRequest::keyed_by(limit, Some(&cursor), |k| !k.is_empty());
    }

    #[test]
    fn issued_cursors_always_decode(id in any::<u128>()) {
        let key = uuid::Uuid::from_u128(id).hyphenated().to_string();
        let page = PageRequest::new(None, Some(&encode_cursor(&key)));
        prop_assert_eq!(page.ok().and_then(|p| p.after), Some(key));
    }

    #[test]
    fn identifiers_never_panic(value in tricky_text()) {
        for scheme in FacilityIdentifierScheme::ALL {
            let _ = identifiers::facility_identifier(*scheme, &value);
        }
        for scheme in PartyIdentifierScheme::ALL {
            let _ = identifiers::party_identifier(*scheme, &value);
        }
        let _ = identifiers::lei(&value);
        let _ = value.parse::<AnyId>();
        let _ = value.parse::<PurchaseId>();
        let _ = value.parse::<CountryCode>();
    }

    #[test]
    fn texts_never_panic(value in tricky_text(), max in 0usize..300) {
        let _ = text::name(&value);
        let _ = text::short_text(&value, max);
        let _ = text::explanation(&value);
        let _ = text::search_key(&value);
        let _ = text::http_url(&value);
        let _ = text::sha256_hex(&value);
        let _ = external_ref(&value);
    }

    #[test]
    fn query_values_never_panic(value in tricky_text()) {
        let _ = BoundingBox::parse(&value);
        let _ = subdivision(None, &value);
        let _ = subdivision("PE".parse().ok(), &value);
        let _ = GroupBy::parse(&value);
    }

    #[test]
    fn header_values_never_panic(value in any::<String>()) {
        let _ = crate::api::http::idempotency::valid_key(&value);
        let _ = crate::api::http::request_id::acceptable(&value);
    }
}

/// Arbitrary JSON, biased towards purchase-shaped objects with odd members.
fn json_value() -> impl Strategy<Value = serde_json::Value> {
    let leaf = prop_oneof![
        Just(serde_json::Value::Null),
        any::<bool>().prop_map(serde_json::Value::from),
        any::<i64>().prop_map(serde_json::Value::from),
        any::<f64>().prop_map(|f| serde_json::Number::from_f64(f)
            .map(serde_json::Value::Number)
            .unwrap_or(serde_json::Value::Null)),
        tricky_text().prop_map(serde_json::Value::from),
    ];
    let members = prop_oneof![
        Just("external_ref"),
        Just("supplier_party_id"),
        Just("mineral"),
        Just("quantity"),
        Just("value"),
        Just("unit"),
        Just("purchased_on"),
        Just("declared_origin"),
        Just("share"),
        Just("facility_id"),
        Just("origin_class"),
        Just("lot_id"),
        Just("x"),
    ];
    leaf.prop_recursive(4, 48, 8, move |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..4).prop_map(serde_json::Value::Array),
            proptest::collection::btree_map(members.clone(), inner, 0..8).prop_map(|map| {
                serde_json::Value::Object(map.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())
            }),
        ]
    })
}
