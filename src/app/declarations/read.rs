//! Reading declarations: a page of them, and one with each smelter row matched to the catalog
//! and judged on the declaration's date and today.

use serde::Serialize;
use utoipa::ToSchema;

use crate::app::AppError;
use crate::db::DbConn;
use crate::domain::declaration::SmelterRow;
use crate::domain::ids::{DeclarationId, OrganisationId};
use crate::domain::time;
use crate::store::declaration::{self as stored, DeclarationFilter, StoredDeclaration};
use crate::store::page::PageRequest;

use super::matching::{Catalog, CertificationOnDate, SmelterMatch};

/// A smelter row with its match and its certification.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct MatchedSmelter {
    #[serde(flatten)]
    pub row: SmelterRow,
    /// The catalog facility it was matched to, on what basis and how surely.
    #[serde(rename = "match")]
    pub matched: SmelterMatch,
    /// The matched facility's certification on the declaration's effective date (null when
    /// unmatched or undated).
    pub on_declaration_date: Option<CertificationOnDate>,
    /// The matched facility's certification today.
    pub today: Option<CertificationOnDate>,
}

/// A declaration with its smelters matched.
pub struct Detail {
    pub stored: StoredDeclaration,
    pub smelters: Vec<MatchedSmelter>,
}

fn not_found(id: DeclarationId) -> AppError {
    AppError::not_found(format!("no declaration {id}"))
}

/// The smelter rows of a declaration, matched and judged.
pub fn matched(catalog: &Catalog, declaration: &StoredDeclaration) -> Vec<MatchedSmelter> {
    let today = time::now().date_naive();
    let dated = declaration.declaration.company.effective_date;
    declaration
        .declaration
        .smelters
        .iter()
        .map(|row| {
            let matched = catalog.match_row(row);
            let judge = |date| {
                matched
                    .facility_id
                    .map(|f| catalog.certification(f, row.metal, date))
            };
            MatchedSmelter {
                on_declaration_date: dated.and_then(judge),
                today: judge(today),
                row: row.clone(),
                matched,
            }
        })
        .collect()
}

/// One declaration of the organisation (404 for another organisation's).
pub fn get(
    conn: &mut DbConn,
    organisation: OrganisationId,
    id: DeclarationId,
) -> Result<Detail, AppError> {
    let stored = stored::find(conn, organisation, id)?.ok_or_else(|| not_found(id))?;
    let catalog = Catalog::load(conn, organisation, &stored.declaration.smelters)?;
    let smelters = matched(&catalog, &stored);
    Ok(Detail { stored, smelters })
}

/// A page of the organisation's declarations.
pub fn list(
    conn: &mut DbConn,
    organisation: OrganisationId,
    filter: &DeclarationFilter,
    page: &PageRequest,
) -> Result<Vec<StoredDeclaration>, AppError> {
    Ok(stored::list(conn, organisation, filter, page)?)
}
