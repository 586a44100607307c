//! The red flags of the organisation's purchases that name a lot, each purchase traced through
//! its lot (as a purchase's trace), in purchase order, a page at a time.

use std::ops::Bound;

use crate::app::AppError;
use crate::db::DbConn;
use crate::domain::ids::{OrganisationId, PurchaseId};
use crate::domain::provenance::{LotQuantity, YieldTolerance};
use crate::domain::red_flags::RedFlag;
use crate::domain::vocabulary::{RedFlagKind, Severity};
use crate::store::page::PageRequest;
use crate::store::provenance::{PurchaseScope, PurchaseWithLot, TraceContext, purchases_with_lots};

use super::trace::trace_error;

/// Purchases traced per round of set-based loading.
const BATCH: i64 = 200;

/// Which flags: of a kind, of a severity, raised by the purchases in a scope.
#[derive(Clone, Debug, Default)]
pub struct RedFlagFilter {
    pub kind: Option<RedFlagKind>,
    pub severity: Option<Severity>,
    pub purchases: PurchaseScope,
}

/// A red flag raised by one purchase's chain, with its key in the list.
#[derive(Clone, Debug)]
pub struct PurchaseFlag {
    pub purchase: PurchaseWithLot,
    pub flag: RedFlag,
    /// The purchase id and the flag's position among the purchase's flags (`…/000003`).
    pub key: String,
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
        let lots: Vec<String> = purchases.iter().map(|p| p.lot_id.to_string()).collect();
        let context = TraceContext::load(conn, organisation, &lots)?;
        for (p, lot_id) in purchases.iter().zip(lots) {
            let roots = [LotQuantity {
                lot_id,
                quantity_mg: p.quantity_mg,
                quantity_uozt: p.quantity_uozt,
            }];
            let evaluated = context
                .evaluate(&roots, Some(p.mineral), Some(p.purchased_on), tolerance)
                .map_err(trace_error)?;
            for (index, flag) in evaluated.flags.into_iter().enumerate() {
                if after.is_some_and(|(ap, ai)| (p.id, index as u32) <= (ap, ai))
                    || filter.kind.is_some_and(|k| k != flag.kind)
                    || filter.severity.is_some_and(|s| s != flag.severity)
                {
                    continue;
                }
                found.push(PurchaseFlag {
                    purchase: p.clone(),
                    flag,
                    key: key_of(p.id, index),
                });
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
