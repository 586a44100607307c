//! Token attacks (RFC 8725), in one place: every forged, stale or misdirected token is a 401
//! problem, and only a token that passes every check reaches a handler.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ed25519_dalek::SigningKey;
use ed25519_dalek::pkcs8::{DecodePrivateKey, EncodePrivateKey};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::both_backends;
use crate::helpers::{
    Backend, Expect, TestApp, TestDb, assert_problem, send, send_raw, test_config,
};

pub(crate) fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

pub(crate) fn ed_key(pem: &str) -> (SigningKey, EncodingKey) {
    let signing = SigningKey::from_pkcs8_pem(pem).expect("ed25519 pem");
    let der = signing.to_pkcs8_der().expect("der");
    let key = EncodingKey::from_ed_der(der.as_bytes());
    (signing, key)
}

pub(crate) fn sign(alg: Algorithm, kid: Option<&str>, claims: &Value, key: &EncodingKey) -> String {
    let mut header = Header::new(alg);
    header.kid = kid.map(str::to_owned);
    jsonwebtoken::encode(&header, claims, key).expect("sign")
}

fn unsigned(header: &Value, claims: &Value) -> String {
    format!(
        "{}.{}.",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    )
}

async fn status_of(app: &TestApp, token: &str) -> StatusCode {
    send_raw(app.http.get(app.url("/v1/me")).bearer_auth(token))
        .await
        .status()
}

