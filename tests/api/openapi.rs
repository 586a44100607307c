//! The OpenAPI document is the contract: the committed file must match the code, and every
//! operation must be documented the way integrators rely on.

use serde_json::Value;

fn generated() -> String {
    oretrace::api::openapi::to_json(&oretrace::api::openapi::document())
}

#[test]
fn committed_openapi_matches_the_code() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/openapi/openapi.json");
    let generated = generated();
    if std::env::var("UPDATE_OPENAPI").is_ok_and(|v| v == "1") {
        std::fs::write(path, &generated).expect("write openapi.json");
        return;
    }
    let committed = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        committed == generated,
        "openapi/openapi.json is out of date: run `cargo run -- openapi > openapi/openapi.json` \
         (or UPDATE_OPENAPI=1 cargo test openapi) and commit it"
    );
}

#[test]
fn every_operation_is_documented_for_integrators() {
    let doc: Value = serde_json::from_str(&generated()).unwrap();
    assert_eq!(doc["openapi"], "3.1.0");
    assert_eq!(doc["info"]["license"]["identifier"], "Apache-2.0");
    let public = [
        "/health/live",
        "/health/ready",
        "/metrics",
        "/.well-known/jwks.json",
        "/v1/auth/token",
        // Bitstring Status Lists: read by verifiers without a token (docs/SECURITY.md).
        "/v1/credentials/status/{list}",
    ];
    let mut operation_ids = std::collections::HashSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        assert!(
            path.starts_with("/v1/") || public.contains(&path.as_str()),
            "{path} is outside /v1"
        );
        for (method, operation) in item.as_object().unwrap() {
            let id = operation["operationId"].as_str().unwrap_or_default();
            assert!(!id.is_empty(), "{method} {path} has no operationId");
            assert!(
                operation_ids.insert(id.to_owned()),
                "duplicate operationId {id}"
            );
            assert!(
                operation["description"].is_string() || operation["summary"].is_string(),
                "{method} {path} is not described"
            );
            let responses = operation["responses"].as_object().unwrap();
            assert!(
                responses.keys().any(|s| s.starts_with('2')),
                "{method} {path}"
            );
            for (status, response) in responses {
                if status.starts_with('4') || status.starts_with('5') {
                    assert!(
                        response["content"]["application/problem+json"].is_object(),
                        "{method} {path} {status} is not problem+json"
                    );
                }
            }
            let secured = operation["security"]
                .as_array()
                .is_some_and(|s| !s.is_empty());
            if !public.contains(&path.as_str()) {
                assert!(secured, "{method} {path} has no security requirement");
                for status in ["401", "403", "429"] {
                    assert!(
                        responses.contains_key(status),
                        "{method} {path} lacks {status}"
                    );
                }
            }
            if operation["requestBody"].is_object() {
                for status in ["400", "413", "415"] {
                    assert!(
                        responses.contains_key(status),
                        "{method} {path} lacks {status}"
                    );
                }
            }
        }
    }
}

/// Every enum in the document spells its values the way serde reads and writes them (found by
/// schemathesis: the document once listed `Gold` where the API speaks `gold`).
#[test]
fn enum_values_are_the_wire_names() {
    fn walk(value: &Value, at: &str, bad: &mut Vec<String>) {
        match value {
            Value::Object(map) => {
                if let Some(values) = map.get("enum").and_then(Value::as_array) {
                    let country = at.ends_with("CountryCode");
                    for v in values.iter().filter_map(Value::as_str) {
                        let wire = if country {
                            v.len() == 2 && v.bytes().all(|b| b.is_ascii_uppercase())
                        } else {
                            !v.bytes().any(|b| b.is_ascii_uppercase())
                        };
                        if !wire {
                            bad.push(format!("{at}: {v}"));
                        }
                    }
                }
                for (key, child) in map {
                    walk(child, &format!("{at}/{key}"), bad);
                }
            }
            Value::Array(items) => {
                for (i, child) in items.iter().enumerate() {
                    walk(child, &format!("{at}/{i}"), bad);
                }
            }
            _ => {}
        }
    }
    let doc: Value = serde_json::from_str(&generated()).unwrap();
    let mut bad = Vec::new();
    walk(&doc, "", &mut bad);
    assert!(
        bad.is_empty(),
        "enum values that are not wire names: {bad:?}"
    );
}

/// Every OpenAPI link names an operation of the document and fills exactly its path parameters,
/// and each creating operation links to the reads that take the id it returns.
#[test]
fn links_point_at_real_operations() {
    let doc: Value = serde_json::from_str(&generated()).unwrap();
    let mut paths_by_id = std::collections::HashMap::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for operation in item.as_object().unwrap().values() {
            if let Some(id) = operation["operationId"].as_str() {
                paths_by_id.insert(id.to_owned(), path.clone());
            }
        }
    }
    let mut links = 0;
    for item in doc["paths"].as_object().unwrap().values() {
        for operation in item.as_object().unwrap().values() {
            for response in operation["responses"].as_object().into_iter().flatten() {
                for (name, link) in response.1["links"].as_object().into_iter().flatten() {
                    links += 1;
                    let target = link["operationId"].as_str().unwrap_or_default();
                    let path = paths_by_id
                        .get(target)
                        .unwrap_or_else(|| panic!("link {name} names no operation: {target}"));
                    let mut wanted: Vec<&str> = path
                        .split('{')
                        .skip(1)
                        .filter_map(|p| p.split('}').next())
                        .collect();
                    let mut given: Vec<&str> = link["parameters"]
                        .as_object()
                        .map(|p| p.keys().map(String::as_str).collect())
                        .unwrap_or_default();
                    wanted.sort();
                    given.sort();
                    assert_eq!(given, wanted, "link {name} to {target}");
                }
            }
        }
    }
    assert!(links >= 15, "{links} links");
}
