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

use super::catalog::names::*;
use super::catalog::{DemoCatalog, demo_id};
use crate::app::AppError;
use crate::app::provenance::{custody_events, lots};
use crate::db::DbConn;
use crate::domain::country::CountryCode;
use crate::domain::facility::Location;
use crate::domain::ids::{CustodyEventId, FacilityId, LotId, OrganisationId, PartyId};
use crate::domain::lot::{AmountDraft, Document, EventDraft, EventLine, LotDraft, LotLine};
use crate::domain::provenance::YieldTolerance;
use crate::domain::purchase::PurchaseLine;
use crate::domain::quantity::{Decimal, MassUnit, Quantity, QuantityInput};
use crate::domain::vocabulary::{
    ChainOfCustody, CustodyEventType, FacilityKind, FacilityStatus, LotForm, Mineral,
};
use crate::store::facility::{self, NewFacility};

/// The concentrator added for the gold chain.
pub const PUNO_CONCENTRATOR: &str = "Puno gold concentrator (fictional)";
/// The uncertified smelter of the gold chain.
pub const JULIACA_SMELTER: &str = "Juliaca doré smelter (fictional)";
/// The external refs of the demo purchases traced through lots.
pub const GOLD_PURCHASE: &str = "DEMO-PROV-GOLD-01";
pub const TIN_PURCHASE: &str = "DEMO-PROV-TIN-01";

fn invalid(what: &str, detail: impl std::fmt::Debug) -> AppError {
    AppError::internal(format!("demo provenance {what} is invalid: {detail:?}"))
}

fn day(today: NaiveDate, days_ago: u64) -> NaiveDate {
    today.checked_sub_days(Days::new(days_ago)).unwrap_or(today)
}

fn quantity(value: u32, unit: MassUnit) -> QuantityInput {
    QuantityInput {
        value: f64::from(value),
        unit,
    }
}

/// `value` `unit` of a lot.
fn q(lot: LotId, value: u32, unit: MassUnit) -> AmountDraft {
    AmountDraft {
        lot,
        quantity: Some(quantity(value, unit)),
    }
}

/// A lot, its whole quantity.
fn whole(lot: LotId) -> AmountDraft {
    AmountDraft {
        lot,
        quantity: None,
    }
}

fn event(event_type: CustodyEventType, occurred_on: NaiveDate) -> EventDraft {
    EventDraft {
        event_type,
        occurred_on,
        external_ref: None,
        facility: None,
        from_party: None,
        to_party: None,
        chain_of_custody: None,
        lots: Vec::new(),
        inputs: Vec::new(),
        outputs: Vec::new(),
        documents: Vec::new(),
    }
}

fn extraction(on: NaiveDate, mine: FacilityId, lot: LotId) -> EventDraft {
    EventDraft {
        facility: Some(mine),
        outputs: vec![whole(lot)],
        ..event(CustodyEventType::Extraction, on)
    }
}

fn transformation(
    on: NaiveDate,
    plant: FacilityId,
    chain: ChainOfCustody,
    inputs: Vec<AmountDraft>,
    output: LotId,
) -> EventDraft {
    EventDraft {
        facility: Some(plant),
        chain_of_custody: Some(chain),
        inputs,
        outputs: vec![whole(output)],
        ..event(CustodyEventType::Transformation, on)
    }
}

fn transfer(
    on: NaiveDate,
    (from, to): (PartyId, PartyId),
    lot: LotId,
    documents: &[(&str, &str)],
) -> EventDraft {
    EventDraft {
        from_party: Some(from),
        to_party: Some(to),
        lots: vec![whole(lot)],
        documents: documents
            .iter()
            .map(|(kind, reference)| Document {
                kind: (*kind).to_owned(),
                reference: (*reference).to_owned(),
            })
            .collect(),
        ..event(CustodyEventType::Transfer, on)
    }
}

struct Seeder<'a> {
    conn: &'a mut DbConn,
    organisation: OrganisationId,
}

impl Seeder<'_> {
    /// A gold plant in Peru, added to the catalog.
    fn plant(
        &mut self,
        name: &'static str,
        kind: FacilityKind,
        (lat, lon): (f64, f64),
    ) -> Result<FacilityId, AppError> {
        let new = NewFacility {
            name: name.to_owned(),
            kind,
            mining_scale: None,
            minerals: vec![Mineral::Gold],
            country: "PE".parse::<CountryCode>().map_err(|e| invalid(name, e))?,
            subdivision: None,
            location: Some(Location { lat, lon }),
            operator_party_id: None,
            identifiers: Vec::new(),
            cahra: false,
            cahra_basis: None,
            asm_presence: None,
            coexistence_agreement: None,
            status: FacilityStatus::Operating,
        };
        let id = FacilityId(demo_id(name));
        facility::insert_many(self.conn, &[(id, new)])?;
        Ok(id)
    }

    fn lot(
        &mut self,
        external_ref: &str,
        (mineral, form): (Mineral, LotForm),
        (value, unit): (u32, MassUnit),
        recycled: bool,
    ) -> Result<LotId, AppError> {
        let draft = LotDraft {
            external_ref: external_ref.to_owned(),
            mineral,
            form,
            quantity: quantity(value, unit),
            holder: None,
            recycled,
        };
        let line = LotLine::validate(&draft).map_err(|e| invalid(external_ref, e))?;
        let id = LotId(demo_id(&format!("lot:{external_ref}")));
        lots::create_with_id(self.conn, self.organisation, id, &line)?;
        Ok(id)
    }

    fn events(&mut self, events: Vec<(&str, EventDraft)>) -> Result<(), AppError> {
        let mut lines = Vec::new();
        for (name, draft) in events {
            let mut line = EventLine::validate(draft, "").map_err(|e| invalid(name, e))?;
            line.id = Some(CustodyEventId(demo_id(&format!("event:{name}"))));
            lines.push(line);
        }
        custody_events::record_without_audit(
            self.conn,
            self.organisation,
            &lines,
            YieldTolerance::NONE,
        )
        .map_err(|e| invalid("events", e.to_string()))?;
        Ok(())
    }
}

