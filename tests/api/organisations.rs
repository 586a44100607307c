//! Organisations and API clients: the operator's API, and tenancy at its simplest.

use reqwest::StatusCode;
use serde_json::json;

use crate::both_backends;
use crate::helpers::{Expect, TestApp, pointers, send, send_raw};

async fn operator_registers_a_purchaser_and_its_client(app: TestApp) {
    let response = send_raw(app.post(
        "/v1/organisations",
        &app.operator,
        &json!({"name": "  Aurora Components  "}),
    ))
    .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    let org: serde_json::Value = response.json().await.unwrap();
    assert_eq!(org["name"], "Aurora Components", "names are trimmed");
    assert_eq!(org["kind"], "purchaser", "purchaser is the default kind");
    assert_eq!(
        location,
        format!("/v1/organisations/{}", org["id"].as_str().unwrap())
    );

    let (status, read) = send(app.get(&location, &app.operator)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(read, org);

    let (status, credentials) = send(app.post(
        &format!("{location}/clients"),
        &app.operator,
        &json!({"name": "SAP", "scopes": ["purchases:write", "purchases:read"]}),
    ))
    .await;
    assert_eq!(status, StatusCode::CREATED, "{credentials}");
    assert!(
        credentials["client_secret"]
            .as_str()
            .unwrap()
            .starts_with("ots_")
    );
    assert_eq!(
        credentials["scopes"],
        json!(["purchases:read", "purchases:write"])
    );

    let (status, clients) = send(app.get(&format!("{location}/clients"), &app.operator)).await;
    assert_eq!(status, StatusCode::OK);
    let items = clients["items"].as_array().unwrap();
    assert_eq!(items.len(), 1);
    assert!(
        items[0].get("client_secret").is_none(),
        "secrets are shown once"
    );
    assert!(items[0].get("secret_hash").is_none());
}

async fn each_organisation_sees_only_itself(app: TestApp) {
    let a = app.purchaser("A").await;
    let b = app.purchaser("B").await;
    let (status, own) = send(app.get(&format!("/v1/organisations/{}", a.org_id), &a)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(own["id"], a.org_id.as_str());

    let problem = app
        .get(&format!("/v1/organisations/{}", a.org_id), &b)
        .expect_problem(404)
        .await;
    assert!(!problem["detail"].as_str().unwrap().contains("forbidden"));

    app.get(
        "/v1/organisations/0193c3a0-0000-7000-8000-000000000000",
        &app.operator,
    )
    .expect_problem(404)
    .await;

    for path in [
        "/v1/organisations".to_owned(),
        format!("/v1/organisations/{}/clients", a.org_id),
    ] {
        app.get(&path, &b).expect_problem(403).await;
    }
    app.post(
        &format!("/v1/organisations/{}/clients", b.org_id),
        &b,
        &json!({"name": "self-service", "scopes": ["purchases:read"]}),
    )
    .expect_problem(403)
    .await;
}

async fn bad_organisation_input_is_refused_by_field(app: TestApp) {
    let cases = [
        (json!({"name": ""}), "/name"),
        (json!({"name": "x".repeat(201)}), "/name"),
        (json!({"name": "ok", "kind": "smelter"}), "/kind"),
        (json!({"name": 5}), "/name"),
        (json!({}), "/name"),
        (json!({"name": "ok", "colour": "blue"}), "/colour"),
    ];
    for (body, pointer) in cases {
        let problem = app
            .post("/v1/organisations", &app.operator, &body)
            .expect_problem(422)
            .await;
        assert_eq!(pointers(&problem), vec![pointer.to_owned()], "{body}");
    }
    let org = app.purchaser("Buyer").await;
    for (body, pointer) in [
        (json!({"name": "x", "scopes": []}), "/scopes"),
        (json!({"name": "x", "scopes": ["admin"]}), "/scopes/0"),
        (
            json!({"name": "x", "scopes": ["purchases:read", "catalog:write"]}),
            "/scopes/1",
        ),
        (json!({"name": "x", "scopes": ["root"]}), "/scopes/0"),
    ] {
        let problem = app
            .post(
                &format!("/v1/organisations/{}/clients", org.org_id),
                &app.operator,
                &body,
            )
            .expect_problem(422)
            .await;
        assert_eq!(pointers(&problem), vec![pointer.to_owned()], "{body}");
    }
    app.post(
        "/v1/organisations/0193c3a0-0000-7000-8000-000000000000/clients",
        &app.operator,
        &json!({"name": "x", "scopes": ["purchases:read"]}),
    )
    .expect_problem(404)
    .await;
    app.get("/v1/organisations/not-a-uuid", &app.operator)
        .expect_problem(400)
        .await;
}

async fn organisations_page_without_skipping_or_repeating(app: TestApp) {
    for i in 0..5 {
        app.purchaser(&format!("Org {i}")).await;
    }
    let mut seen = Vec::new();
    let mut path = "/v1/organisations?limit=2".to_owned();
    let mut pages = 0;
    loop {
        let response = send_raw(app.get(&path, &app.operator)).await;
        assert_eq!(response.status(), StatusCode::OK);
        let link = response
            .headers()
            .get("link")
            .map(|v| v.to_str().unwrap().to_owned());
        let page: serde_json::Value = response.json().await.unwrap();
        for item in page["items"].as_array().unwrap() {
            seen.push(item["id"].as_str().unwrap().to_owned());
        }
        pages += 1;
        if pages == 1 {
            // Rows inserted between pages appear at the end, once.
            app.purchaser("Late arrival").await;
        }
        match page["next_cursor"].as_str() {
            Some(cursor) => {
                let link = link.expect("a Link header with every next_cursor");
                assert!(link.contains(&format!("cursor={cursor}")), "{link}");
                assert!(link.ends_with("rel=\"next\""));
                path = format!("/v1/organisations?limit=2&cursor={cursor}");
            }
            None => {
                assert!(link.is_none());
                break;
            }
        }
    }
    // operator + 5 + late arrival
    assert_eq!(seen.len(), 7, "{seen:?}");
    let mut unique = seen.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), 7, "no row repeated");
    assert_eq!(unique, seen, "pages come in id (creation) order");

    for bad in [
        "limit=0",
        "limit=501",
        "limit=abc",
        "cursor=bm9wZQ",
        "colour=red",
    ] {
        app.get(&format!("/v1/organisations?{bad}"), &app.operator)
            .expect_problem(400)
            .await;
    }
}

both_backends!(
    operator_registers_a_purchaser_and_its_client,
    each_organisation_sees_only_itself,
    bad_organisation_input_is_refused_by_field,
    organisations_page_without_skipping_or_repeating,
);
