//! Matching a declaration's smelter rows to the catalog: by CID first (an RMI identifier the
//! catalog holds), then by name and country among the catalog's smelters, refiners and
//! recyclers, never silently: every match states its basis and confidence, every miss why. And
//! each matched facility's certificates judged under the organisation's policy on a date (the
//! declaration's, and today).

use std::collections::{HashMap, HashSet};

use chrono::NaiveDate;
use serde::Serialize;
use utoipa::ToSchema;

use crate::app::AppError;
use crate::db::DbConn;
use crate::domain::certification::{EffectiveStatus, standing_on};
use crate::domain::country::CountryCode;
use crate::domain::declaration::SmelterRow;
use crate::domain::ids::{FacilityId, OrganisationId};
use crate::domain::policy::{CertificateFacts, PolicyClass, SourcingPolicy};
use crate::domain::vocabulary::{FacilityKind, Mineral};
use crate::store::certificate_facts::{self, Subject};
use crate::store::declaration::catalog_match::{self, CatalogFacility};
use crate::store::policy;

/// The RMI's Responsible Minerals Assurance Process scheme id in the catalog.
pub const RMAP: &str = "rmi_rmap";

crate::text_enum! {
    /// How a smelter row was matched to the catalog.
    pub enum MatchBasis {
        /// Its CID is an `rmi_cid` identifier of a catalog facility.
        Cid = "cid",
        /// No CID (or one the catalog does not hold): one catalog smelter, refiner or recycler
        /// of the same country has the same name once case, punctuation and company suffixes
        /// are set aside.
        NameAndCountry = "name_and_country",
        /// Not matched: see `detail`.
        Unmatched = "unmatched",
    }
}

crate::text_enum! {
    /// How sure the match is.
    pub enum MatchConfidence {
        /// By identifier.
        Exact = "exact",
        /// By name and country, one candidate.
        High = "high",
        /// Several catalog facilities fit the name and country: none was chosen.
        Ambiguous = "ambiguous",
        /// Nothing fits.
        None = "none",
    }
}

/// A smelter row's match.
#[derive(Clone, Debug, PartialEq, Serialize, ToSchema)]
pub struct SmelterMatch {
    pub basis: MatchBasis,
    pub confidence: MatchConfidence,
    pub facility_id: Option<FacilityId>,
    pub facility_name: Option<String>,
    pub facility_kind: Option<FacilityKind>,
    /// The facility's RMI CID in the catalog.
    pub facility_cid: Option<String>,
    /// The row names a CID that no catalog facility holds.
    pub unknown_cid: bool,
    /// Why, in words.
    pub detail: String,
}

/// A facility's certification under the organisation's policy on one date.
#[derive(Clone, Debug, PartialEq, Serialize, ToSchema)]
pub struct CertificationOnDate {
    pub date: NaiveDate,
    /// Whether a certificate the policy accepts for smelters and refiners (for this metal) was
    /// active that day.
    pub certified_under_policy: bool,
    /// The certificate that made it so.
    pub certificate_id: Option<String>,
    pub scheme: Option<String>,
    /// The status of its RMAP certificate that day (`active`, `suspended`…); null when it has
    /// none.
    pub rmap_status: Option<EffectiveStatus>,
}

/// A name as compared: lower case, letters and digits only, without the company suffixes
/// (`S.A.`, `Ltd`, `PT`, `Tbk`…).
pub fn comparable_name(name: &str) -> String {
    const SUFFIXES: &[&str] = &[
        "sa",
        "s",
        "a",
        "ltd",
        "limited",
        "inc",
        "co",
        "corp",
        "corporation",
        "company",
        "gmbh",
        "ag",
        "llc",
        "plc",
        "pt",
        "tbk",
        "bhd",
        "sdn",
        "the",
        "de",
        "cv",
        "nv",
        "bv",
        "srl",
        "spa",
        "kk",
        "oy",
        "ab",
        "as",
    ];
    name.to_lowercase()
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty() && !SUFFIXES.contains(w))
        .collect::<Vec<_>>()
        .join(" ")
}

/// What matching needs of the catalog and the policy, loaded once for many rows.
pub struct Catalog {
    by_cid: HashMap<String, CatalogFacility>,
    by_name: HashMap<(CountryCode, String), Vec<CatalogFacility>>,
    cids: HashMap<FacilityId, String>,
    facts: HashMap<String, Vec<CertificateFacts>>,
    pub policy: SourcingPolicy,
    /// The catalog's mines in the countries of the mines named, by (country, comparable name).
    mines: HashMap<(CountryCode, String), Vec<CatalogFacility>>,
}

