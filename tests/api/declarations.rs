//! Supplier declarations (issue 14): RMI CMRT and EMRT workbooks imported through HTTP, read
//! back, matched to the catalog, refused at their cells, superseded, rolled up and covered.
//!
//! The workbooks are built by `builders::rmi_workbook` from ../shared/RMI-TEMPLATES.md, never
//! from an RMI file.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::both_backends;
use crate::builders::{Certification, Cmrt, Emrt, Facility, Field, PurchaseLine, SmelterRow};
use crate::fixtures;
use crate::helpers::{Client, Expect, HasId, TestApp, assert_problem, send, send_raw};

const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// The POST of a workbook for `supplier`.
fn import(
    app: &TestApp,
    client: &Client,
    supplier: &str,
    bytes: Vec<u8>,
) -> reqwest::RequestBuilder {
    app.with_body(
        Method::POST,
        &format!("/v1/declarations?supplier_party_id={supplier}&file_name=cmrt.xlsx"),
        client,
        XLSX,
        bytes,
    )
}

/// Imports a workbook, asserting 201 and the Location; the declaration summary.
async fn imported(app: &TestApp, client: &Client, supplier: &str, bytes: Vec<u8>) -> Value {
    let response = send_raw(import(app, client, supplier, bytes)).await;
    let status = response.status();
    let location = response
        .headers()
        .get("location")
        .map(|l| l.to_str().unwrap().to_owned());
    let body: Value = response.json().await.unwrap_or(Value::Null);
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["result"], "created", "{body}");
    let declaration = body["declaration"].clone();
    assert_eq!(
        location.as_deref(),
        Some(format!("/v1/declarations/{}", declaration.id()).as_str())
    );
    declaration
}

async fn detail(app: &TestApp, client: &Client, id: &str) -> Value {
    app.get(&format!("/v1/declarations/{id}"), client)
        .expect_status(StatusCode::OK)
        .await
}

async fn list(app: &TestApp, client: &Client, query: &str) -> Vec<Value> {
    let body = app
        .get(&format!("/v1/declarations?{query}"), client)
        .expect_status(StatusCode::OK)
        .await;
    body["items"].as_array().expect("items").clone()
}

