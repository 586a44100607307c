//! Red-flag cases and their dated entries (`red_flag_cases`, `red_flag_case_entries`; see the
//! migration). Every query takes the caller's organisation.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Date, Nullable, Text, Timestamp};

use crate::db::DbConn;
use crate::db::schema::{purchases, red_flag_case_entries as entries, red_flag_cases as cases};
use crate::domain::ids::{OrganisationId, PurchaseId, RedFlagId};
use crate::domain::red_flags::Evidence;
use crate::domain::red_flags::case::{CaseEntryKind, CaseFields, CaseStatus};
use crate::domain::time;
use crate::domain::vocabulary::{RedFlagKind, Severity};
use crate::store::StoreError;

/// A flag's case: the flag as last seen, and the organisation's response to it.
#[derive(Clone, Debug)]
pub struct Case {
    pub organisation_id: OrganisationId,
    pub id: RedFlagId,
    pub purchase_id: PurchaseId,
    pub fingerprint: String,
    pub kind: RedFlagKind,
    pub severity: Severity,
    pub message: String,
    pub evidence: Vec<Evidence>,
    pub fields: CaseFields,
    pub cleared_reason: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = cases, treat_none_as_null = true)]
struct Row {
    organisation_id: OrganisationId,
    id: RedFlagId,
    purchase_id: PurchaseId,
    fingerprint: String,
    kind: RedFlagKind,
    severity: Severity,
    message: String,
    evidence: String,
    status: CaseStatus,
    assignee: Option<String>,
    due_date: Option<NaiveDate>,
    mitigation_plan: Option<String>,
    cleared_reason: Option<String>,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
}

impl Row {
    fn of(case: &Case) -> Result<Row, StoreError> {
        Ok(Row {
            organisation_id: case.organisation_id,
            id: case.id,
            purchase_id: case.purchase_id,
            fingerprint: case.fingerprint.clone(),
            kind: case.kind,
            severity: case.severity,
            message: case.message.clone(),
            evidence: serde_json::to_string(&case.evidence).map_err(StoreError::corrupt)?,
            status: case.fields.status,
            assignee: case.fields.assignee.clone(),
            due_date: case.fields.due_date,
            mitigation_plan: case.fields.mitigation_plan.clone(),
            cleared_reason: case.cleared_reason.clone(),
            created_at: time::to_db(case.created_at),
            updated_at: time::to_db(case.updated_at),
        })
    }

    fn into_case(self) -> Result<Case, StoreError> {
        Ok(Case {
            organisation_id: self.organisation_id,
            id: self.id,
            purchase_id: self.purchase_id,
            fingerprint: self.fingerprint,
            kind: self.kind,
            severity: self.severity,
            message: self.message,
            evidence: serde_json::from_str(&self.evidence).map_err(StoreError::corrupt)?,
            fields: CaseFields {
                status: self.status,
                assignee: self.assignee,
                due_date: self.due_date,
                mitigation_plan: self.mitigation_plan,
            },
            cleared_reason: self.cleared_reason,
            created_at: time::from_db(self.created_at),
            updated_at: time::from_db(self.updated_at),
        })
    }
}

/// The case `id` of `organisation`, if it has one.
pub fn find(
    conn: &mut DbConn,
    organisation: OrganisationId,
    id: RedFlagId,
) -> Result<Option<Case>, StoreError> {
    let row: Option<Row> = cases::table
        .filter(cases::organisation_id.eq(organisation))
        .filter(cases::id.eq(id))
        .select(Row::as_select())
        .first(conn)
        .optional()?;
    row.map(Row::into_case).transpose()
}

/// Locks the case's row until the caller's transaction ends (on PostgreSQL; SQLite's writer
/// holds the whole database), so that two changes of one case come one after the other and
/// its entries are numbered without gaps. Answers whether the case exists.
pub fn lock(
    conn: &mut DbConn,
    organisation: OrganisationId,
    id: RedFlagId,
) -> Result<bool, StoreError> {
    let touched = diesel::update(
        cases::table
            .filter(cases::organisation_id.eq(organisation))
            .filter(cases::id.eq(id)),
    )
    .set(cases::updated_at.eq(cases::updated_at))
    .execute(conn)?;
    Ok(touched > 0)
}

/// Creates the case unless a concurrent writer created it first (then it is left as that
/// writer made it). Answers whether this call created it.
pub fn insert_if_absent(conn: &mut DbConn, case: &Case) -> Result<bool, StoreError> {
    let row = Row::of(case)?;
    let inserted = diesel::sql_query(
        "INSERT INTO red_flag_cases (organisation_id, id, purchase_id, fingerprint, kind, \
         severity, message, evidence, status, assignee, due_date, mitigation_plan, \
         cleared_reason, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) \
         ON CONFLICT (organisation_id, id) DO NOTHING",
    )
    .bind::<Text, _>(row.organisation_id.to_string())
    .bind::<Text, _>(row.id.to_string())
    .bind::<Text, _>(row.purchase_id.to_string())
    .bind::<Text, _>(row.fingerprint)
    .bind::<Text, _>(row.kind.to_string())
    .bind::<Text, _>(row.severity.to_string())
    .bind::<Text, _>(row.message)
    .bind::<Text, _>(row.evidence)
    .bind::<Text, _>(row.status.to_string())
    .bind::<Nullable<Text>, _>(row.assignee)
    .bind::<Nullable<Date>, _>(row.due_date)
    .bind::<Nullable<Text>, _>(row.mitigation_plan)
    .bind::<Nullable<Text>, _>(row.cleared_reason)
    .bind::<Timestamp, _>(row.created_at)
    .bind::<Timestamp, _>(row.updated_at)
    .execute(conn)?;
    Ok(inserted > 0)
}

