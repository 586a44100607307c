//! The admin commands work directly on DATABASE_URL, and their credentials work on the API.

use std::process::Command;

use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::{Backend, TestApp, TestDb, send, test_config};

fn oretrace(db: &TestDb, args: &[&str]) -> Value {
    let output = Command::new(env!("CARGO_BIN_EXE_oretrace"))
        .args(args)
        .env("DATABASE_URL", &db.url)
        .env("RUST_LOG", "warn")
        .current_dir(db.dir.path())
        .output()
        .expect("run oretrace");
    assert!(
        output.status.success(),
        "oretrace {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("JSON on stdout")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_commands_create_working_credentials() {
    for backend in [Backend::Sqlite, Backend::Postgres] {
        let Some(db) = TestDb::create(backend) else {
            continue;
        };
        let org = oretrace(&db, &["orgs", "create", "--name", "CLI Buyer"]);
        let org_id = org["id"].as_str().unwrap().to_owned();
        assert_eq!(org["kind"], "purchaser");
        let client = oretrace(
            &db,
            &[
                "clients",
                "create",
                "--org",
                &org_id,
                "--scopes",
                "purchases:read catalog:read",
            ],
        );
        assert_eq!(
            client["scopes"],
            serde_json::json!(["catalog:read", "purchases:read"]),
            "an array, as over HTTP"
        );
        let client_id = client["client_id"].as_str().unwrap().to_owned();
        let secret = client["client_secret"].as_str().unwrap().to_owned();

        let listed = oretrace(&db, &["orgs", "list"]);
        assert!(
            listed
                .as_array()
                .unwrap()
                .iter()
                .any(|o| o["id"] == org_id.as_str())
        );
        let spare = oretrace(
            &db,
            &[
                "clients",
                "create",
                "--org",
                &org_id,
                "--scopes",
                "catalog:read",
            ],
        );
        let spare_id = spare["client_id"].as_str().unwrap().to_owned();
        let clients = oretrace(&db, &["clients", "list", "--org", &org_id]);
        assert_eq!(clients.as_array().unwrap().len(), 2);
        assert!(
            clients.to_string().find("ots_").is_none(),
            "no secret listed"
        );
        let revoked = oretrace(&db, &["clients", "revoke", "--org", &org_id, &spare_id]);
        assert!(revoked["revoked_at"].is_string(), "{revoked}");

        let config = test_config(&db);
        let app = TestApp::start(db, config).await;
        let token = app.token(&client_id, &secret).await;
        let (status, me) = send(app.http.get(app.url("/v1/me")).bearer_auth(token)).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(me["organisation"]["id"], org_id.as_str());
        assert_eq!(me["organisation"]["name"], "CLI Buyer");
        // The revoked client gets no token.
        let refused = app
            .http
            .post(app.url("/v1/auth/token"))
            .form(&[
                ("grant_type", "client_credentials"),
                ("client_id", spare_id.as_str()),
                ("client_secret", spare["client_secret"].as_str().unwrap()),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(refused.status(), StatusCode::UNAUTHORIZED);
    }
}

/// A bad ORETRACE_BIND is said before anything is migrated or seeded: no database file is left.
#[test]
fn a_bad_bind_address_leaves_nothing_behind() {
    let dir = tempfile::tempdir().unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_oretrace"))
        .env_remove("DATABASE_URL")
        .env("ORETRACE_BIND", "127.0.0.1:99999")
        .env("RUST_LOG", "warn")
        .current_dir(dir.path())
        .output()
        .expect("run oretrace");
    assert!(!output.status.success());
    let said = String::from_utf8_lossy(&output.stderr);
    assert!(said.contains("ORETRACE_BIND 127.0.0.1:99999"), "{said}");
    assert!(!dir.path().join("oretrace.db").exists(), "nothing seeded");
}

#[test]
fn admin_commands_refuse_bad_input() {
    let db = TestDb::create(Backend::Sqlite).unwrap();
    let run = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_oretrace"))
            .args(args)
            .env("DATABASE_URL", &db.url)
            .env("RUST_LOG", "off")
            .output()
            .unwrap()
    };
    let org = run(&["orgs", "create", "--name", "Buyer"]);
    let org: Value = serde_json::from_slice(&org.stdout).unwrap();
    let org_id = org["id"].as_str().unwrap();
    for args in [
        vec!["clients", "create", "--org", org_id, "--scopes", "admin"],
        vec!["clients", "create", "--org", org_id, "--scopes", "root"],
        vec![
            "clients",
            "create",
            "--org",
            "nope",
            "--scopes",
            "catalog:read",
        ],
        vec!["orgs", "create", "--name", " "],
        vec!["orgs", "create", "--name", "X", "--kind", "smelter"],
    ] {
        let output = run(&args);
        assert!(!output.status.success(), "{args:?} should fail");
        assert!(!output.stderr.is_empty(), "{args:?} should say why");
    }
}

#[test]
fn help_explains_commands_and_variables() {
    let output = Command::new(env!("CARGO_BIN_EXE_oretrace"))
        .arg("--help")
        .output()
        .unwrap();
    let help = String::from_utf8_lossy(&output.stdout);
    for needle in [
        "serve",
        "migrate",
        "openapi",
        "orgs",
        "clients",
        "DATABASE_URL",
        "ORETRACE_BIND",
    ] {
        assert!(help.contains(needle), "--help lacks {needle}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn catalog_files_are_imported_all_or_nothing() {
    for backend in [Backend::Sqlite, Backend::Postgres] {
        let Some(db) = TestDb::create(backend) else {
            continue;
        };
        let org = oretrace(
            &db,
            &["orgs", "create", "--name", "Operator", "--kind", "operator"],
        );
        assert_eq!(org["kind"], "operator");
        let parties = db.dir.path().join("parties.json");
        std::fs::write(
            &parties,
            r#"[{"name": "Coop Alfa", "roles": ["asm_organisation"], "country": "PE",
                 "identifiers": [{"scheme": "national_registry", "value": "PE-R-1"}]}]"#,
        )
        .unwrap();
        let result = oretrace(
            &db,
            &[
                "import",
                "catalog",
                "--kind",
                "parties",
                parties.to_str().unwrap(),
            ],
        );
        assert_eq!(result["created"], 1);
        let mut csv = String::from(
            "name,kind,mining_scale,minerals,country,lat,lon,identifiers,cahra,cahra_basis\n",
        );
        for i in 0..250 {
            csv.push_str(&format!(
                "Smelter {i},smelter,,tin;tungsten,ID,-2.1,106.1,rmi_cid:CID{i:06},,\n"
            ));
        }
        csv.push_str("Mina Norte,mine,asm,gold,PE,-13.5,-70.9,mining_title:T-9,true,EU list\n");
        let facilities = db.dir.path().join("facilities.csv");
        std::fs::write(&facilities, &csv).unwrap();
        let args = [
            "import",
            "catalog",
            "--kind",
            "facilities",
            facilities.to_str().unwrap(),
        ];
        let result = oretrace(&db, &args);
        assert_eq!(result["created"], 251);
        let again = oretrace(&db, &args);
        assert_eq!(again["unchanged"], 251, "a second import matches every row");

        let certificates = db.dir.path().join("rmap.csv");
        std::fs::write(
            &certificates,
            "subject_type,subject_identifier,scheme,level,status,valid_from,valid_until,certificate_number,minerals\n\
             facility,rmi_cid:CID000001,rmi_rmap,conformant,active,2025-01-01,2027-12-31,RMAP-1,tin\n\
             facility,rmi_cid:CID000002,rmi_rmap,active,in_assessment,2026-01-01,,RMAP-2,tin;tungsten\n",
        )
        .unwrap();
        let result = oretrace(
            &db,
            &[
                "import",
                "catalog",
                "--kind",
                "certifications",
                certificates.to_str().unwrap(),
            ],
        );
        assert_eq!(result["created"], 2);

        // One bad row: the whole file is refused, with the row and line named.
        let bad = db.dir.path().join("bad.csv");
        std::fs::write(
            &bad,
            "name,kind,minerals,country\nGood,smelter,tin,ID\nBad,smelter,tin,XX\n",
        )
        .unwrap();
        let output = Command::new(env!("CARGO_BIN_EXE_oretrace"))
            .args([
                "import",
                "catalog",
                "--kind",
                "facilities",
                bad.to_str().unwrap(),
            ])
            .env("DATABASE_URL", &db.url)
            .env("RUST_LOG", "off")
            .current_dir(db.dir.path())
            .output()
            .unwrap();
        assert!(!output.status.success());
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains("row 1 (line 3): /1/country"), "{stderr}");

        let config = test_config(&db);
        let app = TestApp::start(db, config).await;
        let operator = &app.operator;
        let page = app.items(operator, "/v1/facilities?limit=500").await;
        assert_eq!(page.len(), 251, "nothing of bad.csv");
        let found = app
            .items(operator, "/v1/facilities?identifier=rmi_cid:CID000249")
            .await;
        assert_eq!(found[0]["minerals"], serde_json::json!(["tin", "tungsten"]));
        let rmap = "/v1/facilities?certified_scheme=rmi_rmap&certified_on=2026-06-01";
        assert_eq!(app.items(operator, rmap).await.len(), 1, "CID000001 only");
        let events = app
            .items(operator, "/v1/audit-events?entity_type=party")
            .await;
        assert!(
            events[0]["client_id"].is_null(),
            "imported from the command line"
        );
    }
}

/// `oretrace import declarations --org ID DIR`: every workbook of a folder, each on its own; a
/// bad file is refused (exit non-zero, its errors named) without holding back the others; the
/// supplier is the catalog party named as the workbook's company; a second run changes nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_folder_of_supplier_workbooks_is_imported_file_by_file() {
    use crate::builders::{Cmrt, Field, SmelterRow};
    for backend in [Backend::Sqlite, Backend::Postgres] {
        let Some(db) = TestDb::create(backend) else {
            continue;
        };
        oretrace(
            &db,
            &["orgs", "create", "--name", "Operator", "--kind", "operator"],
        );
        let buyer = oretrace(&db, &["orgs", "create", "--name", "Buyer"]);
        let buyer = buyer["id"].as_str().unwrap().to_owned();
        let parties = db.dir.path().join("parties.json");
        std::fs::write(
            &parties,
            r#"[{"name": "Andes Metals S.A.", "roles": ["supplier"], "country": "PE"}]"#,
        )
        .unwrap();
        let created = oretrace(
            &db,
            &[
                "import",
                "catalog",
                "--kind",
                "parties",
                parties.to_str().unwrap(),
            ],
        );
        assert_eq!(created["created"], 1);
        let folder = db.dir.path().join("cmrt-2026");
        std::fs::create_dir(&folder).unwrap();
        let good = Cmrt::filled("6.5")
            .company(Field::Name, "ANDES METALS S.A.")
            .smelter(
                SmelterRow::new("Gold")
                    .typed("Fundición Andina", "PERU")
                    .cid("CID002999"),
            );
        std::fs::write(folder.join("andes.xlsx"), good.bytes()).unwrap();
        std::fs::write(folder.join("notes.xlsx"), b"not a workbook").unwrap();
        std::fs::write(folder.join("readme.txt"), b"ignored").unwrap();
        let run = || {
            Command::new(env!("CARGO_BIN_EXE_oretrace"))
                .args([
                    "import",
                    "declarations",
                    "--org",
                    &buyer,
                    folder.to_str().unwrap(),
                ])
                .env("DATABASE_URL", &db.url)
                .env("RUST_LOG", "off")
                .current_dir(db.dir.path())
                .output()
                .unwrap()
        };
        let output = run();
        assert!(!output.status.success(), "a refused file fails the command");
        let report: Value = serde_json::from_slice(&output.stdout).expect("JSON on stdout");
        assert_eq!(report["files"], 2, "{report}");
        assert_eq!(report["created"], 1, "{report}");
        assert_eq!(report["refused"], 1, "{report}");
        let refused = &report["results"][1];
        assert_eq!(refused["file"], "notes.xlsx");
        assert!(
            refused["errors"][0]
                .as_str()
                .unwrap()
                .contains("Declaration!D2")
        );
        let again: Value = serde_json::from_slice(&run().stdout).unwrap();
        assert_eq!(again["unchanged"], 1, "{again}");
        assert_eq!(again["created"], 0, "{again}");
    }
}

