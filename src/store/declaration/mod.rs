//! Supplier declarations as stored: the structured declaration (JSON), its findings (JSON) and
//! the columns lists filter on, always by organisation. `smelters` reads what the roll-up and
//! the matching need from the catalog.

pub mod catalog_match;
pub mod supply;

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use diesel::prelude::*;

use crate::db::DbConn;
use crate::db::schema::declarations as decl;
use crate::domain::declaration::{Declaration, DeclarationStatus, Finding, Template};
use crate::domain::ids::{DeclarationId, OrganisationId, PartyId};
use crate::domain::time;
use crate::domain::vocabulary::Mineral;
use crate::store::StoreError;
use crate::store::page::PageRequest;

/// A declaration as stored.
#[derive(Clone, Debug, PartialEq)]
pub struct StoredDeclaration {
    pub id: DeclarationId,
    pub organisation_id: OrganisationId,
    pub supplier_party_id: PartyId,
    pub content_sha256: String,
    pub file_name: Option<String>,
    pub size_bytes: i64,
    pub declaration: Declaration,
    pub findings: Vec<Finding>,
    /// The declaration of the same supplier and template that replaced it.
    pub superseded_by: Option<DeclarationId>,
    pub superseded_at: Option<DateTime<Utc>>,
    pub received_at: DateTime<Utc>,
}

impl StoredDeclaration {
    pub fn is_current(&self) -> bool {
        self.superseded_by.is_none()
    }

    /// Whether `self` is newer than `other` (of the same supplier and template): the later
    /// effective date when both state one, else the later receipt.
    pub fn is_newer_than(&self, other: &StoredDeclaration) -> bool {
        match (
            self.declaration.company.effective_date,
            other.declaration.company.effective_date,
        ) {
            (Some(a), Some(b)) if a != b => a > b,
            _ => {
                (self.received_at, self.id.to_string()) > (other.received_at, other.id.to_string())
            }
        }
    }
}

impl StoredDeclaration {
    pub fn status(&self) -> DeclarationStatus {
        if !self.is_current() {
            DeclarationStatus::Superseded
        } else if self.findings.is_empty() {
            DeclarationStatus::Complete
        } else {
            DeclarationStatus::Incomplete
        }
    }
}

#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = decl)]
struct Row {
    organisation_id: OrganisationId,
    id: DeclarationId,
    supplier_party_id: PartyId,
    template: Template,
    version: String,
    company_name: String,
    effective_date: Option<NaiveDate>,
    minerals: String,
    complete: i16,
    content_sha256: String,
    file_name: Option<String>,
    size_bytes: i64,
    body: String,
    findings: String,
    superseded_by: Option<DeclarationId>,
    superseded_at: Option<NaiveDateTime>,
    received_at: NaiveDateTime,
}

/// The minerals column: each name between spaces (` gold tin `), so that `LIKE '% tin %'`
/// never matches `platinum`.
fn minerals_text(minerals: &[Mineral]) -> String {
    let names: Vec<&str> = minerals.iter().map(|m| m.as_str()).collect();
    format!(" {} ", names.join(" "))
}

impl Row {
    fn of(d: &StoredDeclaration) -> Result<Row, StoreError> {
        Ok(Row {
            organisation_id: d.organisation_id,
            id: d.id,
            supplier_party_id: d.supplier_party_id,
            template: d.declaration.template,
            version: d.declaration.version.clone(),
            company_name: d.declaration.company.name.clone(),
            effective_date: d.declaration.company.effective_date,
            minerals: minerals_text(&d.declaration.minerals),
            complete: i16::from(d.findings.is_empty()),
            content_sha256: d.content_sha256.clone(),
            file_name: d.file_name.clone(),
            size_bytes: d.size_bytes,
            body: serde_json::to_string(&d.declaration).map_err(StoreError::corrupt)?,
            findings: serde_json::to_string(&d.findings).map_err(StoreError::corrupt)?,
            superseded_by: d.superseded_by,
            superseded_at: d.superseded_at.map(time::to_db),
            received_at: time::to_db(d.received_at),
        })
    }

    fn into_stored(self) -> Result<StoredDeclaration, StoreError> {
        let declaration: Declaration = serde_json::from_str(&self.body)
            .map_err(|e| StoreError::corrupt(format!("declaration {} body: {e}", self.id)))?;
        let findings: Vec<Finding> = serde_json::from_str(&self.findings)
            .map_err(|e| StoreError::corrupt(format!("declaration {} findings: {e}", self.id)))?;
        Ok(StoredDeclaration {
            id: self.id,
            organisation_id: self.organisation_id,
            supplier_party_id: self.supplier_party_id,
            content_sha256: self.content_sha256,
            file_name: self.file_name,
            size_bytes: self.size_bytes,
            declaration,
            findings,
            superseded_by: self.superseded_by,
            superseded_at: self.superseded_at.map(time::from_db),
            received_at: time::from_db(self.received_at),
        })
    }
}

fn load(rows: Vec<Row>) -> Result<Vec<StoredDeclaration>, StoreError> {
    rows.into_iter().map(Row::into_stored).collect()
}