/// Writes every member of the case.
pub fn save(conn: &mut DbConn, case: &Case) -> Result<(), StoreError> {
    let row = Row::of(case)?;
    diesel::update(
        cases::table
            .filter(cases::organisation_id.eq(case.organisation_id))
            .filter(cases::id.eq(case.id)),
    )
    .set(&row)
    .execute(conn)?;
    Ok(())
}

/// Every case of the organisation (what a sweep compares with the flags it found).
pub fn all(conn: &mut DbConn, organisation: OrganisationId) -> Result<Vec<Case>, StoreError> {
    let rows: Vec<Row> = cases::table
        .filter(cases::organisation_id.eq(organisation))
        .order(cases::id.asc())
        .select(Row::as_select())
        .load(conn)?;
    rows.into_iter().map(Row::into_case).collect()
}

/// What a list shows of a case: its status, assignee and due date.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CaseSummary {
    pub status: CaseStatus,
    pub assignee: Option<String>,
    pub due_date: Option<NaiveDate>,
}

/// The summaries of those of `ids` that have a case, by id.
pub fn summaries(
    conn: &mut DbConn,
    organisation: OrganisationId,
    ids: &[RedFlagId],
) -> Result<HashMap<RedFlagId, CaseSummary>, StoreError> {
    let mut found = HashMap::new();
    for chunk in ids.chunks(500) {
        let rows: Vec<(RedFlagId, CaseStatus, Option<String>, Option<NaiveDate>)> = cases::table
            .filter(cases::organisation_id.eq(organisation))
            .filter(cases::id.eq_any(chunk.to_vec()))
            .select((cases::id, cases::status, cases::assignee, cases::due_date))
            .load(conn)?;
        for (id, status, assignee, due_date) in rows {
            found.insert(
                id,
                CaseSummary {
                    status,
                    assignee,
                    due_date,
                },
            );
        }
    }
    Ok(found)
}

/// Whether the organisation still has the purchase.
pub fn purchase_exists(
    conn: &mut DbConn,
    organisation: OrganisationId,
    purchase: PurchaseId,
) -> Result<bool, StoreError> {
    let found: i64 = purchases::table
        .filter(purchases::organisation_id.eq(organisation))
        .filter(purchases::id.eq(purchase))
        .count()
        .get_result(conn)?;
    Ok(found > 0)
}

/// One dated entry of a case's history.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    /// Its number in the case, from 1, without gaps.
    pub seq: i32,
    pub at: DateTime<Utc>,
    /// The API client that wrote it; `None`: the system (the supply sweep) or the command line.
    pub client_id: Option<String>,
    pub kind: CaseEntryKind,
    pub text: String,
}

/// Appends entries to a case whose row the caller has locked ([`lock`]), numbered after the
/// last one.
pub fn append(
    conn: &mut DbConn,
    organisation: OrganisationId,
    case: RedFlagId,
    at: DateTime<Utc>,
    client_id: Option<&str>,
    new: &[(CaseEntryKind, String)],
) -> Result<(), StoreError> {
    if new.is_empty() {
        return Ok(());
    }
    let last: Option<i32> = entries::table
        .filter(entries::organisation_id.eq(organisation))
        .filter(entries::case_id.eq(case))
        .select(diesel::dsl::max(entries::seq))
        .first(conn)?;
    let mut seq = last.unwrap_or(0);
    for (kind, text) in new {
        seq += 1;
        diesel::insert_into(entries::table)
            .values((
                entries::organisation_id.eq(organisation),
                entries::case_id.eq(case),
                entries::seq.eq(seq),
                entries::at.eq(time::to_db(at)),
                entries::client_id.eq(client_id),
                entries::kind.eq(*kind),
                entries::text.eq(text),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// The case's entries, oldest first.
pub fn entries_of(
    conn: &mut DbConn,
    organisation: OrganisationId,
    case: RedFlagId,
) -> Result<Vec<Entry>, StoreError> {
    let rows: Vec<(i32, NaiveDateTime, Option<String>, CaseEntryKind, String)> = entries::table
        .filter(entries::organisation_id.eq(organisation))
        .filter(entries::case_id.eq(case))
        .order(entries::seq.asc())
        .select((
            entries::seq,
            entries::at,
            entries::client_id,
            entries::kind,
            entries::text,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(seq, at, client_id, kind, text)| Entry {
            seq,
            at: time::from_db(at),
            client_id,
            kind,
            text,
        })
        .collect())
}