fn party(catalog: &DemoCatalog, name: &str) -> Result<PartyId, AppError> {
    catalog
        .parties
        .get(name)
        .copied()
        .ok_or_else(|| AppError::internal(format!("demo party {name} is missing")))
}

fn facility_id(catalog: &DemoCatalog, name: &str) -> Result<FacilityId, AppError> {
    catalog
        .facilities
        .get(name)
        .copied()
        .ok_or_else(|| AppError::internal(format!("demo facility {name} is missing")))
}

/// Seeds the demo chains and two purchases traced through them. Run inside the seeding
/// transaction, after the catalog.
pub fn seed(
    conn: &mut DbConn,
    purchaser: OrganisationId,
    catalog: &DemoCatalog,
    today: NaiveDate,
) -> Result<(), AppError> {
    use ChainOfCustody::{MassBalance, Segregated};
    use LotForm::{Concentrate, Dore, Metal, Ore, Scrap};
    use MassUnit::{Kg, T};
    use Mineral::{Gold, Tin};
    let mut s = Seeder {
        conn,
        organisation: purchaser,
    };
    let concentrator = s.plant(
        PUNO_CONCENTRATOR,
        FacilityKind::Concentrator,
        (-15.84, -70.02),
    )?;
    let juliaca = s.plant(JULIACA_SMELTER, FacilityKind::Smelter, (-15.5, -70.13))?;
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
    let ore_sol = s.lot("DEMO-ORE-SOL-01", (Gold, Ore), (2, T), false)?;
    let ore_rio = s.lot("DEMO-ORE-RIO-01", (Gold, Ore), (1, T), false)?;
    let conc_puno = s.lot("DEMO-CONC-PUNO-01", (Gold, Concentrate), (150, Kg), false)?;
    let conc_cerro = s.lot("DEMO-CONC-CERRO-01", (Gold, Concentrate), (100, Kg), false)?;
    let dore = s.lot("DEMO-DORE-JUL-01", (Gold, Dore), (20, Kg), false)?;
    let bars = s.lot("DEMO-BAR-ALP-01", (Gold, Metal), (19, Kg), false)?;
    // Tin: 10 t of cassiterite and 2 t of recycled scrap -> 6 t of ingots.
    let cassiterite = s.lot("DEMO-ORE-KAL-01", (Tin, Ore), (10, T), false)?;
    let scrap = s.lot("DEMO-SCRAP-TIN-01", (Tin, Scrap), (2, T), true)?;
    let ingots = s.lot("DEMO-INGOT-BKA-01", (Tin, Metal), (6, T), false)?;

    s.events(vec![
        ("sol-extraction", extraction(day(today, 150), sol, ore_sol)),
        ("rio-extraction", extraction(day(today, 148), rio, ore_rio)),
        (
            "cerro-extraction",
            extraction(day(today, 145), cerro, conc_cerro),
        ),
        (
            "puno-concentration",
            transformation(
                day(today, 140),
                concentrator,
                Segregated,
                vec![q(ore_sol, 2, T), q(ore_rio, 1, T)],
                conc_puno,
            ),
        ),
        (
            "juliaca-smelting",
            transformation(
                day(today, 130),
                juliaca,
                MassBalance,
                vec![q(conc_puno, 150, Kg), q(conc_cerro, 100, Kg)],
                dore,
            ),
        ),
        (
            "alpine-refining",
            transformation(
                day(today, 110),
                alpine,
                Segregated,
                vec![q(dore, 20, Kg)],
                bars,
            ),
        ),
        (
            "alpine-to-meridian",
            transfer(
                day(today, 100),
                (alpine_company, meridian),
                bars,
                &[
                    ("invoice", "ALP-INV-DEMO-2207"),
                    ("bill_of_lading", "BL-DEMO-ZRH-0042"),
                ],
            ),
        ),
        (
            "kalimbi-extraction",
            extraction(day(today, 160), kalimbi, cassiterite),
        ),
        (
            "bangka-smelting",
            transformation(
                day(today, 120),
                bangka,
                MassBalance,
                vec![q(cassiterite, 10, T), q(scrap, 2, T)],
                ingots,
            ),
        ),
        (
            "bangka-to-meridian",
            transfer(
                day(today, 90),
                (bangka_company, meridian),
                ingots,
                &[("purchase_order", "MER-PO-DEMO-7781")],
            ),
        ),
    ])?;

    let purchased_on = day(today, 60);
    let line = |external_ref: &str, mineral, value, unit, lot: LotId| {
        Ok::<_, AppError>(PurchaseLine {
            external_ref: external_ref.to_owned(),
            supplier: meridian,
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
            lot: Some(lot),
            origins: Vec::new(),
        })
    };
    let lines = vec![
        (0, line(GOLD_PURCHASE, Gold, 5, Kg, bars)?),
        (1, line(TIN_PURCHASE, Tin, 2, T, ingots)?),
    ];
    crate::app::purchases::batch::apply(s.conn, purchaser, &lines, &|_| {})?;
    Ok(())
}
