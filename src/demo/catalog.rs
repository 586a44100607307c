//! The demo catalog: a small, clearly fictional but realistic set of parties, facilities and
//! certificates, dated relative to the day it is seeded so that "expiring soon" stays true.
//!
//! Every record is named in [`names`]; later features (purchases, lots, provenance demos) find
//! their ids with [`facility`] and [`party`], or take them from the [`DemoCatalog`] that
//! [`seed`] returns.
//!
//! What it shows:
//! - ASM cooperatives with Fairmined (Peru) and CRAFT (Colombia, expiring soon) certificates,
//!   and an uncertified ASM tin mine in a conflict-affected area (DRC);
//! - LSM mines at IRMA 75 (with ASM presence and a signed coexistence agreement), IRMA 50 (with
//!   ASM presence and no agreement) and IRMA Transparency (expiring soon);
//! - smelters and refiners: one RMAP conformant, one whose RMAP certificate was suspended last
//!   year, one never audited, and an LBMA refiner expiring soon;
//! - traders and suppliers in several countries, and a company certified under RJC.

use std::collections::BTreeMap;

use chrono::{Datelike, Days, NaiveDate};
use serde_json::{Value, json};

use crate::app::AppError;
use crate::app::catalog::certifications::{self, Certifications};
use crate::app::catalog::facilities::{self, Facilities};
use crate::app::catalog::parties::{self, Parties};
use crate::app::catalog::{CatalogKind, record};
use crate::db::DbConn;
use crate::domain::ids::{CertificationId, FacilityId, PartyId};
use crate::domain::validation::Invalid;
use crate::domain::vocabulary::CertificationStatus;
use crate::store::audit::Actor;
use crate::store::certification::{Change, NewCertification};
use crate::store::{facility, party};

/// The names of the demo records: stable handles for later demos and tests.
pub mod names {
    pub const SOL_NACIENTE_COOP: &str = "Cooperativa Minera Aurífera Sol Naciente (fictional)";
    pub const RIO_DORADO_ASSOCIATION: &str =
        "Asociación de Mineros Artesanales Río Dorado (fictional)";
    pub const KALIMBI_COOP: &str = "Coopérative Minière Artisanale de Kalimbi (fictional)";
    pub const ATACAMA_PIRQUINEROS: &str = "Asociación de Pirquineros de Atacama (fictional)";
    pub const ANDES_COPPER: &str = "Andes Copper Mining SA (fictional)";
    pub const HIGHVELD_PLATINUM: &str = "Highveld Platinum Holdings Ltd (fictional)";
    pub const PILBARA_LITHIUM: &str = "Pilbara Spodumene Ltd (fictional)";
    pub const STRAITS_TIN_COMPANY: &str = "Straits Tin Smelting Bhd (fictional)";
    pub const BANGKA_TIN_COMPANY: &str = "PT Bangka Timah Smelter (fictional)";
    pub const ALPINE_REFINERY_COMPANY: &str = "Alpine Gold Refinery AG (fictional)";
    pub const GULF_REFINERY_COMPANY: &str = "Gulf Bullion Refining LLC (fictional)";
    pub const MERIDIAN_TRADING: &str = "Meridian Metals Trading DMCC (fictional)";
    pub const NORDIC_BATTERY_SUPPLIER: &str = "Nordic Battery Materials AB (fictional)";
    pub const LIMA_GOLD_SUPPLIER: &str = "Lima Gold Exports SAC (fictional)";

    pub const SOL_NACIENTE_MINE: &str = "Sol Naciente ASM gold mine (fictional)";
    pub const RIO_DORADO_MINE: &str = "Río Dorado ASM gold mine (fictional)";
    pub const KALIMBI_MINE: &str = "Kalimbi ASM tin mine (fictional)";
    pub const CERRO_AZUL_MINE: &str = "Cerro Azul copper-gold mine (fictional)";
    pub const BUSHVELD_MINE: &str = "Bushveld East PGM mine (fictional)";
    pub const PILBARA_MINE: &str = "Pilbara North lithium mine (fictional)";
    pub const STRAITS_TIN_SMELTER: &str = "Straits Tin smelter, Butterworth (fictional)";
    pub const BANGKA_TIN_SMELTER: &str = "Bangka Tin smelter, Muntok (fictional)";
    pub const ALPINE_REFINERY: &str = "Alpine Gold Refinery, Ticino (fictional)";
    pub const GULF_REFINERY: &str = "Gulf Bullion refinery, Dubai (fictional)";

