//! Supplier declarations: the Responsible Minerals Initiative's reporting templates (CMRT for
//! tin, tantalum, tungsten and gold; EMRT for cobalt, copper, graphite, lithium, mica and
//! nickel) as values, where each fact sits in each version (`layout`), the answers each
//! question allows (`answers`), and the reading of a workbook's cells into a declaration with
//! what makes it invalid or merely incomplete (`read`). docs/DECLARATIONS.md.

pub mod answers;
pub mod dates;
pub mod grid;
pub mod layout;
pub mod read;
#[cfg(test)]
mod tests;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::country::CountryCode;
use super::vocabulary::Mineral;

pub use read::{Reading, read};

crate::text_enum! {
    /// Which RMI template: `cmrt` (Conflict Minerals Reporting Template: tin, tantalum,
    /// tungsten, gold) or `emrt` (Extended Minerals Reporting Template: cobalt, copper,
    /// graphite, lithium, mica, nickel).
    pub enum Template {
        Cmrt = "cmrt",
        Emrt = "emrt",
    }
}

impl Template {
    /// The minerals the template can declare, in the template's own order.
    pub fn minerals(self) -> &'static [Mineral] {
        match self {
            Template::Cmrt => &[
                Mineral::Tantalum,
                Mineral::Tin,
                Mineral::Gold,
                Mineral::Tungsten,
            ],
            Template::Emrt => &[
                Mineral::Cobalt,
                Mineral::Copper,
                Mineral::Graphite,
                Mineral::Lithium,
                Mineral::Mica,
                Mineral::Nickel,
            ],
        }
    }

    /// The template's abbreviation as the RMI writes it.
    pub fn code(self) -> &'static str {
        match self {
            Template::Cmrt => "CMRT",
            Template::Emrt => "EMRT",
        }
    }
}

crate::text_enum! {
    /// The declaration's scope (`Declaration!D9`): `company` (A. Company), `product`
    /// (B. Product or list of products: the Product List names them) or `user_defined`
    /// (C. User defined, described in `Declaration!D10`).
    pub enum DeclarationScope {
        Company = "company",
        Product = "product",
        UserDefined = "user_defined",
    }
}

impl DeclarationScope {
    /// The drop-down text of the template.
    pub fn template_text(self) -> &'static str {
        match self {
            DeclarationScope::Company => "A. Company",
            DeclarationScope::Product => "B. Product (or List of Products)",
            DeclarationScope::UserDefined => "C. User defined [Specify in 'Description of scope']",
        }
    }

    /// The scope a cell's text names: the template's drop-down text, or just its letter.
    pub fn from_template_text(text: &str) -> Option<DeclarationScope> {
        let t = text.trim().to_ascii_lowercase();
        let first = t.chars().next()?;
        let rest = &t[first.len_utf8()..];
        let lettered = rest.is_empty() || rest.starts_with('.') || rest.starts_with(')');
        match (first, lettered) {
            ('a', true) => Some(DeclarationScope::Company),
            ('b', true) => Some(DeclarationScope::Product),
            ('c', true) => Some(DeclarationScope::UserDefined),
            _ => match t.as_str() {
                "company" => Some(DeclarationScope::Company),
                "product" | "product (or list of products)" => Some(DeclarationScope::Product),
                "user defined" => Some(DeclarationScope::UserDefined),
                _ => None,
            },
        }
    }
}

crate::text_enum! {
    /// Where a stored declaration stands.
    pub enum DeclarationStatus {
        /// Current, and nothing the template asks for is missing.
        Complete = "complete",
        /// Current, with findings (what the template's Checker would list as missing).
        Incomplete = "incomplete",
        /// Replaced by a newer declaration of the same supplier and template (kept).
        Superseded = "superseded",
    }
}

crate::text_enum! {
    /// What a per-mineral question asks (the numbers differ between templates and versions).
    pub enum Topic {
        /// Is the mineral intentionally added or used in the product(s)?
        IntentionallyAdded = "intentionally_added",
        /// Is it necessary to the functionality or production, and does it remain in the
        /// product(s)?
        RemainsInProduct = "remains_in_product",
        /// Do smelters source it from the covered countries (the DRC and adjoining countries)?
        CoveredCountries = "covered_countries",
        /// Do smelters source it from conflict-affected and high-risk areas?
        Cahra = "cahra",
        /// Does 100 % of it come from recycled or scrap sources?
        RecycledOrScrap = "recycled_or_scrap",
        /// What share of relevant suppliers answered the survey?
        SuppliersResponded = "suppliers_responded",
        /// Have all smelters or processors been identified?
        AllSmeltersIdentified = "all_smelters_identified",
        /// Is all smelter information received reported in this declaration?
        AllSmeltersReported = "all_smelters_reported",
    }
}

crate::text_enum! {
    /// What a company-level question asks.
    pub enum CompanyTopic {
        /// A responsible minerals sourcing policy.
        Policy = "policy",
        /// The policy published on the company's website (its URL in the comment).
        PolicyPublished = "policy_published",
        /// Direct suppliers required to source from independently audited (validated) smelters
        /// or processors.
        AuditedSmelters = "audited_smelters",
        /// Due-diligence measures implemented.
        DueDiligence = "due_diligence",
        /// Conducts a survey of its suppliers.
        SupplierSurvey = "supplier_survey",
        /// Reviews the due-diligence information its suppliers send.
        ReviewsSuppliers = "reviews_suppliers",
        /// The review includes corrective action management.
        CorrectiveAction = "corrective_action",
        /// Required to file an annual conflict-minerals disclosure.
        AnnualDisclosure = "annual_disclosure",
        /// A question of a version whose questions are read by label (CMRT 5.x): see its label.
        Other = "other",
    }
}