async fn forged_and_stale_tokens_are_401(app: TestApp) {
    let pem = std::fs::read_to_string(app.db.dir.path().join("signing-key.pem")).unwrap();
    let (signing, key) = ed_key(&pem);
    let (_, jwks) = send(app.http.get(app.url("/.well-known/jwks.json"))).await;
    let kid = jwks["keys"][0]["kid"].as_str().unwrap().to_owned();
    let public_x = jwks["keys"][0]["x"].as_str().unwrap().to_owned();
    let org = app.operator.org_id.clone();
    let claims = |changes: Value| {
        let mut base = json!({
            "iss": "urn:oretrace", "aud": "oretrace-api", "sub": "otc_forged",
            "org": org, "scope": "admin catalog:read",
            "iat": now(), "nbf": now() - 5, "exp": now() + 300, "jti": "t"
        });
        for (k, v) in changes.as_object().unwrap() {
            if v.is_null() {
                base.as_object_mut().unwrap().remove(k);
            } else {
                base[k] = v.clone();
            }
        }
        base
    };

    // Positive controls: a well-formed token passes, also just inside the leeway.
    let good = sign(Algorithm::EdDSA, Some(&kid), &claims(json!({})), &key);
    assert_eq!(status_of(&app, &good).await, StatusCode::OK);
    let within_leeway = sign(
        Algorithm::EdDSA,
        Some(&kid),
        &claims(json!({"exp": now() - 10})),
        &key,
    );
    assert_eq!(status_of(&app, &within_leeway).await, StatusCode::OK);

    let other_key = ed_key(&oretrace::auth::keys::generate_ed25519_pem().unwrap()).1;
    let confusion_secret = URL_SAFE_NO_PAD.decode(&public_x).unwrap();
    let tampered = {
        let parts: Vec<&str> = good.split('.').collect();
        let payload = URL_SAFE_NO_PAD
            .encode(claims(json!({"org": "0193c3a0-0000-7000-8000-000000000000"})).to_string());
        format!("{}.{}.{}", parts[0], payload, parts[2])
    };
    let cases: Vec<(&str, String)> = vec![
        (
            "alg none",
            unsigned(
                &json!({"alg": "none", "typ": "JWT", "kid": kid}),
                &claims(json!({})),
            ),
        ),
        (
            "alg none, no kid",
            unsigned(&json!({"alg": "none"}), &claims(json!({}))),
        ),
        (
            "HS256 keyed with the public key (algorithm confusion)",
            sign(
                Algorithm::HS256,
                Some(&kid),
                &claims(json!({})),
                &EncodingKey::from_secret(&confusion_secret),
            ),
        ),
        (
            "HS256 keyed with the JWKS text",
            sign(
                Algorithm::HS256,
                Some(&kid),
                &claims(json!({})),
                &EncodingKey::from_secret(jwks.to_string().as_bytes()),
            ),
        ),
        (
            "expired beyond leeway",
            sign(
                Algorithm::EdDSA,
                Some(&kid),
                &claims(json!({"exp": now() - 120})),
                &key,
            ),
        ),
        (
            "not yet valid",
            sign(
                Algorithm::EdDSA,
                Some(&kid),
                &claims(json!({"nbf": now() + 300})),
                &key,
            ),
        ),
        (
            "wrong aud",
            sign(
                Algorithm::EdDSA,
                Some(&kid),
                &claims(json!({"aud": "someone-else"})),
                &key,
            ),
        ),
        (
            "missing aud",
            sign(
                Algorithm::EdDSA,
                Some(&kid),
                &claims(json!({"aud": null})),
                &key,
            ),
        ),
        (
            "wrong iss",
            sign(
                Algorithm::EdDSA,
                Some(&kid),
                &claims(json!({"iss": "https://evil.example"})),
                &key,
            ),
        ),
        (
            "missing iss",
            sign(
                Algorithm::EdDSA,
                Some(&kid),
                &claims(json!({"iss": null})),
                &key,
            ),
        ),
        (
            "missing exp",
            sign(
                Algorithm::EdDSA,
                Some(&kid),
                &claims(json!({"exp": null})),
                &key,
            ),
        ),
        (
            "missing nbf",
            sign(
                Algorithm::EdDSA,
                Some(&kid),
                &claims(json!({"nbf": null})),
                &key,
            ),
        ),
        (
            "missing org",
            sign(
                Algorithm::EdDSA,
                Some(&kid),
                &claims(json!({"org": null})),
                &key,
            ),
        ),
        (
            "org not an id",
            sign(
                Algorithm::EdDSA,
                Some(&kid),
                &claims(json!({"org": "*"})),
                &key,
            ),
        ),
        (
            "unknown scope",
            sign(
                Algorithm::EdDSA,
                Some(&kid),
                &claims(json!({"scope": "root"})),
                &key,
            ),
        ),
        (
            "unknown kid",
            sign(Algorithm::EdDSA, Some("nope"), &claims(json!({})), &key),
        ),
        (
            "missing kid",
            sign(Algorithm::EdDSA, None, &claims(json!({})), &key),
        ),
        ("tampered payload", tampered),
        (
            "signed by an unknown key",
            sign(Algorithm::EdDSA, Some(&kid), &claims(json!({})), &other_key),
        ),
        ("garbage", "not.a.token".to_owned()),
        ("empty segments", "..".to_owned()),
        ("overlong", "a".repeat(10_000)),
    ];
    drop(signing);
    for (name, token) in cases {
        let response = send_raw(app.http.get(app.url("/v1/me")).bearer_auth(&token)).await;
        let challenge = response
            .headers()
            .get("www-authenticate")
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default();
        assert!(challenge.contains("invalid_token"), "{name}: {challenge}");
        let problem = assert_problem(response, 401).await;
        assert_eq!(
            problem["type"], "urn:oretrace:problem:unauthenticated",
            "{name}"
        );
    }
}

both_backends!(forged_and_stale_tokens_are_401);

/// Under HS256 the JWKS is empty and an EdDSA token is refused even with the right kid.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hs256_mode_refuses_other_algorithms() {
    let secret = "an HS256 secret of at least thirty-two bytes";
    let Some(app) = TestApp::spawn_with(Backend::Sqlite, |config| {
        config.tokens.signing = oretrace::config::SigningConfig::Hs256 {
            secret: secret.into(),
        };
    })
    .await
    else {
        return;
    };
    let (_, jwks) = send(app.http.get(app.url("/.well-known/jwks.json"))).await;
    assert_eq!(jwks["keys"], json!([]));
    let (status, me) = send(app.get("/v1/me", &app.operator)).await;
    assert_eq!(status, StatusCode::OK, "{me}");
    let header = jsonwebtoken::decode_header(&app.operator.token).unwrap();
    assert_eq!(header.alg, Algorithm::HS256);
    let kid = header.kid.unwrap();
    let other = ed_key(&oretrace::auth::keys::generate_ed25519_pem().unwrap()).1;
    let claims = json!({"iss": "urn:oretrace", "aud": "oretrace-api", "sub": "x",
        "org": app.operator.org_id, "scope": "admin", "iat": now(), "nbf": now(), "exp": now() + 60, "jti": "j"});
    let confused = sign(Algorithm::EdDSA, Some(&kid), &claims, &other);
    app.http
        .get(app.url("/v1/me"))
        .bearer_auth(confused)
        .expect_problem(401)
        .await;
}

