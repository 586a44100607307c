//! Webhooks and the event feed (docs/WEBHOOKS.md), on both backends, against a real HTTP
//! receiver: subscriptions and their secrets, signatures checked as a receiver checks them
//! (independently of the service's own code), delivery to the organisation concerned only, a
//! receiver down and back, two instances on one database, a rolled-back write, internal
//! targets refused, the feed, scopes and other organisations.

use std::collections::HashMap;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use oretrace::api::startup::Application;
use reqwest::StatusCode;
use serde_json::{Value, json};
use sha2::Sha256;

use crate::builders::{Certification, Event, Lot, Origin, PurchaseLine};
use crate::fixtures::{mine, supplier};
use crate::helpers::{Backend, Client, Expect, HasId, TestApp, pointers};
use crate::receiver::{Received, Receiver};

const SCOPES: [&str; 4] = [
    "purchases:read",
    "purchases:write",
    "webhooks:manage",
    "events:read",
];

/// The scopes of an organisation that records lots and custody events too.
const SCOPES_WITH_PROVENANCE: [&str; 6] = [
    "purchases:read",
    "purchases:write",
    "provenance:read",
    "provenance:write",
    "webhooks:manage",
    "events:read",
];

/// An application whose worker delivers to the tests' receivers on 127.0.0.1, polls often and
/// retries soon.
async fn spawn(backend: Backend) -> Option<TestApp> {
    TestApp::spawn_with(backend, |config| {
        config.webhooks.allow_private = true;
        config.webhooks.poll = Duration::from_millis(50);
        config.webhooks.retry_base = Duration::from_millis(50);
    })
    .await
}

/// The secret's key bytes, as a receiver decodes them (Standard Webhooks).
fn key(secret: &str) -> Vec<u8> {
    STANDARD
        .decode(secret.strip_prefix("whsec_").expect("whsec_ prefix"))
        .expect("base64 secret")
}

/// Whether one of the `v1,` signatures of the request is the HMAC-SHA256 of
/// `{webhook-id}.{webhook-timestamp}.{body}` with `secret`.
fn verifies(request: &Received, body: &[u8], secret: &str) -> bool {
    let id = request.header("webhook-id").expect("webhook-id");
    let timestamp = request
        .header("webhook-timestamp")
        .expect("webhook-timestamp");
    let mut mac = Hmac::<Sha256>::new_from_slice(&key(secret)).unwrap();
    mac.update(format!("{id}.{timestamp}.").as_bytes());
    mac.update(body);
    let expected = format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()));
    request
        .header("webhook-signature")
        .expect("webhook-signature")
        .split(' ')
        .any(|signature| signature == expected)
}

async fn subscribe(app: &TestApp, client: &Client, url: &str, types: &[&str]) -> Value {
    app.post(
        "/v1/webhooks",
        client,
        &json!({"url": url, "event_types": types, "description": "ERP listener"}),
    )
    .expect_status(StatusCode::CREATED)
    .await
}

/// Posts a batch of `n` new lines for `client`, bought in 2020: outside the current period, so
/// that no policy target is missed by them and the feed holds only the batches' events.
async fn batch(app: &TestApp, client: &Client, supplier: &str, prefix: &str, n: usize) {
    let lines: Vec<PurchaseLine> = (0..n)
        .map(|i| PurchaseLine::new(&format!("{prefix}-{i}"), supplier).on("2020-03-14"))
        .collect();
    app.load_purchases(client, &lines).await;
}

async fn subscriptions_are_managed_and_their_secret_shown_once(app: TestApp) {
    let a = app.organisation("Hooked", "purchaser", &SCOPES).await;
    let receiver = Receiver::start().await;
    let created = subscribe(&app, &a, &receiver.url, &["purchases.batch_completed"]).await;
    let id = created.id();
    assert!(created["secret"].as_str().unwrap().starts_with("whsec_"));
    assert_eq!(created["enabled"], true);
    assert_eq!(created["event_types"], json!(["purchases.batch_completed"]));
    let read = app
        .get(&format!("/v1/webhooks/{id}"), &a)
        .expect_status(StatusCode::OK)
        .await;
    assert!(read.get("secret").is_none(), "{read}");
    assert_eq!(read["url"], receiver.url);
    let list = app
        .get("/v1/webhooks", &a)
        .expect_status(StatusCode::OK)
        .await;
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
    assert!(list["items"][0].get("secret").is_none());

    let changed = app
        .patch(
            &format!("/v1/webhooks/{id}"),
            &a,
            &json!({"enabled": false, "event_types": ["red_flag.cleared", "red_flag.raised"]}),
        )
        .expect_status(StatusCode::OK)
        .await;
    assert_eq!(changed["enabled"], false);
    assert_eq!(
        changed["event_types"],
        json!(["red_flag.raised", "red_flag.cleared"])
    );
    // Refusals name the member; nothing changes.
    for (body, pointer) in [
        (json!({"event_types": []}), "/event_types"),
        (json!({"event_types": ["webhook.ping"]}), "/event_types/0"),
        (
            json!({"event_types": ["nothing.happened"]}),
            "/event_types/0",
        ),
        (json!({"url": "ftp://example.com/x"}), "/url"),
        (json!({"description": "x".repeat(201)}), "/description"),
        (json!({"expiring_days": 0}), "/expiring_days"),
        (json!({"expiring_days": 366}), "/expiring_days"),
        (
            json!({"event_types": ["red_flag.raised", "red_flag.raised"]}),
            "/event_types/1",
        ),
        (json!({"secret": "whsec_mine"}), "/secret"),
    ] {
        let problem = app
            .patch(&format!("/v1/webhooks/{id}"), &a, &body)
            .expect_problem(422)
            .await;
        assert!(
            pointers(&problem).iter().any(|p| p.starts_with(pointer)),
            "{body}: {problem}"
        );
    }
    let unchanged = app
        .get(&format!("/v1/webhooks/{id}"), &a)
        .expect_status(StatusCode::OK)
        .await;
    assert_eq!(unchanged["enabled"], false);

    // A rotation shows the new secret once; the old one still signs for the grace period.
    let rotated = app
        .post(&format!("/v1/webhooks/{id}/rotate-secret"), &a, &json!({}))
        .expect_status(StatusCode::OK)
        .await;
    assert_ne!(rotated["secret"], created["secret"]);
    assert!(rotated["previous_secret_valid_until"].is_string());

    app.delete(&format!("/v1/webhooks/{id}"), &a)
        .expect_status(StatusCode::NO_CONTENT)
        .await;
    app.get(&format!("/v1/webhooks/{id}"), &a)
        .expect_problem(404)
        .await;
    let audit = app
        .get("/v1/audit-events?entity_type=webhook", &a)
        .expect_status(StatusCode::OK)
        .await;
    let actions: Vec<&str> = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    for action in ["create", "update", "rotate_secret", "delete"] {
        assert!(actions.contains(&action), "{actions:?}");
    }
    assert!(
        !audit.to_string().contains("whsec_"),
        "no secret in the trail"
    );
}

