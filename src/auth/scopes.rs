//! OAuth scopes: what a token lets its holder do.

use std::collections::BTreeSet;
use std::fmt;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::domain::organisation::OrganisationKind;

/// A permission a token carries.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema,
)]
pub enum Scope {
    /// Read the shared certification catalog.
    #[serde(rename = "catalog:read")]
    CatalogRead,
    /// Change the shared certification catalog (operators only).
    #[serde(rename = "catalog:write")]
    CatalogWrite,
    /// Read the organisation's purchases, policy and sourcing mix.
    #[serde(rename = "purchases:read")]
    PurchasesRead,
    /// Record purchases and set the sourcing policy.
    #[serde(rename = "purchases:write")]
    PurchasesWrite,
    /// Read lots, custody events, provenance and red flags.
    #[serde(rename = "provenance:read")]
    ProvenanceRead,
    /// Record lots and custody events.
    #[serde(rename = "provenance:write")]
    ProvenanceWrite,
    /// Manage the organisation's webhook subscriptions and their deliveries.
    #[serde(rename = "webhooks:manage")]
    WebhooksManage,
    /// Read the organisation's event feed (`GET /v1/events`).
    #[serde(rename = "events:read")]
    EventsRead,
    /// Register organisations and API clients (operators only).
    #[serde(rename = "admin")]
    Admin,
}

impl Scope {
    pub const ALL: [Scope; 9] = [
        Scope::CatalogRead,
        Scope::CatalogWrite,
        Scope::PurchasesRead,
        Scope::PurchasesWrite,
        Scope::ProvenanceRead,
        Scope::ProvenanceWrite,
        Scope::WebhooksManage,
        Scope::EventsRead,
        Scope::Admin,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Scope::CatalogRead => "catalog:read",
            Scope::CatalogWrite => "catalog:write",
            Scope::PurchasesRead => "purchases:read",
            Scope::PurchasesWrite => "purchases:write",
            Scope::ProvenanceRead => "provenance:read",
            Scope::ProvenanceWrite => "provenance:write",
            Scope::WebhooksManage => "webhooks:manage",
            Scope::EventsRead => "events:read",
            Scope::Admin => "admin",
        }
    }

    pub fn parse(s: &str) -> Option<Scope> {
        Scope::ALL.into_iter().find(|scope| scope.as_str() == s)
    }

    /// Purchasers may hold every scope but `admin` and `catalog:write`: the catalog is shared
    /// reference data kept by the operator.
    pub fn allowed_for(self, kind: OrganisationKind) -> bool {
        match kind {
            OrganisationKind::Operator => true,
            OrganisationKind::Purchaser => !matches!(self, Scope::Admin | Scope::CatalogWrite),
        }
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A set of scopes, written space-separated as in OAuth (`"catalog:read purchases:read"`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ScopeSet(BTreeSet<Scope>);

impl ScopeSet {
    /// Parses a space-separated list; an unknown scope is an error naming it.
    pub fn parse(s: &str) -> Result<ScopeSet, String> {
        s.split_ascii_whitespace()
            .map(|word| Scope::parse(word).ok_or_else(|| format!("unknown scope `{word}`")))
            .collect::<Result<BTreeSet<_>, _>>()
            .map(ScopeSet)
    }

    /// Keeps the known scopes and drops the rest (for tokens of external issuers).
    pub fn parse_lenient(s: &str) -> ScopeSet {
        ScopeSet(
            s.split_ascii_whitespace()
                .filter_map(Scope::parse)
                .collect(),
        )
    }

    pub fn contains(&self, scope: Scope) -> bool {
        self.0.contains(&scope)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn is_subset(&self, other: &ScopeSet) -> bool {
        self.0.is_subset(&other.0)
    }

    pub fn intersection(&self, other: &ScopeSet) -> ScopeSet {
        ScopeSet(self.0.intersection(&other.0).copied().collect())
    }

    pub fn iter(&self) -> impl Iterator<Item = Scope> + '_ {
        self.0.iter().copied()
    }

    pub fn to_vec(&self) -> Vec<Scope> {
        self.0.iter().copied().collect()
    }
}

impl std::str::FromStr for ScopeSet {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ScopeSet::parse(s)
    }
}

impl FromIterator<Scope> for ScopeSet {
    fn from_iter<I: IntoIterator<Item = Scope>>(iter: I) -> Self {
        ScopeSet(iter.into_iter().collect())
    }
}

impl fmt::Display for ScopeSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut first = true;
        for scope in &self.0 {
            if !first {
                f.write_str(" ")?;
            }
            f.write_str(scope.as_str())?;
            first = false;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_prints_space_separated() {
        let set = ScopeSet::parse("purchases:read  catalog:read").unwrap();
        assert_eq!(set.to_string(), "catalog:read purchases:read");
        assert!(set.contains(Scope::CatalogRead));
        assert!(!set.contains(Scope::Admin));
    }

    #[test]
    fn unknown_scopes_are_named() {
        assert_eq!(
            ScopeSet::parse("catalog:read root").unwrap_err(),
            "unknown scope `root`"
        );
        assert_eq!(
            ScopeSet::parse_lenient("catalog:read root").to_string(),
            "catalog:read"
        );
    }

    #[test]
    fn purchasers_cannot_hold_operator_scopes() {
        assert!(!Scope::Admin.allowed_for(OrganisationKind::Purchaser));
        assert!(!Scope::CatalogWrite.allowed_for(OrganisationKind::Purchaser));
        assert!(Scope::PurchasesWrite.allowed_for(OrganisationKind::Purchaser));
        assert!(Scope::Admin.allowed_for(OrganisationKind::Operator));
    }
}
