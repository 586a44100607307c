//! The red flags of the organisation's purchases that name a lot, each purchase traced through
//! its lot (as a purchase's trace), in purchase order, a page at a time; each with its id and
//! its case's summary (`open` when the organisation has not worked on it yet).

use std::ops::Bound;

use crate::app::AppError;
use crate::db::DbConn;
use crate::domain::ids::{OrganisationId, PurchaseId, RedFlagId};
use crate::domain::provenance::{LotQuantity, YieldTolerance};
use crate::domain::red_flags::case::CaseStatus;
use crate::domain::red_flags::{RedFlag, fingerprint, flag_id};
use crate::domain::vocabulary::{RedFlagKind, Severity};
use crate::store::page::PageRequest;
use crate::store::provenance::{PurchaseScope, PurchaseWithLot, TraceContext, purchases_with_lots};
use crate::store::red_flag_case::{self, CaseSummary};

use super::trace::trace_error;

/// Purchases traced per round of set-based loading.
const BATCH: i64 = 200;

/// Which flags: of a kind, of a severity, whose case has a status, raised by the purchases in
/// a scope.
#[derive(Clone, Debug, Default)]
pub struct RedFlagFilter {
    pub kind: Option<RedFlagKind>,
    pub severity: Option<Severity>,
    /// A flag without a case is `open`.
    pub case_status: Option<CaseStatus>,
    pub purchases: PurchaseScope,
}

/// A red flag raised by one purchase's chain, with its id, its case and its key in the list.
#[derive(Clone, Debug)]
pub struct PurchaseFlag {
    pub purchase: PurchaseWithLot,
    pub flag: RedFlag,
    /// What makes it the same flag when computed again (`domain::red_flags::fingerprint`).
    pub fingerprint: String,
    /// Its public id (`domain::red_flags::flag_id`).
    pub id: RedFlagId,
    /// Its case's summary; `open` with nothing else when there is no case yet.
    pub case: CaseSummary,
    /// The purchase id and the flag's position among the purchase's flags (`…/000003`).
    pub key: String,
}

/// The summary of a flag nobody has worked on.
pub fn no_case() -> CaseSummary {
    CaseSummary {
        status: CaseStatus::Open,
        assignee: None,
        due_date: None,
    }
}

/// A flag raised now, with its fingerprint and id.
pub type IdentifiedFlag = (RedFlag, String, RedFlagId);

/// The flags each purchase's chain raises now, each purchase traced through its lot, with the
/// flags' fingerprints and ids.
pub fn evaluate(
    conn: &mut DbConn,
    organisation: OrganisationId,
    purchases: &[PurchaseWithLot],
    tolerance: YieldTolerance,
) -> Result<Vec<Vec<IdentifiedFlag>>, AppError> {
    let lots: Vec<String> = purchases.iter().map(|p| p.lot_id.to_string()).collect();
    let context = TraceContext::load(conn, organisation, &lots)?;
    let mut found = Vec::with_capacity(purchases.len());
    for (p, lot_id) in purchases.iter().zip(lots) {
        let roots = [LotQuantity {
            lot_id,
            quantity_mg: p.quantity_mg,
            quantity_uozt: p.quantity_uozt,
        }];
        let evaluated = context
            .evaluate(&roots, Some(p.mineral), Some(p.purchased_on), tolerance)
            .map_err(trace_error)?;
        found.push(
            evaluated
                .flags
                .into_iter()
                .map(|flag| {
                    let print = fingerprint(p.id, &flag);
                    let id = flag_id(organisation, p.id, &print);
                    (flag, print, id)
                })
                .collect(),
        );
    }
    Ok(found)
}

/// The purchase `id` of the organisation, if it names a lot, with the flags its chain raises now.
pub fn of_purchase(
    conn: &mut DbConn,
    organisation: OrganisationId,
    id: PurchaseId,
    tolerance: YieldTolerance,
) -> Result<Option<(PurchaseWithLot, Vec<IdentifiedFlag>)>, AppError> {
    let mut found = purchases_with_lots(
        conn,
        organisation,
        &PurchaseScope::default(),
        Bound::Included(id),
        Some(1),
    )?;
    found.retain(|p| p.id == id);
    let Some(purchase) = found.pop() else {
        return Ok(None);
    };
    let flags = evaluate(
        conn,
        organisation,
        std::slice::from_ref(&purchase),
        tolerance,
    )?
    .pop()
    .unwrap_or_default();
    Ok(Some((purchase, flags)))
}

