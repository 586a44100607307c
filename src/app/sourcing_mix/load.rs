//! What the mix reads: the period's origin quantities and the certificates of their facilities.
//!
//! Whole months come from the monthly rollup and the days at the period's edges from the daily
//! one (`domain::mix::plan`). A facility whose certificates may change standing within a month
//! is read by day for that month (`domain::mix::steady_through`), so that every quantity is
//! still judged on its purchase date; a monthly cell is dated the first day of its month.
//!
//! Each run of the period (the days at either edge, the whole months) is summed in the
//! database into one cell per key, dated the run's first day, for every facility whose
//! certificates cannot change standing within the run
//! (`store::certificate_facts::facilities_changing`); only the others' cells are read one by
//! one. When the answer is by month, the whole months are read month by month and a run of
//! days is summed within each month. A year not by month reads about a twelfth of the cells.
//! SQLite, which reads its rows in process, sums runs of days only (docs/PERFORMANCE.md, "Mix:
//! each run summed in the database").
//!
//! An answer not grouped by supplier reads its whole months from the monthly rollup summed over
//! suppliers (`purchase_mix_monthly_by_origin`, both backends), and its runs of days summed over
//! suppliers where the database sums (PostgreSQL): the cells then carry no supplier, and a year
//! by month reads about half the cells, as stored (docs/PERFORMANCE.md, "Mix: suppliers summed
//! away" and "Mix: a monthly rollup without the supplier").

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::NaiveDate;

use super::MixRequest;
use super::traced;
use crate::app::AppError;
use crate::db::DbConn;
use crate::domain::ids::{FacilityId, OrganisationId};
use crate::domain::mix::{self as rules, Basis, GroupDimension, MixOrigin};
use crate::domain::policy::CertificateFacts;
use crate::domain::vocabulary::{Mineral, OriginClass};
use crate::store::certificate_facts::{self, Subject};
use crate::store::mix::{self, Grain, OriginAggregate, Summing};

/// Each facility's certificates (a facility without any is not listed).
pub(super) type Certificates = HashMap<FacilityId, Vec<CertificateFacts>>;

/// A rollup cell or a recorded origin row, as the mix counts it: declared, or unknown.
pub(super) fn as_origin(row: OriginAggregate) -> MixOrigin {
    MixOrigin {
        purchased_on: row.purchased_on,
        mineral: row.mineral,
        supplier: row.supplier_party_id,
        facility: row.facility_id,
        origin_class: row.origin_class,
        country: row.country,
        basis: if row.declared {
            Basis::Declared
        } else {
            Basis::Unknown
        },
        quantity_mg: row.quantity_mg,
        quantity_uozt: row.quantity_uozt,
    }
}

/// The period's origin quantities and the certificates of their facilities: the rollups'
/// cells, except that the purchases naming a lot (kept apart in the rollups) count as what
/// tracing their lots says.
pub(super) fn origins(
    conn: &mut DbConn,
    organisation: OrganisationId,
    request: &MixRequest,
) -> Result<(Vec<MixOrigin>, Certificates), AppError> {
    let (from, to, mineral) = (request.from, request.to, request.mineral);
    let plan = rules::plan(from, to);
    let by_month = request
        .group_by
        .dimensions()
        .contains(&GroupDimension::Month);
    let suppliers = request
        .group_by
        .dimensions()
        .contains(&GroupDimension::Supplier);
    let mut certificates = Certificates::new();
    let mut cells = Vec::new();
    for &(first, last) in &plan.days {
        // A run of days is summed whole, or month by month when the answer is by month.
        let runs = if by_month {
            rules::within_months(first, last)
        } else {
            vec![(first, last)]
        };
        for (first, last) in runs {
            let run = Run {
                organisation,
                grain: Grain::Day,
                first,
                last,
                mineral,
                suppliers,
            };
            cells.extend(run.summed(conn, &mut certificates)?);
        }
    }
    if let Some((first, last)) = plan.months {
        let run = Run {
            organisation,
            grain: Grain::Month,
            first,
            last,
            mineral,
            suppliers,
        };
        cells.extend(if by_month {
            run.one_by_one(conn, &mut certificates)?
        } else {
            run.summed(conn, &mut certificates)?
        });
    }
    let any_lot = cells.iter().any(|c| c.has_lot);
    let mut origins: Vec<MixOrigin> = cells
        .into_iter()
        .filter(|c| !c.has_lot)
        .map(as_origin)
        .collect();
    if any_lot {
        let purchases = mix::lot_purchases(conn, organisation, from, to, mineral)?;
        origins.extend(traced::origins(conn, organisation, purchases)?);
    }
    let facilities: BTreeSet<FacilityId> = origins.iter().filter_map(|o| o.facility).collect();
    load_certificates(conn, &facilities, &mut certificates)?;
    Ok((origins, certificates))
}

/// Beyond this many facilities whose certificates change within a run, the run is read cell by
/// cell (the list would make the summed statement long).
const MOST_APART: usize = 2_000;

/// A run of a mix's period read from one rollup: days (`first` to `last`), or whole months
/// (from the first day of `first`'s month to the end of `last`'s).
struct Run {
    organisation: OrganisationId,
    grain: Grain,
    first: NaiveDate,
    last: NaiveDate,
    mineral: Option<Mineral>,
    /// Whether the answer shows suppliers: if not, the run may be read summed over them.
    suppliers: bool,
}

impl Run {
    /// The run's last day.
    fn end(&self) -> NaiveDate {
        match self.grain {
            Grain::Day => self.last,
            Grain::Month => rules::month_end(self.last),
        }
    }