/// `oretrace openapi | head` is a normal way to peek at the document: a reader that stops
/// early is not an error (it used to panic on the broken pipe).
#[test]
fn openapi_tolerates_a_reader_that_stops_early() {
    use std::io::Read as _;
    let mut child = Command::new(env!("CARGO_BIN_EXE_oretrace"))
        .arg("openapi")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("oretrace runs");
    let mut start = [0u8; 16];
    child
        .stdout
        .take()
        .expect("stdout")
        .read_exact(&mut start)
        .expect("the document starts");
    // stdout is dropped here: the pipe is closed with most of the document unread.
    let output = child.wait_with_output().expect("oretrace exits");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{:?}: {stderr}", output.status);
    assert!(!stderr.contains("panicked"), "{stderr}");
}

fn oretrace_on(url: &str, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_oretrace"))
        .args(args)
        .env("DATABASE_URL", url)
        .env("RUST_LOG", "warn")
        .output()
        .expect("run oretrace")
}

/// A PostgreSQL database that does not exist is an immediate error naming the fix (never a
/// retry loop); `oretrace db create` makes it, a second time changes nothing, and the service's
/// migrations then run on it.
#[test]
fn a_missing_database_is_named_with_its_fix_and_db_create_makes_it() {
    use diesel::connection::SimpleConnection;
    use diesel::{Connection, PgConnection};

    let Some(db) = TestDb::create(Backend::Postgres) else {
        return;
    };
    let name = format!("oretrace_missing_{}", uuid::Uuid::new_v4().simple());
    let url = crate::helpers::with_database(&db.url, &name);

    let refused = oretrace_on(&url, &["migrate"]);
    assert!(!refused.status.success());
    let said = String::from_utf8_lossy(&refused.stderr);
    assert!(said.contains("does not exist"), "{said}");
    assert!(said.contains("oretrace db create"), "{said}");
    assert_eq!(said.matches("error:").count(), 1, "said once: {said}");

    let created = oretrace_on(&url, &["db", "create"]);
    assert!(created.status.success());
    let said = String::from_utf8_lossy(&created.stderr);
    assert!(
        said.contains(&format!("created the database \"{name}\"")),
        "{said}"
    );
    let again = oretrace_on(&url, &["db", "create"]);
    assert!(again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("exists already"));
    let migrated = oretrace_on(&url, &["migrate"]);
    assert!(
        migrated.status.success(),
        "{}",
        String::from_utf8_lossy(&migrated.stderr)
    );

    let mut admin = PgConnection::establish(&crate::helpers::with_database(&db.url, "postgres"))
        .expect("admin connection");
    admin
        .batch_execute(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
        .expect("drop");
}
