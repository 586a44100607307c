//! The roll-up: every current declaration's smelters merged into the organisation's smelter
//! list, each smelter once (by catalog facility when matched, else by CID, else by name and
//! country), with the suppliers that named it, its metals, its certification under the
//! organisation's policy today, the conflict-affected mines named, and its red flags.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;
use utoipa::ToSchema;

use crate::app::AppError;
use crate::db::DbConn;
use crate::domain::country::CountryCode;
use crate::domain::declaration::{SmelterRow, Template};
use crate::domain::ids::{DeclarationId, FacilityId, OrganisationId, PartyId};
use crate::domain::time;
use crate::domain::vocabulary::{FacilityKind, Mineral};
use crate::store::declaration::{self as stored, StoredDeclaration};

use super::matching::{
    Catalog, CertificationOnDate, MatchBasis, SmelterMatch, comparable_name, countries_named,
};

crate::text_enum! {
    /// Why a smelter of the roll-up needs attention.
    pub enum SmelterFlagKind {
        /// Matched, but no certificate the organisation's policy accepts for smelters and
        /// refiners is active today (for one of its metals).
        NotConformant = "not_conformant",
        /// Not matched to the catalog (an unknown CID, or no facility of that name and
        /// country).
        UnknownSmelter = "unknown_smelter",
        /// Matched to a catalog facility that is not a smelter or refiner.
        NotASmelter = "not_a_smelter",
        /// The claim of 100 % recycled or scrap feedstock disagrees: between suppliers, with
        /// the mines the rows name, or with the catalog (a recycler declared not recycled).
        RecycledClaimInconsistent = "recycled_claim_inconsistent",
        /// A mine named for it is a catalog mine in a conflict-affected or high-risk area.
        CahraExposure = "cahra_exposure",
    }
}

crate::text_enum! {
    /// Whether the mines named for a smelter lie in conflict-affected or high-risk areas.
    pub enum CahraExposure {
        /// A named mine is a catalog mine flagged CAHRA.
        Yes = "yes",
        /// Every named mine is a catalog mine, none flagged; or only recycled or scrap.
        No = "no",
        /// No mine named, or a named mine the catalog does not know.
        Unknown = "unknown",
    }
}

/// One red flag of a smelter.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct SmelterFlag {
    pub kind: SmelterFlagKind,
    pub detail: String,
}

/// A supplier that named the smelter, in which declaration.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct NamedBy {
    pub supplier_party_id: PartyId,
    pub declaration_id: DeclarationId,
    pub template: Template,
    /// The row in the declaration's Smelter List.
    pub row: u32,
}

/// The certification of a smelter for one metal, today.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct MetalCertification {
    pub metal: Mineral,
    #[serde(flatten)]
    pub certification: CertificationOnDate,
}

/// A smelter of the organisation's supply chain, as its suppliers' declarations name it.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct RolledUpSmelter {
    /// What makes it one smelter: `facility:<id>`, `cid:<CID>` or `name:<name>|<country>`.
    pub key: String,
    /// The name: the catalog's when matched, else as first declared.
    pub name: String,
    pub country: Option<CountryCode>,
    /// The CID: the catalog's when matched, else as declared.
    pub cid: Option<String>,
    pub metals: Vec<Mineral>,
    #[serde(rename = "match")]
    pub matched: SmelterMatch,
    /// Its certification under the organisation's policy today, per metal (empty when
    /// unmatched).
    pub certifications: Vec<MetalCertification>,
    /// The distinct suppliers that named it.
    pub supplier_count: usize,
    pub named_by: Vec<NamedBy>,
    /// The countries of the mines named for it.
    pub mine_countries: Vec<CountryCode>,
    pub cahra_exposure: CahraExposure,
    /// The catalog mines named for it that lie in conflict-affected or high-risk areas.
    pub cahra_mines: Vec<FacilityId>,
    /// The distinct answers to "100 % recycled or scrap" (`Yes`, `No`, `Unknown`).
    pub recycled_claims: Vec<String>,
    pub red_flags: Vec<SmelterFlag>,
}

/// What the roll-up is filtered by.
#[derive(Clone, Debug, Default)]
pub struct RollupFilter {
    pub template: Option<Template>,
    pub metal: Option<Mineral>,
    pub supplier: Option<PartyId>,
    /// Only smelters with red flags.
    pub flagged: bool,
}