    /// The run's cells summed over its days or months: one cell per key, dated the run's first
    /// day, for every facility whose certificates cannot change standing within the run (its
    /// standing on the first day is then its standing on every day); the cells of the others
    /// stay one by one ([`Run::steady`]). SQLite sums runs of days only
    /// (`store::mix::aggregate_summed` says why).
    fn summed(
        &self,
        conn: &mut DbConn,
        certificates: &mut Certificates,
    ) -> Result<Vec<OriginAggregate>, AppError> {
        if !mix::sums_in_database(conn, self.grain) {
            return self.one_by_one(conn, certificates);
        }
        let end = self.end();
        let moving = certificate_facts::facilities_changing(conn, self.first, end)?;
        if moving.len() > MOST_APART {
            return self.one_by_one(conn, certificates);
        }
        let cells = self.read(conn, &moving, false)?;
        let moving: BTreeSet<FacilityId> = moving.into_iter().collect();
        let (apart, summed): (Vec<OriginAggregate>, Vec<OriginAggregate>) = cells
            .into_iter()
            .partition(|c| c.facility_id.is_some_and(|f| moving.contains(&f)));
        // The summed cells are judged on the first day with the certificates loaded here: had
        // one changed since `facilities_changing` read them, the run is read again cell by
        // cell, so that the answer rests on the certificates it was judged with.
        let judged = judged(&summed);
        load_certificates(conn, &judged, certificates)?;
        let changed_since = judged.iter().any(|f| {
            certificates
                .get(f)
                .is_some_and(|c| !rules::steady_through(&rules::change_days(c), self.first, end))
        });
        if changed_since {
            return self.one_by_one(conn, certificates);
        }
        let mut cells = summed;
        cells.extend(self.steady(conn, apart, certificates)?);
        Ok(cells)
    }

    /// The run's cells one by one: each day's, or each month's (and by day where needed:
    /// [`Run::steady`]); summed over suppliers where the database sums and the answer does not
    /// show them.
    fn one_by_one(
        &self,
        conn: &mut DbConn,
        certificates: &mut Certificates,
    ) -> Result<Vec<OriginAggregate>, AppError> {
        let cells = self.read(conn, &[], true)?;
        self.steady(conn, cells, certificates)
    }

    /// The run's cells, each dated by its own day or month when `dates`, otherwise summed over
    /// the run except `apart`'s; summed over suppliers unless the answer shows them.
    fn read(
        &self,
        conn: &mut DbConn,
        apart: &[FacilityId],
        dates: bool,
    ) -> Result<Vec<OriginAggregate>, AppError> {
        let summing = Summing {
            dates,
            suppliers: self.suppliers,
        };
        Ok(mix::aggregate_summed(
            conn,
            self.organisation,
            self.grain,
            (self.first, self.last),
            self.mineral,
            apart,
            summing,
        )?)
    }

    /// These cells, each judged exactly on its date: a daily cell as it is; a monthly cell,
    /// except that the months in which a judged facility's certificates may change standing
    /// are read again by day for that facility (all its cells of that month).
    fn steady(
        &self,
        conn: &mut DbConn,
        months: Vec<OriginAggregate>,
        certificates: &mut Certificates,
    ) -> Result<Vec<OriginAggregate>, AppError> {
        if self.grain == Grain::Day {
            // A daily cell is judged on its own day.
            return Ok(months);
        }
        let judged = judged(&months);
        load_certificates(conn, &judged, certificates)?;
        let changes: HashMap<FacilityId, BTreeSet<NaiveDate>> = judged
            .iter()
            .filter_map(|f| certificates.get(f).map(|c| (*f, rules::change_days(c))))
            .collect();
        let mut by_day: BTreeMap<NaiveDate, BTreeSet<FacilityId>> = BTreeMap::new();
        for cell in &months {
            let Some(changes) = cell.facility_id.and_then(|f| changes.get(&f)) else {
                continue;
            };
            let month = cell.purchased_on;
            if !rules::steady_through(changes, month, rules::month_end(month)) {
                by_day.entry(month).or_default().extend(cell.facility_id);
            }
        }
        let mut cells: Vec<OriginAggregate> = months
            .into_iter()
            .filter(|c| {
                c.facility_id
                    .is_none_or(|f| !by_day.get(&c.purchased_on).is_some_and(|s| s.contains(&f)))
            })
            .collect();
        for (month, facilities) in by_day {
            let facilities: Vec<FacilityId> = facilities.into_iter().collect();
            cells.extend(mix::rollup_cells(
                conn,
                self.organisation,
                Grain::Day,
                (month, rules::month_end(month)),
                self.mineral,
                Some(&facilities),
            )?);
        }
        Ok(cells)
    }
}

/// The facilities whose quantities in these cells are judged: only ASM and LSM quantities of a
/// facility are (`domain::mix::classify`).
fn judged(cells: &[OriginAggregate]) -> BTreeSet<FacilityId> {
    cells
        .iter()
        .filter(|c| matches!(c.origin_class, OriginClass::Asm | OriginClass::Lsm))
        .filter_map(|c| c.facility_id)
        .collect()
}

/// Loads the certificates of the facilities not loaded yet.
fn load_certificates(
    conn: &mut DbConn,
    facilities: &BTreeSet<FacilityId>,
    certificates: &mut Certificates,
) -> Result<(), AppError> {
    let missing: Vec<FacilityId> = facilities
        .iter()
        .filter(|f| !certificates.contains_key(f))
        .copied()
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    // The certificate facts are keyed by the catalog's text ids.
    let keys: Vec<String> = missing.iter().map(FacilityId::to_string).collect();
    let mut by_key = certificate_facts::for_subjects(conn, Subject::Facility, &keys)?;
    for (id, key) in missing.into_iter().zip(keys) {
        certificates.insert(id, by_key.remove(&key).unwrap_or_default());
    }
    Ok(())
}
