//! Regressions for the findings of the attacker's review (issue 17), each on both backends: the
//! idempotent replay that skipped authorisation and handed out a stored client secret, the
//! token endpoint's unbounded hashing, the lock-out of a client by someone else's failed
//! attempts, custody events racing past their integrity checks, tokens for organisations that
//! do not exist, rate-limit headers lost on errors, and constraints the contract did not state.

use diesel::prelude::*;
use jsonwebtoken::{Algorithm, Header};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::both_backends;
use crate::builders::{Certification, Event, Lot, PURCHASE_CSV_HEADER, PurchaseLine};
use crate::fixtures::{self, chain, lot};
use crate::helpers::{
    Backend, Expect, HasId, TestApp, TestDb, assert_problem, pointers, send, send_raw, test_config,
};
use crate::token_attacks::{ed_key, now, sign};

/// Every stored replay body, straight from the database.
fn stored_replays(app: &TestApp) -> Vec<String> {
    use oretrace::db::schema::idempotency_records as records;
    let mut conn = oretrace::db::ConnectionManager::new(
        app.config.database_url.clone(),
        app.config.pool.statement_timeout,
    )
    .establish()
    .expect("connect");
    records::table
        .select(records::response_body)
        .load::<Option<String>>(&mut conn)
        .expect("idempotency records")
        .into_iter()
        .flatten()
        .collect()
}

async fn idempotent_replays_are_authorised_and_never_show_a_secret(app: TestApp) {
    let buyer = app.purchaser("Buyer B").await;
    // A second operator client that may only read the catalog.
    let reader = app
        .client_of(&app.operator.org_id, "extra client", &["catalog:read"])
        .await;
    let path = format!("/v1/organisations/{}/clients", buyer.org_id);
    let body = json!({"name": "SAP nightly", "scopes": ["purchases:read"]});

    let first = send_raw(
        app.post(&path, &app.operator, &body)
            .header("Idempotency-Key", "k-1"),
    )
    .await;
    assert_eq!(first.status(), StatusCode::CREATED);
    let first: Value = first.json().await.unwrap();
    let secret = first["client_secret"]
        .as_str()
        .expect("shown once")
        .to_owned();

    // The same key and body from a client without `admin`: refused, nothing replayed.
    let stolen = send_raw(
        app.post(&path, &reader, &body)
            .header("Idempotency-Key", "k-1"),
    )
    .await;
    assert!(stolen.headers().get("idempotent-replayed").is_none());
    let problem = assert_problem(stolen, 403).await;
    assert!(!problem.to_string().contains(&secret), "{problem}");

    // The writer's own replay: the same client, without the secret.
    let replay = send_raw(
        app.post(&path, &app.operator, &body)
            .header("Idempotency-Key", "k-1"),
    )
    .await;
    assert_eq!(replay.status(), StatusCode::CREATED);
    assert_eq!(replay.headers()["idempotent-replayed"], "true");
    assert!(replay.headers().get("location").is_some());
    let replayed: Value = replay.json().await.unwrap();
    assert_eq!(replayed["client_id"], first["client_id"]);
    assert_eq!(replayed["scopes"], first["scopes"]);
    assert!(replayed.get("client_secret").is_none(), "{replayed}");

    // The secret is nowhere in the database's replay records.
    let stored = stored_replays(&app);
    assert!(!stored.is_empty());
    assert!(
        stored
            .iter()
            .all(|b| !b.contains(&secret) && !b.contains("ots_"))
    );

    // In a purchaser organisation: a reader replaying a writer's key is refused too, and
    // another writer of the same organisation does not get the first writer's answer.
    let supplier = fixtures::supplier(&app, "Andes Trading SA").await;
    let line = PurchaseLine::new("SAP-1", &supplier);
    let written = send_raw(
        app.post("/v1/purchases", &buyer, &line)
            .header("Idempotency-Key", "p-1"),
    )
    .await;
    assert_eq!(written.status(), StatusCode::CREATED);
    let read_only = app
        .client_of(&buyer.org_id, "extra client", &["purchases:read"])
        .await;
    app.post("/v1/purchases", &read_only, &line)
        .header("Idempotency-Key", "p-1")
        .expect_problem(403)
        .await;
    let other_writer = app
        .client_of(&buyer.org_id, "extra client", &["purchases:write"])
        .await;
    let own = send_raw(
        app.post("/v1/purchases", &other_writer, &line)
            .header("Idempotency-Key", "p-1"),
    )
    .await;
    assert!(
        own.headers().get("idempotent-replayed").is_none(),
        "a key belongs to the client that used it"
    );
    assert_eq!(
        own.status(),
        StatusCode::OK,
        "the line is upserted, unchanged"
    );
}

