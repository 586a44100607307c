//! The roll-up and the coverage as CSV, one row per smelter or supplier.

use crate::app::declarations::coverage::Coverage;
use crate::app::declarations::rollup::Rollup;

fn join<T: ToString>(items: &[T]) -> String {
    items
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(" ")
}

fn finish(rows: Vec<Vec<String>>) -> String {
    let mut writer = csv::Writer::from_writer(Vec::new());
    for row in rows {
        // Writing to memory cannot fail.
        let _ = writer.write_record(&row);
    }
    String::from_utf8(writer.into_inner().unwrap_or_default()).unwrap_or_default()
}

/// One row per smelter of the roll-up.
pub fn rollup(rollup: &Rollup) -> String {
    let mut rows = vec![
        [
            "key",
            "name",
            "country",
            "cid",
            "metals",
            "match_basis",
            "match_confidence",
            "facility_id",
            "certified_today",
            "rmap_status_today",
            "supplier_count",
            "suppliers",
            "mine_countries",
            "cahra_exposure",
            "recycled_claims",
            "red_flags",
            "red_flag_details",
        ]
        .map(String::from)
        .to_vec(),
    ];
    for s in &rollup.smelters {
        let certified = if s.certifications.is_empty() {
            String::new()
        } else {
            s.certifications
                .iter()
                .all(|c| c.certification.certified_under_policy)
                .to_string()
        };
        let rmap: Vec<String> = s
            .certifications
            .iter()
            .filter_map(|c| {
                c.certification
                    .rmap_status
                    .map(|st| format!("{}:{}", c.metal, st))
            })
            .collect();
        let mut suppliers: Vec<String> = s
            .named_by
            .iter()
            .map(|n| n.supplier_party_id.to_string())
            .collect();
        suppliers.sort();
        suppliers.dedup();
        rows.push(vec![
            s.key.clone(),
            s.name.clone(),
            s.country.map(|c| c.to_string()).unwrap_or_default(),
            s.cid.clone().unwrap_or_default(),
            join(&s.metals),
            s.matched.basis.to_string(),
            s.matched.confidence.to_string(),
            s.matched
                .facility_id
                .map(|f| f.to_string())
                .unwrap_or_default(),
            certified,
            rmap.join(" "),
            s.supplier_count.to_string(),
            suppliers.join(" "),
            join(&s.mine_countries),
            s.cahra_exposure.to_string(),
            s.recycled_claims.join(" "),
            join(&s.red_flags.iter().map(|f| f.kind).collect::<Vec<_>>()),
            s.red_flags
                .iter()
                .map(|f| f.detail.clone())
                .collect::<Vec<_>>()
                .join("; "),
        ]);
    }
    finish(rows)
}

/// One row per supplier of the period's purchases.
pub fn coverage(coverage: &Coverage) -> String {
    let mut rows = vec![
        [
            "supplier_party_id",
            "supplier_name",
            "declared",
            "quantity_mg",
            "share",
            "purchase_lines",
            "minerals",
            "undeclared_minerals",
            "minerals_without_template",
            "declarations",
            "from",
            "to",
        ]
        .map(String::from)
        .to_vec(),
    ];
    for s in &coverage.suppliers {
        rows.push(vec![
            s.supplier_party_id.to_string(),
            s.supplier_name.clone(),
            s.declared.to_string(),
            s.quantity_mg.to_string(),
            s.share.to_string(),
            s.purchase_lines.to_string(),
            join(&s.minerals),
            join(&s.undeclared_minerals),
            join(&s.minerals_without_template),
            s.declarations
                .iter()
                .map(|d| format!("{}:{}:{}", d.id, d.template, d.status))
                .collect::<Vec<_>>()
                .join(" "),
            coverage.from.to_string(),
            coverage.to.to_string(),
        ]);
    }
    finish(rows)
}