/// The cells a finding list or a problem's errors name.
fn cells(items: &Value) -> Vec<String> {
    items
        .as_array()
        .map(|items| {
            items
                .iter()
                .filter_map(|e| e["cell"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

/// The smelter row of the detail at sheet row `row`.
fn smelter_at(detail: &Value, row: u32) -> Value {
    detail["smelters"]
        .as_array()
        .expect("smelters")
        .iter()
        .find(|s| s["row"] == row)
        .unwrap_or_else(|| panic!("no smelter row {row} in {detail}"))
        .clone()
}

/// A tin smelter of the catalog in Malaysia with its RMI CID and an RMAP certificate of
/// `status` (conformant); its id.
async fn rmap_smelter(app: &TestApp, name: &str, cid: &str, country: &str, status: &str) -> String {
    let smelter = Facility::smelter(name)
        .minerals(&["tin"])
        .country(country)
        .identifier("rmi_cid", cid);
    let id = app.create_facility(smelter).await.id();
    app.create_certification(
        Certification::of_facility(&id, "rmi_rmap")
            .level("conformant")
            .status(status)
            .minerals(&["tin"])
            .valid_from("2020-01-01"),
    )
    .await;
    id
}

async fn each_template_is_imported_and_read_back(app: TestApp) {
    let buyer = app.purchaser("Buyer").await;
    let supplier = fixtures::supplier(&app, "Andes Metals SA").await;
    let msc = rmap_smelter(
        &app,
        "Malaysia Smelting Corporation",
        "CID001234",
        "MY",
        "active",
    )
    .await;
    let sur = app
        .create_facility(Facility::smelter("Fundicion Sur").country("PE"))
        .await
        .id();

    // CMRT 6.5: one smelter by CID, one by name and country, one unknown CID (only in A).
    let cmrt = Cmrt::filled("6.5");
    let q6_gold = cmrt.answer_cell(6, "Gold");
    let cmrt = cmrt
        .company(Field::Name, "Andes Metals SA")
        .answer(3, "Tin", "Unknown")
        .set_number(&q6_gold, 1.0)
        .company_answer('B', "No")
        .smelter(
            SmelterRow::new("Tin")
                .looked_up("Malaysia Smelting Corporation (MSC)", "MALAYSIA")
                .cid("CID001234")
                .city("Ipoh")
                .mines("Rahman Hydraulic", "MALAYSIA")
                .recycled("No")
                .comments("from the look-up"),
        )
        .smelter(SmelterRow::new("Gold").typed("Fundicion Sur S.A.", "PERU"))
        .smelter(
            SmelterRow::new("Tin")
                .input_cid("cid009999 ")
                .typed("Timah Kecil", "INDONESIA"),
        );
    let created = imported(&app, &buyer, &supplier, cmrt.bytes()).await;
    assert_eq!(created["template"], "cmrt");
    assert_eq!(created["version"], cmrt.version());
    assert_eq!(created["status"], "complete", "{created}");
    assert_eq!(created["smelter_rows"], 4);
    assert_eq!(created["file_name"], "cmrt.xlsx");
    let read = detail(&app, &buyer, &created.id()).await;
    assert_eq!(read["company_name"], "Andes Metals SA");
    assert_eq!(read["effective_date"], "2025-03-31");
    assert_eq!(read["supplier_party_id"], supplier.as_str());
    assert_eq!(
        read["minerals"],
        json!(["tantalum", "tin", "gold", "tungsten"])
    );
    let company = &read["declaration"]["company"];
    assert_eq!(company["scope"], "company");
    assert_eq!(company["contact_email"], "ana@andes.example");
    let answer = |question: &str, mineral: &str| {
        read["declaration"]["answers"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["question"] == question && a["mineral"] == mineral)
            .unwrap_or_else(|| panic!("no answer {question} {mineral}: {read}"))
            .clone()
    };
    assert_eq!(answer("1", "tin")["answer"], "Yes");
    assert_eq!(answer("3", "tin")["answer"], "Unknown");
    assert_eq!(answer("3", "tin")["cell"], "Declaration!D39");
    assert_eq!(
        answer("6", "gold")["answer"],
        "100%",
        "the number 1 is 100%"
    );
    assert_eq!(answer("6", "gold")["cell"], q6_gold);
    let company_e = read["declaration"]["company_answers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["question"] == "E")
        .cloned()
        .unwrap();
    assert_eq!(
        company_e["answer"],
        "Yes, in conformance with IPC1755 (e.g., CMRT)"
    );
    assert_eq!(company_e["cell"], "Declaration!D83");
    let company_b = read["declaration"]["company_answers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["question"] == "B")
        .cloned()
        .unwrap();
    assert_eq!(company_b["answer"], "No");
    assert_eq!(company_b["cell"], "Declaration!D77");

    let by_cid = smelter_at(&read, 6);
    assert_eq!(by_cid["metal"], "tin");
    assert_eq!(by_cid["cid"], "CID001234");
    assert_eq!(by_cid["country_code"], "MY");
    assert_eq!(by_cid["city"], "Ipoh");
    assert_eq!(by_cid["comments"], "from the look-up");
    assert_eq!(by_cid["mine_countries"], "MALAYSIA");
    assert_eq!(by_cid["lookup_name"], "Malaysia Smelting Corporation (MSC)");
    assert_eq!(by_cid["match"]["basis"], "cid", "{by_cid}");
    assert_eq!(by_cid["match"]["confidence"], "exact");
    assert_eq!(by_cid["match"]["facility_id"], msc.as_str());
    assert_eq!(by_cid["match"]["unknown_cid"], false);
    assert_eq!(by_cid["today"]["certified_under_policy"], true, "{by_cid}");
    assert_eq!(by_cid["today"]["rmap_status"], "active");
    assert_eq!(
        by_cid["on_declaration_date"]["certified_under_policy"], true,
        "{by_cid}"
    );
    assert_eq!(by_cid["on_declaration_date"]["date"], "2025-03-31");
    let by_name = smelter_at(&read, 7);
    assert_eq!(by_name["name"], "Fundicion Sur S.A.");
    assert_eq!(by_name["match"]["basis"], "name_and_country", "{by_name}");
    assert_eq!(by_name["match"]["confidence"], "high");
    assert_eq!(by_name["match"]["facility_id"], sur.as_str());
    let unknown = smelter_at(&read, 8);
    assert_eq!(
        unknown["cid"], "CID009999",
        "read from column A, normalised"
    );
    assert_eq!(unknown["match"]["unknown_cid"], true, "{unknown}");
    assert_eq!(unknown["match"]["basis"], "unmatched");
    assert!(unknown["today"].is_null(), "{unknown}");

    // EMRT 2.1, nickel and cobalt chosen; its smelters are of those minerals.
    let emrt2 = Emrt::filled("2.1")
        .emrt_minerals(&["Nickel", "Cobalt"])
        .company(Field::Name, "Andes Metals SA")
        .effective_date(2025, 11, 3)
        .smelter(SmelterRow::new("Nickel").typed("Niquel del Sur", "PERU"));
    let created = imported(&app, &buyer, &supplier, emrt2.bytes()).await;
    assert_eq!(created["template"], "emrt");
    assert_eq!(created["version"], "2.1");
    assert_eq!(created["status"], "complete", "{created}");
    assert_eq!(created["effective_date"], "2025-11-03");
    let mut minerals: Vec<String> = created["minerals"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m.as_str().unwrap().to_owned())
        .collect();
    minerals.sort();
    assert_eq!(minerals, ["cobalt", "nickel"]);
    let read = detail(&app, &buyer, &created.id()).await;
    assert_eq!(read["declaration"]["company"]["contact_name"], "Ana Quispe");
    assert_eq!(
        smelter_at(&read, 5)["metal"],
        "nickel",
        "the first mineral given"
    );
    assert_eq!(smelter_at(&read, 6)["metal"], "nickel");
    assert_eq!(smelter_at(&read, 6)["name"], "Niquel del Sur");

    // EMRT 1.3: cobalt and mica on fixed rows; question 5 "100%" as the number 1.
    let emrt1 = Emrt::filled("1.3").smelter(
        SmelterRow::new("Mica")
            .typed("Mica Processing Ltd", "INDIA")
            .recycled("No"),
    );
    // Another supplier's: this supplier's EMRT 2.1 above is newer and would supersede it.
    let cobalt_supplier = fixtures::supplier(&app, "Cobalt Trading Ltd").await;
    let created = imported(&app, &buyer, &cobalt_supplier, emrt1.bytes()).await;
    assert_eq!(created["version"], "1.3");
    assert_eq!(created["status"], "complete", "{created}");
    assert_eq!(created["minerals"], json!(["cobalt", "mica"]));
    let read = detail(&app, &buyer, &created.id()).await;
    let q5: Vec<&Value> = read["declaration"]["answers"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["question"] == "5")
        .collect();
    assert_eq!(q5.len(), 2, "{read}");
    assert!(q5.iter().all(|a| a["answer"] == "100%"), "{q5:?}");
    assert_eq!(smelter_at(&read, 6)["metal"], "mica");
    assert_eq!(smelter_at(&read, 6)["recycled"], "No");

    // CMRT 6.22: question 6 "100%" as the number 1, the effective date as typed text.
    let cmrt622 = Cmrt::filled("6.22")
        .company(Field::EffectiveDate, "15-Jan-2025")
        .company(Field::Name, "Andes Metals (6.22)");
    let created = imported(&app, &buyer, &supplier, cmrt622.bytes()).await;
    assert_eq!(created["version"], "6.22");
    assert_eq!(created["company_name"], "Andes Metals (6.22)");
    let read = detail(&app, &buyer, &created.id()).await;
    assert_eq!(
        read["effective_date"], "2025-01-15",
        "a text date is read: {}",
        read["findings"]
    );
    let q6 = read["declaration"]["answers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["question"] == "6" && a["mineral"] == "tantalum")
        .cloned()
        .unwrap();
    assert_eq!(q6["answer"], "100%", "{q6}");
    // 6.22 is older than the 6.5 received first: it is kept, already superseded.
    assert_eq!(created["status"], "superseded", "{created}");

    let all = list(&app, &buyer, "limit=50").await;
    assert_eq!(all.len(), 4);
    assert_eq!(list(&app, &buyer, "template=emrt").await.len(), 2);
    assert_eq!(list(&app, &buyer, "mineral=nickel").await.len(), 1);
    assert_eq!(
        list(&app, &buyer, "effective_from=2025-06-01").await.len(),
        1
    );
}

async fn cmrt_5_is_read_by_its_labels(app: TestApp) {
    let buyer = app.purchaser("Buyer").await;
    let supplier = fixtures::supplier(&app, "Old Template Ltd").await;
    let cmrt5 = Cmrt::filled("5.12")
        .company(Field::Name, "Old Template Ltd")
        .smelter(SmelterRow::new("Tin").typed("Timah Lama", "INDONESIA"));
    let created = imported(&app, &buyer, &supplier, cmrt5.bytes()).await;
    assert_eq!(created["template"], "cmrt");
    assert_eq!(created["version"], "5.12");
    assert_eq!(created["company_name"], "Old Template Ltd");
    assert_eq!(created["effective_date"], "2025-03-31");
    let read = detail(&app, &buyer, &created.id()).await;
    let answers = read["declaration"]["answers"].as_array().unwrap();
    assert_eq!(
        answers
            .iter()
            .filter(|a| a["question"] == "1" && a["answer"] == "Yes")
            .count(),
        4,
        "question 1 for each of the four metals: {read}"
    );
    assert_eq!(
        read["declaration"]["company_answers"]
            .as_array()
            .unwrap()
            .len(),
        9
    );
    assert_eq!(smelter_at(&read, 6)["name"], "Timah Lama");
    // A version whose cells are not known is said so, at J3.
    assert!(
        cells(&read["findings"]).contains(&"Declaration!J3".to_owned()),
        "{}",
        read["findings"]
    );
}

async fn incomplete_declarations_are_kept_with_findings(app: TestApp) {
    let buyer = app.purchaser("Buyer").await;
    let supplier = fixtures::supplier(&app, "Partial SA").await;
    let book = Cmrt::filled("6.5");
    let q3_tin = book.answer_cell(3, "Tin");
    let book = book.remove("Declaration!D15").remove(&q3_tin);
    let created = imported(&app, &buyer, &supplier, book.bytes()).await;
    assert_eq!(created["status"], "incomplete", "{created}");
    let named = cells(&created["findings"]);
    assert!(named.contains(&"Declaration!D15".to_owned()), "{named:?}");
    assert!(named.contains(&"Declaration!D39".to_owned()), "{named:?}");
    assert_eq!(q3_tin, "Declaration!D39");
    let read = detail(&app, &buyer, &created.id()).await;
    assert_eq!(read["status"], "incomplete");
    assert!(read["declaration"]["company"]["contact_name"].is_null());
    assert_eq!(cells(&read["findings"]), named);
    assert_eq!(list(&app, &buyer, "status=incomplete").await.len(), 1);
    assert_eq!(list(&app, &buyer, "status=complete").await.len(), 0);

    // Scope B with its products is complete.
    let products = Cmrt::filled("6.5")
        .company(Field::Scope, "B. Product (or List of Products)")
        .with_product("P-200", "Gadget");
    let other = fixtures::supplier(&app, "Products SA").await;
    let created = imported(&app, &buyer, &other, products.bytes()).await;
    assert_eq!(created["status"], "complete", "{created}");
    assert_eq!(created["product_rows"], 2);
    let read = detail(&app, &buyer, &created.id()).await;
    assert_eq!(read["declaration"]["company"]["scope"], "product");
    assert_eq!(read["declaration"]["products"][1]["number"], "P-200");

    // EMRT 2.1 without the contact: its row is D19.
    let emrt = Emrt::filled("2.1").remove("Declaration!D19");
    let created = imported(&app, &buyer, &supplier, emrt.bytes()).await;
    assert_eq!(created["status"], "incomplete");
    assert!(
        cells(&created["findings"]).contains(&"Declaration!D19".to_owned()),
        "{}",
        created["findings"]
    );
}

async fn invalid_workbooks_are_refused_at_their_cells(app: TestApp) {
    let buyer = app.purchaser("Buyer").await;
    let supplier = fixtures::supplier(&app, "Refused SA").await;
    let row = Cmrt::filled("6.5").next_smelter_row();
    let q1_gold = Cmrt::filled("6.5").answer_cell(1, "Gold");
    let cases: Vec<(&str, Vec<u8>, String)> = vec![
        (
            "no company name",
            Cmrt::filled("6.5").remove("Declaration!D8").bytes(),
            "Declaration!D8".to_owned(),
        ),
        (
            "no scope",
            Cmrt::filled("6.5").remove("Declaration!D9").bytes(),
            "Declaration!D9".to_owned(),
        ),
        (
            "a bad CID in F",
            Cmrt::filled("6.5")
                .smelter(SmelterRow::new("Tin").typed("X", "PERU").cid("CID12"))
                .bytes(),
            format!("Smelter List!F{row}"),
        ),
        (
            "a bad CID in A only",
            Cmrt::filled("6.5")
                .smelter(SmelterRow::new("Tin").typed("X", "PERU").input_cid("SM-1"))
                .bytes(),
            format!("Smelter List!A{row}"),
        ),
        (
            "a metal of the other template",
            Cmrt::filled("6.5")
                .smelter(SmelterRow::new("Cobalt").typed("X", "PERU"))
                .bytes(),
            format!("Smelter List!B{row}"),
        ),
        (
            "a CMRT metal in an EMRT",
            Emrt::filled("2.1")
                .smelter(SmelterRow::new("Tin").typed("X", "PERU"))
                .bytes(),
            format!("Smelter List!B{row}"),
        ),
        (
            "question 1 unanswered",
            Cmrt::filled("6.5").remove(&q1_gold).bytes(),
            q1_gold.clone(),
        ),
        (
            "no revision anywhere",
            Cmrt::filled("6.5")
                .remove("Declaration!J3")
                .remove("Smelter List!Q3")
                .remove("Revision!B6")
                .set("Declaration!D2", "Some other sheet")
                .bytes(),
            "Declaration!J3".to_owned(),
        ),
    ];
    for (case, bytes, cell) in cases {
        let problem = import(&app, &buyer, &supplier, bytes)
            .expect_problem(422)
            .await;
        assert!(
            cells(&problem["errors"]).contains(&cell),
            "{case}: expected {cell} in {problem}"
        );
    }
    let random: Vec<u8> = (0..4096u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    let mut zip_header = b"PK\x03\x04".to_vec();
    zip_header.extend_from_slice(&random[..200]);
    for (case, bytes) in [
        ("a CSV file", b"metal,smelter\ntin,X\n".to_vec()),
        ("random bytes", random),
        ("a truncated zip", zip_header),
        ("an empty body", Vec::new()),
    ] {
        let response = send_raw(import(&app, &buyer, &supplier, bytes)).await;
        assert_eq!(
            response.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{case}"
        );
        assert_problem(response, 422).await;
    }
    let good = Cmrt::filled("6.5").bytes();
    let response = send_raw(app.with_body(
        Method::POST,
        &format!("/v1/declarations?supplier_party_id={supplier}"),
        &buyer,
        "text/csv",
        good.clone(),
    ))
    .await;
    assert_problem(response, 415).await;
    // An unknown supplier party.
    let response = send_raw(import(
        &app,
        &buyer,
        "0193c3a0-0000-7000-8000-000000000000",
        good.clone(),
    ))
    .await;
    assert_problem(response, 400).await;
    // Over 16 MiB.
    let response = send_raw(import(
        &app,
        &buyer,
        &supplier,
        vec![0u8; 16 * 1024 * 1024 + 1],
    ))
    .await;
    assert_problem(response, 413).await;
    assert!(
        list(&app, &buyer, "").await.is_empty(),
        "nothing was stored"
    );
    // application/octet-stream is taken.
    let (status, body) = send(app.with_body(
        Method::POST,
        &format!("/v1/declarations?supplier_party_id={supplier}"),
        &buyer,
        "application/octet-stream",
        good,
    ))
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
}

async fn same_file_is_unchanged_and_newer_supersedes(app: TestApp) {
    let buyer = app.purchaser("Buyer").await;
    let supplier = fixtures::supplier(&app, "Yearly SA").await;
    let first = Cmrt::filled("6.5").bytes();
    let a = imported(&app, &buyer, &supplier, first.clone()).await;
    let (status, again) = send(import(&app, &buyer, &supplier, first.clone())).await;
    assert_eq!(status, StatusCode::OK, "{again}");
    assert_eq!(again["result"], "unchanged");
    assert_eq!(again["declaration"]["id"], a["id"]);
    assert_eq!(list(&app, &buyer, "").await.len(), 1);

    // An EMRT of the same supplier is another template: it supersedes nothing.
    let emrt = imported(&app, &buyer, &supplier, Emrt::filled("2.1").bytes()).await;
    assert_eq!(emrt["status"], "complete");

    let newer = Cmrt::filled("6.5").effective_date(2025, 9, 30).bytes();
    let b = imported(&app, &buyer, &supplier, newer).await;
    assert_eq!(b["status"], "complete");
    let old = detail(&app, &buyer, &a.id()).await;
    assert_eq!(old["status"], "superseded", "{old}");
    assert_eq!(old["superseded_by"], b["id"]);
    assert!(old["superseded_at"].is_string());
    let superseded = list(&app, &buyer, "status=superseded").await;
    assert_eq!(superseded.len(), 1);
    assert_eq!(superseded[0]["id"], a["id"]);

    let older = Cmrt::filled("6.5").effective_date(2024, 12, 31).bytes();
    let c = imported(&app, &buyer, &supplier, older).await;
    assert_eq!(c["status"], "superseded", "{c}");
    assert_eq!(c["superseded_by"], b["id"]);
    let current = list(&app, &buyer, "status=complete&template=cmrt").await;
    assert_eq!(current.len(), 1);
    assert_eq!(current[0]["id"], b["id"]);
    assert_eq!(list(&app, &buyer, "status=superseded").await.len(), 2);
    // The first file again is still that (superseded) declaration, unchanged.
    let (status, again) = send(import(&app, &buyer, &supplier, first)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(again["declaration"]["id"], a["id"]);
    assert_eq!(list(&app, &buyer, "").await.len(), 4);
    // Another supplier's identical file is its own declaration.
    let other = fixtures::supplier(&app, "Other SA").await;
    let d = imported(&app, &buyer, &other, Cmrt::filled("6.5").bytes()).await;
    assert_ne!(d["id"], a["id"]);
    assert_eq!(
        list(&app, &buyer, &format!("supplier_party_id={other}"))
            .await
            .len(),
        1
    );
}

async fn concurrent_imports_store_one(app: TestApp) {
    let buyer = app.purchaser("Buyer").await;
    let supplier = fixtures::supplier(&app, "Racing SA").await;
    let bytes = Cmrt::filled("6.5").bytes();
    let sends = (0..4).map(|_| send(import(&app, &buyer, &supplier, bytes.clone())));
    let answers = futures_util::future::join_all(sends).await;
    let created = answers
        .iter()
        .filter(|(s, _)| *s == StatusCode::CREATED)
        .count();
    let unchanged = answers.iter().filter(|(s, _)| *s == StatusCode::OK).count();
    assert_eq!((created, unchanged), (1, 3), "{answers:?}");
    let ids: std::collections::HashSet<String> = answers
        .iter()
        .map(|(_, b)| b["declaration"]["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(ids.len(), 1);
    assert_eq!(list(&app, &buyer, "").await.len(), 1);

    let other = fixtures::supplier(&app, "Racing Two SA").await;
    let one = Cmrt::filled("6.5").effective_date(2025, 5, 1).bytes();
    let two = Cmrt::filled("6.5").effective_date(2025, 6, 1).bytes();
    let (x, y) = tokio::join!(
        send(import(&app, &buyer, &other, one)),
        send(import(&app, &buyer, &other, two))
    );
    assert_eq!(x.0, StatusCode::CREATED, "{}", x.1);
    assert_eq!(y.0, StatusCode::CREATED, "{}", y.1);
    let of_other = format!("supplier_party_id={other}");
    let current = list(&app, &buyer, &format!("{of_other}&status=complete")).await;
    assert_eq!(current.len(), 1, "exactly one current");
    assert_eq!(current[0]["effective_date"], "2025-06-01", "the newer one");
    assert_eq!(
        list(&app, &buyer, &format!("{of_other}&status=superseded"))
            .await
            .len(),
        1
    );
}

async fn idempotency_key_replays_an_import(app: TestApp) {
    let buyer = app.purchaser("Buyer").await;
    let supplier = fixtures::supplier(&app, "Replay SA").await;
    let bytes = Cmrt::filled("6.5").bytes();
    let first = send_raw(
        import(&app, &buyer, &supplier, bytes.clone()).header("idempotency-key", "decl-1"),
    )
    .await;
    assert_eq!(first.status(), StatusCode::CREATED);
    assert!(first.headers().get("idempotent-replayed").is_none());
    let first: Value = first.json().await.unwrap();
    let again = send_raw(
        import(&app, &buyer, &supplier, bytes.clone()).header("idempotency-key", "decl-1"),
    )
    .await;
    assert_eq!(again.status(), StatusCode::CREATED, "the same answer");
    assert_eq!(again.headers()["idempotent-replayed"], "true");
    let again: Value = again.json().await.unwrap();
    assert_eq!(again, first);
    assert_eq!(list(&app, &buyer, "").await.len(), 1);
    // The same key with another workbook is refused, and stores nothing.
    let other = Cmrt::filled("6.5").effective_date(2025, 7, 1).bytes();
    import(&app, &buyer, &supplier, other)
        .header("idempotency-key", "decl-1")
        .expect_problem(409)
        .await;
    assert_eq!(list(&app, &buyer, "").await.len(), 1);
}

async fn scopes_are_required(app: TestApp) {
    let buyer = app.purchaser("Buyer").await;
    let supplier = fixtures::supplier(&app, "Scoped SA").await;
    let reader = app
        .client_of(&buyer.org_id, "reader", &["purchases:read"])
        .await;
    let bytes = Cmrt::filled("6.5").bytes();
    import(&app, &reader, &supplier, bytes.clone())
        .expect_problem(403)
        .await;
    import(&app, &reader, &supplier, bytes.clone())
        .header("idempotency-key", "reader-1")
        .expect_problem(403)
        .await;
    assert!(list(&app, &reader, "").await.is_empty());
    let id = imported(&app, &buyer, &supplier, bytes).await.id();
    detail(&app, &reader, &id).await;

    let catalog_only = app
        .client_of(&buyer.org_id, "catalog", &["catalog:read"])
        .await;
    for path in [
        "/v1/declarations".to_owned(),
        format!("/v1/declarations/{id}"),
        "/v1/declarations/smelters".to_owned(),
        "/v1/declarations/smelters.csv".to_owned(),
        "/v1/declarations/coverage".to_owned(),
        "/v1/declarations/coverage.csv".to_owned(),
    ] {
        app.get(&path, &catalog_only).expect_problem(403).await;
    }
    let anonymous = send_raw(app.http.get(app.url("/v1/declarations"))).await;
    assert_problem(anonymous, 401).await;
}

async fn declarations_belong_to_their_organisation(app: TestApp) {
    let a = app.purchaser("A").await;
    let b = app.purchaser("B").await;
    let supplier = fixtures::supplier(&app, "A-SECRET-SUPPLIER").await;
    rmap_smelter(
        &app,
        "Malaysia Smelting Corporation",
        "CID001234",
        "MY",
        "active",
    )
    .await;
    let book = Cmrt::filled("6.5")
        .company(Field::Name, "A-SECRET-COMPANY")
        .smelter(SmelterRow::new("Tin").typed("A-SECRET-SMELTER", "INDONESIA"))
        .smelter(
            SmelterRow::new("Tin")
                .cid("CID001234")
                .looked_up("MSC", "MALAYSIA"),
        );
    let declaration = imported(&app, &a, &supplier, book.bytes()).await;
    app.create_purchase(&a, &PurchaseLine::new("A-1", &supplier).kg(2))
        .await;

    app.get(&format!("/v1/declarations/{}", declaration.id()), &b)
        .expect_problem(404)
        .await;
    assert!(list(&app, &b, "").await.is_empty());
    assert!(
        list(&app, &b, &format!("supplier_party_id={supplier}"))
            .await
            .is_empty()
    );
    let (status, rollup) = send(app.get("/v1/declarations/smelters", &b)).await;
    assert_eq!(status, StatusCode::OK, "{rollup}");
    assert_eq!(rollup["smelters"], json!([]), "{rollup}");
    let csv = send_raw(app.get("/v1/declarations/smelters.csv", &b))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        !csv.contains("A-SECRET") && !csv.contains("CID001234"),
        "{csv}"
    );
    let (status, coverage) = send(app.get(
        "/v1/declarations/coverage?from=2026-01-01&to=2026-12-31",
        &b,
    ))
    .await;
    assert_eq!(status, StatusCode::OK, "{coverage}");
    assert_eq!(coverage["suppliers"], json!([]));
    for text in [rollup.to_string(), coverage.to_string()] {
        assert!(
            !text.contains("A-SECRET") && !text.contains(&declaration.id()),
            "{text}"
        );
    }
    // B sending the same file for the same supplier gets its own declaration.
    let own = imported(&app, &b, &supplier, book.bytes()).await;
    assert_ne!(own["id"], declaration["id"]);
    // A still sees its own.
    let (_, rollup) = send(app.get("/v1/declarations/smelters", &a)).await;
    assert!(rollup.to_string().contains("A-SECRET-SMELTER"), "{rollup}");
}

/// The roll-up entry whose name or match contains `name`.
fn rolled_up<'a>(rollup: &'a Value, name: &str) -> &'a Value {
    rollup["smelters"]
        .as_array()
        .expect("smelters")
        .iter()
        .find(|s| s["name"].as_str().is_some_and(|n| n.contains(name)))
        .unwrap_or_else(|| panic!("no {name} in {rollup}"))
}

fn flag_kinds(smelter: &Value) -> Vec<String> {
    smelter["red_flags"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["kind"].as_str().unwrap().to_owned())
        .collect()
}

async fn rollup_merges_suppliers_and_flags(app: TestApp) {
    let buyer = app.purchaser("Buyer").await;
    let s1 = fixtures::supplier(&app, "Supplier One").await;
    let s2 = fixtures::supplier(&app, "Supplier Two").await;
    let msc = rmap_smelter(
        &app,
        "Malaysia Smelting Corporation",
        "CID001234",
        "MY",
        "active",
    )
    .await;
    let thai = rmap_smelter(&app, "Thaisarco", "CID001111", "TH", "suspended").await;
    let one = Cmrt::filled("6.5")
        .no_smelters()
        .smelter(
            SmelterRow::new("Tin")
                .looked_up("MSC", "MALAYSIA")
                .cid("CID001234"),
        )
        .smelter(
            SmelterRow::new("Tin")
                .looked_up("Thaisarco", "THAILAND")
                .cid("CID001111"),
        )
        .smelter(SmelterRow::new("Gold").not_yet_identified());
    imported(&app, &buyer, &s1, one.bytes()).await;
    let two = Cmrt::filled("6.5")
        .no_smelters()
        .smelter(SmelterRow::new("Tin").typed("Malaysia Smelting Corporation Bhd", "MALAYSIA"))
        .smelter(SmelterRow::new("Tin").typed("Nowhere Smelter", "INDONESIA"));
    imported(&app, &buyer, &s2, two.bytes()).await;

    let (status, rollup) = send(app.get("/v1/declarations/smelters", &buyer)).await;
    assert_eq!(status, StatusCode::OK, "{rollup}");
    assert_eq!(rollup["declarations"], 2, "{rollup}");
    assert_eq!(rollup["not_yet_identified"], 1, "{rollup}");
    let smelters = rollup["smelters"].as_array().unwrap();
    assert_eq!(smelters.len(), 3, "MSC once, Thaisarco, Nowhere: {rollup}");
    let merged: Vec<&Value> = smelters
        .iter()
        .filter(|s| s["match"]["facility_id"] == msc.as_str())
        .collect();
    assert_eq!(merged.len(), 1, "{rollup}");
    let merged = merged[0];
    assert_eq!(merged["supplier_count"], 2, "{merged}");
    assert_eq!(merged["metals"], json!(["tin"]));
    assert_eq!(merged["cid"], "CID001234");
    assert!(flag_kinds(merged).is_empty(), "{merged}");
    let suspended = smelters
        .iter()
        .find(|s| s["match"]["facility_id"] == thai.as_str())
        .expect("Thaisarco");
    assert!(
        flag_kinds(suspended).contains(&"not_conformant".to_owned()),
        "{suspended}"
    );
    let nowhere = rolled_up(&rollup, "Nowhere");
    assert!(
        flag_kinds(nowhere).contains(&"unknown_smelter".to_owned()),
        "{nowhere}"
    );
    // Flagged first; `flagged=true` keeps only those.
    assert!(!flag_kinds(&smelters[0]).is_empty());
    let (_, flagged) = send(app.get("/v1/declarations/smelters?flagged=true", &buyer)).await;
    assert_eq!(
        flagged["smelters"].as_array().unwrap().len(),
        2,
        "{flagged}"
    );
    let (_, of_s2) = send(app.get(
        &format!("/v1/declarations/smelters?supplier_party_id={s2}"),
        &buyer,
    ))
    .await;
    assert_eq!(of_s2["smelters"].as_array().unwrap().len(), 2, "{of_s2}");
    let (_, of_gold) = send(app.get("/v1/declarations/smelters?metal=gold", &buyer)).await;
    assert_eq!(of_gold["smelters"], json!([]), "{of_gold}");

    for request in [
        app.get("/v1/declarations/smelters.csv", &buyer),
        app.get("/v1/declarations/smelters", &buyer)
            .header("accept", "text/csv"),
    ] {
        let response = send_raw(request).await;
        assert_eq!(response.status(), StatusCode::OK);
        assert!(
            response.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/csv")
        );
        let csv = response.text().await.unwrap();
        let lines: Vec<&str> = csv.lines().filter(|l| !l.is_empty()).collect();
        assert_eq!(lines.len(), 1 + smelters.len(), "{csv}");
        assert!(
            lines[0].contains("name") || lines[0].contains("smelter"),
            "{csv}"
        );
        assert!(csv.contains("Thaisarco"), "{csv}");
    }
    app.get("/v1/declarations/smelters", &buyer)
        .header("accept", "application/xml")
        .expect_problem(406)
        .await;
    app.get("/v1/declarations/coverage", &buyer)
        .header("accept", "application/xml")
        .expect_problem(406)
        .await;
}

async fn coverage_ranks_undeclared_suppliers_first(app: TestApp) {
    let buyer = app.purchaser("Buyer").await;
    let declared = fixtures::supplier(&app, "Declared AG").await;
    let silent = fixtures::supplier(&app, "Silent AG").await;
    imported(&app, &buyer, &declared, Cmrt::filled("6.5").bytes()).await;
    app.create_purchase(&buyer, &PurchaseLine::new("P-1", &declared).kg(3))
        .await;
    app.create_purchase(&buyer, &PurchaseLine::new("P-2", &silent).kg(1))
        .await;
    let (status, coverage) = send(app.get(
        "/v1/declarations/coverage?from=2026-01-01&to=2026-12-31",
        &buyer,
    ))
    .await;
    assert_eq!(status, StatusCode::OK, "{coverage}");
    let suppliers = coverage["suppliers"].as_array().unwrap();
    assert_eq!(suppliers.len(), 2, "{coverage}");
    assert_eq!(
        suppliers[0]["supplier_party_id"],
        silent.as_str(),
        "undeclared first"
    );
    assert_eq!(suppliers[0]["declared"], false);
    assert_eq!(suppliers[0]["undeclared_minerals"], json!(["gold"]));
    assert_eq!(suppliers[1]["declared"], true);
    assert_eq!(suppliers[1]["declarations"].as_array().unwrap().len(), 1);
    let shares: f64 = suppliers.iter().map(|s| s["share"].as_f64().unwrap()).sum();
    assert!((shares - 1.0).abs() < 1e-6, "{coverage}");
    assert!(
        (coverage["declared_share"].as_f64().unwrap() - 0.75).abs() < 1e-6,
        "{coverage}"
    );
    assert_eq!(coverage["suppliers_total"], 2);
    assert_eq!(coverage["suppliers_declared"], 1);
    assert_eq!(coverage["total_quantity_mg"], 4_000_000);

    let response = send_raw(app.get(
        "/v1/declarations/coverage.csv?from=2026-01-01&to=2026-12-31",
        &buyer,
    ))
    .await;
    assert_eq!(response.status(), StatusCode::OK);
    let csv = response.text().await.unwrap();
    let lines: Vec<&str> = csv.lines().filter(|l| !l.is_empty()).collect();
    assert_eq!(lines.len(), 3, "{csv}");
    assert!(lines[1].contains("Silent AG"), "{csv}");
    // A period without purchases covers nobody.
    let (_, empty) = send(app.get(
        "/v1/declarations/coverage?from=2020-01-01&to=2020-12-31",
        &buyer,
    ))
    .await;
    assert_eq!(empty["suppliers"], json!([]), "{empty}");
    app.get(
        "/v1/declarations/coverage?from=2026-02-01&to=2026-01-01",
        &buyer,
    )
    .expect_problem(400)
    .await;
}

const PROFILE: &str = "/v1/organisations/{org}/profile";

fn profile_path(org: &str) -> String {
    PROFILE.replace("{org}", org)
}

async fn outgoing_cmrt_is_read_back_as_a_declaration(app: TestApp) {
    let buyer = app.purchaser("Buyer").await;
    let supplier = fixtures::supplier(&app, "Upstream SA").await;
    rmap_smelter(
        &app,
        "Malaysia Smelting Corporation",
        "CID001234",
        "MY",
        "active",
    )
    .await;
    let upstream = Cmrt::filled("6.5").smelter(
        SmelterRow::new("Tin")
            .looked_up("MSC", "MALAYSIA")
            .cid("CID001234"),
    );
    imported(&app, &buyer, &supplier, upstream.bytes()).await;
    app.create_purchase(&buyer, &PurchaseLine::new("P-1", &supplier).kg(2))
        .await;

    let profile = json!({
        "legal_name": "Downstream Devices GmbH",
        "address": "Hauptstrasse 1, Berlin",
        "contact_name": "Eva Weber",
        "contact_email": "eva@downstream.example",
        "contact_phone": "+49 30 1234",
        "authorizer": "Jonas Keller",
        "authorizer_title": "CEO",
        "authorizer_email": "jonas@downstream.example",
        "policy_url": "https://downstream.example/policy"
    });
    let patched = app
        .patch(&profile_path(&buyer.org_id), &buyer, &profile)
        .expect_status(StatusCode::OK)
        .await;
    assert_eq!(patched["legal_name"], "Downstream Devices GmbH");
    let read = app
        .get(&profile_path(&buyer.org_id), &buyer)
        .expect_status(StatusCode::OK)
        .await;
    assert_eq!(read["contact_email"], "eva@downstream.example");
    // A merge patch: null clears, what is left out stays.
    let patched = app
        .patch(
            &profile_path(&buyer.org_id),
            &buyer,
            &json!({"authorizer_title": null}),
        )
        .expect_status(StatusCode::OK)
        .await;
    assert!(patched["authorizer_title"].is_null(), "{patched}");
    assert_eq!(patched["legal_name"], "Downstream Devices GmbH");

    let response = send_raw(app.get(
        "/v1/declarations/outgoing?template=cmrt&version=6.5&year=2026",
        &buyer,
    ))
    .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["content-type"].to_str().unwrap(), XLSX);
    let bytes = response.bytes().await.unwrap().to_vec();
    assert!(bytes.starts_with(b"PK"), "a zip");
    let customer_view = fixtures::supplier(&app, "Downstream Devices GmbH").await;
    let created = imported(&app, &buyer, &customer_view, bytes).await;
    assert_eq!(created["company_name"], "Downstream Devices GmbH");
    assert_eq!(created["template"], "cmrt");
    assert_eq!(created["version"], "6.5");
    let read = detail(&app, &buyer, &created.id()).await;
    assert_eq!(
        read["declaration"]["company"]["contact_email"],
        "eva@downstream.example"
    );
    assert!(
        read["smelters"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["cid"] == "CID001234" && s["match"]["basis"] == "cid"),
        "the roll-up's smelter is in the export: {read}"
    );

    // The default version of each template is written and read back too.
    for template in ["cmrt", "emrt"] {
        let response = send_raw(app.get(
            &format!("/v1/declarations/outgoing?template={template}"),
            &buyer,
        ))
        .await;
        assert_eq!(response.status(), StatusCode::OK, "{template}");
        let bytes = response.bytes().await.unwrap().to_vec();
        let (status, body) = send(import(&app, &buyer, &customer_view, bytes)).await;
        assert!(
            status == StatusCode::CREATED || status == StatusCode::OK,
            "{template}: {status} {body}"
        );
        assert_eq!(
            body["declaration"]["company_name"], "Downstream Devices GmbH",
            "{template}"
        );
    }
    app.get(
        "/v1/declarations/outgoing?template=cmrt&version=9.9",
        &buyer,
    )
    .expect_problem_among(&[400, 422])
    .await;
    app.get("/v1/declarations/outgoing", &buyer)
        .expect_problem(400)
        .await;

    // Another organisation's profile is not found, to read or to change.
    let other = app.purchaser("Other").await;
    app.get(&profile_path(&buyer.org_id), &other)
        .expect_problem(404)
        .await;
    app.patch(
        &profile_path(&buyer.org_id),
        &other,
        &json!({"legal_name": "Hijacked"}),
    )
    .expect_problem(404)
    .await;
    // An unknown member is refused, and changes nothing.
    let problem = app
        .patch(
            &profile_path(&buyer.org_id),
            &buyer,
            &json!({"colour": "blue"}),
        )
        .expect_problem(422)
        .await;
    assert_eq!(crate::helpers::pointers(&problem), ["/colour"], "{problem}");
    app.patch(
        &profile_path(&buyer.org_id),
        &buyer,
        &json!({"contact_email": "not an email"}),
    )
    .expect_problem(422)
    .await;
    let reader = app
        .client_of(&buyer.org_id, "reader", &["purchases:read"])
        .await;
    app.patch(
        &profile_path(&buyer.org_id),
        &reader,
        &json!({"legal_name": "X"}),
    )
    .expect_problem(403)
    .await;
    let read = app
        .get(&profile_path(&buyer.org_id), &reader)
        .expect_status(StatusCode::OK)
        .await;
    assert_eq!(read["legal_name"], "Downstream Devices GmbH", "unchanged");
    // The operator (admin) may change any organisation's profile.
    app.patch(
        &profile_path(&buyer.org_id),
        &app.operator,
        &json!({"contact_phone": "+49 30 9999"}),
    )
    .expect_status(StatusCode::OK)
    .await;
    let catalog_only = app
        .client_of(&buyer.org_id, "catalog", &["catalog:read"])
        .await;
    app.get("/v1/declarations/outgoing?template=cmrt", &catalog_only)
        .expect_problem(403)
        .await;
}

both_backends!(
    each_template_is_imported_and_read_back,
    cmrt_5_is_read_by_its_labels,
    incomplete_declarations_are_kept_with_findings,
    invalid_workbooks_are_refused_at_their_cells,
    same_file_is_unchanged_and_newer_supersedes,
    concurrent_imports_store_one,
    idempotency_key_replays_an_import,
    scopes_are_required,
    declarations_belong_to_their_organisation,
    rollup_merges_suppliers_and_flags,
    coverage_ranks_undeclared_suppliers_first,
    outgoing_cmrt_is_read_back_as_a_declaration,
);
