//! The request parameters and answers of `/v1/declarations`.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::app::declarations::read::MatchedSmelter;
use crate::domain::declaration::{Declaration, DeclarationStatus, Finding, Template};
use crate::domain::ids::{DeclarationId, PartyId};
use crate::domain::vocabulary::Mineral;
use crate::store::declaration::StoredDeclaration;

/// A supplier's declaration: what the list shows.
#[derive(Serialize, ToSchema)]
pub struct DeclarationSummary {
    pub id: DeclarationId,
    pub supplier_party_id: PartyId,
    pub template: Template,
    /// The template's version as the workbook names it.
    pub version: String,
    /// The declaring company (`Declaration!D8`).
    pub company_name: String,
    /// The effective date (date of completion); null when missing or unreadable.
    pub effective_date: Option<NaiveDate>,
    pub minerals: Vec<Mineral>,
    pub status: DeclarationStatus,
    /// What it lacks, each at its cell.
    pub findings: Vec<Finding>,
    pub smelter_rows: usize,
    pub product_rows: usize,
    /// The declaration that replaced it.
    pub superseded_by: Option<DeclarationId>,
    pub superseded_at: Option<DateTime<Utc>>,
    /// The uploaded file's name, when given.
    pub file_name: Option<String>,
    pub size_bytes: i64,
    /// SHA-256 of the file: the same file sent again is the same declaration.
    pub content_sha256: String,
    pub received_at: DateTime<Utc>,
}

impl From<&StoredDeclaration> for DeclarationSummary {
    fn from(d: &StoredDeclaration) -> DeclarationSummary {
        DeclarationSummary {
            id: d.id,
            supplier_party_id: d.supplier_party_id,
            template: d.declaration.template,
            version: d.declaration.version.clone(),
            company_name: d.declaration.company.name.clone(),
            effective_date: d.declaration.company.effective_date,
            minerals: d.declaration.minerals.clone(),
            status: d.status(),
            findings: d.findings.clone(),
            smelter_rows: d.declaration.smelters.len(),
            product_rows: d.declaration.products.len(),
            superseded_by: d.superseded_by,
            superseded_at: d.superseded_at,
            file_name: d.file_name.clone(),
            size_bytes: d.size_bytes,
            content_sha256: d.content_sha256.clone(),
            received_at: d.received_at,
        }
    }
}

/// A declaration in full: what the workbook says, and each smelter row matched to the catalog.
#[derive(Serialize, ToSchema)]
pub struct DeclarationDetail {
    #[serde(flatten)]
    pub summary: DeclarationSummary,
    /// The declaration as read (company information, answers, smelter and product lists).
    pub declaration: Declaration,
    /// The Smelter List's rows, each with its catalog match and its certification on the
    /// declaration's date and today.
    pub smelters: Vec<MatchedSmelter>,
}

/// What importing a workbook did.
#[derive(Clone, Copy, Debug, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ImportResult {
    /// A new declaration (`status` says whether it is current).
    Created,
    /// The same file was received before for this supplier: that declaration, unchanged.
    Unchanged,
}

/// The answer to an import.
#[derive(Serialize, ToSchema)]
pub struct DeclarationImport {
    pub result: ImportResult,
    pub declaration: DeclarationSummary,
}

/// A workbook's bytes: described as a binary string, which generators turn into a file or
/// bytes argument sent as it is.
#[derive(ToSchema)]
#[schema(value_type = String, format = Binary)]
pub struct WorkbookFile(pub Vec<u8>);

/// Whose workbook it is.
#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ImportQuery {
    /// The supplier (a party of the catalog) whose declaration it is.
    pub supplier_party_id: PartyId,
    /// The file's name, kept for people (1 to 255 characters, no control characters).
    #[param(min_length = 1, max_length = 255)]
    pub file_name: Option<String>,
}

/// Filters of the declaration list.
#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct DeclarationListQuery {
    pub supplier_party_id: Option<PartyId>,
    pub template: Option<Template>,
    /// Declarations covering this mineral.
    pub mineral: Option<Mineral>,
    /// Effective on or after this date.
    #[serde(
        default,
        deserialize_with = "crate::domain::time::strict_date::optional"
    )]
    pub effective_from: Option<NaiveDate>,
    /// Effective on or before this date.
    #[serde(
        default,
        deserialize_with = "crate::domain::time::strict_date::optional"
    )]
    pub effective_to: Option<NaiveDate>,
    pub status: Option<DeclarationStatus>,
    /// Page size, 1 to 500 (default 50).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
    /// The `next_cursor` of the previous page.
    #[param(pattern = "^ot1\\.[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")]
    pub cursor: Option<String>,
}

/// Filters of the smelter roll-up.
#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct RollupQuery {
    pub template: Option<Template>,
    /// Only rows of this metal.
    pub metal: Option<Mineral>,
    /// Only this supplier's current declarations.
    pub supplier_party_id: Option<PartyId>,
    /// Only smelters with red flags.
    pub flagged: Option<bool>,
}

/// The period of the coverage.
#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct CoverageQuery {
    /// First purchase date included (default: 1 January of the current year).
    #[serde(
        default,
        deserialize_with = "crate::domain::time::strict_date::optional"
    )]
    pub from: Option<NaiveDate>,
    /// Last purchase date included (default: today).
    #[serde(
        default,
        deserialize_with = "crate::domain::time::strict_date::optional"
    )]
    pub to: Option<NaiveDate>,
}

/// Which template to write, and for which year.
#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct OutgoingQuery {
    /// `cmrt` or `emrt`.
    pub template: Template,
    /// The template version to write: CMRT 6.01 to 6.5, EMRT 1.1 to 2.1 (default: the latest,
    /// CMRT 6.5 or EMRT 2.1).
    #[param(pattern = "^[0-9]+\\.[0-9]+$")]
    pub version: Option<String>,
    /// The calendar year the answers describe (default: the current year).
    #[param(minimum = 2007, maximum = 9999)]
    pub year: Option<i32>,
}
