//! Fixtures: the catalog and the provenance chain tests start from, through the API.

use serde_json::Value;

use crate::builders::{Certification, Event, Facility, Lot, Party};
use crate::helpers::{Client, HasId, TestApp};

/// The id of a resource: shorthand for [`HasId::id`].
pub fn id(resource: &Value) -> String {
    resource.id()
}

/// The ids of every item of a list: shorthand for [`TestApp::ids`].
pub async fn ids(app: &TestApp, path: &str) -> Vec<String> {
    app.ids(path).await
}

/// Every item of a list: shorthand for [`TestApp::all_items`].
pub async fn all_items(app: &TestApp, path: &str) -> Vec<Value> {
    app.all_items(path).await
}

/// A party of `roles` in Peru.
pub async fn party(app: &TestApp, name: &str, roles: &[&str]) -> Value {
    app.create_party(Party::new(name, roles).country("PE"))
        .await
}

/// An ASM gold mine in Peru, with a location.
pub async fn asm_mine(app: &TestApp, name: &str) -> Value {
    app.create_facility(Facility::mine(name, "asm").location(-13.0, -70.5))
        .await
}

/// An LSM copper and gold mine in Chile, with a location.
pub async fn lsm_mine(app: &TestApp, name: &str) -> Value {
    let mine = Facility::mine(name, "lsm")
        .minerals(&["copper", "gold"])
        .country("CL")
        .location(-24.2, -69.1);
    app.create_facility(mine).await
}

/// A tin smelter in Malaysia known by its RMI CID.
pub async fn smelter(app: &TestApp, name: &str, cid: &str) -> Value {
    let smelter = Facility::smelter(name)
        .minerals(&["tin"])
        .country("MY")
        .identifier("rmi_cid", cid)
        .location(4.6, 101.1);
    app.create_facility(smelter).await
}

/// An IRMA certificate of an LSM mine, valid for 2025 and 2026.
pub async fn irma(app: &TestApp, mine_id: &str, number: &str) -> Value {
    let certificate = Certification::of_facility(mine_id, "irma")
        .level("irma_50")
        .valid("2025-01-01", "2026-12-31")
        .number(number)
        .minerals(&["copper"]);
    app.create_certification(certificate).await
}

/// A supplier party; its id.
pub async fn supplier(app: &TestApp, name: &str) -> String {
    app.create_party(Party::supplier(name)).await.id()
}

/// An operating gold and tin mine of `scale` (asm or lsm) in `country`; its id.
pub async fn mine(app: &TestApp, name: &str, scale: &str, country: &str) -> String {
    let mine = Facility::mine(name, scale)
        .minerals(&["gold", "tin"])
        .country(country)
        .status("operating");
    app.create_facility(mine).await.id()
}

/// Gold ore of `grams` recorded by `client`; its id.
pub async fn lot(app: &TestApp, client: &Client, external_ref: &str, grams: f64) -> String {
    app.create_lot(client, &Lot::new(external_ref).grams(grams))
        .await
        .id()
}

/// The catalog of the hand-worked chain.
pub struct ChainCatalog {
    pub asm_mine: String,
    pub lsm_mine: String,
    pub smelter: String,
    pub refiner: String,
    pub refiner_company: String,
    pub trader: String,
}

/// The hand-worked chain's catalog and lots.
pub struct Chain {
    pub asm_mine: String,
    pub lsm_mine: String,
    pub smelter: String,
    pub refiner: String,
    pub refiner_company: String,
    pub trader: String,
    pub ore_a: String,
    pub ore_b: String,
    pub dore: String,
    pub bar: String,
}

/// The catalog of the chain: an ASM mine (Peru, Fairmined for 2025-2026), an LSM mine (Chile,
/// artisanal miners on the concession, no coexistence agreement, no IRMA), a smelter (RMAP
/// conformant), a refiner (LBMA RGG), the refiner's company and a trader.
pub async fn chain_catalog(app: &TestApp) -> ChainCatalog {
    let asm_mine = mine(app, "Cooperativa Aurifera", "asm", "PE").await;
    let lsm_mine = app
        .create_facility(
            Facility::mine("Mina Grande", "lsm")
                .country("CL")
                .with("asm_presence", true),
        )
        .await
        .id();
    let smelter = app
        .create_facility(Facility::smelter("Fundicion Sur"))
        .await
        .id();
    let refiner = app
        .create_facility(Facility::refiner("Swiss Refinery").country("CH"))
        .await
        .id();
    for (facility, scheme, level) in [
        (&asm_mine, "fairmined", Some("fairmined")),
        (&smelter, "rmi_rmap", Some("conformant")),
        (&refiner, "lbma_rgg", None),
    ] {
        let mut certificate =
            Certification::of_facility(facility, scheme).valid("2025-01-01", "2026-12-31");
        if let Some(level) = level {
            certificate = certificate.level(level);
        }
        app.create_certification(certificate).await;
    }
    ChainCatalog {
        asm_mine,
        lsm_mine,
        smelter,
        refiner,
        refiner_company: supplier(app, "Swiss Refinery SA").await,
        trader: supplier(app, "Gold Trading AG").await,
    }
}

/// 6 kg of ASM ore and 4 kg of LSM ore smelted into 2 kg of doré, refined into 1.9 kg of bar,
/// sold by the refiner's company to the trader.
pub async fn chain(app: &TestApp, client: &Client) -> Chain {
    let ChainCatalog {
        asm_mine,
        lsm_mine,
        smelter,
        refiner,
        refiner_company,
        trader,
    } = chain_catalog(app).await;
    let ore_a = lot(app, client, "ORE-A", 6000.0).await;
    let ore_b = lot(app, client, "ORE-B", 4000.0).await;
    let dore = Lot::new("DORE-1").form("dore").kg(2);
    let dore = app.create_lot(client, &dore).await.id();
    let bar = Lot::new("BAR-1")
        .form("metal")
        .kg(1.9)
        .holder(&refiner_company);
    let bar = app.create_lot(client, &bar).await.id();
    let written = app
        .record_events(
            client,
            [
                Event::extraction("2026-01-10", &asm_mine).output(&ore_a),
                Event::extraction("2026-01-12", &lsm_mine).output(&ore_b),
                Event::transformation("2026-02-01", &smelter)
                    .input(&ore_a, 6000.0)
                    .input(&ore_b, 4000.0)
                    .output(&dore),
                Event::transformation("2026-03-01", &refiner)
                    .chain_of_custody("segregated")
                    .input(&dore, 2000.0)
                    .output(&bar),
                Event::transfer("2026-03-10", &refiner_company, &trader)
                    .lot(&bar)
                    .document("invoice", "INV-77"),
            ],
        )
        .await;
    for w in written["events"].as_array().unwrap() {
        assert_eq!(w["flags"], serde_json::json!([]), "{w}");
    }
    Chain {
        asm_mine,
        lsm_mine,
        smelter,
        refiner,
        refiner_company,
        trader,
        ore_a,
        ore_b,
        dore,
        bar,
    }
}
