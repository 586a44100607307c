//! UNTP credentials (issue 13, part 4; docs/CREDENTIALS.md): each credential is decoded from
//! its JWS, its Ed25519 signature verified with the key `/.well-known/jwks.json` publishes,
//! its JSON validated against the vendored UNTP 0.6.1 schemas (`tests/fixtures/untp/`), and the
//! status list bits read after the certificate is suspended, reinstated, withdrawn or expired.

use std::io::Read;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ed25519_dalek::{Signature, Verifier, VerifyingKey};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::both_backends;
use crate::builders::{Certification, Event, Facility, Lot};
use crate::helpers::{Client, HasId, TestApp, assert_problem, send, send_raw};

fn schema(name: &str) -> jsonschema::Validator {
    let path = format!(
        "{}/tests/fixtures/untp/untp-{name}-schema-0.6.1.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let schema: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    jsonschema::draft202012::options()
        .should_validate_formats(true)
        .build(&schema)
        .expect("the UNTP schema compiles")
}

fn assert_valid(name: &str, credential: &Value) {
    let validator = schema(name);
    let errors: Vec<String> = validator
        .iter_errors(credential)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{name}: {errors:#?}\n{credential:#}");
}

/// The credential of a `vc+jwt` answer, its signature verified with the JWKS key its `kid` names.
async fn verified(app: &TestApp, response: reqwest::Response) -> Value {
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response.headers()["content-type"].to_str().unwrap(),
        "application/vc+jwt"
    );
    let jws = response.text().await.unwrap();
    let parts: Vec<&str> = jws.split('.').collect();
    assert_eq!(parts.len(), 3, "a compact JWS");
    let decode = |part: &str| URL_SAFE_NO_PAD.decode(part).unwrap();
    let header: Value = serde_json::from_slice(&decode(parts[0])).unwrap();
    assert_eq!(header["alg"], "EdDSA");
    assert_eq!(header["typ"], "vc+jwt");
    assert_eq!(header["cty"], "vc");
    let (_, jwks) = send(app.http.get(app.url("/.well-known/jwks.json"))).await;
    let jwk = jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["kid"] == header["kid"])
        .expect("the kid is in the JWKS");
    let x: [u8; 32] = decode(jwk["x"].as_str().unwrap()).try_into().unwrap();
    let key = VerifyingKey::from_bytes(&x).unwrap();
    let signature = Signature::from_slice(&decode(parts[2])).unwrap();
    key.verify(format!("{}.{}", parts[0], parts[1]).as_bytes(), &signature)
        .expect("the signature verifies with the published key");
    serde_json::from_slice(&decode(parts[1])).unwrap()
}

/// The bit a `credentialStatus` entry names, read from its list fetched without a token.
async fn status_bit(app: &TestApp, entry: &Value) -> bool {
    let url = entry["statusListCredential"].as_str().unwrap();
    assert!(url.starts_with(&app.base), "{url}");
    let response = send_raw(app.http.get(url)).await;
    assert!(
        response.headers()["cache-control"]
            .to_str()
            .unwrap()
            .contains("max-age=300")
    );
    let list = verified(app, response).await;
    assert_eq!(list["id"], url);
    assert_eq!(
        list["type"],
        json!(["VerifiableCredential", "BitstringStatusListCredential"])
    );
    let subject = &list["credentialSubject"];
    assert_eq!(subject["type"], "BitstringStatusList");
    assert_eq!(subject["statusPurpose"], entry["statusPurpose"]);
    let encoded = subject["encodedList"].as_str().unwrap();
    let gzip = URL_SAFE_NO_PAD
        .decode(encoded.strip_prefix('u').unwrap())
        .unwrap();
    let mut bits = Vec::new();
    flate2::read::GzDecoder::new(&gzip[..])
        .read_to_end(&mut bits)
        .unwrap();
    assert_eq!(bits.len() * 8, 131_072, "the minimum list length");
    let index: usize = entry["statusListIndex"].as_str().unwrap().parse().unwrap();
    bits[index / 8] & (0x80 >> (index % 8)) != 0
}

