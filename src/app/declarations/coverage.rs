//! Coverage: the suppliers of a period's purchases with and without a current declaration for
//! what they sold, by share of the purchased quantity, undeclared first, so the analyst knows
//! whom to chase.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::Serialize;
use utoipa::ToSchema;

use crate::app::AppError;
use crate::db::DbConn;
use crate::domain::declaration::{DeclarationStatus, Template};
use crate::domain::ids::{DeclarationId, OrganisationId, PartyId};
use crate::domain::vocabulary::Mineral;
use crate::store::declaration::{self as stored, StoredDeclaration, supply};
use crate::store::party;

/// The template that declares a mineral, if any does.
pub fn template_for(mineral: Mineral) -> Option<Template> {
    [Template::Cmrt, Template::Emrt]
        .into_iter()
        .find(|t| t.minerals().contains(&mineral))
}

/// A current declaration, as the coverage names it.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct DeclarationRef {
    pub id: DeclarationId,
    pub template: Template,
    pub version: String,
    pub effective_date: Option<NaiveDate>,
    /// `complete` or `incomplete` (a current declaration is never `superseded`).
    pub status: DeclarationStatus,
}

/// What one supplier sold in the period and what it declared.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct SupplierCoverage {
    pub supplier_party_id: PartyId,
    pub supplier_name: String,
    /// Milligrams bought in the period (all minerals).
    pub quantity_mg: i64,
    /// Its share of everything bought in the period, 0 to 1.
    pub share: f64,
    pub purchase_lines: i64,
    /// The minerals bought from it.
    pub minerals: Vec<Mineral>,
    /// Minerals a template covers that no current declaration of this supplier covers.
    pub undeclared_minerals: Vec<Mineral>,
    /// Minerals no RMI template covers (silver, platinum…): not counted either way.
    pub minerals_without_template: Vec<Mineral>,
    /// Whether every templated mineral bought from it is covered by a current declaration.
    pub declared: bool,
    pub declarations: Vec<DeclarationRef>,
}

/// The period's coverage.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Coverage {
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// Milligrams bought in the period.
    pub total_quantity_mg: i64,
    /// The share of the templated quantity (minerals a CMRT or EMRT covers) bought from
    /// suppliers whose current declarations cover it, 0 to 1 (null when nothing templated was
    /// bought).
    pub declared_share: Option<f64>,
    pub suppliers_total: usize,
    pub suppliers_declared: usize,
    /// Undeclared first, then by quantity, largest first.
    pub suppliers: Vec<SupplierCoverage>,
}

fn rounded(share: f64) -> f64 {
    (share * 1_000_000.0).round() / 1_000_000.0
}

/// The coverage of the purchases from `from` to `to` (inclusive).
pub fn coverage(
    conn: &mut DbConn,
    organisation: OrganisationId,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Coverage, AppError> {
    let bought = supply::purchased_by_supplier(conn, organisation, from, to)?;
    let current = stored::current(conn, organisation, None)?;
    let mut by_supplier: BTreeMap<PartyId, Vec<&StoredDeclaration>> = BTreeMap::new();
    for d in &current {
        by_supplier.entry(d.supplier_party_id).or_default().push(d);
    }
    let mut sold: BTreeMap<PartyId, Vec<(Mineral, i64, i64)>> = BTreeMap::new();
    for line in &bought {
        sold.entry(line.supplier)
            .or_default()
            .push((line.mineral, line.quantity_mg, line.lines));
    }
    let ids: Vec<PartyId> = sold.keys().copied().collect();
    let names: BTreeMap<PartyId, String> = party::find_many(conn, &ids)?
        .into_iter()
        .map(|p| (p.id, p.name))
        .collect();
    let total: i64 = bought.iter().map(|b| b.quantity_mg).sum();
    let (mut templated, mut templated_declared) = (0i64, 0i64);
    let mut suppliers: Vec<SupplierCoverage> = sold
        .into_iter()
        .map(|(supplier, minerals)| {
            let declarations = by_supplier.get(&supplier).cloned().unwrap_or_default();
            let covers = |m: Mineral| {
                declarations
                    .iter()
                    .any(|d| d.declaration.minerals.contains(&m))
            };
            let mut undeclared = Vec::new();
            let mut without = Vec::new();
            for (mineral, quantity, _) in &minerals {
                match template_for(*mineral) {
                    None => without.push(*mineral),
                    Some(_) => {
                        templated += quantity;
                        if covers(*mineral) {
                            templated_declared += quantity;
                        } else {
                            undeclared.push(*mineral);
                        }
                    }
                }
            }
            let quantity: i64 = minerals.iter().map(|(_, q, _)| q).sum();
            SupplierCoverage {
                supplier_party_id: supplier,
                supplier_name: names.get(&supplier).cloned().unwrap_or_default(),
                quantity_mg: quantity,
                share: if total > 0 {
                    rounded(quantity as f64 / total as f64)
                } else {
                    0.0
                },
                purchase_lines: minerals.iter().map(|(_, _, l)| l).sum(),
                minerals: minerals.iter().map(|(m, ..)| *m).collect(),
                declared: undeclared.is_empty(),
                undeclared_minerals: undeclared,
                minerals_without_template: without,
                declarations: declarations
                    .iter()
                    .map(|d| DeclarationRef {
                        id: d.id,
                        template: d.declaration.template,
                        version: d.declaration.version.clone(),
                        effective_date: d.declaration.company.effective_date,
                        status: d.status(),
                    })
                    .collect(),
            }
        })
        .collect();
    suppliers.sort_by(|a, b| {
        (
            a.declared,
            std::cmp::Reverse(a.quantity_mg),
            a.supplier_party_id,
        )
            .cmp(&(
                b.declared,
                std::cmp::Reverse(b.quantity_mg),
                b.supplier_party_id,
            ))
    });
    Ok(Coverage {
        from,
        to,
        total_quantity_mg: total,
        declared_share: (templated > 0)
            .then(|| rounded(templated_declared as f64 / templated as f64)),
        suppliers_total: suppliers.len(),
        suppliers_declared: suppliers.iter().filter(|s| s.declared).count(),
        suppliers,
    })
}
