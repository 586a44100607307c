//! The demo purchaser's due diligence on its year: its own sourcing policy (the documented
//! default plus a tin target the year misses: no tin came from certified ASM mines) and its
//! response to the red flags its chains raise (OECD step 3), cases worked into different
//! statuses with dated notes, so that the report, the console and the charts have a missed
//! target and a case history to show. One flag is left `open` for the README's walkthrough.

use serde_json::json;

use crate::app::AppError;
use crate::app::provenance::red_flag_cases;
use crate::app::provenance::red_flags::{self, RedFlagFilter};
use crate::db::DbConn;
use crate::domain::ids::OrganisationId;
use crate::domain::policy::{Comparison, SourcingPolicy, Target, TargetMetric};
use crate::domain::provenance::YieldTolerance;
use crate::domain::vocabulary::Mineral;
use crate::store::audit::Actor;
use crate::store::page::PageRequest;

/// The responses given, in the order of the flag list; the first flag stays open.
fn responses() -> [serde_json::Value; 3] {
    [
        json!({"status": "accepted_risk", "assignee": "Ana Quispe (fictional)",
               "mitigation_plan": "Volume below 1 % of the year's tin; reassess at the next CMRT.",
               "note": "Risk accepted by the responsible-sourcing committee (fictional)."}),
        json!({"status": "resolved", "assignee": "Ana Quispe (fictional)",
               "note": "The supplier moved the volume to an RMAP-conformant smelter (fictional)."}),
        json!({"status": "disengaged", "assignee": "Compliance desk (fictional)",
               "note": "Trade with the supplier suspended pending an independent audit (fictional)."}),
    ]
}

pub fn seed(conn: &mut DbConn, purchaser: OrganisationId, client_id: &str) -> Result<(), AppError> {
    let actor = Actor {
        organisation_id: purchaser,
        client_id: Some(client_id.to_owned()),
    };
    let mut policy = SourcingPolicy::default();
    policy.targets.push(Target {
        mineral: Some(Mineral::Tin),
        metric: TargetMetric::CertifiedAsm,
        comparison: Comparison::AtLeast,
        share: 0.05,
    });
    crate::app::policy::put(conn, &actor, policy)?;
    let page = PageRequest {
        limit: 500,
        after: None,
    };
    let flags = red_flags::list(
        conn,
        purchaser,
        &RedFlagFilter::default(),
        &page,
        YieldTolerance::NONE,
    )?;
    for (flag, response) in flags.iter().skip(1).zip(responses()) {
        red_flag_cases::update(conn, &actor, flag.id, &response, YieldTolerance::NONE)?;
    }
    Ok(())
}