fn entry<'a>(credential: &'a Value, purpose: &str) -> &'a Value {
    credential["credentialStatus"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["statusPurpose"] == purpose)
        .unwrap()
}

/// (suspension bit, revocation bit) of a credential.
async fn bits(app: &TestApp, credential: &Value) -> (bool, bool) {
    (
        status_bit(app, entry(credential, "suspension")).await,
        status_bit(app, entry(credential, "revocation")).await,
    )
}

async fn dcc(app: &TestApp, client: &Client, certification: &str) -> Value {
    let response = send_raw(app.get(
        &format!("/v1/certifications/{certification}/credential"),
        client,
    ))
    .await;
    verified(app, response).await
}

async fn smelter_certificate(app: &TestApp) -> (String, String) {
    let smelter = app
        .create_facility(
            Facility::smelter("Credential Refinery")
                .minerals(&["gold"])
                .identifier("rmi_cid", "CID009001"),
        )
        .await
        .id();
    let cert = app
        .create_certification(
            Certification::of_facility(&smelter, "rmi_rmap")
                .level("conformant")
                .number("RMAP-CRED-1"),
        )
        .await
        .id();
    (smelter, cert)
}

async fn conformity_credential_is_signed_valid_and_carries_live_status(app: TestApp) {
    let (smelter, cert) = smelter_certificate(&app).await;
    let reader = app.purchaser("Reader").await;
    let credential = dcc(&app, &reader, &cert).await;
    assert_valid("dcc", &credential);
    assert_eq!(
        credential["id"],
        app.url(&format!("/v1/certifications/{cert}/credential"))
    );
    assert_eq!(credential["issuer"]["id"], app.base);
    assert_eq!(credential["validFrom"], "2025-01-01T00:00:00Z");
    assert!(credential.get("validUntil").is_none(), "open-ended");
    let subject = &credential["credentialSubject"];
    let assessment = &subject["assessment"][0];
    assert_eq!(assessment["conformance"], true);
    assert!(assessment["name"].as_str().unwrap().contains("conformant"));
    assert_eq!(
        assessment["assessedFacility"][0]["facility"]["id"],
        app.url(&format!("/v1/facilities/{smelter}"))
    );
    assert_eq!(assessment["assessedProduct"][0]["product"]["name"], "gold");
    assert_eq!(bits(&app, &credential).await, (false, false));

    // Suspended today: the suspension bit is set at once, and cleared on reinstatement.
    app.patch_certification(&cert, &json!({"status": "suspended"}))
        .await;
    assert_eq!(bits(&app, &credential).await, (true, false));
    let again = dcc(&app, &reader, &cert).await;
    assert_eq!(
        again["credentialStatus"], credential["credentialStatus"],
        "the same index"
    );
    assert_eq!(
        again["credentialSubject"]["assessment"][0]["conformance"],
        false
    );
    app.patch_certification(&cert, &json!({"status": "active"}))
        .await;
    assert_eq!(bits(&app, &credential).await, (false, false));

    // Withdrawn: revoked for good, even when (oddly) made active again; new credentials then
    // carry a new index.
    app.patch_certification(&cert, &json!({"status": "withdrawn"}))
        .await;
    assert_eq!(bits(&app, &credential).await, (false, true));
    let withdrawn = dcc(&app, &reader, &cert).await;
    assert_eq!(
        withdrawn["credentialStatus"],
        credential["credentialStatus"]
    );
    app.patch_certification(&cert, &json!({"status": "active"}))
        .await;
    assert_eq!(bits(&app, &credential).await, (false, true));
    let renewed = dcc(&app, &reader, &cert).await;
    assert_ne!(
        entry(&renewed, "revocation")["statusListIndex"],
        entry(&credential, "revocation")["statusListIndex"]
    );
    assert_eq!(bits(&app, &renewed).await, (false, false));
}

