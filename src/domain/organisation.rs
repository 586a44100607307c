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
