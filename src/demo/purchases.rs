//! The demo purchaser's year of purchases: gold, tin, copper, platinum and lithium from the demo
//! suppliers, with declared origins naming the demo mines (certified and not), recycled and
//! unknown shares, so that `GET /v1/sourcing-mix` shows a meaningful answer at once.
//!
//! The lines are generated deterministically (a fixed-seed generator), dated over the twelve
//! months before the day of seeding, and written through the same batch code as the API.

use chrono::{Datelike, Days, NaiveDate};

use super::catalog::DemoCatalog;
use super::catalog::names::*;
use crate::app::AppError;
use crate::app::batch::BatchReport;
use crate::app::purchases::batch;
use crate::db::DbConn;
use crate::domain::country::CountryCode;
use crate::domain::ids::{FacilityId, OrganisationId, PartyId, PurchaseId};
use crate::domain::purchase::{DeclaredShare, OriginTarget, PurchaseLine};
use crate::domain::quantity::{Decimal, MassUnit, Quantity};
use crate::domain::vocabulary::{Mineral, OriginClass};

/// Lines per month.
const PER_MONTH: usize = 16;

/// A supplier's habits: what it sells, in what unit and size, and where it says it comes from.
struct Profile {
    supplier: &'static str,
    mineral: Mineral,
    unit: MassUnit,
    /// Smallest and largest quantity, in `unit`.
    range: (u64, u64),
    /// Declared origins, one picked per line: (mine name or a class, country, share in ppb).
    origins: &'static [&'static [(Source, i64)]],
}

#[derive(Clone, Copy)]
enum Source {
    Mine(&'static str),
    Class(OriginClass, Option<&'static str>),
    Undeclared,
}

const GOLD_ORIGINS: &[&[(Source, i64)]] = &[
    &[(Source::Mine(SOL_NACIENTE_MINE), 1_000_000_000)],
    &[
        (Source::Mine(RIO_DORADO_MINE), 600_000_000),
        (Source::Class(OriginClass::Recycled, None), 400_000_000),
    ],
    &[
        (Source::Mine(CERRO_AZUL_MINE), 700_000_000),
        (Source::Mine(SOL_NACIENTE_MINE), 300_000_000),
    ],
    &[
        (Source::Class(OriginClass::Asm, Some("PE")), 500_000_000),
        (Source::Class(OriginClass::Lsm, Some("GH")), 500_000_000),
    ],
    &[(Source::Undeclared, 1_000_000_000)],
];

const TIN_ORIGINS: &[&[(Source, i64)]] = &[
    &[(Source::Mine(KALIMBI_MINE), 1_000_000_000)],
    &[
        (Source::Mine(KALIMBI_MINE), 250_000_000),
        (Source::Class(OriginClass::Lsm, Some("ID")), 750_000_000),
    ],
    &[(Source::Class(OriginClass::Recycled, None), 1_000_000_000)],
    &[(Source::Undeclared, 1_000_000_000)],
];

const COPPER_ORIGINS: &[&[(Source, i64)]] = &[
    &[(Source::Mine(CERRO_AZUL_MINE), 1_000_000_000)],
    &[
        (Source::Mine(CERRO_AZUL_MINE), 800_000_000),
        (Source::Class(OriginClass::Recycled, None), 200_000_000),
    ],
];

const PLATINUM_ORIGINS: &[&[(Source, i64)]] = &[
    &[(Source::Mine(BUSHVELD_MINE), 1_000_000_000)],
    &[(Source::Undeclared, 1_000_000_000)],
];

const LITHIUM_ORIGINS: &[&[(Source, i64)]] = &[
    &[(Source::Mine(PILBARA_MINE), 1_000_000_000)],
    &[
        (Source::Mine(PILBARA_MINE), 500_000_000),
        (Source::Class(OriginClass::Unknown, None), 500_000_000),
    ],
];

const PROFILES: &[Profile] = &[
    Profile {
        supplier: LIMA_GOLD_SUPPLIER,
        mineral: Mineral::Gold,
        unit: MassUnit::TroyOz,
        range: (200, 3_000),
        origins: GOLD_ORIGINS,
    },
    Profile {
        supplier: MERIDIAN_TRADING,
        mineral: Mineral::Gold,
        unit: MassUnit::Kg,
        range: (5, 60),
        origins: GOLD_ORIGINS,
    },
    Profile {
        supplier: MERIDIAN_TRADING,
        mineral: Mineral::Tin,
        unit: MassUnit::T,
        range: (2, 25),
        origins: TIN_ORIGINS,
    },
    Profile {
        supplier: ANDES_COPPER,
        mineral: Mineral::Copper,
        unit: MassUnit::T,
        range: (40, 400),
        origins: COPPER_ORIGINS,
    },
    Profile {
        supplier: HIGHVELD_PLATINUM,
        mineral: Mineral::Platinum,
        unit: MassUnit::Kg,
        range: (1, 20),
        origins: PLATINUM_ORIGINS,
    },
    Profile {
        supplier: NORDIC_BATTERY_SUPPLIER,
        mineral: Mineral::Lithium,
        unit: MassUnit::T,
        range: (5, 80),
        origins: LITHIUM_ORIGINS,
    },
];

/// A small deterministic generator (xorshift), so every demo database holds the same lines.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n.max(1)
    }
}

