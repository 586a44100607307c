//! `GET /v1/red-flags`: the red flags raised by the organisation's purchases, each traced
//! through its lot.

use actix_web::{HttpRequest, HttpResponse, get, web};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::api::error::ApiError;
use crate::api::http::caller::Caller;
use crate::api::http::extract::ApiQuery;
use crate::api::http::pagination::{self, Page, PageRequest};
use crate::api::state::AppState;
use crate::auth::Scope;
use crate::domain::ids::{LotId, PartyId, PurchaseId};
use crate::domain::provenance::LotQuantity;
use crate::domain::red_flags::Evidence;
use crate::domain::vocabulary::{Mineral, RedFlagKind, Severity};
use crate::store::provenance::{PurchaseScope, TraceContext, purchases_with_lots};

crate::page_type!(RedFlagList, PurchaseRedFlag);

/// A red flag raised by one purchase's chain.
#[derive(Serialize, ToSchema)]
pub struct PurchaseRedFlag {
    /// The purchase whose chain raises it.
    pub purchase_id: PurchaseId,
    pub supplier_party_id: PartyId,
    pub mineral: Mineral,
    pub purchased_on: NaiveDate,
    /// The purchase's lot.
    pub lot_id: LotId,
    /// Which risk.
    pub kind: RedFlagKind,
    /// How urgent.
    pub severity: Severity,
    /// What was found, in words.
    pub message: String,
    /// The records it rests on: the main one first.
    pub evidence: Vec<Evidence>,
    #[serde(skip)]
    key: String,
}

/// Filters of the red-flag list.
#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct RedFlagQuery {
    /// Only flags of this kind.
    pub kind: Option<RedFlagKind>,
    /// Only flags of this severity.
    pub severity: Option<Severity>,
    /// Only purchases from this supplier.
    pub supplier_party_id: Option<PartyId>,
    /// Only purchases of this mineral.
    pub mineral: Option<Mineral>,
    /// Purchased on or after this date.
    #[serde(
        default,
        deserialize_with = "crate::domain::time::strict_date::optional"
    )]
    pub from: Option<NaiveDate>,
    /// Purchased on or before this date.
    #[serde(
        default,
        deserialize_with = "crate::domain::time::strict_date::optional"
    )]
    pub to: Option<NaiveDate>,
    /// Page size, 1 to 500 (default 50).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
    /// The `next_cursor` of the previous page.
    #[param(
        pattern = "^ot1\\.[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/[0-9]{6,9}$"
    )]
    pub cursor: Option<String>,
}

/// Purchases traced per round of set-based loading.
const BATCH: i64 = 200;

/// A cursor key is the purchase id and the flag's position in it; this accepts exactly the
/// keys of the `cursor` pattern documented on [`RedFlagQuery`], so that a well-formed cursor
/// is never refused.
fn parse_key(key: &str) -> Option<(String, u32)> {
    let (purchase, index) = key.split_once('/')?;
    let id = uuid::Uuid::parse_str(purchase).ok()?;
    if id.hyphenated().to_string() != purchase
        || !(6..=9).contains(&index.len())
        || !index.bytes().all(|b| b.is_ascii_digit())
    {
        return None;
    }
    Some((purchase.to_owned(), index.parse().ok()?))
}

fn key_of(purchase: &str, index: usize) -> String {
    format!("{purchase}/{index:06}")
}

/// Lists the red flags of the organisation's purchases that name a lot, each purchase traced
/// through its lot (as `trace_purchase`), in purchase order, with filters.
///
/// Kinds: `cahra_origin`, `uncertified_asm_origin`, `certification_lapsed`,
/// `smelter_not_conformant`, `mass_balance_exceeded`, `untraced_volume`,
/// `asm_presence_without_coexistence_agreement` (docs/PROVENANCE.md). Each names its evidence
/// (events, lots, facilities, parties, certificates) and a severity.
#[utoipa::path(
    tag = "provenance",
    operation_id = "list_red_flags",
    params(RedFlagQuery),
    responses(
        (status = 200, description = "A page of red flags", body = RedFlagList),
        (status = 400, description = "A bad filter, limit or cursor",
         body = crate::api::error::Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = ["provenance:read"]), ("oauth2" = ["provenance:read"]))
)]
#[get("/v1/red-flags")]
pub async fn list_red_flags(
    req: HttpRequest,
    caller: Caller,
    query: ApiQuery<RedFlagQuery>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Scope::ProvenanceRead)?;
    let query = query.0;
    if let (Some(from), Some(to)) = (query.from, query.to)
        && from > to
    {
        return Err(ApiError::invalid_parameter(
            "from",
            "must not be after `to`",
        ));
    }
    let page = PageRequest::keyed_by(query.limit, query.cursor.as_deref(), |k| {
        parse_key(k).is_some()
    })?;
    let organisation = caller.organisation_id;
    let tolerance = state.config.yield_tolerance;
    let request = page.clone();
    let rows = state
        .db
        .read(move |conn| -> Result<_, ApiError> {
            let after = request.after.as_deref().and_then(parse_key);
            let wanted = request.fetch_limit() as usize;
            let mut found: Vec<PurchaseRedFlag> = Vec::new();
            let mut from_id = after.as_ref().map(|(p, _)| p.clone());
            loop {
                let purchases = purchases_with_lots(
                    conn,
                    organisation,
                    &PurchaseScope {
                        supplier: query.supplier_party_id.map(|p| p.to_string()),
                        mineral: query.mineral,
                        from: query.from,
                        to: query.to,
                        from_id: from_id.clone(),
                        limit: Some(BATCH),
                    },
                )?;
                let exhausted = (purchases.len() as i64) < BATCH;
                let lots: Vec<String> = purchases.iter().map(|p| p.lot_id.clone()).collect();
                let context = TraceContext::load(conn, organisation, &lots)?;
                for p in &purchases {
                    let roots = [LotQuantity {
                        lot_id: p.lot_id.clone(),
                        quantity_mg: p.quantity_mg,
                    }];
                    let evaluated = context.evaluate(
                        &roots,
                        Some(p.mineral),
                        Some(p.purchased_on),
                        tolerance,
                    )?;
                    for (index, flag) in evaluated.flags.into_iter().enumerate() {
                        let key = key_of(&p.id, index);
                        if after.as_ref().is_some_and(|(ap, ai)| {
                            (p.id.as_str(), index as u32) <= (ap.as_str(), *ai)
                        }) {
                            continue;
                        }
                        if query.kind.is_some_and(|k| k != flag.kind)
                            || query.severity.is_some_and(|s| s != flag.severity)
                        {
                            continue;
                        }
                        found.push(PurchaseRedFlag {
                            purchase_id: p.id.parse().map_err(ApiError::internal)?,
                            supplier_party_id: p
                                .supplier_party_id
                                .parse()
                                .map_err(ApiError::internal)?,
                            mineral: p.mineral,
                            purchased_on: p.purchased_on,
                            lot_id: p.lot_id.parse().map_err(ApiError::internal)?,
                            kind: flag.kind,
                            severity: flag.severity,
                            message: flag.message,
                            evidence: flag.evidence,
                            key,
                        });
                    }
                }
                if found.len() >= wanted || exhausted {
                    break;
                }
                match purchases.last() {
                    // The next round starts after the last purchase read.
                    Some(last) => {
                        from_id = Some(format!("{}~", last.id));
                    }
                    None => break,
                }
            }
            found.truncate(wanted);
            Ok(found)
        })
        .await?;
    let page = Page::from_rows(rows, &page, |f| f.key.clone());
    Ok(pagination::respond(&req, &page))
}