/// The countries a free-text list names (`BOLIVIA; PERU`, `Peru, Chile`).
pub fn countries_named(text: &str) -> Vec<CountryCode> {
    let mut found: Vec<CountryCode> = Vec::new();
    if let Some(c) = CountryCode::from_name(text) {
        found.push(c);
        return found;
    }
    for part in text.split([';', ',', '/', '\n', '|']) {
        if let Some(c) = CountryCode::from_name(part)
            && !found.contains(&c)
        {
            found.push(c);
        }
    }
    found
}

impl Catalog {
    /// Loads what matching `rows` needs, in a few set-based queries.
    pub fn load<'a>(
        conn: &mut DbConn,
        organisation: OrganisationId,
        rows: impl IntoIterator<Item = &'a SmelterRow>,
    ) -> Result<Catalog, AppError> {
        let rows: Vec<&SmelterRow> = rows.into_iter().collect();
        let cids: Vec<String> = rows
            .iter()
            .filter_map(|r| r.cid.clone())
            .collect::<HashSet<_>>()
            .into_iter()
            .collect();
        let by_cid = catalog_match::by_cid(conn, &cids)?;
        let countries: Vec<CountryCode> = rows
            .iter()
            .filter_map(|r| r.country_code)
            .collect::<HashSet<_>>()
            .into_iter()
            .collect();
        let candidates = catalog_match::in_countries(
            conn,
            &countries,
            &[
                FacilityKind::Smelter,
                FacilityKind::Refiner,
                FacilityKind::Recycler,
            ],
        )?;
        let mut by_name: HashMap<(CountryCode, String), Vec<CatalogFacility>> = HashMap::new();
        for facility in candidates {
            by_name
                .entry((facility.country, comparable_name(&facility.name)))
                .or_default()
                .push(facility);
        }
        let mine_countries: Vec<CountryCode> = rows
            .iter()
            .filter_map(|r| r.mine_countries.as_deref())
            .flat_map(countries_named)
            .collect::<HashSet<_>>()
            .into_iter()
            .collect();
        let mut mines: HashMap<(CountryCode, String), Vec<CatalogFacility>> = HashMap::new();
        for mine in catalog_match::in_countries(conn, &mine_countries, &[FacilityKind::Mine])? {
            mines
                .entry((mine.country, comparable_name(&mine.name)))
                .or_default()
                .push(mine);
        }
        let mut facility_ids: Vec<FacilityId> = by_cid.values().map(|f| f.id).collect();
        facility_ids.extend(by_name.values().flatten().map(|f| f.id));
        facility_ids.sort();
        facility_ids.dedup();
        let cids_of = catalog_match::cids_of(conn, &facility_ids)?;
        let ids: Vec<String> = facility_ids.iter().map(|f| f.to_string()).collect();
        let facts = certificate_facts::for_subjects(conn, Subject::Facility, &ids)?;
        let policy = policy::get(conn, organisation)?.policy;
        Ok(Catalog {
            by_cid,
            by_name,
            cids: cids_of,
            facts,
            policy,
            mines,
        })
    }

    fn matched(
        &self,
        facility: &CatalogFacility,
        basis: MatchBasis,
        detail: String,
    ) -> SmelterMatch {
        SmelterMatch {
            basis,
            confidence: if basis == MatchBasis::Cid {
                MatchConfidence::Exact
            } else {
                MatchConfidence::High
            },
            facility_id: Some(facility.id),
            facility_name: Some(facility.name.clone()),
            facility_kind: Some(facility.kind),
            facility_cid: self.cids.get(&facility.id).cloned(),
            unknown_cid: false,
            detail,
        }
    }

    /// The row's match: by CID, else by name and country.
    pub fn match_row(&self, row: &SmelterRow) -> SmelterMatch {
        if let Some(cid) = &row.cid
            && let Some(facility) = self.by_cid.get(cid)
        {
            return self.matched(
                facility,
                MatchBasis::Cid,
                format!("{cid} is the catalog's {}", facility.name),
            );
        }
        let unknown_cid = row.cid.is_some();
        let by_name = match (&row.name, row.country_code) {
            (Some(name), Some(country)) => self
                .by_name
                .get(&(country, comparable_name(name)))
                .map(Vec::as_slice)
                .unwrap_or_default(),
            _ => &[],
        };
        let cid_note = match &row.cid {
            Some(cid) => format!("no catalog facility holds {cid}; "),
            None => String::new(),
        };
        match by_name {
            [one] => {
                let mut found = self.matched(
                    one,
                    MatchBasis::NameAndCountry,
                    format!(
                        "{cid_note}the catalog's {} ({}) has the same name and country",
                        one.name, one.country
                    ),
                );
                found.unknown_cid = unknown_cid;
                found
            }
            [] => SmelterMatch {
                basis: MatchBasis::Unmatched,
                confidence: MatchConfidence::None,
                facility_id: None,
                facility_name: None,
                facility_kind: None,
                facility_cid: None,
                unknown_cid,
                detail: format!(
                    "{cid_note}no catalog smelter, refiner or recycler of that name{}",
                    match row.country_code {
                        Some(c) => format!(" in {c}"),
                        None => " (and no country Oretrace knows)".to_owned(),
                    }
                ),
            },
            several => SmelterMatch {
                basis: MatchBasis::Unmatched,
                confidence: MatchConfidence::Ambiguous,
                facility_id: None,
                facility_name: None,
                facility_kind: None,
                facility_cid: None,
                unknown_cid,
                detail: format!(
                    "{cid_note}{} catalog facilities fit the name and country: {}",
                    several.len(),
                    several
                        .iter()
                        .map(|f| f.id.to_string())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            },
        }
    }

    /// The facility's certification under the policy on `date`, for `metal` when known.
    pub fn certification(
        &self,
        facility: FacilityId,
        metal: Option<Mineral>,
        date: NaiveDate,
    ) -> CertificationOnDate {
        let facts = self
            .facts
            .get(&facility.to_string())
            .map(Vec::as_slice)
            .unwrap_or_default();
        let accepted = self
            .policy
            .accepts(PolicyClass::SmelterRefiner, facts, date, metal);
        let rmap_status = facts
            .iter()
            .filter(|f| f.scheme == RMAP)
            .filter(|f| metal.is_none_or(|m| f.minerals.is_empty() || f.minerals.contains(&m)))
            .map(|f| standing_on(&f.history, date).status)
            .min_by_key(|s| *s != EffectiveStatus::Active);
        CertificationOnDate {
            date,
            certified_under_policy: accepted.is_some(),
            certificate_id: accepted.as_ref().map(|a| a.certificate_id.clone()),
            scheme: accepted.map(|a| a.scheme),
            rmap_status,
        }
    }

    /// The catalog mines a row's mine names and countries name, each with whether it lies in a
    /// conflict-affected or high-risk area; `None` when the row names no mine (or only recycled
    /// or scrap material).
    pub fn mines_named(&self, row: &SmelterRow) -> Option<Vec<&CatalogFacility>> {
        let names = row.mine_names.as_deref()?;
        let countries = row
            .mine_countries
            .as_deref()
            .map(countries_named)
            .unwrap_or_default();
        let named: Vec<String> = names
            .split([';', ',', '\n', '/', '|'])
            .map(comparable_name)
            .filter(|n| !n.is_empty() && n != "recycled" && n != "scrap")
            .collect();
        if named.is_empty() {
            return None;
        }
        Some(
            named
                .iter()
                .flat_map(|name| {
                    countries
                        .iter()
                        .filter_map(move |c| self.mines.get(&(*c, name.clone())))
                        .flatten()
                })
                .collect(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_compare_without_company_suffixes() {
        assert_eq!(
            comparable_name("Metalor Technologies S.A."),
            "metalor technologies"
        );
        assert_eq!(comparable_name("PT Timah Tbk"), "timah");
        assert_eq!(comparable_name("  Fundición   Andina "), "fundición andina");
    }

    #[test]
    fn mine_countries_are_read_from_free_text() {
        let codes = |t: &str| {
            countries_named(t)
                .iter()
                .map(|c| c.to_string())
                .collect::<Vec<_>>()
        };
        assert_eq!(codes("BOLIVIA; PERU"), ["BO", "PE"]);
        assert_eq!(codes("CONGO, DEMOCRATIC REPUBLIC OF THE"), ["CD"]);
        assert!(codes("recycled").is_empty());
    }
}