pub fn insert(conn: &mut DbConn, declaration: &StoredDeclaration) -> Result<(), StoreError> {
    diesel::insert_into(decl::table)
        .values(Row::of(declaration)?)
        .execute(conn)?;
    Ok(())
}

/// Records that `id` was replaced by `by` at `at`.
pub fn supersede(
    conn: &mut DbConn,
    organisation: OrganisationId,
    id: DeclarationId,
    by: DeclarationId,
    at: DateTime<Utc>,
) -> Result<(), StoreError> {
    diesel::update(
        decl::table
            .filter(decl::organisation_id.eq(organisation))
            .filter(decl::id.eq(id)),
    )
    .set((
        decl::superseded_by.eq(Some(by)),
        decl::superseded_at.eq(Some(time::to_db(at))),
    ))
    .execute(conn)?;
    Ok(())
}

pub fn find(
    conn: &mut DbConn,
    organisation: OrganisationId,
    id: DeclarationId,
) -> Result<Option<StoredDeclaration>, StoreError> {
    decl::table
        .filter(decl::organisation_id.eq(organisation))
        .filter(decl::id.eq(id))
        .select(Row::as_select())
        .first(conn)
        .optional()?
        .map(Row::into_stored)
        .transpose()
}

/// The declaration of this supplier and template with this content, if it was received.
pub fn find_by_content(
    conn: &mut DbConn,
    organisation: OrganisationId,
    supplier: PartyId,
    template: Template,
    sha256: &str,
) -> Result<Option<StoredDeclaration>, StoreError> {
    decl::table
        .filter(decl::organisation_id.eq(organisation))
        .filter(decl::supplier_party_id.eq(supplier))
        .filter(decl::template.eq(template))
        .filter(decl::content_sha256.eq(sha256))
        .select(Row::as_select())
        .first(conn)
        .optional()?
        .map(Row::into_stored)
        .transpose()
}

/// The current declaration of this supplier and template.
pub fn current_of(
    conn: &mut DbConn,
    organisation: OrganisationId,
    supplier: PartyId,
    template: Template,
) -> Result<Option<StoredDeclaration>, StoreError> {
    decl::table
        .filter(decl::organisation_id.eq(organisation))
        .filter(decl::supplier_party_id.eq(supplier))
        .filter(decl::template.eq(template))
        .filter(decl::superseded_by.is_null())
        .select(Row::as_select())
        .first(conn)
        .optional()?
        .map(Row::into_stored)
        .transpose()
}

/// What a list of declarations is filtered by.
#[derive(Clone, Debug, Default)]
pub struct DeclarationFilter {
    pub supplier: Option<PartyId>,
    pub template: Option<Template>,
    pub mineral: Option<Mineral>,
    /// Effective dates from (inclusive).
    pub effective_from: Option<NaiveDate>,
    /// Effective dates to (inclusive).
    pub effective_to: Option<NaiveDate>,
    pub status: Option<DeclarationStatus>,
}

/// A page of the organisation's declarations, oldest received first (ids are UUIDv7).
pub fn list(
    conn: &mut DbConn,
    organisation: OrganisationId,
    filter: &DeclarationFilter,
    page: &PageRequest,
) -> Result<Vec<StoredDeclaration>, StoreError> {
    let mut query = decl::table
        .filter(decl::organisation_id.eq(organisation))
        .select(Row::as_select())
        .order(decl::id.asc())
        .limit(page.fetch_limit())
        .into_boxed();
    if let Some(after) = &page.after {
        query = query.filter(decl::id.gt(after.clone()));
    }
    if let Some(supplier) = filter.supplier {
        query = query.filter(decl::supplier_party_id.eq(supplier));
    }
    if let Some(template) = filter.template {
        query = query.filter(decl::template.eq(template));
    }
    if let Some(mineral) = filter.mineral {
        query = query.filter(decl::minerals.like(format!("% {} %", mineral.as_str())));
    }
    if let Some(from) = filter.effective_from {
        query = query.filter(decl::effective_date.ge(from));
    }
    if let Some(to) = filter.effective_to {
        query = query.filter(decl::effective_date.le(to));
    }
    query = match filter.status {
        None => query,
        Some(DeclarationStatus::Superseded) => query.filter(decl::superseded_by.is_not_null()),
        Some(DeclarationStatus::Complete) => query
            .filter(decl::superseded_by.is_null())
            .filter(decl::complete.eq(1)),
        Some(DeclarationStatus::Incomplete) => query
            .filter(decl::superseded_by.is_null())
            .filter(decl::complete.eq(0)),
    };
    load(query.load(conn)?)
}

/// Every current declaration of the organisation (of `template`, when given), oldest first:
/// what the roll-up and the coverage read.
pub fn current(
    conn: &mut DbConn,
    organisation: OrganisationId,
    template: Option<Template>,
) -> Result<Vec<StoredDeclaration>, StoreError> {
    let mut query = decl::table
        .filter(decl::organisation_id.eq(organisation))
        .filter(decl::superseded_by.is_null())
        .select(Row::as_select())
        .order(decl::id.asc())
        .into_boxed();
    if let Some(template) = template {
        query = query.filter(decl::template.eq(template));
    }
    load(query.load(conn)?)
}