/// The roll-up, with how many rows it merged and how many were left out as not identified.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Rollup {
    /// Current declarations read.
    pub declarations: usize,
    /// Smelter rows merged.
    pub rows: usize,
    /// Rows whose supplier wrote `Smelter not yet identified` (not in the list).
    pub not_yet_identified: usize,
    pub smelters: Vec<RolledUpSmelter>,
}

fn key_of(row: &SmelterRow, matched: &SmelterMatch) -> Option<String> {
    if let Some(facility) = matched.facility_id {
        return Some(format!("facility:{facility}"));
    }
    if let Some(cid) = &row.cid {
        return Some(format!("cid:{cid}"));
    }
    let name = comparable_name(row.name.as_deref()?);
    Some(format!(
        "name:{name}|{}",
        row.country_code.map(|c| c.to_string()).unwrap_or_default()
    ))
}

struct Entry {
    first: SmelterRow,
    matched: SmelterMatch,
    metals: BTreeSet<Mineral>,
    named_by: Vec<NamedBy>,
    mine_countries: BTreeSet<CountryCode>,
    cahra_mines: BTreeSet<FacilityId>,
    mines_named: bool,
    mines_unknown: bool,
    recycled: BTreeSet<String>,
    mines_contradict_recycled: bool,
}

/// The organisation's smelters across its suppliers' current declarations.
pub fn rollup(
    conn: &mut DbConn,
    organisation: OrganisationId,
    filter: &RollupFilter,
) -> Result<Rollup, AppError> {
    let declarations = stored::current(conn, organisation, filter.template)?;
    rollup_of(conn, organisation, &declarations, filter)
}

/// The roll-up of current declarations the caller already read (those of `filter`'s supplier,
/// when it names one).
pub fn rollup_of(
    conn: &mut DbConn,
    organisation: OrganisationId,
    declarations: &[StoredDeclaration],
    filter: &RollupFilter,
) -> Result<Rollup, AppError> {
    let declarations: Vec<&StoredDeclaration> = declarations
        .iter()
        .filter(|d| filter.supplier.is_none_or(|s| d.supplier_party_id == s))
        .collect();
    let catalog = Catalog::load(
        conn,
        organisation,
        declarations.iter().flat_map(|d| &d.declaration.smelters),
    )?;
    let today = time::now().date_naive();
    let mut entries: BTreeMap<String, Entry> = BTreeMap::new();
    let (mut rows, mut not_yet_identified) = (0, 0);
    for declaration in &declarations {
        for row in &declaration.declaration.smelters {
            if filter.metal.is_some() && row.metal != filter.metal {
                continue;
            }
            if !row.identified {
                not_yet_identified += 1;
                continue;
            }
            let matched = catalog.match_row(row);
            let Some(key) = key_of(row, &matched) else {
                continue;
            };
            rows += 1;
            let entry = entries.entry(key).or_insert_with(|| Entry {
                first: row.clone(),
                matched: matched.clone(),
                metals: BTreeSet::new(),
                named_by: Vec::new(),
                mine_countries: BTreeSet::new(),
                cahra_mines: BTreeSet::new(),
                mines_named: false,
                mines_unknown: false,
                recycled: BTreeSet::new(),
                mines_contradict_recycled: false,
            });
            entry.metals.extend(row.metal);
            entry.named_by.push(NamedBy {
                supplier_party_id: declaration.supplier_party_id,
                declaration_id: declaration.id,
                template: declaration.declaration.template,
                row: row.row,
            });
            if let Some(countries) = row.mine_countries.as_deref() {
                entry.mine_countries.extend(countries_named(countries));
            }
            match catalog.mines_named(row) {
                None => {}
                Some(mines) => {
                    entry.mines_named = true;
                    if mines.is_empty() {
                        entry.mines_unknown = true;
                    }
                    entry
                        .cahra_mines
                        .extend(mines.iter().filter(|m| m.cahra).map(|m| m.id));
                    if row.recycled.as_deref() == Some("Yes") {
                        entry.mines_contradict_recycled = true;
                    }
                }
            }
            if let Some(claim) = &row.recycled {
                entry.recycled.insert(claim.clone());
            }
        }
    }
    let mut smelters: Vec<RolledUpSmelter> = entries
        .into_iter()
        .map(|(key, e)| finish(&catalog, key, e, today))
        .filter(|s| !filter.flagged || !s.red_flags.is_empty())
        .collect();
    // Flagged first, then by name.
    smelters.sort_by(|a, b| {
        (a.red_flags.is_empty(), a.name.to_lowercase(), &a.key).cmp(&(
            b.red_flags.is_empty(),
            b.name.to_lowercase(),
            &b.key,
        ))
    });
    Ok(Rollup {
        declarations: declarations.len(),
        rows,
        not_yet_identified,
        smelters,
    })
}

