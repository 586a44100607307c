//! Red-flag cases (issue 12, part 1; docs/PROVENANCE.md, "Red-flag cases"), on both backends,
//! through HTTP: a flag's stable id and case summary in the list and its `case_status` filter;
//! one flag read with its case; the case worked (status, assignee, due date, plan, notes) with
//! its dated history; refused values; scopes and other organisations; concurrent notes; the
//! case cleared by the sweep when its cause goes and reopened, history kept, when it returns.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::builders::{Event, Lot, PurchaseLine};
use crate::fixtures::{mine, supplier};
use crate::helpers::{Backend, Client, Expect, HasId, TestApp, pointers, send};

/// An application whose supply sweep looks for work every 50 ms.
async fn spawn(backend: Backend) -> Option<TestApp> {
    TestApp::spawn_with(backend, |config| {
        config.webhooks.poll = Duration::from_millis(50);
    })
    .await
}

const CAHRA: &str = "EU CAHRA indicative list, 2026 edition";

/// A purchase whose lot was extracted at an LSM mine in a conflict-affected area: one
/// `cahra_origin` flag, whose cause the operator can take away (and give back) by changing the
/// mine's CAHRA status.
struct Flagged {
    org: Client,
    mine: String,
    purchase: String,
    flag: String,
}

async fn flagged(app: &TestApp) -> Flagged {
    let org = app.purchaser("Jeweller").await;
    let supplier = supplier(app, "Refinery Trading").await;
    let mine = mine(app, "Conflict-area LSM mine", "lsm", "CD").await;
    app.patch_facility(&mine, &json!({"cahra": true, "cahra_basis": CAHRA}))
        .await;
    let lot = app.create_lot(&org, &Lot::new("CD-LOT").kg(1)).await.id();
    app.record_event(&org, &Event::extraction("2026-02-01", &mine).output(&lot))
        .await;
    let line = PurchaseLine::new("CD-1", &supplier)
        .kg(1)
        .on("2026-03-14")
        .lot(&lot);
    let purchase = app.create_purchase(&org, &line).await.id();
    let flag = cahra_flag(app, &org, "")
        .await
        .expect("a cahra_origin flag");
    Flagged {
        org,
        mine,
        purchase,
        flag: flag.id(),
    }
}

/// The `cahra_origin` flag of the list with `query`, if listed.
async fn cahra_flag(app: &TestApp, org: &Client, query: &str) -> Option<Value> {
    let list = app
        .get(&format!("/v1/red-flags?kind=cahra_origin{query}"), org)
        .expect_status(StatusCode::OK)
        .await;
    let items = list["items"].as_array().unwrap();
    assert!(items.len() <= 1, "{list}");
    items.first().cloned()
}

async fn read(app: &TestApp, org: &Client, id: &str) -> Value {
    app.get(&format!("/v1/red-flags/{id}"), org)
        .expect_status(StatusCode::OK)
        .await
}

async fn work(app: &TestApp, org: &Client, id: &str, patch: Value) -> Value {
    app.patch(&format!("/v1/red-flags/{id}"), org, &patch)
        .expect_status(StatusCode::OK)
        .await
}