/// A token request for `client_id` as if from `source` (the tests' proxy is trusted).
async fn token_from(app: &TestApp, source: &str, client_id: &str, secret: &str) -> StatusCode {
    send_raw(
        app.http
            .post(app.url("/v1/auth/token"))
            .header("X-Forwarded-For", source)
            .form(&[
                ("grant_type", "client_credentials"),
                ("client_id", client_id),
                ("client_secret", secret),
            ]),
    )
    .await
    .status()
}

async fn failed_attempts_elsewhere_never_lock_a_client_out(app: TestApp) {
    let attacker = "198.51.100.7";
    let mut refused = 0;
    for _ in 0..8 {
        let status = token_from(&app, attacker, &app.operator.client_id, "ots_wrong").await;
        assert!(
            matches!(status.as_u16(), 401 | 429),
            "wrong secret: {status}"
        );
        refused += usize::from(status == StatusCode::TOO_MANY_REQUESTS);
    }
    assert!(refused > 0, "the attacker's own budget runs out");
    // The real client, from its own address, still gets its token at once.
    assert_eq!(
        token_from(
            &app,
            "203.0.113.5",
            &app.operator.client_id,
            &app.operator.secret
        )
        .await,
        StatusCode::OK
    );

    // Unknown client ids share one bucket: a flood of them is cut off without touching the
    // known client's budget.
    let mut unknown_refused = 0;
    for i in 0..8 {
        let status = token_from(&app, "192.0.2.9", &format!("otc_{i:024x}"), "ots_x").await;
        unknown_refused += usize::from(status == StatusCode::TOO_MANY_REQUESTS);
    }
    assert!(unknown_refused > 0);
    assert_eq!(
        token_from(
            &app,
            "203.0.113.5",
            &app.operator.client_id,
            &app.operator.secret
        )
        .await,
        StatusCode::OK
    );

    // One source address has a budget of its own, whatever ids it names.
    let mut source_refused = 0;
    for i in 0..12 {
        let status = token_from(&app, "192.0.2.77", &format!("otc_{i:024x}"), "ots_x").await;
        source_refused += usize::from(status == StatusCode::TOO_MANY_REQUESTS);
    }
    assert!(source_refused > 0);

    // The operator's client id is not shown to other organisations in a certificate's history.
    let buyer = app.purchaser("Buyer").await;
    let mine = fixtures::asm_mine(&app, "Mina Norte").await;
    let cert = Certification::of_facility(&mine.id(), "fairmined")
        .level("fairmined")
        .valid("2025-01-01", "2027-12-31");
    let cert = app.create_certification(cert).await;
    let path = format!("/v1/certifications/{}", cert.id());
    let (_, seen) = send(app.get(&path, &buyer)).await;
    assert_eq!(seen["history"][0]["recorded_by"]["client_id"], Value::Null);
    let (_, own) = send(app.get(&path, &app.operator)).await;
    assert_eq!(
        own["history"][0]["recorded_by"]["client_id"],
        app.operator.client_id.as_str()
    );
    for list in [
        "/v1/certifications".to_owned(),
        format!("/v1/facilities/{}/certifications", mine.id()),
    ] {
        let (_, page) = send(app.get(&list, &buyer)).await;
        assert!(
            !page.to_string().contains(&app.operator.client_id),
            "{list}: {page}"
        );
    }
}

