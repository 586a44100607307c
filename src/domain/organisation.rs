//! Organisations: what each is to this instance.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// What an organisation is to this instance.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum OrganisationKind {
    /// A buyer of minerals: owns purchases, lots, custody events and a sourcing policy.
    Purchaser,
    /// Runs the instance: registers organisations and keeps the shared catalog.
    Operator,
}

impl OrganisationKind {
    pub fn as_str(self) -> &'static str {
        match self {
            OrganisationKind::Purchaser => "purchaser",
            OrganisationKind::Operator => "operator",
        }
    }

    pub fn parse(s: &str) -> Option<OrganisationKind> {
        match s {
            "purchaser" => Some(OrganisationKind::Purchaser),
            "operator" => Some(OrganisationKind::Operator),
            _ => None,
        }
    }
}

impl std::fmt::Display for OrganisationKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for OrganisationKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        OrganisationKind::parse(s).ok_or_else(|| "must be purchaser or operator".to_owned())
    }
}

/// What an organisation's own outgoing CMRT or EMRT says of it (the template's company
/// information, `Declaration!D8` to `D21`), and where its sourcing policy is published. Every
/// member is optional; the export leaves an unset one empty and says so in its findings.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct CompanyProfile {
    /// The legal name (default: the organisation's name).
    pub legal_name: Option<String>,
    /// A unique company identifier (DUNS, LEI, VAT…).
    pub unique_id: Option<String>,
    /// Who issued `unique_id` (`DUNS`, `LEI`…).
    pub unique_id_authority: Option<String>,
    pub address: Option<String>,
    pub contact_name: Option<String>,
    pub contact_email: Option<String>,
    pub contact_phone: Option<String>,
    /// Who authorises the declaration.
    pub authorizer: Option<String>,
    pub authorizer_title: Option<String>,
    pub authorizer_email: Option<String>,
    pub authorizer_phone: Option<String>,
    /// Where the responsible-sourcing policy is published (question B's comment).
    pub policy_url: Option<String>,
}