/// A supplier's declaration as its workbook states it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Declaration {
    pub template: Template,
    /// The template's version as the workbook names it (`6.5`, `2.1`).
    pub version: String,
    pub company: Company,
    /// The minerals the declaration covers: the four of a CMRT, cobalt and mica in EMRT 1.x,
    /// those chosen on the Declaration sheet in EMRT 2.x.
    pub minerals: Vec<Mineral>,
    /// The answers to the per-mineral questions.
    pub answers: Vec<MineralAnswer>,
    /// The answers to the company-level questions.
    pub company_answers: Vec<CompanyAnswer>,
    /// The Smelter List's rows, in sheet order.
    pub smelters: Vec<SmelterRow>,
    /// The Product List's rows (scope `product`).
    pub products: Vec<Product>,
}

/// The company information of the Declaration sheet.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Company {
    /// `Declaration!D8`.
    pub name: String,
    /// `Declaration!D9`.
    pub scope: Option<DeclarationScope>,
    /// `Declaration!D10`: required for scope `user_defined`.
    pub scope_description: Option<String>,
    pub unique_id: Option<String>,
    pub unique_id_authority: Option<String>,
    pub address: Option<String>,
    pub contact_name: Option<String>,
    pub contact_email: Option<String>,
    pub contact_phone: Option<String>,
    pub authorizer: Option<String>,
    pub authorizer_title: Option<String>,
    pub authorizer_email: Option<String>,
    pub authorizer_phone: Option<String>,
    /// The effective date (date of completion).
    pub effective_date: Option<NaiveDate>,
}

/// One answer to a per-mineral question.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct MineralAnswer {
    /// The question's number in this template and version (`1` to `8`).
    pub question: String,
    pub topic: Topic,
    pub mineral: Mineral,
    /// The answer as the template writes it (`Yes`, `Unknown`, `Greater than 90%`…); null
    /// when not answered.
    pub answer: Option<String>,
    pub comment: Option<String>,
    /// Where the answer is (`Declaration!D26`).
    pub cell: String,
}

/// One answer to a company-level question.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct CompanyAnswer {
    /// The question's letter (`A` to `I`).
    pub question: String,
    pub topic: CompanyTopic,
    /// For a question answered per mineral (EMRT question C), the mineral.
    pub mineral: Option<Mineral>,
    pub answer: Option<String>,
    pub comment: Option<String>,
    pub cell: String,
}

/// One row of the Smelter List.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct SmelterRow {
    /// The row in the sheet (1-based, as Excel numbers it).
    pub row: u32,
    pub metal: Option<Mineral>,
    /// The name chosen from the template's look-up (column C), when it is one.
    pub lookup_name: Option<String>,
    /// The smelter's name: typed (column D), else the look-up's name, else the RMI's standard
    /// name.
    pub name: Option<String>,
    /// The country as written (`INDONESIA`).
    pub country: Option<String>,
    /// The country's ISO 3166-1 code, when the name is one Oretrace knows.
    pub country_code: Option<CountryCode>,
    /// The smelter identification (`CID` and six digits).
    pub cid: Option<String>,
    pub cid_source: Option<String>,
    pub street: Option<String>,
    pub city: Option<String>,
    pub state: Option<String>,
    pub contact_name: Option<String>,
    pub contact_email: Option<String>,
    pub next_steps: Option<String>,
    /// The mines named (or `recycled`, `scrap`).
    pub mine_names: Option<String>,
    /// The mines' countries as written.
    pub mine_countries: Option<String>,
    /// Does 100 % of the smelter's feedstock come from recycled or scrap sources: `Yes`, `No`,
    /// `Unknown`.
    pub recycled: Option<String>,
    pub comments: Option<String>,
    /// False for a row whose look-up says `Smelter not yet identified`.
    pub identified: bool,
}

/// One row of the Product List.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Product {
    pub row: u32,
    /// The responder's (manufacturer's) product number.
    pub number: Option<String>,
    pub name: Option<String>,
    /// EMRT 2.1: the requester's product number and name.
    pub requester_number: Option<String>,
    pub requester_name: Option<String>,
    pub comments: Option<String>,
}

/// Something a workbook lacks or states badly, at a cell.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Finding {
    /// `Declaration!D8`, `Smelter List!F12`.
    pub cell: String,
    pub detail: String,
}

impl Finding {
    pub fn at(cell: impl Into<String>, detail: impl Into<String>) -> Finding {
        Finding {
            cell: cell.into(),
            detail: detail.into(),
        }
    }
}

/// Whether a smelter identification is the RMI's form: `CID` and six digits.
pub fn is_cid(text: &str) -> bool {
    text.len() == 9 && text.starts_with("CID") && text[3..].bytes().all(|b| b.is_ascii_digit())
}

/// A smelter identification as suppliers type it, trimmed and upper-cased.
pub fn normalise_cid(text: &str) -> String {
    text.trim().to_ascii_uppercase()
}