async fn a_batch_is_announced_signed_to_its_organisation_only(app: TestApp) {
    let supplier = supplier(&app, "Refinery Trading").await;
    let a = app.organisation("Org A", "purchaser", &SCOPES).await;
    let b = app.organisation("Org B", "purchaser", &SCOPES).await;
    let (to_a, to_b) = (Receiver::start().await, Receiver::start().await);
    let hook_a = subscribe(&app, &a, &to_a.url, &["purchases.batch_completed"]).await;
    let hook_b = subscribe(&app, &b, &to_b.url, &["purchases.batch_completed"]).await;
    let secret = hook_a["secret"].as_str().unwrap();

    batch(&app, &a, &supplier, "A", 3).await;
    let events = to_a.wait_for("purchases.batch_completed", 1).await;
    let event = &events[0];
    assert_eq!(event["organisation_id"], a.org_id);
    assert_eq!(event["data"]["created"], 3);
    assert_eq!(
        event["data"]["changed_purchase_ids"]
            .as_array()
            .unwrap()
            .len(),
        3
    );
    // The ids resolve through the API.
    let purchase = event["data"]["changed_purchase_ids"][0].as_str().unwrap();
    app.get(&format!("/v1/purchases/{purchase}"), &a)
        .expect_status(StatusCode::OK)
        .await;

    // Signed as Standard Webhooks says; a tampered body fails; so does another secret.
    let request = &to_a.received()[0];
    assert_eq!(request.header("webhook-id"), event["id"].as_str());
    assert!(verifies(request, &request.body, secret));
    let mut tampered = request.body.clone();
    let at = tampered.iter().position(|b| *b == b'3').unwrap();
    tampered[at] = b'4';
    assert!(!verifies(request, &tampered, secret));
    assert!(!verifies(
        request,
        &request.body,
        hook_b["secret"].as_str().unwrap()
    ));
    assert_eq!(request.header("content-type"), Some("application/json"));
    assert_eq!(request.path, "/hook");

    // B hears nothing of A: once B's ping (sent after A's event) has arrived, B has only it.
    app.post(
        &format!("/v1/webhooks/{}/ping", hook_b.id()),
        &b,
        &json!({}),
    )
    .expect_status(StatusCode::ACCEPTED)
    .await;
    to_b.wait_for("webhook.ping", 1).await;
    assert_eq!(to_b.events("").len(), 1, "{:?}", to_b.events(""));

    // After a rotation both secrets sign until the grace period ends.
    let rotated = app
        .post(
            &format!("/v1/webhooks/{}/rotate-secret", hook_a.id()),
            &a,
            &json!({}),
        )
        .expect_status(StatusCode::OK)
        .await;
    batch(&app, &a, &supplier, "A2", 1).await;
    to_a.wait_for("purchases.batch_completed", 2).await;
    let second = &to_a.received()[1];
    assert!(verifies(second, &second.body, secret));
    assert!(verifies(
        second,
        &second.body,
        rotated["secret"].as_str().unwrap()
    ));
    assert_eq!(
        second
            .header("webhook-signature")
            .unwrap()
            .split(' ')
            .count(),
        2
    );

    // The deliveries record each attempt.
    let deliveries = app
        .get(&format!("/v1/webhooks/{}/deliveries", hook_a.id()), &a)
        .expect_status(StatusCode::OK)
        .await;
    let items = deliveries["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    assert_eq!(items[0]["status"], "delivered");
    assert_eq!(items[0]["attempts"][0]["status_code"], 200);
    assert!(items[0]["attempts"][0]["latency_ms"].is_i64());
}

async fn red_flags_are_announced_when_raised_and_when_cleared(app: TestApp) {
    let supplier = supplier(&app, "Refinery Trading").await;
    let asm = mine(&app, "Uncertified ASM mine", "asm", "PE").await;
    let a = app
        .organisation("Org A", "purchaser", &SCOPES_WITH_PROVENANCE)
        .await;
    let b = app
        .organisation("Org B", "purchaser", &SCOPES_WITH_PROVENANCE)
        .await;
    let (to_a, to_b) = (Receiver::start().await, Receiver::start().await);
    let types = ["red_flag.raised", "red_flag.cleared"];
    subscribe(&app, &a, &to_a.url, &types).await;
    let hook_b = subscribe(&app, &b, &to_b.url, &types).await;

    // A buys a lot extracted at an uncertified ASM mine: flags appear on the purchase.
    let lot = app.create_lot(&a, &Lot::new("ASM-LOT").kg(1)).await.id();
    app.record_event(&a, &Event::extraction("2025-03-01", &asm).output(&lot))
        .await;
    let line = PurchaseLine::new("ASM-1", &supplier)
        .kg(1)
        .on("2025-03-14")
        .lot(&lot);
    let purchase = app.create_purchase(&a, &line).await.id();
    let flags = app
        .get("/v1/red-flags", &a)
        .expect_status(StatusCode::OK)
        .await;
    let kinds: Vec<&str> = flags["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["kind"].as_str().unwrap())
        .collect();
    assert!(kinds.contains(&"uncertified_asm_origin"), "{flags}");
    let raised = to_a.wait_for("red_flag.raised", kinds.len()).await;
    let mut raised_kinds: Vec<&str> = raised
        .iter()
        .map(|e| e["data"]["kind"].as_str().unwrap())
        .collect();
    let mut expected = kinds.clone();
    raised_kinds.sort();
    expected.sort();
    assert_eq!(raised_kinds, expected, "every flag the API lists, once");
    for event in &raised {
        assert_eq!(event["data"]["purchase_id"], purchase.as_str());
        assert_eq!(event["data"]["lot_id"], lot.as_str());
        assert!(event["data"]["fingerprint"].is_string());
    }
    // Another write that leaves the flags as they are announces nothing new.
    let other = PurchaseLine::new("PLAIN-1", &supplier).kg(2);
    app.create_purchase(&a, &other).await;

    // The purchase is reversed: its flags go, each announced as cleared with its fingerprint.
    app.delete_purchase(&a, &purchase).await;
    let cleared = to_a.wait_for("red_flag.cleared", raised.len()).await;
    let mut raised_prints: Vec<&str> = raised
        .iter()
        .map(|e| e["data"]["fingerprint"].as_str().unwrap())
        .collect();
    let mut cleared_prints: Vec<&str> = cleared
        .iter()
        .map(|e| e["data"]["fingerprint"].as_str().unwrap())
        .collect();
    raised_prints.sort();
    cleared_prints.sort();
    assert_eq!(raised_prints, cleared_prints);
    assert_eq!(
        to_a.events("red_flag.raised").len(),
        raised.len(),
        "nothing raised twice"
    );
    // The feed holds the same events, in order.
    let feed = app
        .get("/v1/events?type=red_flag.raised,red_flag.cleared", &a)
        .expect_status(StatusCode::OK)
        .await;
    assert_eq!(
        feed["items"].as_array().unwrap().len(),
        raised.len() + cleared.len()
    );
    // B heard nothing of A's flags.
    app.post(
        &format!("/v1/webhooks/{}/ping", hook_b.id()),
        &b,
        &json!({}),
    )
    .expect_status(StatusCode::ACCEPTED)
    .await;
    to_b.wait_for("webhook.ping", 1).await;
    assert_eq!(to_b.events("").len(), 1, "{:?}", to_b.events(""));
}

/// A certificate of an LSM mine valid until `days` from today (so that the test never depends
/// on the calendar); its id.
async fn irma_until(app: &TestApp, mine: &str, number: &str, days: i64) -> String {
    let today = chrono::Utc::now().date_naive();
    let certificate = Certification::of_facility(mine, "irma")
        .level("irma_50")
        .valid(
            &(today - chrono::Duration::days(365)).to_string(),
            &(today + chrono::Duration::days(days)).to_string(),
        )
        .number(number)
        .minerals(&["copper"]);
    app.create_certification(certificate).await.id()
}

async fn certificates_in_the_supply_are_watched(app: TestApp) {
    let today = chrono::Utc::now().date_naive().to_string();
    let supplier = supplier(&app, "Refinery Trading").await;
    let watched = mine(&app, "Watched LSM mine", "lsm", "CL").await;
    let elsewhere = mine(&app, "Unrelated LSM mine", "lsm", "CL").await;
    let cert = irma_until(&app, &watched, "IRMA-W-1", 20).await;
    let unrelated = irma_until(&app, &elsewhere, "IRMA-W-2", 20).await;
    let a = app.organisation("Org A", "purchaser", &SCOPES).await;
    let b = app.organisation("Org B", "purchaser", &SCOPES).await;
    let types = [
        "certification.status_changed",
        "certification.level_changed",
        "certification.expiring",
    ];
    let (month, ten_days, to_b) = (
        Receiver::start().await,
        Receiver::start().await,
        Receiver::start().await,
    );
    subscribe(&app, &a, &month.url, &types).await;
    app.post(
        "/v1/webhooks",
        &a,
        &json!({"url": ten_days.url, "event_types": types, "expiring_days": 10}),
    )
    .expect_status(StatusCode::CREATED)
    .await;
    let hook_b = subscribe(&app, &b, &to_b.url, &types).await;
    // B buys from the same supplier, but declares no origin: the mine is not in B's supply.
    app.create_purchase(&b, &PurchaseLine::new("B-1", &supplier).kg(1))
        .await;

    // A's purchase declares the mine: its certificate enters A's supply, 20 days from its end.
    let line = PurchaseLine::new("W-1", &supplier)
        .kg(1)
        .declared([Origin::facility(&watched, 1.0)]);
    app.create_purchase(&a, &line).await;
    let expiring = month.wait_for("certification.expiring", 1).await;
    let data = &expiring[0]["data"];
    assert_eq!(data["certification_id"], cert.as_str());
    assert_eq!(data["subject"], json!({"type": "facility", "id": watched}));
    assert_eq!(data["days_left"], 20);
    assert_eq!(data["notice_days"], 30);
    assert_eq!(data["status"], "active");

    // The operator changes the unrelated certificate, then the watched one's level, then
    // suspends it: A hears of the watched one only, in order.
    for (id, change) in [
        (
            &unrelated,
            json!({"status": "suspended", "effective_on": today}),
        ),
        (&cert, json!({"level": "irma_75", "effective_on": today})),
        (
            &cert,
            json!({"status": "suspended", "effective_on": today,
                       "reason": "Surveillance audit found a critical non-conformity"}),
        ),
    ] {
        app.patch(&format!("/v1/certifications/{id}"), &app.operator, &change)
            .expect_status(StatusCode::OK)
            .await;
    }
    let suspended = month.wait_for("certification.status_changed", 1).await;
    let data = &suspended[0]["data"];
    assert_eq!(data["certification_id"], cert.as_str());
    assert_eq!(data["previous_status"], "active");
    assert_eq!(data["status"], "suspended");
    let levels = month.wait_for("certification.level_changed", 1).await;
    assert_eq!(levels.len(), 1, "{levels:?}");
    assert_eq!(levels[0]["data"]["previous_level"], "irma_50");
    assert_eq!(levels[0]["data"]["level"], "irma_75");
    assert!(
        !month
            .received()
            .iter()
            .any(|r| String::from_utf8_lossy(&r.body).contains(unrelated.as_str())),
        "the unrelated certificate reached A"
    );
    // The subscription with a 10-day notice got no expiring notice (20 days left), the rest.
    ten_days.wait_for("certification.status_changed", 1).await;
    assert!(ten_days.events("certification.expiring").is_empty());
    // B heard nothing.
    app.post(
        &format!("/v1/webhooks/{}/ping", hook_b.id()),
        &b,
        &json!({}),
    )
    .expect_status(StatusCode::ACCEPTED)
    .await;
    to_b.wait_for("webhook.ping", 1).await;
    assert_eq!(to_b.events("").len(), 1, "{:?}", to_b.events(""));
    // An expiring notice is given once: another write sweeps again and announces nothing new.
    app.create_purchase(&a, &PurchaseLine::new("W-2", &supplier).kg(1))
        .await;
    app.post(
        &format!("/v1/webhooks/{}/ping", hook_b.id()),
        &b,
        &json!({}),
    )
    .expect_status(StatusCode::ACCEPTED)
    .await;
    to_b.wait_for("webhook.ping", 2).await;
    assert_eq!(month.events("certification.expiring").len(), 1);
}

async fn a_missed_sourcing_target_is_announced_once(app: TestApp) {
    let today = chrono::Utc::now().date_naive().to_string();
    let supplier = supplier(&app, "Refinery Trading").await;
    let a = app.organisation("Org A", "purchaser", &SCOPES).await;
    let receiver = Receiver::start().await;
    subscribe(&app, &a, &receiver.url, &["sourcing_target.missed"]).await;
    let mut policy = app.policy(&a).await["policy"].clone();
    policy["targets"] = json!([{"metric": "certified", "comparison": "at_least", "share": 0.5}]);
    app.put_policy(&a, &policy).await;
    // Nothing bought this year: the target holds. An uncertified kilogram breaks it.
    let line = PurchaseLine::new("UNCERT-1", &supplier).kg(1).on(&today);
    app.create_purchase(&a, &line).await;
    let missed = receiver.wait_for("sourcing_target.missed", 1).await;
    let data = &missed[0]["data"];
    assert_eq!(data["target"]["metric"], "certified");
    assert_eq!(data["target"]["met"], false);
    assert_eq!(data["target"]["share"], "0.500000");
    assert_eq!(data["period"]["to"], today.as_str());
    // The mix for the same period says the same.
    let year = &today[..4];
    let mix = app
        .sourcing_mix(&a, &format!("from={year}-01-01&to={today}"))
        .await;
    assert_eq!(mix["targets"][0]["met"], false);
    assert_eq!(mix["targets"][0]["actual"], data["target"]["actual"]);
    // Still missed after another write: not announced again.
    let again = PurchaseLine::new("UNCERT-2", &supplier).kg(1).on(&today);
    app.create_purchase(&a, &again).await;
    let ping = subscribe(&app, &a, &receiver.url, &["purchases.batch_completed"]).await;
    app.post(&format!("/v1/webhooks/{}/ping", ping.id()), &a, &json!({}))
        .expect_status(StatusCode::ACCEPTED)
        .await;
    receiver.wait_for("webhook.ping", 1).await;
    // The ping was sent after the second purchase's sweep was requested; give that sweep time.
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(receiver.events("sourcing_target.missed").len(), 1);
}

async fn a_slow_target_does_not_hold_back_another_organisations_deliveries(app: TestApp) {
    let supplier = supplier(&app, "Refinery Trading").await;
    let a = app.organisation("Org A", "purchaser", &SCOPES).await;
    let b = app.organisation("Org B", "purchaser", &SCOPES).await;
    let (slow, quick) = (Receiver::start().await, Receiver::start().await);
    slow.delay(4000);
    let hook_a = subscribe(&app, &a, &slow.url, &["purchases.batch_completed"]).await;
    subscribe(&app, &b, &quick.url, &["purchases.batch_completed"]).await;
    batch(&app, &a, &supplier, "SLOW", 1).await;
    // A's delivery has reached its slow target, which has not answered yet.
    slow.wait_for("purchases.batch_completed", 1).await;
    batch(&app, &b, &supplier, "QUICK", 1).await;
    quick.wait_for("purchases.batch_completed", 1).await;
    // B's event arrived while A's attempt was still in flight: nothing recorded for it yet.
    let deliveries = app
        .get(&format!("/v1/webhooks/{}/deliveries", hook_a.id()), &a)
        .expect_status(StatusCode::OK)
        .await;
    assert_eq!(deliveries["items"][0]["status"], "pending", "{deliveries}");
    assert_eq!(
        deliveries["items"][0]["attempts"],
        json!([]),
        "{deliveries}"
    );
}

async fn concurrent_writes_are_each_announced_once_in_commit_order(app: TestApp) {
    let supplier = supplier(&app, "Refinery Trading").await;
    let asm = mine(&app, "Uncertified ASM mine", "asm", "PE").await;
    let a = app
        .organisation("Org A", "purchaser", &SCOPES_WITH_PROVENANCE)
        .await;
    let receiver = Receiver::start().await;
    subscribe(
        &app,
        &a,
        &receiver.url,
        &["purchases.batch_completed", "red_flag.raised"],
    )
    .await;
    // A lot with a flag, so that sweeps announce while batches announce.
    let lot = app.create_lot(&a, &Lot::new("ASM-LOT").kg(8)).await.id();
    app.record_event(&a, &Event::extraction("2025-03-01", &asm).output(&lot))
        .await;
    let n = 8;
    let writes = (0..n).map(|i| {
        let line = PurchaseLine::new(&format!("C-{i}"), &supplier)
            .kg(1)
            .on("2025-03-14")
            .lot(&lot);
        let request = app.post("/v1/purchases/batch", &a, &vec![line]);
        async move { request.send().await.expect("batch").status() }
    });
    let statuses = futures_util::future::join_all(writes).await;
    assert!(
        statuses.iter().all(|s| *s == StatusCode::OK),
        "{statuses:?}"
    );
    let batches = receiver.wait_for("purchases.batch_completed", n).await;
    let raised = receiver.wait_for("red_flag.raised", n).await;
    let feed = app
        .get("/v1/events?limit=1000", &a)
        .expect_status(StatusCode::OK)
        .await;
    let seqs: Vec<i64> = feed["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["seq"].as_i64().unwrap())
        .collect();
    let expected: Vec<i64> = (1..=seqs.len() as i64).collect();
    assert_eq!(seqs, expected, "numbered without gaps or repeats");
    assert!(seqs.len() >= batches.len() + raised.len());
    let mut ids: Vec<&str> = batches.iter().map(|e| e["id"].as_str().unwrap()).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), n);
}

async fn a_receiver_down_then_back_gets_every_event_in_order(app: TestApp) {
    let supplier = supplier(&app, "Refinery Trading").await;
    let a = app.organisation("Org A", "purchaser", &SCOPES).await;
    let receiver = Receiver::start().await;
    let hook = subscribe(&app, &a, &receiver.url, &["purchases.batch_completed"]).await;
    receiver.answer(503);
    for i in 0..4 {
        batch(&app, &a, &supplier, &format!("B{i}"), i + 1).await;
    }
    // The first delivery fails a few times; the others wait behind it.
    let path = format!("/v1/webhooks/{}/deliveries", hook.id());
    for _ in 0..200 {
        let deliveries = app.get(&path, &a).expect_status(StatusCode::OK).await;
        let oldest = &deliveries["items"].as_array().unwrap()[3];
        if oldest["attempts"].as_array().unwrap().len() >= 2 {
            assert_eq!(oldest["attempts"][0]["status_code"], 503);
            assert_eq!(oldest["status"], "pending");
            assert!(oldest["next_attempt_at"].is_string());
            let newest = &deliveries["items"].as_array().unwrap()[0];
            assert!(newest["attempts"].as_array().unwrap().is_empty());
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    receiver.answer(200);
    let events = receiver.wait_for("purchases.batch_completed", 4).await;
    let created: Vec<i64> = events
        .iter()
        .map(|e| e["data"]["created"].as_i64().unwrap())
        .collect();
    assert_eq!(created, [1, 2, 3, 4], "in order, none lost");
    let seqs: Vec<i64> = events.iter().map(|e| e["seq"].as_i64().unwrap()).collect();
    assert!(seqs.windows(2).all(|w| w[0] < w[1]), "{seqs:?}");
    // Each event once, as far as a receiver that de-duplicates by webhook-id can tell.
    let mut ids: Vec<&str> = events.iter().map(|e| e["id"].as_str().unwrap()).collect();
    ids.dedup();
    assert_eq!(ids.len(), 4);
}

async fn a_rolled_back_write_announces_nothing(app: TestApp) {
    let supplier = supplier(&app, "Refinery Trading").await;
    let a = app.organisation("Org A", "purchaser", &SCOPES).await;
    let receiver = Receiver::start().await;
    subscribe(&app, &a, &receiver.url, &["purchases.batch_completed"]).await;
    let bad = vec![
        PurchaseLine::new("ok-1", &supplier),
        PurchaseLine::new("bad-2", "00000000-0000-7000-8000-000000000000"),
    ];
    app.post("/v1/purchases/batch", &a, &bad)
        .expect_problem(422)
        .await;
    let feed = app
        .get("/v1/events", &a)
        .expect_status(StatusCode::OK)
        .await;
    assert_eq!(feed["items"], json!([]), "nothing announced");
    assert_eq!(feed["next_cursor"], "0");
    batch(&app, &a, &supplier, "good", 1).await;
    let events = receiver.wait_for("purchases.batch_completed", 1).await;
    assert_eq!(events[0]["seq"], 1, "the refused batch took no number");
}

async fn the_feed_pages_by_cursor_for_its_organisation_only(app: TestApp) {
    let supplier = supplier(&app, "Refinery Trading").await;
    let a = app.organisation("Org A", "purchaser", &SCOPES).await;
    let b = app.organisation("Org B", "purchaser", &SCOPES).await;
    for i in 0..5 {
        batch(&app, &a, &supplier, &format!("F{i}"), 1).await;
    }
    batch(&app, &b, &supplier, "B", 1).await;
    let first = app
        .get("/v1/events?limit=2", &a)
        .expect_status(StatusCode::OK)
        .await;
    assert_eq!(first["items"].as_array().unwrap().len(), 2);
    assert_eq!(first["next_cursor"], "2");
    let rest = app
        .get("/v1/events?after=2&type=purchases.batch_completed", &a)
        .expect_status(StatusCode::OK)
        .await;
    let seqs: Vec<i64> = rest["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["seq"].as_i64().unwrap())
        .collect();
    assert_eq!(seqs, [3, 4, 5]);
    assert!(
        rest["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["organisation_id"] == a.org_id)
    );
    let end = app
        .get("/v1/events?after=5", &a)
        .expect_status(StatusCode::OK)
        .await;
    assert_eq!(end["items"], json!([]));
    assert_eq!(end["next_cursor"], "5", "read on later from the same place");
    let only_b = app
        .get("/v1/events", &b)
        .expect_status(StatusCode::OK)
        .await;
    assert_eq!(only_b["items"].as_array().unwrap().len(), 1);
    assert_eq!(only_b["items"][0]["organisation_id"], b.org_id);
    for bad in [
        "after=-1",
        "after=x",
        "after=1234567890123456789",
        "type=webhook.ping",
        "type=red_flag.raised,nope",
        "limit=0",
        "limit=1001",
        "since=1",
    ] {
        app.get(&format!("/v1/events?{bad}"), &a)
            .expect_problem(400)
            .await;
    }
}

async fn internal_targets_are_refused(app: TestApp) {
    // This application runs with the default: internal addresses refused.
    let a = app.organisation("Org A", "purchaser", &SCOPES).await;
    for url in [
        "http://127.0.0.1:8080/hook",
        "http://10.0.0.7/hook",
        "http://192.168.1.10/hook",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]/hook",
        "http://[::ffff:127.0.0.1]/hook",
        "http://0x7f000001/hook",
        "http://0.0.0.0/hook",
        "http://localhost:9000/hook",
        "https://user:password@example.com/hook",
        "file:///etc/passwd",
    ] {
        let problem = app
            .post(
                "/v1/webhooks",
                &a,
                &json!({"url": url, "event_types": ["purchases.batch_completed"]}),
            )
            .expect_problem(422)
            .await;
        assert_eq!(pointers(&problem), ["/url"], "{url}: {problem}");
    }
    let list = app
        .get("/v1/webhooks", &a)
        .expect_status(StatusCode::OK)
        .await;
    assert_eq!(list["items"], json!([]));
}

async fn another_organisation_and_missing_scopes_are_refused(app: TestApp) {
    let a = app.organisation("Org A", "purchaser", &SCOPES).await;
    let b = app.organisation("Org B", "purchaser", &SCOPES).await;
    let receiver = Receiver::start().await;
    let hook = subscribe(&app, &a, &receiver.url, &["purchases.batch_completed"]).await;
    let id = hook.id();
    let ping = app
        .post(&format!("/v1/webhooks/{id}/ping"), &a, &json!({}))
        .expect_status(StatusCode::ACCEPTED)
        .await;
    let delivery = ping.id();
    receiver.wait_for("webhook.ping", 1).await;
    // Another organisation's token: 404 everywhere, and nothing changes.
    app.get(&format!("/v1/webhooks/{id}"), &b)
        .expect_problem(404)
        .await;
    app.patch(
        &format!("/v1/webhooks/{id}"),
        &b,
        &json!({"enabled": false}),
    )
    .expect_problem(404)
    .await;
    app.delete(&format!("/v1/webhooks/{id}"), &b)
        .expect_problem(404)
        .await;
    for path in [
        format!("/v1/webhooks/{id}/ping"),
        format!("/v1/webhooks/{id}/rotate-secret"),
        format!("/v1/webhooks/{id}/deliveries/{delivery}/redeliver"),
    ] {
        app.post(&path, &b, &json!({})).expect_problem(404).await;
    }
    for path in [
        format!("/v1/webhooks/{id}/deliveries"),
        format!("/v1/webhooks/{id}/deliveries/{delivery}"),
    ] {
        app.get(&path, &b).expect_problem(404).await;
    }
    let listed = app
        .get("/v1/webhooks", &b)
        .expect_status(StatusCode::OK)
        .await;
    assert_eq!(listed["items"], json!([]));
    let still = app
        .get(&format!("/v1/webhooks/{id}"), &a)
        .expect_status(StatusCode::OK)
        .await;
    assert_eq!(still["enabled"], true);
    // B's own subscription cannot name A's delivery either.
    let b_hook = subscribe(&app, &b, &receiver.url, &["purchases.batch_completed"]).await;
    app.post(
        &format!(
            "/v1/webhooks/{}/deliveries/{delivery}/redeliver",
            b_hook.id()
        ),
        &b,
        &json!({}),
    )
    .expect_problem(404)
    .await;
    // Scopes: webhooks:manage for subscriptions, events:read for the feed.
    let reader = app
        .client_of(&a.org_id, "reader", &["purchases:read", "events:read"])
        .await;
    app.get("/v1/webhooks", &reader).expect_problem(403).await;
    app.post(
        "/v1/webhooks",
        &reader,
        &json!({"url": receiver.url, "event_types": ["purchases.batch_completed"]}),
    )
    .expect_problem(403)
    .await;
    // With an Idempotency-Key too: refused before anything is claimed or replayed, twice.
    for path in [
        "/v1/webhooks".to_owned(),
        format!("/v1/webhooks/{id}/ping"),
        format!("/v1/webhooks/{id}/rotate-secret"),
    ] {
        for _ in 0..2 {
            app.post(
                &path,
                &reader,
                &json!({"url": receiver.url, "event_types": ["purchases.batch_completed"]}),
            )
            .header("idempotency-key", "reader-key-1")
            .expect_problem(403)
            .await;
        }
    }
    let unchanged = app
        .get("/v1/webhooks", &a)
        .expect_status(StatusCode::OK)
        .await;
    assert_eq!(
        unchanged["items"].as_array().unwrap().len(),
        1,
        "{unchanged}"
    );
    app.get("/v1/events", &reader)
        .expect_status(StatusCode::OK)
        .await;
    let manager = app
        .client_of(&a.org_id, "manager", &["webhooks:manage"])
        .await;
    app.get("/v1/events", &manager).expect_problem(403).await;
    app.http
        .get(app.url("/v1/webhooks"))
        .expect_problem(401)
        .await;
}

async fn two_instances_deliver_each_event_once(app: TestApp) {
    let supplier = supplier(&app, "Refinery Trading").await;
    let a = app.organisation("Org A", "purchaser", &SCOPES).await;
    let receiver = Receiver::start().await;
    subscribe(&app, &a, &receiver.url, &["purchases.batch_completed"]).await;
    // A second instance of the service on the same database, with its own worker.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let second = Application::build_with_listener(app.config.clone(), listener)
        .expect("second instance")
        .into_server()
        .expect("second server");
    let second_handle = second.handle();
    tokio::spawn(second);
    let n = 12;
    for i in 0..n {
        batch(&app, &a, &supplier, &format!("T{i}"), 1).await;
    }
    let events = receiver.wait_for("purchases.batch_completed", n).await;
    // Give a duplicate the time to arrive, then count.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let mut seen: HashMap<String, usize> = HashMap::new();
    for e in receiver.events("purchases.batch_completed") {
        *seen
            .entry(e["id"].as_str().unwrap().to_owned())
            .or_default() += 1;
    }
    assert_eq!(seen.len(), n);
    assert!(seen.values().all(|c| *c == 1), "{seen:?}");
    let seqs: Vec<i64> = events.iter().map(|e| e["seq"].as_i64().unwrap()).collect();
    assert!(seqs.windows(2).all(|w| w[0] < w[1]), "in order: {seqs:?}");
    second_handle.stop(false).await;
}

crate::both_backends_with!(super::spawn;
    subscriptions_are_managed_and_their_secret_shown_once,
    a_batch_is_announced_signed_to_its_organisation_only,
    red_flags_are_announced_when_raised_and_when_cleared,
    certificates_in_the_supply_are_watched,
    a_missed_sourcing_target_is_announced_once,
    a_slow_target_does_not_hold_back_another_organisations_deliveries,
    concurrent_writes_are_each_announced_once_in_commit_order,
    a_receiver_down_then_back_gets_every_event_in_order,
    a_rolled_back_write_announces_nothing,
    the_feed_pages_by_cursor_for_its_organisation_only,
    another_organisation_and_missing_scopes_are_refused,
    two_instances_deliver_each_event_once,
    a_failed_sweep_is_tried_again_soon,
);

#[derive(diesel::QueryableByName)]
struct SweepRow {
    #[diesel(sql_type = diesel::sql_types::Bool)]
    pending: bool,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Double>)]
    lease_seconds: Option<f64>,
}

/// The organisation's sweep: whether one is pending, and in how many seconds its lease ends.
async fn sweep_state(app: &TestApp, organisation: &str) -> SweepRow {
    let organisation = organisation.to_owned();
    app.with_conn(move |conn| {
        use diesel::RunQueryDsl;
        let seconds = match conn {
            oretrace::db::DbConn::Pg(_) => {
                "EXTRACT(EPOCH FROM lease_until - (now() AT TIME ZONE 'UTC'))::float8"
            }
            oretrace::db::DbConn::Sqlite(_) => {
                "(julianday(lease_until) - julianday('now')) * 86400.0"
            }
        };
        diesel::sql_query(format!(
            "SELECT (swept_at IS NULL OR requested_at > swept_at) AS pending, \
             {seconds} AS lease_seconds FROM supply_sweeps WHERE organisation_id = '{organisation}'"
        ))
        .get_result(conn)
        .unwrap()
    })
    .await
}

/// Runs `statement` on the test database.
async fn execute(app: &TestApp, statement: String) {
    app.with_conn(move |conn| {
        use diesel::RunQueryDsl;
        diesel::sql_query(statement).execute(conn).unwrap();
    })
    .await;
}

/// A sweep that fails (here on a stored value that does not parse) is tried again within
/// `sweep::RETRY`, not held by its ten-minute lease: a write refused behind a long batch on
/// SQLite would otherwise hold the organisation's webhooks back that long. Only the failed
/// worker's own lease is shortened.
async fn a_failed_sweep_is_tried_again_soon(app: TestApp) {
    let supplier = supplier(&app, "Refinery Trading").await;
    let a = app
        .organisation("Org A", "purchaser", &SCOPES_WITH_PROVENANCE)
        .await;
    // A purchase naming a lot: the sweep evaluates its red flags, reading the purchase.
    let lot = app.create_lot(&a, &Lot::new("SWEEP-LOT").kg(1)).await.id();
    let line = PurchaseLine::new("SWEEP-1", &supplier)
        .kg(1)
        .on("2025-03-14")
        .lot(&lot);
    app.create_purchase(&a, &line).await;
    let mut state = sweep_state(&app, &a.org_id).await;
    for _ in 0..400 {
        if !state.pending {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
        state = sweep_state(&app, &a.org_id).await;
    }
    assert!(!state.pending, "the purchase's sweep never ran");

    // A corrupt row: every sweep of the organisation now fails when it reads its purchases.
    let org = &a.org_id;
    execute(
        &app,
        format!("UPDATE purchases SET mineral = 'unobtainium' WHERE organisation_id = '{org}'"),
    )
    .await;
    execute(
        &app,
        format!(
            "UPDATE supply_sweeps SET requested_at = '2999-01-01 00:00:00' \
             WHERE organisation_id = '{org}'"
        ),
    )
    .await;
    // Claimed, failed, and its lease shortened: it ends within the retry, not in ten minutes.
    let retry = oretrace::app::webhooks::sweep::RETRY.num_seconds() as f64;
    let mut lease = None;
    for _ in 0..400 {
        let state = sweep_state(&app, org).await;
        assert!(state.pending, "a sweep over a corrupt row cannot succeed");
        if let Some(seconds) = state.lease_seconds.filter(|s| *s <= retry + 1.0) {
            lease = Some(seconds);
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let lease = lease.expect("the failed sweep keeps its ten-minute lease");

    // A worker whose lease is no longer the one in the row (another took it after it expired)
    // shortens nothing.
    let sweep = oretrace::store::webhook::flag_state::Sweep {
        organisation_id: org.clone(),
        requested_at: "2999-01-01T00:00:00".parse().unwrap(),
        quiet: 0,
    };
    let now = chrono::Utc::now();
    let shortened = app
        .with_conn(move |conn| {
            oretrace::store::webhook::flag_state::retry_at(
                conn,
                &sweep,
                now + chrono::Duration::minutes(10),
                now,
            )
            .unwrap()
        })
        .await;
    assert!(
        !shortened,
        "a lease that is not the worker's own was shortened"
    );
    let after = sweep_state(&app, org).await.lease_seconds.unwrap();
    assert!(after > lease - 5.0, "{after} < {lease}");

    // The other organisation's answers are untouched by it.
    let b = app.organisation("Org B", "purchaser", &SCOPES).await;
    app.get("/v1/purchases", &b)
        .expect_status(StatusCode::OK)
        .await;
}

/// With the default configuration: internal addresses refused.
mod defaults {
    use super::*;

    crate::both_backends!(internal_targets_are_refused);
}

/// A retry window of 400 ms: deliveries are given up quickly.
mod giving_up {
    use super::*;

    async fn spawn(backend: Backend) -> Option<TestApp> {
        TestApp::spawn_with(backend, |config| {
            config.webhooks.allow_private = true;
            config.webhooks.poll = Duration::from_millis(50);
            config.webhooks.retry_base = Duration::from_millis(50);
            config.webhooks.retry_window = Duration::from_millis(400);
        })
        .await
    }

    async fn a_given_up_delivery_marks_its_subscription_failing(app: TestApp) {
        let supplier = supplier(&app, "Refinery Trading").await;
        let a = app.organisation("Org A", "purchaser", &SCOPES).await;
        let receiver = Receiver::start().await;
        receiver.answer(500);
        let hook = subscribe(&app, &a, &receiver.url, &["purchases.batch_completed"]).await;
        let path = format!("/v1/webhooks/{}", hook.id());
        batch(&app, &a, &supplier, "G", 1).await;
        let mut failing = Value::Null;
        for _ in 0..200 {
            failing = app.get(&path, &a).expect_status(StatusCode::OK).await;
            if failing["failing_since"].is_string() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert!(failing["failing_since"].is_string(), "{failing}");
        let deliveries = app
            .get(&format!("{path}/deliveries"), &a)
            .expect_status(StatusCode::OK)
            .await;
        let delivery = &deliveries["items"][0];
        assert_eq!(delivery["status"], "failed");
        assert!(delivery["next_attempt_at"].is_null());
        let attempts = delivery["attempts"].as_array().unwrap();
        assert!(attempts.len() >= 2, "{delivery}");
        assert!(attempts.iter().all(|t| t["status_code"] == 500));
        assert!(attempts[0]["error"].as_str().unwrap().contains("500"));
        let metrics = app
            .http
            .get(app.url("/metrics"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(
            metrics.contains("oretrace_webhook_attempts_total{outcome=\"failed\"} 1"),
            "{metrics}"
        );
        // The receiver is mended; the delivery is sent again on request, and the mark goes.
        receiver.answer(200);
        let again = app
            .post(
                &format!("{path}/deliveries/{}/redeliver", delivery.id()),
                &a,
                &json!({}),
            )
            .expect_status(StatusCode::ACCEPTED)
            .await;
        assert_eq!(again["status"], "pending");
        let events = receiver.wait_for("purchases.batch_completed", 1).await;
        assert_eq!(events[0]["id"], delivery["event_id"], "the same event id");
        for _ in 0..100 {
            let hook = app.get(&path, &a).expect_status(StatusCode::OK).await;
            if hook["failing_since"].is_null() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("the failing mark stayed after a delivery");
    }

    crate::both_backends_with!(super::spawn; a_given_up_delivery_marks_its_subscription_failing);
}
