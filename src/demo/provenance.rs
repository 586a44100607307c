//! The demo purchaser's supply chains, recorded as lots and custody events, so that
//! `GET /v1/purchases/{id}/provenance` and `GET /v1/red-flags` answer something worth reading:
//!
//! - **Gold.** Ore from two ASM mines in Peru (Sol Naciente, Fairmined; Río Dorado, CRAFT) goes
//!   through a concentrator in Puno; the concentrate and a concentrate from the LSM mine Cerro
//!   Azul (IRMA 75, coexistence agreement signed) are smelted into doré at a smelter in Juliaca
//!   that holds no smelter certificate (`smelter_not_conformant`), refined into bars at the
//!   Alpine refinery (LBMA) and sold by the refinery's company to Meridian Metals Trading, from
//!   which the purchaser buys.
//! - **Tin.** Cassiterite from the Kalimbi ASM mine (eastern DRC, a CAHRA; no ASM certificate:
//!   `cahra_origin`, `uncertified_asm_origin`) and recycled tin scrap are smelted at the Bangka
//!   smelter, whose RMAP certificate is suspended (`smelter_not_conformant`), and sold to
//!   Meridian Metals Trading.
//!
//! Lots, events and the concentrator and smelter added here have fixed name-based ids
//! ([`super::catalog::demo_id`]); dates are relative to the day of seeding.

use chrono::{Days, NaiveDate};
use serde_json::{Value, json};

use super::catalog::names::*;
use super::catalog::{DemoCatalog, demo_id};
use crate::api::error::ApiError;
use crate::db::DbConn;
use crate::domain::ids::{CustodyEventId, FacilityId, LotId, OrganisationId, PartyId};
use crate::domain::lot::{CustodyEventInput, EventLine, LotInput, LotLine};
use crate::domain::provenance::YieldTolerance;
use crate::domain::purchase::PurchaseLine;
use crate::domain::quantity::{Decimal, MassUnit, Quantity};
use crate::domain::vocabulary::Mineral;
use crate::store::{custody_event, facility, lot, purchase};

/// The concentrator added for the gold chain.
pub const PUNO_CONCENTRATOR: &str = "Puno gold concentrator (fictional)";
/// The uncertified smelter of the gold chain.
pub const JULIACA_SMELTER: &str = "Juliaca doré smelter (fictional)";
/// The external refs of the demo purchases traced through lots.
pub const GOLD_PURCHASE: &str = "DEMO-PROV-GOLD-01";
pub const TIN_PURCHASE: &str = "DEMO-PROV-TIN-01";

fn invalid(what: &str, detail: impl std::fmt::Debug) -> ApiError {
    ApiError::internal(format!("demo provenance {what} is invalid: {detail:?}"))
}

fn day(today: NaiveDate, days_ago: u64) -> String {
    today
        .checked_sub_days(Days::new(days_ago))
        .unwrap_or(today)
        .to_string()
}

struct Seeder<'a> {
    conn: &'a mut DbConn,
    organisation: OrganisationId,
}

impl Seeder<'_> {
    fn facility(&mut self, name: &'static str, body: Value) -> Result<String, ApiError> {
        let mut body = body;
        body["name"] = json!(name);
        let new = crate::app::catalog::facilities::parse(body).map_err(|e| invalid(name, e))?;
        let id = FacilityId(demo_id(name));
        facility::insert_many(self.conn, &[(id, new)])?;
        Ok(id.to_string())
    }

    fn lot(&mut self, external_ref: &str, body: Value) -> Result<String, ApiError> {
        let mut body = body;
        body["external_ref"] = json!(external_ref);
        let input: LotInput = serde_json::from_value(body).map_err(|e| invalid(external_ref, e))?;
        let line = LotLine::validate(&input).map_err(|e| invalid(external_ref, e))?;
        let id = LotId(demo_id(&format!("lot:{external_ref}")));
        lot::create_with_id(self.conn, self.organisation, id, &line)?;
        Ok(id.to_string())
    }

    fn events(&mut self, events: Vec<(&str, Value)>) -> Result<(), ApiError> {
        let mut lines = Vec::new();
        for (name, body) in events {
            let input: CustodyEventInput =
                serde_json::from_value(body).map_err(|e| invalid(name, e))?;
            let mut line = EventLine::validate(&input, "").map_err(|e| invalid(name, e))?;
            line.id = Some(CustodyEventId(demo_id(&format!("event:{name}"))));
            lines.push(line);
        }
        custody_event::record(self.conn, self.organisation, &lines, YieldTolerance::NONE)
            .map_err(|e| invalid("events", ApiError::from(e).errors))?;
        Ok(())
    }
}