    /// RMI ids of the demo smelters and refiners (fictional, in the real `CID` format).
    pub const STRAITS_TIN_CID: &str = "CID009901";
    pub const BANGKA_TIN_CID: &str = "CID009902";
    pub const GULF_REFINERY_CID: &str = "CID009903";
    pub const ALPINE_REFINERY_CID: &str = "CID009904";
}

/// The ids of the seeded records, by name.
#[derive(Clone, Debug, Default)]
pub struct DemoCatalog {
    pub parties: BTreeMap<&'static str, PartyId>,
    pub facilities: BTreeMap<&'static str, FacilityId>,
    /// Certificates by their certificate number.
    pub certifications: BTreeMap<&'static str, CertificationId>,
}

/// The id of a demo (or any) facility by its exact name.
pub fn facility(conn: &mut DbConn, name: &str) -> Result<Option<FacilityId>, AppError> {
    Ok(facility::id_by_name(conn, name)?)
}

/// The id of a demo (or any) party by its exact name.
pub fn party(conn: &mut DbConn, name: &str) -> Result<Option<PartyId>, AppError> {
    Ok(party::id_by_name(conn, name)?)
}

fn invalid(what: &str, errors: Invalid) -> AppError {
    AppError::internal(format!("demo {what} is invalid: {:?}", errors.0))
}

struct Seeder<'a> {
    conn: &'a mut DbConn,
    actor: &'a Actor,
    ids: DemoCatalog,
}

impl Seeder<'_> {
    /// Creates a record of the demo through the catalog's checks, audited as the demo's.
    fn create<K: CatalogKind>(
        &mut self,
        id: K::Id,
        row: K::Row,
        audited: serde_json::Value,
    ) -> Result<K::Record, AppError> {
        record::create::<K>(self.conn, self.actor, id, row, |_| Ok(audited))
    }

    fn party(&mut self, name: &'static str, mut body: Value) -> Result<PartyId, AppError> {
        body["name"] = json!(name);
        let new = parties::parse(body).map_err(|e| invalid(name, e))?;
        let id = PartyId(demo_id(name));
        self.create::<Parties>(id, new, json!({"name": name, "via": "demo"}))?;
        self.ids.parties.insert(name, id);
        Ok(id)
    }

    fn facility(&mut self, name: &'static str, mut body: Value) -> Result<FacilityId, AppError> {
        body["name"] = json!(name);
        let new = facilities::parse(body).map_err(|e| invalid(name, e))?;
        let id = FacilityId(demo_id(name));
        self.create::<Facilities>(id, new, json!({"name": name, "via": "demo"}))?;
        self.ids.facilities.insert(name, id);
        Ok(id)
    }

    fn certificate(
        &mut self,
        number: &'static str,
        mut body: Value,
    ) -> Result<CertificationId, AppError> {
        body["certificate_number"] = json!(number);
        let parsed = certifications::parse(body).map_err(|e| invalid(number, e))?;
        let audited = json!({"certificate_number": number, "via": "demo"});
        let id = CertificationId::generate();
        self.create::<Certifications>(id, parsed, audited)?;
        self.ids.certifications.insert(number, id);
        Ok(id)
    }

    /// Records a change of status effective on `day`.
    fn change_status(
        &mut self,
        id: CertificationId,
        status: CertificationStatus,
        day: NaiveDate,
        reason: &str,
    ) -> Result<(), AppError> {
        let current = record::find::<Certifications>(self.conn, id)?;
        let new = NewCertification {
            subject: current.subject,
            scheme: current.scheme.clone(),
            level: current.level.clone(),
            status,
            valid_from: current.valid_from,
            valid_until: current.valid_until,
            certificate_number: current.certificate_number.clone(),
            assurance_body: current.assurance_body.clone(),
            evidence_url: current.evidence_url.clone(),
            evidence_sha256: current.evidence_sha256.clone(),
            minerals: current.minerals.clone(),
        };
        let change = Change {
            effective_on: day,
            reason: Some(reason.to_owned()),
        };
        certifications::record_update(self.conn, self.actor, &current, &new, &change)?;
        Ok(())
    }
}