/// An organisation's own identity provider: its tokens act for the organisations it is bound to,
/// with at most the scopes it may grant; the organisation claim is required.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn trusted_external_issuers_are_bound_to_their_organisations() {
    for backend in [Backend::Sqlite, Backend::Postgres] {
        let Some(db) = TestDb::create(backend) else {
            continue;
        };
        let mut config = test_config(&db);
        // The organisation exists before the issuer is configured for it.
        oretrace::api::startup::migrate_with_retry(&config, std::time::Duration::from_secs(5))
            .unwrap();
        let org_id = {
            let mut conn = oretrace::db::ConnectionManager::new(
                config.database_url.clone(),
                config.pool.statement_timeout,
            )
            .establish()
            .unwrap();
            oretrace::store::organisation::insert(
                &mut conn,
                "Self-identified Buyer",
                oretrace::store::organisation::OrganisationKind::Purchaser,
            )
            .unwrap()
            .id
            .to_string()
        };
        let idp_pem = oretrace::auth::keys::generate_ed25519_pem().unwrap();
        let (idp_signing, idp_key) = ed_key(&idp_pem);
        let jwks = json!({"keys": [{
            "kty": "OKP", "crv": "Ed25519", "alg": "EdDSA", "kid": "idp-1", "use": "sig",
            "x": URL_SAFE_NO_PAD.encode(idp_signing.verifying_key().as_bytes())
        }]});
        std::fs::write(db.dir.path().join("idp-jwks.json"), jwks.to_string()).unwrap();
        let issuers = json!({"issuers": [{
            "issuer": "https://login.buyer.example/",
            "keys_file": "idp-jwks.json",
            "organisations": [org_id],
        }]});
        let issuers_path = db.dir.path().join("issuers.json");
        std::fs::write(&issuers_path, issuers.to_string()).unwrap();
        config.tokens.trusted_issuers_file = Some(issuers_path);
        let app = TestApp::start(db, config).await;

        let claims = |org: Option<&str>, aud: &str| {
            let mut c = json!({"iss": "https://login.buyer.example/", "aud": aud,
                "sub": "erp-service-account", "scope": "purchases:read admin catalog:write",
                "iat": now(), "nbf": now(), "exp": now() + 300});
            if let Some(org) = org {
                c["org"] = json!(org);
            }
            c
        };
        let good = sign(
            Algorithm::EdDSA,
            Some("idp-1"),
            &claims(Some(&org_id), "oretrace-api"),
            &idp_key,
        );
        let (status, me) = send(app.http.get(app.url("/v1/me")).bearer_auth(&good)).await;
        assert_eq!(status, StatusCode::OK, "{me}");
        assert_eq!(me["organisation"]["id"], org_id.as_str());
        assert_eq!(
            me["scopes"],
            json!(["purchases:read"]),
            "admin is never granted externally"
        );
        assert_eq!(me["issuer"], "https://login.buyer.example/");

        let refused = [
            (
                "no organisation claim",
                sign(
                    Algorithm::EdDSA,
                    Some("idp-1"),
                    &claims(None, "oretrace-api"),
                    &idp_key,
                ),
            ),
            (
                "another organisation",
                sign(
                    Algorithm::EdDSA,
                    Some("idp-1"),
                    &claims(Some(&app.operator.org_id), "oretrace-api"),
                    &idp_key,
                ),
            ),
            (
                "wrong audience",
                sign(
                    Algorithm::EdDSA,
                    Some("idp-1"),
                    &claims(Some(&org_id), "other"),
                    &idp_key,
                ),
            ),
            (
                "unknown key id",
                sign(
                    Algorithm::EdDSA,
                    Some("idp-2"),
                    &claims(Some(&org_id), "oretrace-api"),
                    &idp_key,
                ),
            ),
        ];
        for (name, token) in refused {
            let problem = app
                .http
                .get(app.url("/v1/me"))
                .bearer_auth(&token)
                .expect_problem(401)
                .await;
            assert!(problem["detail"].is_string(), "{name}");
        }
    }
}