fn party(catalog: &DemoCatalog, name: &str) -> Result<String, ApiError> {
    catalog
        .parties
        .get(name)
        .map(PartyId::to_string)
        .ok_or_else(|| ApiError::internal(format!("demo party {name} is missing")))
}

fn facility_id(catalog: &DemoCatalog, name: &str) -> Result<String, ApiError> {
    catalog
        .facilities
        .get(name)
        .map(FacilityId::to_string)
        .ok_or_else(|| ApiError::internal(format!("demo facility {name} is missing")))
}

fn lot_json(mineral: &str, form: &str, value: i64, unit: &str) -> Value {
    json!({"mineral": mineral, "form": form, "quantity": {"value": value, "unit": unit}})
}

fn q(lot_id: &str, value: i64, unit: &str) -> Value {
    json!({"lot_id": lot_id, "quantity": {"value": value, "unit": unit}})
}

/// Seeds the demo chains and two purchases traced through them. Run inside the seeding
/// transaction, after the catalog.
pub fn seed(
    conn: &mut DbConn,
    purchaser: OrganisationId,
    catalog: &DemoCatalog,
    today: NaiveDate,
) -> Result<(), ApiError> {
    let mut s = Seeder {
        conn,
        organisation: purchaser,
    };
    let concentrator = s.facility(
        PUNO_CONCENTRATOR,
        json!({"kind": "concentrator", "minerals": ["gold"], "country": "PE",
               "location": {"lat": -15.84, "lon": -70.02}}),
    )?;
    let juliaca = s.facility(
        JULIACA_SMELTER,
        json!({"kind": "smelter", "minerals": ["gold"], "country": "PE",
               "location": {"lat": -15.5, "lon": -70.13}}),
    )?;
    let sol = facility_id(catalog, SOL_NACIENTE_MINE)?;
    let rio = facility_id(catalog, RIO_DORADO_MINE)?;
    let cerro = facility_id(catalog, CERRO_AZUL_MINE)?;
    let alpine = facility_id(catalog, ALPINE_REFINERY)?;
    let kalimbi = facility_id(catalog, KALIMBI_MINE)?;
    let bangka = facility_id(catalog, BANGKA_TIN_SMELTER)?;
    let alpine_company = party(catalog, ALPINE_REFINERY_COMPANY)?;
    let bangka_company = party(catalog, BANGKA_TIN_COMPANY)?;
    let meridian = party(catalog, MERIDIAN_TRADING)?;

    // Gold: 2 t + 1 t of ASM ore -> 150 kg of concentrate; with 100 kg of LSM concentrate -> 20 kg
    // of doré -> 19 kg of bars.
    let ore_sol = s.lot("DEMO-ORE-SOL-01", lot_json("gold", "ore", 2, "t"))?;
    let ore_rio = s.lot("DEMO-ORE-RIO-01", lot_json("gold", "ore", 1, "t"))?;
    let conc_puno = s.lot(
        "DEMO-CONC-PUNO-01",
        lot_json("gold", "concentrate", 150, "kg"),
    )?;
    let conc_cerro = s.lot(
        "DEMO-CONC-CERRO-01",
        lot_json("gold", "concentrate", 100, "kg"),
    )?;
    let dore = s.lot("DEMO-DORE-JUL-01", lot_json("gold", "dore", 20, "kg"))?;
    let bars = s.lot("DEMO-BAR-ALP-01", lot_json("gold", "metal", 19, "kg"))?;
    // Tin: 10 t of cassiterite and 2 t of recycled scrap -> 6 t of ingots.
    let cassiterite = s.lot("DEMO-ORE-KAL-01", lot_json("tin", "ore", 10, "t"))?;
    let mut scrap = lot_json("tin", "scrap", 2, "t");
    scrap["recycled"] = json!(true);
    let scrap = s.lot("DEMO-SCRAP-TIN-01", scrap)?;
    let ingots = s.lot("DEMO-INGOT-BKA-01", lot_json("tin", "metal", 6, "t"))?;

    s.events(vec![
        (
            "sol-extraction",
            json!({"type": "extraction", "occurred_on": day(today, 150),
            "facility_id": sol, "outputs": [{"lot_id": ore_sol}]}),
        ),
        (
            "rio-extraction",
            json!({"type": "extraction", "occurred_on": day(today, 148),
            "facility_id": rio, "outputs": [{"lot_id": ore_rio}]}),
        ),
        (
            "cerro-extraction",
            json!({"type": "extraction", "occurred_on": day(today, 145),
            "facility_id": cerro, "outputs": [{"lot_id": conc_cerro}]}),
        ),
        (
            "puno-concentration",
            json!({"type": "transformation", "occurred_on": day(today, 140),
            "facility_id": concentrator, "chain_of_custody": "segregated",
            "inputs": [q(&ore_sol, 2, "t"), q(&ore_rio, 1, "t")],
            "outputs": [{"lot_id": conc_puno}]}),
        ),
        (
            "juliaca-smelting",
            json!({"type": "transformation", "occurred_on": day(today, 130),
            "facility_id": juliaca, "chain_of_custody": "mass_balance",
            "inputs": [q(&conc_puno, 150, "kg"), q(&conc_cerro, 100, "kg")],
            "outputs": [{"lot_id": dore}]}),
        ),
        (
            "alpine-refining",
            json!({"type": "transformation", "occurred_on": day(today, 110),
            "facility_id": alpine, "chain_of_custody": "segregated",
            "inputs": [q(&dore, 20, "kg")], "outputs": [{"lot_id": bars}]}),
        ),
        (
            "alpine-to-meridian",
            json!({"type": "transfer", "occurred_on": day(today, 100),
            "from_party_id": alpine_company, "to_party_id": meridian,
            "lots": [{"lot_id": bars}],
            "documents": [{"type": "invoice", "reference": "ALP-INV-DEMO-2207"},
                          {"type": "bill_of_lading", "reference": "BL-DEMO-ZRH-0042"}]}),
        ),
        (
            "kalimbi-extraction",
            json!({"type": "extraction", "occurred_on": day(today, 160),
            "facility_id": kalimbi, "outputs": [{"lot_id": cassiterite}]}),
        ),
        (
            "bangka-smelting",
            json!({"type": "transformation", "occurred_on": day(today, 120),
            "facility_id": bangka, "chain_of_custody": "mass_balance",
            "inputs": [q(&cassiterite, 10, "t"), q(&scrap, 2, "t")],
            "outputs": [{"lot_id": ingots}]}),
        ),
        (
            "bangka-to-meridian",
            json!({"type": "transfer", "occurred_on": day(today, 90),
            "from_party_id": bangka_company, "to_party_id": meridian,
            "lots": [{"lot_id": ingots}],
            "documents": [{"type": "purchase_order", "reference": "MER-PO-DEMO-7781"}]}),
        ),
    ])?;

    let supplier: PartyId = meridian.parse().map_err(|e| invalid("supplier", e))?;
    let purchased_on = today.checked_sub_days(Days::new(60)).unwrap_or(today);
    let line = |external_ref: &str, mineral, value, unit, lot: &str| {
        Ok::<_, ApiError>(PurchaseLine {
            external_ref: external_ref.to_owned(),
            supplier,
            mineral,
            quantity: Quantity::new(
                Decimal {
                    digits: value,
                    scale: 0,
                },
                unit,
            )
            .map_err(|e| invalid(external_ref, e))?,
            purchased_on,
            lot: Some(lot.parse().map_err(|e| invalid(external_ref, e))?),
            origins: Vec::new(),
        })
    };
    let lines = vec![
        (
            0,
            line(GOLD_PURCHASE, Mineral::Gold, 5, MassUnit::Kg, &bars)?,
        ),
        (
            1,
            line(TIN_PURCHASE, Mineral::Tin, 2, MassUnit::T, &ingots)?,
        ),
    ];
    purchase::apply_batch(s.conn, purchaser, &lines, &|_| {})?;
    Ok(())
}