async fn expired_certificates_are_revoked(app: TestApp) {
    let (smelter, _) = smelter_certificate(&app).await;
    let expired = app
        .create_certification(
            Certification::of_facility(&smelter, "lbma_rgg").valid("2020-01-01", "2020-12-31"),
        )
        .await
        .id();
    let credential = dcc(&app, &app.operator, &expired).await;
    assert_valid("dcc", &credential);
    assert_eq!(credential["validUntil"], "2021-01-01T00:00:00Z");
    assert_eq!(bits(&app, &credential).await, (false, true));
}

async fn facility_record_and_traceability_events_are_valid(app: TestApp) {
    let (smelter, cert) = smelter_certificate(&app).await;
    let mine = app
        .create_facility(Facility::mine("Credential Mine", "lsm").minerals(&["gold"]))
        .await
        .id();
    let reader = app.purchaser("Reader").await;
    let response =
        send_raw(app.get(&format!("/v1/facilities/{smelter}/credential"), &reader)).await;
    let dfr = verified(&app, response).await;
    assert_valid("dfr", &dfr);
    let claim = &dfr["credentialSubject"]["conformityClaim"][0];
    assert_eq!(claim["id"], app.url(&format!("/v1/certifications/{cert}")));
    assert_eq!(
        claim["conformityEvidence"]["linkURL"],
        app.url(&format!("/v1/certifications/{cert}/credential"))
    );

    let org = app.purchaser("Tracer").await;
    let ore = app.create_lot(&org, &Lot::new("ORE-1").kg(2)).await.id();
    let bar = app
        .create_lot(&org, &Lot::new("BAR-1").kg(1).form("metal"))
        .await
        .id();
    let written = app
        .record_events(
            &org,
            [
                Event::extraction("2026-01-10", &mine).output(&ore),
                Event::transformation("2026-02-01", &smelter)
                    .input(&ore, 2000)
                    .output(&bar),
            ],
        )
        .await;
    for (i, kind) in [(0, "ObjectEvent"), (1, "TransformationEvent")] {
        let id = written["events"][i]["event"]["id"].as_str().unwrap();
        let path = format!("/v1/custody-events/{id}/credential");
        let dte = verified(&app, send_raw(app.get(&path, &org)).await).await;
        assert_valid("dte", &dte);
        assert_eq!(dte["credentialSubject"][0]["type"][0], kind);
        // Another organisation's event is not found; a token without provenance:read is refused.
        assert_problem(send_raw(app.get(&path, &reader)).await, 404).await;
        let catalog_only = app
            .client_of(&org.org_id, "catalog", &["catalog:read"])
            .await;
        assert_problem(send_raw(app.get(&path, &catalog_only)).await, 403).await;
    }
    let dte: Value = app
        .get(
            &format!(
                "/v1/custody-events/{}/credential",
                written["events"][1]["event"]["id"].as_str().unwrap()
            ),
            &org,
        )
        .header("accept", "application/vc")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let outputs = &dte["credentialSubject"][0]["outputQuantityList"];
    assert_eq!(outputs[0]["uom"], "KGM");
    assert_eq!(outputs[0]["quantity"], 1.0);
}

