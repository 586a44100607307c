//! An organisation's sweep: what it announces by comparison rather than at the write that
//! causes it. `red_flag.raised` and `red_flag.cleared` (a flag on one of the organisation's
//! purchases appears or goes away, whatever caused it), and the certificate events of its
//! supply ([`certification_watch`]).
//!
//! Flags are computed, not stored: they change with the organisation's purchases, lots and
//! custody events, its policy, the shared catalog, and the date (a certificate lapses). So a
//! write that may change them requests a sweep in its own transaction ([`request`],
//! [`request_all`] for the catalog; the worker requests one for everybody when the date
//! changes). A worker leases the request, recomputes every flag of the organisation, and
//! announces the difference with what was last announced: a flag is the same flag while its
//! purchase, kind and evidence are the same (`domain::red_flags::fingerprint`). In the same
//! transaction it keeps the organisation's red-flag cases in step (`cleared` when a flag's cause
//! goes, `open` again when it returns: `app::provenance::red_flag_cases::follow`). A rolled-back
//! write requests nothing; a committed one is always looked at.

use std::collections::HashSet;

use chrono::NaiveDate;
use std::sync::Arc;
use std::time::Duration;

use serde_json::json;
use tokio::sync::Notify;

use crate::app::AppError;
use crate::app::provenance::red_flag_cases;
use crate::app::provenance::red_flags::{self, PurchaseFlag, RedFlagFilter};
use crate::db::{Db, DbConn};
use crate::domain::ids::OrganisationId;
use crate::domain::provenance::YieldTolerance;
use crate::domain::time;
use crate::domain::webhook::EventType;
use crate::store::webhook::flag_state::{self, AnnouncedFlag, Sweep};

use super::announce;
use super::certification_watch::{self, Watched};
use super::target_watch;
use crate::domain::mix::TargetResult;

/// Requests a sweep of the organisation's flags, in the caller's transaction.
pub fn request(conn: &mut DbConn, organisation: OrganisationId) -> Result<(), AppError> {
    Ok(flag_state::request(conn, organisation, time::now())?)
}

/// Requests a sweep of every organisation's flags (the shared catalog changed).
pub fn request_all(conn: &mut DbConn) -> Result<(), AppError> {
    Ok(flag_state::request_all(conn, time::now())?)
}

fn announced_form(found: &PurchaseFlag) -> AnnouncedFlag {
    let fingerprint = found.fingerprint.clone();
    AnnouncedFlag {
        purchase_id: found.purchase.id.to_string(),
        fingerprint: fingerprint.clone(),
        flag: json!({
            "id": found.id,
            "purchase_id": found.purchase.id,
            "lot_id": found.purchase.lot_id,
            "fingerprint": fingerprint,
            "kind": found.flag.kind,
            "severity": found.flag.severity,
            "message": found.flag.message,
            "evidence": found.flag.evidence,
        }),
    }
}

/// Every flag of the organisation's purchases now, each once.
pub fn current(
    conn: &mut DbConn,
    organisation: OrganisationId,
    tolerance: YieldTolerance,
) -> Result<Vec<PurchaseFlag>, AppError> {
    red_flags::all(conn, organisation, &RedFlagFilter::default(), tolerance)
}

/// What a sweep found: the organisation's flags and the certificates of its supply, today.
pub struct Found {
    pub flags: Vec<PurchaseFlag>,
    pub certificates: Vec<Watched>,
    pub targets: Vec<TargetResult>,
    pub today: NaiveDate,
}

/// Announces the difference between what was `found` and what was last announced, and records
/// it; a quiet sweep records without announcing. Answers (flags raised, flags cleared,
/// certificate events).
pub fn apply(
    conn: &mut DbConn,
    sweep: &Sweep,
    found: Found,
) -> Result<(usize, usize, usize), AppError> {
    let now: Vec<AnnouncedFlag> = found.flags.iter().map(announced_form).collect();
    let organisation: OrganisationId = sweep.organisation_id.parse().map_err(AppError::internal)?;
    let quiet = sweep.quiet != 0;
    // The sweep's row first, then the event counter (in `announce`): the order every writer
    // takes them in (a batch requests a sweep, then announces), so that a sweep and a batch of
    // the same organisation never wait for each other in a cycle on PostgreSQL.
    flag_state::done(conn, sweep)?;
    let before = flag_state::announced(conn, organisation)?;
    let key = |f: &AnnouncedFlag| (f.purchase_id.clone(), f.fingerprint.clone());
    let before_keys: HashSet<_> = before.iter().map(key).collect();
    let now_keys: HashSet<_> = now.iter().map(key).collect();
    let at = time::now();
    let mut counts = (0, 0);
    for flag in now.iter().filter(|f| !before_keys.contains(&key(f))) {
        if !quiet {
            announce(
                conn,
                organisation,
                EventType::RedFlagRaised,
                flag.flag.clone(),
            )?;
        }
        flag_state::insert(conn, organisation, flag, at)?;
        counts.0 += 1;
    }
    for flag in before.iter().filter(|f| !now_keys.contains(&key(f))) {
        if !quiet {
            announce(
                conn,
                organisation,
                EventType::RedFlagCleared,
                flag.flag.clone(),
            )?;
        }
        flag_state::remove(conn, organisation, flag)?;
        counts.1 += 1;
    }
    red_flag_cases::follow(conn, organisation, &found.flags, found.today)?;
    let certificates =
        certification_watch::apply(conn, organisation, quiet, found.today, &found.certificates)?;
    let targets = target_watch::apply(conn, organisation, quiet, found.today, &found.targets)?;
    Ok((counts.0, counts.1, certificates + targets))
}