fn finish(catalog: &Catalog, key: String, e: Entry, today: chrono::NaiveDate) -> RolledUpSmelter {
    let mut flags = Vec::new();
    let certifications: Vec<MetalCertification> = match e.matched.facility_id {
        Some(facility) => e
            .metals
            .iter()
            .map(|metal| MetalCertification {
                metal: *metal,
                certification: catalog.certification(facility, Some(*metal), today),
            })
            .collect(),
        None => Vec::new(),
    };
    match (e.matched.basis, e.matched.facility_kind) {
        (MatchBasis::Unmatched, _) => flags.push(SmelterFlag {
            kind: SmelterFlagKind::UnknownSmelter,
            detail: e.matched.detail.clone(),
        }),
        (_, Some(kind))
            if !matches!(
                kind,
                FacilityKind::Smelter | FacilityKind::Refiner | FacilityKind::Recycler
            ) =>
        {
            flags.push(SmelterFlag {
                kind: SmelterFlagKind::NotASmelter,
                detail: format!(
                    "the catalog's {} is a {kind}",
                    e.matched.facility_name.clone().unwrap_or_default()
                ),
            });
        }
        _ => {}
    }
    for c in certifications
        .iter()
        .filter(|c| !c.certification.certified_under_policy)
    {
        flags.push(SmelterFlag {
            kind: SmelterFlagKind::NotConformant,
            detail: format!(
                "no certificate the policy accepts for smelters is active today for {}{}",
                c.metal,
                match c.certification.rmap_status {
                    Some(status) => format!(" (RMAP: {status})"),
                    None => String::new(),
                }
            ),
        });
    }
    let recycled_claims: Vec<String> = e.recycled.into_iter().collect();
    let mut inconsistent = Vec::new();
    if recycled_claims.contains(&"Yes".to_owned()) && recycled_claims.contains(&"No".to_owned()) {
        inconsistent.push("suppliers disagree on 100 % recycled or scrap feedstock".to_owned());
    }
    if e.mines_contradict_recycled {
        inconsistent.push("declared 100 % recycled or scrap, yet mines are named".to_owned());
    }
    if e.matched.facility_kind == Some(FacilityKind::Recycler)
        && recycled_claims.iter().any(|c| c == "No")
    {
        inconsistent
            .push("the catalog holds it as a recycler, yet declared not recycled".to_owned());
    }
    if !inconsistent.is_empty() {
        flags.push(SmelterFlag {
            kind: SmelterFlagKind::RecycledClaimInconsistent,
            detail: inconsistent.join("; "),
        });
    }
    let cahra_exposure = if !e.cahra_mines.is_empty() {
        CahraExposure::Yes
    } else if !e.mines_named {
        if recycled_claims.len() == 1 && recycled_claims[0] == "Yes" {
            CahraExposure::No
        } else {
            CahraExposure::Unknown
        }
    } else if e.mines_unknown {
        CahraExposure::Unknown
    } else {
        CahraExposure::No
    };
    if cahra_exposure == CahraExposure::Yes {
        flags.push(SmelterFlag {
            kind: SmelterFlagKind::CahraExposure,
            detail: format!(
                "named mines in conflict-affected or high-risk areas: {}",
                e.cahra_mines
                    .iter()
                    .map(|m| m.to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        });
    }
    let suppliers: BTreeSet<PartyId> = e.named_by.iter().map(|n| n.supplier_party_id).collect();
    RolledUpSmelter {
        key,
        name: e
            .matched
            .facility_name
            .clone()
            .or(e.first.name.clone())
            .unwrap_or_default(),
        country: e.first.country_code,
        cid: e.matched.facility_cid.clone().or(e.first.cid.clone()),
        metals: e.metals.into_iter().collect(),
        matched: e.matched,
        certifications,
        supplier_count: suppliers.len(),
        named_by: e.named_by,
        mine_countries: e.mine_countries.into_iter().collect(),
        cahra_exposure,
        cahra_mines: e.cahra_mines.into_iter().collect(),
        recycled_claims,
        red_flags: flags,
    }
}