/// A list key is the purchase id and the flag's position in it; this accepts exactly the keys
/// of the documented cursor pattern (hyphenated lowercase id, `/`, 6 to 9 digits), so that a
/// well-formed cursor is never refused.
pub fn parse_key(key: &str) -> Option<(PurchaseId, u32)> {
    let (purchase, index) = key.split_once('/')?;
    let id = uuid::Uuid::parse_str(purchase).ok()?;
    if id.hyphenated().to_string() != purchase
        || !(6..=9).contains(&index.len())
        || !index.bytes().all(|b| b.is_ascii_digit())
    {
        return None;
    }
    Some((PurchaseId(id), index.parse().ok()?))
}

fn key_of(purchase: PurchaseId, index: usize) -> String {
    format!("{purchase}/{index:06}")
}

/// A page of the flags in `filter`, after the page's key (see [`parse_key`]).
pub fn list(
    conn: &mut DbConn,
    organisation: OrganisationId,
    filter: &RedFlagFilter,
    page: &PageRequest,
    tolerance: YieldTolerance,
) -> Result<Vec<PurchaseFlag>, AppError> {
    let after = page.after.as_deref().and_then(parse_key);
    let wanted = page.fetch_limit() as usize;
    let mut found: Vec<PurchaseFlag> = Vec::new();
    // The purchase of the cursor may have flags after it: start at it.
    let mut start = after.map_or(Bound::Unbounded, |(p, _)| Bound::Included(p));
    loop {
        let purchases =
            purchases_with_lots(conn, organisation, &filter.purchases, start, Some(BATCH))?;
        let exhausted = (purchases.len() as i64) < BATCH;
        let evaluated = evaluate(conn, organisation, &purchases, tolerance)?;
        let mut batch = Vec::new();
        for (p, flags) in purchases.iter().zip(evaluated) {
            for (index, (flag, fingerprint, id)) in flags.into_iter().enumerate() {
                if after.is_some_and(|(ap, ai)| (p.id, index as u32) <= (ap, ai))
                    || filter.kind.is_some_and(|k| k != flag.kind)
                    || filter.severity.is_some_and(|s| s != flag.severity)
                {
                    continue;
                }
                batch.push(PurchaseFlag {
                    purchase: p.clone(),
                    flag,
                    fingerprint,
                    id,
                    case: no_case(),
                    key: key_of(p.id, index),
                });
            }
        }
        let ids: Vec<RedFlagId> = batch.iter().map(|f| f.id).collect();
        let cases = red_flag_case::summaries(conn, organisation, &ids)?;
        for mut flag in batch {
            if let Some(case) = cases.get(&flag.id) {
                flag.case = case.clone();
            }
            if filter.case_status.is_none_or(|s| s == flag.case.status) {
                found.push(flag);
            }
        }
        if found.len() >= wanted || exhausted {
            break;
        }
        match purchases.last() {
            // The next round starts after the last purchase read.
            Some(last) => start = Bound::Excluded(last.id),
            None => break,
        }
    }
    found.truncate(wanted);
    Ok(found)
}

/// Every flag in `filter`, each once, reading the list a page of 500 at a time (the supply
/// sweep and the annual report).
pub fn all(
    conn: &mut DbConn,
    organisation: OrganisationId,
    filter: &RedFlagFilter,
    tolerance: YieldTolerance,
) -> Result<Vec<PurchaseFlag>, AppError> {
    const PAGE: i64 = 500;
    let mut found = Vec::new();
    let mut seen = std::collections::HashSet::new();
    let mut after = None;
    loop {
        let page = PageRequest { limit: PAGE, after };
        let mut flags = list(conn, organisation, filter, &page, tolerance)?;
        let more = flags.len() as i64 > PAGE;
        flags.truncate(PAGE as usize);
        after = flags.last().map(|f| f.key.clone());
        for flag in flags {
            if seen.insert(flag.id) {
                found.push(flag);
            }
        }
        if !more {
            return Ok(found);
        }
    }
}