/// Sweeps the oldest requested organisation, if any: leases the request, computes its flags
/// (outside any write transaction), announces and records the difference. Answers whether
/// there was one.
pub async fn sweep_next(
    db: &Db,
    tolerance: YieldTolerance,
    wake: &Notify,
) -> Result<bool, AppError> {
    let now = time::now();
    let lease_until = now + chrono::Duration::minutes(10);
    let claimed = db
        .write_patiently(move |conn| {
            flag_state::claim(conn, now, lease_until).map_err(AppError::from)
        })
        .await?;
    let Some(sweep) = claimed else {
        return Ok(false);
    };
    let failed = sweep.clone();
    match sweep_claimed(db, sweep, tolerance, wake).await {
        Ok(()) => Ok(true),
        Err(error) => {
            // Left as it is, the lease would keep the sweep from anyone for ten minutes: a
            // corrupt row, or on SQLite a batch holding the write lock past even a patient
            // write's minute, would delay the organisation's webhooks that long. Try again
            // after RETRY instead.
            let retry = time::now() + RETRY;
            let released = db
                .write_patiently(move |conn| {
                    flag_state::retry_at(conn, &failed, lease_until, retry).map_err(AppError::from)
                })
                .await;
            if let Err(e) = released {
                log::warn!("red-flag sweep: could not shorten the failed sweep's lease: {e}");
            }
            Err(error)
        }
    }
}

/// How soon a sweep that failed is tried again (its lease shortened to this).
pub const RETRY: chrono::Duration = chrono::Duration::seconds(30);

/// The work of a sweep once leased: read, then announce and record the difference.
async fn sweep_claimed(
    db: &Db,
    sweep: Sweep,
    tolerance: YieldTolerance,
    wake: &Notify,
) -> Result<(), AppError> {
    let organisation: OrganisationId = sweep.organisation_id.parse().map_err(AppError::internal)?;
    let today = time::now().date_naive();
    let found = db
        .read(move |conn| {
            Ok::<_, AppError>(Found {
                flags: current(conn, organisation, tolerance)?,
                certificates: certification_watch::current(conn, organisation, today)?,
                targets: target_watch::current(conn, organisation, today)?,
                today,
            })
        })
        .await?;
    let quiet = sweep.quiet != 0;
    // Patiently: on SQLite a long purchase batch may hold the write lock past a request's
    // timeout, and failing here would throw the reading away and wait for RETRY.
    let (raised, cleared, certificates) = db
        .write_patiently(move |conn| apply(conn, &sweep, found))
        .await?;
    if raised + cleared + certificates > 0 && !quiet {
        log::info!(
            "sweep of organisation {organisation}: {raised} flag(s) raised, {cleared} cleared, \
             {certificates} certificate or target event(s)"
        );
        wake.notify_one();
    }
    Ok(())
}

/// Sweeps requested organisations until the task is dropped, one after another, looking for
/// requests every `poll`; requests a sweep of everybody at start and whenever the date changes
/// (certificates lapse and start by date).
pub async fn run(db: Db, tolerance: YieldTolerance, poll: Duration, wake: Arc<Notify>) {
    let mut today = None;
    loop {
        let date = time::now().date_naive();
        if today != Some(date) {
            match db.write_patiently(request_all).await {
                Ok(()) => today = Some(date),
                Err(e) => log::warn!("red-flag sweep request: {e}"),
            }
        }
        match sweep_next(&db, tolerance, &wake).await {
            Ok(true) => continue,
            Ok(false) => {}
            Err(e) => log::warn!("red-flag sweep: {e}"),
        }
        tokio::time::sleep(poll).await;
    }
}