async fn a_token_flood_is_bounded(app: TestApp) {
    // One check at a time and a queue of two (set below): most of 24 concurrent requests for
    // unknown ids are answered 503 with Retry-After at once, none is a 5xx of another kind, and
    // a real client gets its token meanwhile (unknown ids wait in a lane of their own) and
    // afterwards.
    let http = app.http.clone();
    let url = app.url("/v1/auth/token");
    let mut tasks = Vec::new();
    for i in 0..24 {
        let (http, url) = (http.clone(), url.clone());
        tasks.push(tokio::spawn(async move {
            let response = http
                .post(url)
                .form(&[
                    ("grant_type", "client_credentials"),
                    ("client_id", format!("otc_{i:024x}").as_str()),
                    ("client_secret", "ots_guess"),
                ])
                .send()
                .await
                .unwrap();
            let retry = response.headers().get("retry-after").is_some();
            (response.status().as_u16(), retry)
        }));
    }
    // Let the flood reach the service first (the answer does not depend on it: with one lane
    // for all, the real client would be refused whenever the flood fills the queue).
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    let meanwhile = app
        .token(&app.operator.client_id, &app.operator.secret)
        .await;
    assert!(
        !meanwhile.is_empty(),
        "a real client is served during the flood"
    );
    let mut statuses = Vec::new();
    for task in tasks {
        statuses.push(task.await.unwrap());
    }
    assert!(
        statuses
            .iter()
            .all(|(s, retry)| *s == 401 || (*s == 503 && *retry)),
        "{statuses:?}"
    );
    assert!(
        statuses.iter().any(|(s, _)| *s == 503),
        "the queue is bounded: {statuses:?}"
    );
    let token = app
        .token(&app.operator.client_id, &app.operator.secret)
        .await;
    assert!(!token.is_empty());
}