/// The namespace of the demo's name-based ids.
const DEMO_NAMESPACE: uuid::Uuid = uuid::Uuid::from_u128(0x0f3e_7a1c_5b2d_4e60_9a8b_c0ff_ee00_d3e0);

/// The demo's parties and facilities have fixed ids (UUIDv5 of their names), so that the README,
/// docs/PURCHASES.md and examples/purchases.csv can name them in every demo database.
pub fn demo_id(name: &str) -> uuid::Uuid {
    uuid::Uuid::new_v5(&DEMO_NAMESPACE, name.as_bytes())
}

fn days_after(day: NaiveDate, n: u64) -> NaiveDate {
    day.checked_add_days(Days::new(n)).unwrap_or(day)
}

fn days_before(day: NaiveDate, n: u64) -> NaiveDate {
    day.checked_sub_days(Days::new(n)).unwrap_or(day)
}

fn ymd(year: i32, month: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(year, month, day).unwrap_or_default()
}

/// Seeds the demo catalog, dated relative to `today`. Run inside the seeding transaction.
pub fn seed(conn: &mut DbConn, actor: &Actor, today: NaiveDate) -> Result<DemoCatalog, AppError> {
    use names::*;

    let mut s = Seeder {
        conn,
        actor,
        ids: DemoCatalog::default(),
    };
    let year = today.year();
    let soon = |days: u64| days_after(today, days).to_string();
    let began = |days: u64| days_before(today, days).to_string();

    // Parties.
    let sol = s.party(
        SOL_NACIENTE_COOP,
        json!({"roles": ["asm_organisation", "mine_operator"], "country": "PE",
        "identifiers": [{"scheme": "national_registry", "value": "RUC 20600000001 (fictional)"}]}),
    )?;
    let rio = s.party(
        RIO_DORADO_ASSOCIATION,
        json!({"roles": ["asm_organisation", "mine_operator"], "country": "CO"}),
    )?;
    let kalimbi = s.party(
        KALIMBI_COOP,
        json!({"roles": ["asm_organisation"], "country": "CD"}),
    )?;
    let pirquineros = s.party(
        ATACAMA_PIRQUINEROS,
        json!({"roles": ["asm_organisation"], "country": "CL"}),
    )?;
    let andes = s.party(
        ANDES_COPPER,
        json!({"roles": ["mine_operator"], "country": "CL"}),
    )?;
    let highveld = s.party(
        HIGHVELD_PLATINUM,
        json!({"roles": ["mine_operator"], "country": "ZA"}),
    )?;
    let pilbara = s.party(
        PILBARA_LITHIUM,
        json!({"roles": ["mine_operator", "supplier"], "country": "AU"}),
    )?;
    let straits = s.party(
        STRAITS_TIN_COMPANY,
        json!({"roles": ["smelter_refiner"], "country": "MY"}),
    )?;
    let bangka = s.party(
        BANGKA_TIN_COMPANY,
        json!({"roles": ["smelter_refiner"], "country": "ID"}),
    )?;
    let alpine = s.party(
        ALPINE_REFINERY_COMPANY,
        json!({"roles": ["smelter_refiner", "trader"], "country": "CH"}),
    )?;
    let gulf = s.party(
        GULF_REFINERY_COMPANY,
        json!({"roles": ["smelter_refiner"], "country": "AE"}),
    )?;
    s.party(
        MERIDIAN_TRADING,
        json!({"roles": ["trader"], "country": "AE",
        "identifiers": [{"scheme": "lei", "value": "9845007DEMO0MERIDN68"}]}),
    )?;
    s.party(
        NORDIC_BATTERY_SUPPLIER,
        json!({"roles": ["supplier", "processor"], "country": "SE",
        "identifiers": [{"scheme": "vat", "value": "SE556000000101 (fictional)"}]}),
    )?;
    s.party(
        LIMA_GOLD_SUPPLIER,
        json!({"roles": ["trader", "supplier"], "country": "PE"}),
    )?;

    // Facilities.
    let sol_mine = s.facility(
        SOL_NACIENTE_MINE,
        json!({"kind": "mine", "mining_scale": "asm",
        "minerals": ["gold"], "country": "PE", "subdivision": "PE-MDD",
        "location": {"lat": -12.83, "lon": -69.97}, "operator_party_id": sol,
        "identifiers": [{"scheme": "mining_title", "value": "MDD-010203-DEMO"}]}),
    )?;
    let rio_mine = s.facility(
        RIO_DORADO_MINE,
        json!({"kind": "mine", "mining_scale": "asm",
        "minerals": ["gold", "silver"], "country": "CO", "subdivision": "CO-ANT",
        "location": {"lat": 7.05, "lon": -75.43}, "operator_party_id": rio}),
    )?;
    s.facility(KALIMBI_MINE, json!({"kind": "mine", "mining_scale": "asm",
        "minerals": ["tin", "tantalum"], "country": "CD", "subdivision": "CD-SK",
        "location": {"lat": -2.14, "lon": 28.86}, "operator_party_id": kalimbi, "cahra": true,
        "cahra_basis": "Eastern DRC: on the EU indicative list of conflict-affected and high-risk areas (fictional demo citation)"}))?;
    let cerro = s.facility(CERRO_AZUL_MINE, json!({"kind": "mine", "mining_scale": "lsm",
        "minerals": ["copper", "gold"], "country": "CL", "subdivision": "CL-AT",
        "location": {"lat": -27.37, "lon": -70.33}, "operator_party_id": andes,
        "identifiers": [{"scheme": "irma_site", "value": "IRMA-DEMO-CL-01"}],
        "asm_presence": true,
        "coexistence_agreement": {"status": "signed", "signed_on": ymd(year - 2, 3, 8).to_string(),
            "asm_party_ids": [pirquineros], "reference_url": "https://example.org/demo/cerro-azul-coexistence"}}))?;
    let bushveld = s.facility(
        BUSHVELD_MINE,
        json!({"kind": "mine", "mining_scale": "lsm",
        "minerals": ["platinum", "palladium"], "country": "ZA", "subdivision": "ZA-LP",
        "location": {"lat": -24.65, "lon": 30.05}, "operator_party_id": highveld,
        "identifiers": [{"scheme": "irma_site", "value": "IRMA-DEMO-ZA-01"}],
        "asm_presence": true}),
    )?;
    let pilbara_mine = s.facility(
        PILBARA_MINE,
        json!({"kind": "mine", "mining_scale": "lsm",
        "minerals": ["lithium"], "country": "AU", "subdivision": "AU-WA",
        "location": {"lat": -20.98, "lon": 118.75}, "operator_party_id": pilbara,
        "asm_presence": false}),
    )?;
    let straits_smelter = s.facility(
        STRAITS_TIN_SMELTER,
        json!({"kind": "smelter",
        "minerals": ["tin"], "country": "MY", "subdivision": "MY-07",
        "location": {"lat": 5.40, "lon": 100.36}, "operator_party_id": straits,
        "identifiers": [{"scheme": "rmi_cid", "value": STRAITS_TIN_CID}]}),
    )?;
    let bangka_smelter = s.facility(
        BANGKA_TIN_SMELTER,
        json!({"kind": "smelter",
        "minerals": ["tin"], "country": "ID", "subdivision": "ID-BB",
        "location": {"lat": -2.06, "lon": 105.16}, "operator_party_id": bangka,
        "identifiers": [{"scheme": "rmi_cid", "value": BANGKA_TIN_CID}]}),
    )?;
    s.facility(
        GULF_REFINERY,
        json!({"kind": "refiner", "minerals": ["gold", "silver"],
        "country": "AE", "subdivision": "AE-DU", "location": {"lat": 25.00, "lon": 55.10},
        "operator_party_id": gulf,
        "identifiers": [{"scheme": "rmi_cid", "value": GULF_REFINERY_CID}]}),
    )?;
    let alpine_refinery = s.facility(ALPINE_REFINERY, json!({"kind": "refiner",
        "minerals": ["gold", "silver", "platinum", "palladium"], "country": "CH",
        "subdivision": "CH-TI", "location": {"lat": 45.87, "lon": 8.98}, "operator_party_id": alpine,
        "identifiers": [{"scheme": "rmi_cid", "value": ALPINE_REFINERY_CID}]}))?;

    // Certificates.
    let facility_subject = |id: FacilityId| json!({"type": "facility", "id": id});
    s.certificate("FM-DEMO-PE-0007", json!({"subject": facility_subject(sol_mine),
        "scheme": "fairmined", "level": "fairmined_ecological", "status": "active",
        "valid_from": ymd(year - 1, 4, 1).to_string(), "valid_until": ymd(year + 2, 3, 31).to_string(),
        "assurance_body": "Demo Certification Body (fictional)", "minerals": ["gold"],
        "evidence_url": "https://example.org/demo/fairmined-sol-naciente.pdf"}))?;
    s.certificate(
        "CRAFT-DEMO-CO-0042",
        json!({"subject": facility_subject(rio_mine),
        "scheme": "craft", "status": "active", "valid_from": began(3 * 365 - 21),
        "valid_until": soon(21), "minerals": ["gold"],
        "reason": "Entry assessment completed; renewal due soon"}),
    )?;
    s.certificate("IRMA-DEMO-CL-01-75", json!({"subject": facility_subject(cerro),
        "scheme": "irma", "level": "irma_75", "status": "active",
        "valid_from": ymd(year - 1, 6, 1).to_string(), "valid_until": ymd(year + 2, 5, 31).to_string(),
        "assurance_body": "Demo Audit Partners (fictional)", "minerals": ["copper", "gold"]}))?;
    s.certificate("IRMA-DEMO-ZA-01-50", json!({"subject": facility_subject(bushveld),
        "scheme": "irma", "level": "irma_50", "status": "active",
        "valid_from": ymd(year - 2, 9, 1).to_string(), "valid_until": ymd(year + 1, 8, 31).to_string(),
        "minerals": ["platinum", "palladium"]}))?;
    s.certificate(
        "IRMA-DEMO-AU-01-T",
        json!({"subject": facility_subject(pilbara_mine),
        "scheme": "irma", "level": "transparency", "status": "active",
        "valid_from": began(3 * 365 - 45), "valid_until": soon(45), "minerals": ["lithium"]}),
    )?;
    s.certificate("RMAP-DEMO-CID009901", json!({"subject": facility_subject(straits_smelter),
        "scheme": "rmi_rmap", "level": "conformant", "status": "active",
        "valid_from": ymd(year - 1, 2, 1).to_string(), "valid_until": ymd(year + 2, 1, 31).to_string(),
        "minerals": ["tin"]}))?;
    let bangka_cert = s.certificate("RMAP-DEMO-CID009902", json!({"subject": facility_subject(bangka_smelter),
        "scheme": "rmi_rmap", "level": "conformant", "status": "active",
        "valid_from": ymd(year - 2, 1, 15).to_string(), "valid_until": ymd(year + 1, 1, 14).to_string(),
        "minerals": ["tin"]}))?;
    s.change_status(
        bangka_cert,
        CertificationStatus::Suspended,
        ymd(year - 1, 9, 15),
        "Reassessment found sourcing from an unassessed CAHRA supplier (fictional)",
    )?;
    s.certificate(
        "LBMA-DEMO-CH-0003",
        json!({"subject": facility_subject(alpine_refinery),
        "scheme": "lbma_rgg", "status": "active", "valid_from": began(365 - 30),
        "valid_until": soon(30), "minerals": ["gold", "silver"]}),
    )?;
    s.certificate("RJC-COP-DEMO-0815", json!({"subject": {"type": "party", "id": alpine},
        "scheme": "rjc_cop", "status": "active", "valid_from": ymd(year - 1, 10, 1).to_string(),
        "valid_until": ymd(year + 2, 9, 30).to_string(), "minerals": ["gold", "silver", "platinum"]}))?;
    Ok(s.ids)
}
