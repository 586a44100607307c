//! Proptest strategies shared by the property tests of every parser of outside input. Each
//! parser's property tests sit beside it, in a `#[cfg(test)] mod properties`, and check that
//! whatever bytes or text arrive, parsing answers `Ok` or `Err`, never a panic (each parser also
//! has example tests in its `mod tests`):
//!
//! - batch bodies (JSON array, NDJSON, CSV) and CSV `declared_origin`:
//!   `app::purchases::batch_body`;
//! - catalog CSV: `import::csv_file`;
//! - quantities and units: `domain::quantity`; shares: `domain::mix::declared_shares`;
//! - the mix's `group_by`: `domain::mix`; bounding boxes and subdivisions: `domain::facility`;
//! - cursors and limits: `api::http::pagination`;
//! - identifiers (facility and party schemes, LEI), typed ids and countries:
//!   `domain::identifiers`;
//! - names, texts, URLs, hashes and external references: `domain::text`;
//! - `Idempotency-Key` and `X-Request-Id` values: `api::http::idempotency`,
//!   `api::http::request_id`.
//!
//! The strategies depend on nothing of the crate, so they sit in the domain, which every layer
//! may use.

use proptest::prelude::*;

/// Text that is mostly near-valid: digits, separators, signs, exponents, unicode and controls.
pub fn tricky_text() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[0-9eE.,:;=+\\- ]{0,40}",
        "(asm|lsm|recycled|unknown|facility)(:[A-Z]{0,3})?=[0-9.eE+-]{0,12}(;[a-z:A-Z0-9=.-]{0,20}){0,4}",
        "[\\x00-\\x1f\\u{7f}-\\u{9f}a-z]{0,20}",
        "9{15,40}(\\.9{0,30})?",
    ]
}

/// A CSV cell: tricky text, or a value one of the columns takes.
pub fn csv_cell() -> impl Strategy<Value = String> {
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

/// Arbitrary JSON, biased towards purchase-shaped objects with odd members.
pub fn json_value() -> impl Strategy<Value = serde_json::Value> {
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