async fn representations_and_refusals(app: TestApp) {
    let (_, cert) = smelter_certificate(&app).await;
    let reader = app.purchaser("Reader").await;
    let path = format!("/v1/certifications/{cert}/credential");
    // The unsecured credential to read.
    let response = send_raw(app.get(&path, &reader).header("accept", "application/vc")).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response.headers()["content-type"].to_str().unwrap(),
        "application/vc"
    );
    let unsecured: Value = response.json().await.unwrap();
    assert_valid("dcc", &unsecured);
    assert_problem(
        send_raw(app.get(&path, &reader).header("accept", "text/csv")).await,
        406,
    )
    .await;
    // Bad ids, unknown ids, scope, no token.
    for bad in [
        "/v1/certifications/not-a-uuid/credential",
        "/v1/facilities/not-a-uuid/credential",
        "/v1/custody-events/not-a-uuid/credential",
    ] {
        assert_problem(send_raw(app.get(bad, &reader)).await, 400).await;
    }
    let unknown = "019a0000-0000-7000-8000-000000000000";
    for missing in [
        format!("/v1/certifications/{unknown}/credential"),
        format!("/v1/facilities/{unknown}/credential"),
        format!("/v1/custody-events/{unknown}/credential"),
    ] {
        assert_problem(send_raw(app.get(&missing, &reader)).await, 404).await;
    }
    for list in [
        "revocation-01",
        "revoked-0",
        "suspension--1",
        "suspension-x",
    ] {
        let url = app.url(&format!("/v1/credentials/status/{list}"));
        assert_problem(send_raw(app.http.get(url)).await, 404).await;
    }
    let no_scope = app
        .client_of(&reader.org_id, "nothing", &["purchases:read"])
        .await;
    assert_problem(send_raw(app.get(&path, &no_scope)).await, 403).await;
    assert_problem(
        send_raw(
            app.get(&path, &no_scope)
                .header("idempotency-key", "credential-1"),
        )
        .await,
        403,
    )
    .await;
    assert_problem(send_raw(app.http.get(app.url(&path))).await, 401).await;
}

async fn concurrent_first_requests_share_one_index(app: TestApp) {
    let (smelter, first) = smelter_certificate(&app).await;
    let second = app
        .create_certification(Certification::of_facility(&smelter, "lbma_rgg"))
        .await
        .id();
    let app = std::sync::Arc::new(app);
    let mut tasks = Vec::new();
    for i in 0..8 {
        let app = app.clone();
        let cert = if i % 2 == 0 {
            first.clone()
        } else {
            second.clone()
        };
        tasks.push(tokio::spawn(async move {
            let credential = dcc(&app, &app.operator, &cert).await;
            (cert, entry(&credential, "suspension")["id"].clone())
        }));
    }
    let mut seen: std::collections::HashMap<String, std::collections::HashSet<String>> =
        Default::default();
    for task in tasks {
        let (cert, id) = task.await.unwrap();
        seen.entry(cert)
            .or_default()
            .insert(id.as_str().unwrap().to_owned());
    }
    assert_eq!(seen[&first].len(), 1, "one index per certificate: {seen:?}");
    assert_eq!(
        seen[&second].len(),
        1,
        "one index per certificate: {seen:?}"
    );
    assert_ne!(seen[&first], seen[&second], "two certificates, two indexes");
}

both_backends!(
    conformity_credential_is_signed_valid_and_carries_live_status,
    expired_certificates_are_revoked,
    facility_record_and_traceability_events_are_valid,
    representations_and_refusals,
    concurrent_first_requests_share_one_index,
);

mod hs256 {
    use super::*;

    async fn spawn(backend: crate::helpers::Backend) -> Option<TestApp> {
        TestApp::spawn_with(backend, |config| {
            config.tokens.signing = oretrace::config::SigningConfig::Hs256 {
                secret: "0123456789abcdef0123456789abcdef".into(),
            };
        })
        .await
    }

    async fn hs256_cannot_secure_credentials(app: TestApp) {
        let (_, cert) = smelter_certificate(&app).await;
        let path = format!("/v1/certifications/{cert}/credential");
        let problem = assert_problem(send_raw(app.get(&path, &app.operator)).await, 409).await;
        assert!(problem["detail"].as_str().unwrap().contains("HS256"));
        let response = send_raw(
            app.get(&path, &app.operator)
                .header("accept", "application/vc"),
        )
        .await;
        assert_eq!(response.status(), StatusCode::OK);
    }

    crate::both_backends_with!(super::spawn; hs256_cannot_secure_credentials);
}