/// Reads the flag until `done` holds (the sweep follows writes asynchronously), at most 20 s.
async fn wait_until(app: &TestApp, org: &Client, id: &str, done: impl Fn(&Value) -> bool) -> Value {
    for _ in 0..400 {
        let flag = read(app, org, id).await;
        if done(&flag) {
            return flag;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!(
        "flag {id} did not reach the expected state within 20 s: {}",
        read(app, org, id).await
    );
}

fn entries(flag: &Value) -> Vec<(i64, String, Value, String)> {
    flag["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["seq"].as_i64().unwrap(),
                e["kind"].as_str().unwrap().to_owned(),
                e["client_id"].clone(),
                e["text"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

fn seqs(flag: &Value) -> Vec<i64> {
    entries(flag).into_iter().map(|e| e.0).collect()
}

async fn a_flag_is_listed_with_a_stable_id_and_its_case(app: TestApp) {
    let f = flagged(&app).await;
    let listed = cahra_flag(&app, &f.org, "").await.unwrap();
    assert_eq!(listed["purchase_id"], f.purchase.as_str());
    assert_eq!(
        listed["case"],
        json!({"status": "open", "assignee": null, "due_date": null}),
        "a flag nobody worked on is open"
    );
    // The same cause computed again is the same id.
    let again = cahra_flag(&app, &f.org, "").await.unwrap();
    assert_eq!(again.id(), f.flag);
    assert_eq!(
        cahra_flag(&app, &f.org, "&case_status=open")
            .await
            .unwrap()
            .id(),
        f.flag
    );
    assert!(
        cahra_flag(&app, &f.org, "&case_status=under_review")
            .await
            .is_none()
    );
    app.get("/v1/red-flags?case_status=closed", &f.org)
        .expect_problem(400)
        .await;

    let one = read(&app, &f.org, &f.flag).await;
    assert_eq!(one["id"], f.flag.as_str());
    assert_eq!(one["raised"], true);
    assert_eq!(one["kind"], "cahra_origin");
    assert_eq!(one["purchase_id"], f.purchase.as_str());
    assert_eq!(one["evidence"], listed["evidence"]);
    assert_eq!(one["case"]["status"], "open");
    assert_eq!(one["case"]["created_at"], Value::Null);
    assert_eq!(one["entries"], json!([]));
    // A patch that changes nothing opens no case.
    for patch in [json!({}), json!({"status": "open", "assignee": null})] {
        let same = work(&app, &f.org, &f.flag, patch).await;
        assert_eq!(same, one);
    }
}

async fn a_case_is_worked_and_its_history_kept(app: TestApp) {
    let f = flagged(&app).await;
    let colleague = app
        .client_of(
            &f.org.org_id,
            "compliance desk",
            &["provenance:read", "provenance:write"],
        )
        .await;
    let worked = work(
        &app,
        &f.org,
        &f.flag,
        json!({"status": "under_review", "assignee": "Ana Quispe", "due_date": "2027-01-31",
               "note": "Asked the supplier for the mine's CAHRA assessment."}),
    )
    .await;
    assert_eq!(worked["case"]["status"], "under_review");
    assert_eq!(worked["case"]["assignee"], "Ana Quispe");
    assert_eq!(worked["case"]["due_date"], "2027-01-31");
    assert!(worked["case"]["created_at"].is_string());
    let me = json!(f.org.client_id);
    assert_eq!(
        entries(&worked),
        vec![
            (
                1,
                "change".into(),
                me.clone(),
                "status: open → under_review".into()
            ),
            (
                2,
                "change".into(),
                me.clone(),
                "assignee: (none) → Ana Quispe".into()
            ),
            (
                3,
                "change".into(),
                me.clone(),
                "due_date: (none) → 2027-01-31".into()
            ),
            (
                4,
                "note".into(),
                me.clone(),
                "Asked the supplier for the mine's CAHRA assessment.".into()
            ),
        ]
    );
    let plan = "Monthly third-party audit of the mine; suspend if the audit finds armed groups.";
    let worked = work(
        &app,
        &colleague,
        &f.flag,
        json!({"status": "mitigating", "mitigation_plan": plan, "assignee": null,
               "due_date": "2027-01-31", "note": "Plan agreed with the supplier."}),
    )
    .await;
    assert_eq!(worked["case"]["status"], "mitigating");
    assert_eq!(worked["case"]["assignee"], Value::Null);
    assert_eq!(worked["case"]["mitigation_plan"], plan);
    // Read back: every entry in order, each with the client that wrote it; the unchanged due
    // date is no entry.
    let read_back = read(&app, &f.org, &f.flag).await;
    let found = entries(&read_back);
    assert_eq!(seqs(&read_back), (1..=8).collect::<Vec<_>>());
    let theirs = json!(colleague.client_id);
    let plan_set = format!("mitigation_plan set to: {plan}");
    let theirs_found: Vec<(&str, Value, &str)> = found[4..]
        .iter()
        .map(|(_, kind, client, text)| (kind.as_str(), client.clone(), text.as_str()))
        .collect();
    assert_eq!(
        theirs_found,
        vec![
            (
                "change",
                theirs.clone(),
                "status: under_review → mitigating"
            ),
            ("change", theirs.clone(), "assignee: Ana Quispe → (none)"),
            ("change", theirs.clone(), plan_set.as_str()),
            ("note", theirs.clone(), "Plan agreed with the supplier."),
        ]
    );
    let ats: Vec<chrono::DateTime<chrono::Utc>> = read_back["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["at"].as_str().unwrap().parse().unwrap())
        .collect();
    let sorted = {
        let mut s = ats.clone();
        s.sort();
        s
    };
    assert_eq!(ats, sorted, "dated in order");
    // The list shows the case's summary and filters by it.
    let listed = cahra_flag(&app, &f.org, "&case_status=mitigating")
        .await
        .unwrap();
    assert_eq!(
        listed["case"],
        json!({"status": "mitigating", "assignee": null, "due_date": "2027-01-31"})
    );
    assert!(
        cahra_flag(&app, &f.org, "&case_status=open")
            .await
            .is_none()
    );
    // Audited: the case's creation and its change, by client.
    let audit = app
        .get(
            &format!(
                "/v1/audit-events?entity_type=red_flag_case&entity_id={}",
                f.flag
            ),
            &f.org,
        )
        .expect_status(StatusCode::OK)
        .await;
    let mut actions: Vec<(String, String)> = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["action"].as_str().unwrap().to_owned(),
                e["client_id"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    actions.sort();
    assert_eq!(
        actions,
        vec![
            ("create".to_owned(), f.org.client_id.clone()),
            ("update".to_owned(), colleague.client_id.clone()),
        ],
        "{audit}"
    );
}

async fn bad_values_are_refused_by_pointer_and_change_nothing(app: TestApp) {
    let f = flagged(&app).await;
    let path = format!("/v1/red-flags/{}", f.flag);
    let refused = [
        (json!({"status": "closed"}), vec!["/status"]),
        (json!({"status": "cleared"}), vec!["/status"]),
        (json!({"status": null}), vec!["/status"]),
        (json!({"due_date": "31/01/2027"}), vec!["/due_date"]),
        (json!({"due_date": "2027-02-30"}), vec!["/due_date"]),
        (json!({"assignee": "x".repeat(201)}), vec!["/assignee"]),
        (json!({"assignee": ""}), vec!["/assignee"]),
        (
            json!({"mitigation_plan": "p".repeat(10_001)}),
            vec!["/mitigation_plan"],
        ),
        (json!({"note": "n".repeat(10_001)}), vec!["/note"]),
        (json!({"priority": "high"}), vec!["/priority"]),
        (
            json!({"status": "resolved", "note": "done", "owner": "me"}),
            vec!["/owner"],
        ),
        (
            json!({"status": "cleared", "due_date": "tomorrow", "assignee": 7}),
            vec!["/assignee", "/due_date", "/status"],
        ),
        (json!(["resolved"]), vec![""]),
    ];
    for (body, expected) in &refused {
        let problem = app.patch(&path, &f.org, body).expect_problem(422).await;
        let mut found = pointers(&problem);
        found.sort();
        assert_eq!(&found, expected, "{body}: {problem}");
    }
    // Nothing was written: no case, no entry, no audit event.
    let untouched = read(&app, &f.org, &f.flag).await;
    assert_eq!(untouched["case"]["status"], "open");
    assert_eq!(untouched["case"]["created_at"], Value::Null);
    assert_eq!(untouched["entries"], json!([]));
    // The limits themselves are taken; a refusal after that leaves the case as it was.
    work(
        &app,
        &f.org,
        &f.flag,
        json!({"assignee": "a".repeat(200), "mitigation_plan": "p".repeat(10_000),
               "note": "n".repeat(10_000)}),
    )
    .await;
    let before = read(&app, &f.org, &f.flag).await;
    app.patch(
        &path,
        &f.org,
        &json!({"status": "escalated", "note": "x", "due_date": "2027-13-01"}),
    )
    .expect_problem(422)
    .await;
    assert_eq!(read(&app, &f.org, &f.flag).await, before);
    let audit = app
        .get(
            &format!(
                "/v1/audit-events?entity_type=red_flag_case&entity_id={}",
                f.flag
            ),
            &f.org,
        )
        .expect_status(StatusCode::OK)
        .await;
    assert_eq!(audit["items"].as_array().unwrap().len(), 1, "{audit}");
}

async fn scopes_and_other_organisations_are_refused(app: TestApp) {
    let f = flagged(&app).await;
    let path = format!("/v1/red-flags/{}", f.flag);
    let reader = app
        .client_of(&f.org.org_id, "auditor", &["provenance:read"])
        .await;
    read(&app, &reader, &f.flag).await;
    app.patch(&path, &reader, &json!({"note": "read-only"}))
        .expect_problem(403)
        .await;
    work(&app, &f.org, &f.flag, json!({"note": "A-SECRET-NOTE"})).await;

    let other = app.purchaser("Other purchaser").await;
    app.get(&path, &other).expect_problem(404).await;
    app.patch(
        &path,
        &other,
        &json!({"status": "resolved", "note": "hijack"}),
    )
    .expect_problem(404)
    .await;
    let (status, list) = send(app.get("/v1/red-flags?limit=500", &other)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(!list.to_string().contains(&f.flag), "{list}");
    let unknown = "0193a0c4-0000-5000-8000-000000000000";
    app.get(&format!("/v1/red-flags/{unknown}"), &f.org)
        .expect_problem(404)
        .await;
    app.patch(
        &format!("/v1/red-flags/{unknown}"),
        &f.org,
        &json!({"note": "x"}),
    )
    .expect_problem(404)
    .await;
    app.get("/v1/red-flags/not-an-id", &f.org)
        .expect_problem(400)
        .await;
    // The owner's case is as it was.
    let mine = read(&app, &f.org, &f.flag).await;
    assert_eq!(entries(&mine).len(), 1);
    assert_eq!(mine["case"]["status"], "open");
}

async fn concurrent_notes_are_all_kept_without_gaps(app: TestApp) {
    let f = flagged(&app).await;
    let path = format!("/v1/red-flags/{}", f.flag);
    const N: usize = 6;
    let requests = (0..N).map(|i| {
        send(app.patch(
            &path,
            &f.org,
            &json!({"note": format!("note {i}"), "assignee": format!("analyst {i}")}),
        ))
    });
    for (status, body) in futures_util::future::join_all(requests).await {
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    let flag = read(&app, &f.org, &f.flag).await;
    let found = entries(&flag);
    assert_eq!(
        seqs(&flag),
        (1..=found.len() as i64).collect::<Vec<_>>(),
        "numbered without gaps"
    );
    let mut notes: Vec<&str> = found
        .iter()
        .filter(|e| e.1 == "note")
        .map(|e| e.3.as_str())
        .collect();
    notes.sort();
    let expected: Vec<String> = (0..N).map(|i| format!("note {i}")).collect();
    assert_eq!(
        notes,
        expected.iter().map(String::as_str).collect::<Vec<_>>()
    );
    // Each request changed the assignee from what the previous one left.
    assert_eq!(found.iter().filter(|e| e.1 == "change").count(), N);
}

async fn a_case_is_cleared_when_its_cause_goes_and_reopened_when_it_returns(app: TestApp) {
    let f = flagged(&app).await;
    let today = chrono::Utc::now().date_naive().to_string();
    work(
        &app,
        &f.org,
        &f.flag,
        json!({"status": "escalated", "assignee": "Ana Quispe",
               "note": "Referred to the board."}),
    )
    .await;
    // The mine is no longer designated: the cause is gone.
    app.patch_facility(&f.mine, &json!({"cahra": false, "cahra_basis": null}))
        .await;
    let cleared = wait_until(&app, &f.org, &f.flag, |v| v["case"]["status"] == "cleared").await;
    assert_eq!(cleared["raised"], false);
    assert_eq!(cleared["kind"], "cahra_origin", "the flag as last seen");
    assert_eq!(cleared["purchase_id"], f.purchase.as_str());
    assert!(!cleared["evidence"].as_array().unwrap().is_empty());
    let reason = cleared["case"]["cleared_reason"].as_str().unwrap();
    // Dated by the sweep (the day may have turned since the test began).
    let now = chrono::Utc::now().date_naive().to_string();
    assert!(
        reason.contains("no longer holds") && (reason.contains(&today) || reason.contains(&now)),
        "{reason}"
    );
    assert_eq!(
        cleared["case"]["assignee"], "Ana Quispe",
        "the case is kept"
    );
    let last = entries(&cleared).pop().unwrap();
    assert_eq!(last.1, "change");
    assert_eq!(last.2, Value::Null, "written by the system");
    assert!(
        last.3.starts_with("status: escalated → cleared"),
        "{}",
        last.3
    );
    assert!(cahra_flag(&app, &f.org, "").await.is_none());
    // A cleared case takes notes, not a status.
    let problem = app
        .patch(
            &format!("/v1/red-flags/{}", f.flag),
            &f.org,
            &json!({"status": "resolved"}),
        )
        .expect_problem(422)
        .await;
    assert_eq!(pointers(&problem), ["/status"]);
    work(
        &app,
        &f.org,
        &f.flag,
        json!({"note": "Designation lifted."}),
    )
    .await;

    // The designation returns: the same flag, the same case, open again, its history kept.
    app.patch_facility(&f.mine, &json!({"cahra": true, "cahra_basis": CAHRA}))
        .await;
    let reopened = wait_until(&app, &f.org, &f.flag, |v| v["case"]["status"] == "open").await;
    assert_eq!(reopened["raised"], true);
    assert_eq!(reopened["case"]["cleared_reason"], Value::Null);
    assert_eq!(reopened["case"]["assignee"], "Ana Quispe");
    let history = entries(&reopened);
    assert_eq!(
        seqs(&reopened),
        (1..=history.len() as i64).collect::<Vec<_>>()
    );
    let texts: Vec<&str> = history.iter().map(|e| e.3.as_str()).collect();
    assert!(texts.contains(&"Referred to the board."), "{texts:?}");
    assert!(texts.contains(&"Designation lifted."), "{texts:?}");
    let last = history.last().unwrap();
    assert_eq!(last.2, Value::Null);
    assert!(last.3.starts_with("status: cleared → open"), "{}", last.3);
    let listed = cahra_flag(&app, &f.org, "&case_status=open").await.unwrap();
    assert_eq!(listed.id(), f.flag, "the same id when the cause returns");

    // The purchase is reversed: cleared again, saying so; the case can still be read.
    app.delete_purchase(&f.org, &f.purchase).await;
    let gone = wait_until(&app, &f.org, &f.flag, |v| v["case"]["status"] == "cleared").await;
    let reason = gone["case"]["cleared_reason"].as_str().unwrap();
    assert!(reason.contains("no longer exists"), "{reason}");
    assert_eq!(gone["lot_id"], Value::Null);
    assert_eq!(gone["purchase_id"], f.purchase.as_str());
}

crate::both_backends_with!(super::spawn;
    a_flag_is_listed_with_a_stable_id_and_its_case,
    a_case_is_worked_and_its_history_kept,
    bad_values_are_refused_by_pointer_and_change_nothing,
    scopes_and_other_organisations_are_refused,
    concurrent_notes_are_all_kept_without_gaps,
    a_case_is_cleared_when_its_cause_goes_and_reopened_when_it_returns,
);