/// On PostgreSQL, makes a race certain rather than likely: a transaction of the test holds
/// `custody_events` in EXCLUSIVE mode (reads pass, inserts wait) while `requests` run, until
/// `expected_waiting` of the service's connections wait on a lock; then lets them all go. Each
/// request has done its checks by then, unless something serialises them. On SQLite
/// (`BEGIN IMMEDIATE`: one writer at a time) the requests simply run concurrently.
async fn racing<F: std::future::Future>(
    app: &TestApp,
    expected_waiting: i64,
    requests: F,
) -> F::Output {
    if app.backend != Backend::Postgres {
        return requests.await;
    }
    use diesel::connection::SimpleConnection;
    let url = app.db.url.clone();
    let (hold, held) = tokio::sync::oneshot::channel::<()>();
    let (locked, is_locked) = tokio::sync::oneshot::channel::<()>();
    let holder = tokio::task::spawn_blocking(move || {
        let mut conn = diesel::PgConnection::establish(&url).expect("connect");
        conn.batch_execute("BEGIN; LOCK TABLE custody_events IN EXCLUSIVE MODE;")
            .expect("lock");
        locked.send(()).ok();
        held.blocking_recv().ok();
        conn.batch_execute("COMMIT;").expect("release");
    });
    is_locked.await.expect("locked");
    let url = app.db.url.clone();
    let watcher = tokio::task::spawn_blocking(move || {
        let mut conn = diesel::PgConnection::establish(&url).expect("connect");
        for _ in 0..200 {
            let waiting: i64 = diesel::select(diesel::dsl::sql::<diesel::sql_types::BigInt>(
                "(SELECT count(*) FROM pg_stat_activity \
                  WHERE datname = current_database() AND wait_event_type = 'Lock')",
            ))
            .get_result(&mut conn)
            .expect("pg_stat_activity");
            if waiting >= expected_waiting {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        hold.send(()).ok();
    });
    let output = requests.await;
    watcher.await.expect("watcher");
    holder.await.expect("holder");
    output
}

async fn concurrent_custody_events_keep_their_integrity(app: TestApp) {
    let org = app.purchaser("Jeweller").await;
    let c = chain(&app, &org).await;
    let fresh = lot(&app, &org, "FRESH", 100.0).await;

    // Eight extractions of one new lot at once: exactly one is recorded.
    let extraction =
        |day: usize| Event::extraction(&format!("2026-02-{day:02}"), &c.asm_mine).output(&fresh);
    let bodies: Vec<Event> = (1..=8).map(extraction).collect();
    let requests = bodies
        .iter()
        .map(|body| send(app.post("/v1/custody-events", &org, body)));
    let answers = racing(&app, 8, futures_util::future::join_all(requests)).await;
    let mut statuses: Vec<u16> = answers.iter().map(|(s, _)| s.as_u16()).collect();
    statuses.sort_unstable();
    assert_eq!(
        statuses,
        [201, 422, 422, 422, 422, 422, 422, 422],
        "{answers:?}"
    );
    let (_, events) = send(app.get(&format!("/v1/custody-events?lot_id={fresh}"), &org)).await;
    assert_eq!(events["items"].as_array().unwrap().len(), 1, "{events}");

    // X→Y and Y→X at once: one is recorded, the other would close a cycle and is refused.
    let x = lot(&app, &org, "X", 10.0).await;
    let y = lot(&app, &org, "Y", 10.0).await;
    let transform = |from: &str, to: &str| {
        Event::transformation("2026-06-01", &c.refiner)
            .chain_of_custody("segregated")
            .input(from, 10.0)
            .output_grams(to, 10.0)
    };
    let (a, b) = (transform(&x, &y), transform(&y, &x));
    let (first, second) = racing(&app, 2, async {
        tokio::join!(
            send(app.post("/v1/custody-events", &org, &a)),
            send(app.post("/v1/custody-events", &org, &b)),
        )
    })
    .await;
    let mut pair = [first.0.as_u16(), second.0.as_u16()];
    pair.sort_unstable();
    assert_eq!(pair, [201, 422], "{} / {}", first.1, second.1);
}

async fn tokens_for_organisations_that_do_not_exist_are_401(app: TestApp) {
    let pem = std::fs::read_to_string(app.db.dir.path().join("signing-key.pem")).unwrap();
    let (_, key) = ed_key(&pem);
    let (_, jwks) = send(app.http.get(app.url("/.well-known/jwks.json"))).await;
    let kid = jwks["keys"][0]["kid"].as_str().unwrap().to_owned();
    let ghost = uuid::Uuid::now_v7().to_string();
    let token = sign(
        Algorithm::EdDSA,
        Some(&kid),
        &json!({"iss": "urn:oretrace", "aud": "oretrace-api", "sub": "otc_restored",
                "org": ghost, "scope": "catalog:read purchases:read purchases:write provenance:read provenance:write",
                "iat": now(), "nbf": now(), "exp": now() + 300, "jti": "g"}),
        &key,
    );
    let supplier = fixtures::supplier(&app, "Andes Trading SA").await;
    let attempts = [
        ("GET", "/v1/me", Value::Null),
        ("GET", "/v1/purchases", Value::Null),
        (
            "POST",
            "/v1/purchases",
            PurchaseLine::new("X", &supplier).json(),
        ),
        ("POST", "/v1/lots", Lot::new("L").json()),
        ("PUT", "/v1/policy", json!({})),
    ];
    for (method, path, body) in attempts {
        let mut request = app
            .http
            .request(method.parse().unwrap(), app.url(path))
            .bearer_auth(&token);
        if !body.is_null() {
            request = request.json(&body);
        }
        let problem = request.expect_problem(401).await;
        assert!(
            problem["detail"]
                .as_str()
                .unwrap()
                .contains("does not exist"),
            "{method} {path}: {problem}"
        );
    }
}

async fn error_answers_keep_their_rate_limit_headers(app: TestApp) {
    let buyer = app.purchaser("Buyer").await;
    let missing = format!("/v1/purchases/{}", uuid::Uuid::now_v7());
    let not_found = send_raw(app.get(&missing, &buyer)).await;
    assert_eq!(not_found.status(), StatusCode::NOT_FOUND);
    for name in ["ratelimit-limit", "ratelimit-remaining", "ratelimit-reset"] {
        assert!(not_found.headers().get(name).is_some(), "404 lacks {name}");
    }
    let mut limited = None;
    for _ in 0..20 {
        let response = send_raw(app.get("/v1/me", &buyer)).await;
        if response.status() == StatusCode::TOO_MANY_REQUESTS {
            limited = Some(response);
            break;
        }
    }
    let limited = limited.expect("the budget runs out");
    for name in [
        "ratelimit-limit",
        "ratelimit-remaining",
        "ratelimit-reset",
        "retry-after",
    ] {
        assert!(limited.headers().get(name).is_some(), "429 lacks {name}");
    }
    assert_eq!(limited.headers()["ratelimit-remaining"], "0");
    assert_problem(limited, 429).await;
}

async fn the_contract_states_what_the_server_refuses(app: TestApp) {
    let buyer = app.purchaser("Buyer").await;
    let supplier = fixtures::supplier(&app, "Andes Trading SA").await;

    // Dates are RFC 3339 full-dates, in bodies, queries and CSV alike.
    let line = PurchaseLine::new("D-1", &supplier).on("2026-1-1");
    let problem = app
        .post("/v1/purchases", &buyer, &line)
        .expect_problem(422)
        .await;
    assert_eq!(pointers(&problem), ["/purchased_on"], "{problem}");
    app.get("/v1/purchases?from=2026-1-1", &buyer)
        .expect_problem(400)
        .await;
    let csv = format!("{PURCHASE_CSV_HEADER}\nC-1,{supplier},gold,1,kg,2026-1-1\n");
    let problem = app.purchases_csv(&buyer, csv).expect_problem(422).await;
    assert!(
        pointers(&problem)
            .iter()
            .any(|p| p.ends_with("/purchased_on")),
        "{problem}"
    );

    // Control characters are refused in every text field.
    let c = chain(&app, &buyer).await;
    let transfer = Event::transfer("2026-03-01", &c.refiner_company, &c.trader)
        .lot_grams(&c.bar, 1.0)
        .document("invoice", "INV\u{7}1");
    let problem = app
        .post("/v1/custody-events", &buyer, &transfer)
        .expect_problem(422)
        .await;
    assert_eq!(pointers(&problem), ["/documents/0/reference"], "{problem}");
    let facility = json!({"name": "Mina Sur", "kind": "mine", "mining_scale": "lsm",
        "minerals": ["gold"], "country": "CL", "asm_presence": true,
        "coexistence_agreement": {"status": "signed", "signed_on": "2025-01-01",
                                  "reference_url": "https://example.org/a\u{1}b"}});
    let problem = app
        .post("/v1/facilities", &app.operator, &facility)
        .expect_problem(422)
        .await;
    assert_eq!(
        pointers(&problem),
        ["/coexistence_agreement/reference_url"],
        "{problem}"
    );

    // A NUL in a free-text query is refused, and the document says so.
    app.get("/v1/audit-events?entity_id=%00", &app.operator)
        .expect_problem(400)
        .await;
    let (_, doc) = send(app.http.get(app.url("/openapi.json"))).await;
    for (path, name) in [
        ("/v1/audit-events", "entity_id"),
        ("/v1/certifications", "scheme"),
    ] {
        let parameter = doc["paths"][path]["get"]["parameters"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"] == name)
            .unwrap()
            .clone();
        assert_eq!(
            parameter["schema"]["pattern"],
            oretrace::api::openapi::NO_NUL_PATTERN,
            "{path} {name}"
        );
    }

    // An unknown critical JOSE header is refused (RFC 7515 §4.1.11).
    let pem = std::fs::read_to_string(app.db.dir.path().join("signing-key.pem")).unwrap();
    let (_, key) = ed_key(&pem);
    let (_, jwks) = send(app.http.get(app.url("/.well-known/jwks.json"))).await;
    let mut header = Header::new(Algorithm::EdDSA);
    header.kid = jwks["keys"][0]["kid"].as_str().map(str::to_owned);
    header.crit = Some(vec!["exp-policy".into()]);
    header
        .extras
        .insert("exp-policy", json!("ignore").to_string());
    let claims = json!({"iss": "urn:oretrace", "aud": "oretrace-api", "sub": "x",
        "org": buyer.org_id, "scope": "purchases:read", "iat": now(), "nbf": now(),
        "exp": now() + 300, "jti": "c"});
    let token = jsonwebtoken::encode(&header, &claims, &key).unwrap();
    app.http
        .get(app.url("/v1/me"))
        .bearer_auth(token)
        .expect_problem(401)
        .await;
}

both_backends!(
    idempotent_replays_are_authorised_and_never_show_a_secret,
    tokens_for_organisations_that_do_not_exist_are_401,
    the_contract_states_what_the_server_refuses,
);

/// The tests that need their own limits: each spawns its app on both backends.
mod with_limits {
    use super::*;

    async fn spawn(
        backend: Backend,
        adjust: impl FnOnce(&mut oretrace::config::Config),
    ) -> Option<TestApp> {
        TestApp::spawn_with(backend, adjust).await
    }

    async fn lockouts(backend: Backend) {
        let Some(app) = spawn(backend, |c| {
            c.rate_limit.token_per_minute = 3;
            c.rate_limit.token_unknown_clients_per_minute = 4;
            c.rate_limit.token_per_source_per_minute = 10;
            c.rate_limit.trusted_proxies =
                oretrace::api::http::client_address::TrustedProxies::parse(&["127.0.0.1".into()])
                    .unwrap();
        })
        .await
        else {
            return;
        };
        failed_attempts_elsewhere_never_lock_a_client_out(app).await;
    }

    async fn flood(backend: Backend) {
        let Some(app) = spawn(backend, |c| {
            c.rate_limit.secret_checks_in_flight = 1;
            c.rate_limit.secret_check_queue = 2;
        })
        .await
        else {
            return;
        };
        a_token_flood_is_bounded(app).await;
    }

    async fn limited(backend: Backend) {
        let Some(app) = spawn(backend, |c| {
            c.rate_limit.per_second = 1;
            c.rate_limit.burst = 5;
        })
        .await
        else {
            return;
        };
        error_answers_keep_their_rate_limit_headers(app).await;
    }

    async fn custody(backend: Backend) {
        let Some(app) = spawn(backend, |c| c.pool.max_size = 10).await else {
            return;
        };
        concurrent_custody_events_keep_their_integrity(app).await;
    }

    macro_rules! on_both {
        ($($name:ident),*) => {
            mod sqlite { $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() { super::$name(super::Backend::Sqlite).await }
            )* }
            mod postgres { $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() { super::$name(super::Backend::Postgres).await }
            )* }
        };
    }
    on_both!(lockouts, flood, limited, custody);
}

#[tokio::test]
async fn issuers_bound_to_missing_organisations_stop_the_start() {
    for backend in [Backend::Sqlite, Backend::Postgres] {
        let Some(db) = TestDb::create(backend) else {
            continue;
        };
        let mut config = test_config(&db);
        let idp_pem = oretrace::auth::keys::generate_ed25519_pem().unwrap();
        std::fs::write(db.dir.path().join("idp.pem"), &idp_pem).unwrap();
        let public = {
            use ed25519_dalek::pkcs8::EncodePublicKey;
            let (signing, _) = ed_key(&idp_pem);
            signing
                .verifying_key()
                .to_public_key_pem(Default::default())
                .unwrap()
        };
        std::fs::write(db.dir.path().join("idp-public.pem"), public).unwrap();
        let ghost = uuid::Uuid::now_v7().to_string();
        let issuers = json!({"issuers": [{
            "issuer": "https://login.buyer.example/",
            "keys_file": "idp-public.pem",
            "algorithm": "EdDSA",
            "organisations": [ghost],
        }]});
        let path = db.dir.path().join("issuers.json");
        std::fs::write(&path, issuers.to_string()).unwrap();
        config.tokens.trusted_issuers_file = Some(path);
        oretrace::api::startup::migrate_with_retry(&config, std::time::Duration::from_secs(5))
            .unwrap();
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let error = match oretrace::api::startup::Application::build_with_listener(config, listener)
        {
            Ok(_) => panic!("{backend:?}: started with an issuer bound to a missing organisation"),
            Err(e) => e,
        };
        assert!(
            error.contains(&ghost) && error.contains("do not exist"),
            "{error}"
        );
    }
}