fn facility(catalog: &DemoCatalog, name: &str) -> Result<FacilityId, AppError> {
    catalog
        .facilities
        .get(name)
        .copied()
        .ok_or_else(|| AppError::internal(format!("demo facility {name} is missing")))
}

fn supplier(catalog: &DemoCatalog, name: &str) -> Result<PartyId, AppError> {
    catalog
        .parties
        .get(name)
        .copied()
        .ok_or_else(|| AppError::internal(format!("demo party {name} is missing")))
}

/// The demo lines: `PER_MONTH` a month over the twelve months before `today`.
pub fn lines(catalog: &DemoCatalog, today: NaiveDate) -> Result<Vec<PurchaseLine>, AppError> {
    let mut rng = Rng(0x0de0_5eed_2026_0001);
    let first = today
        .checked_sub_days(Days::new(365))
        .unwrap_or(today)
        .with_day(1)
        .unwrap_or(today);
    let mut lines = Vec::new();
    for month in 0..12u32 {
        let Some(start) = first.checked_add_months(chrono::Months::new(month)) else {
            continue;
        };
        for n in 0..PER_MONTH {
            let profile = &PROFILES[rng.below(PROFILES.len() as u64) as usize];
            let day = start
                .checked_add_days(Days::new(rng.below(28)))
                .unwrap_or(start);
            if day > today {
                continue;
            }
            let amount = profile.range.0 + rng.below(profile.range.1 - profile.range.0 + 1);
            let quantity = Quantity::new(
                Decimal {
                    digits: i128::from(amount),
                    scale: 0,
                },
                profile.unit,
            )
            .map_err(|e| AppError::internal(format!("demo quantity: {e}")))?;
            let declared = profile.origins[rng.below(profile.origins.len() as u64) as usize];
            let mut origins = Vec::new();
            for (source, share_ppb) in declared {
                let target = match source {
                    Source::Undeclared => continue,
                    Source::Mine(name) => OriginTarget::Facility(facility(catalog, name)?),
                    Source::Class(class, country) => OriginTarget::Class {
                        class: *class,
                        country: country.and_then(|c| c.parse::<CountryCode>().ok()),
                    },
                };
                origins.push(DeclaredShare {
                    target,
                    share_ppb: *share_ppb,
                });
            }
            lines.push(PurchaseLine {
                external_ref: format!("DEMO-{}-{n:02}", start.format("%Y%m")),
                supplier: supplier(catalog, profile.supplier)?,
                mineral: profile.mineral,
                quantity,
                purchased_on: day,
                lot: None,
                origins,
            });
        }
    }
    Ok(lines)
}

/// Seeds the demo purchaser's purchases. Run inside the seeding transaction.
pub fn seed(
    conn: &mut DbConn,
    purchaser: OrganisationId,
    catalog: &DemoCatalog,
    today: NaiveDate,
) -> Result<BatchReport<PurchaseId>, AppError> {
    let lines: Vec<(usize, PurchaseLine)> =
        lines(catalog, today)?.into_iter().enumerate().collect();
    batch::apply(conn, purchaser, &lines, &|_| {})
}
