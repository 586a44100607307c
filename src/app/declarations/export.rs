//! The organisation's own CMRT or EMRT, filled from what Oretrace knows: the company
//! information from its profile, the answers derived from its purchases, policy and suppliers'
//! declarations (each derived answer says where it came from in the answer's comment), and the
//! smelters of the roll-up plus those of its own custody events. What Oretrace cannot know is
//! left unanswered with a comment saying so, for the organisation to answer.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{Datelike, NaiveDate};

use crate::app::AppError;
use crate::app::organisation_profile;
use crate::db::DbConn;
use crate::domain::declaration::answers::is_no;
use crate::domain::declaration::layout::{
    CellMap, Family, KNOWN_VERSIONS, MineralRows, cmrt6, emrt1, emrt2,
};
use crate::domain::declaration::{
    Company, CompanyAnswer, CompanyTopic, Declaration, DeclarationScope, MineralAnswer, SmelterRow,
    Template, Topic,
};
use crate::domain::ids::{FacilityId, OrganisationId, PartyId};
use crate::domain::time;
use crate::domain::vocabulary::Mineral;
use crate::store::declaration::{self as stored, StoredDeclaration, supply};
use crate::store::{facility, organisation, policy};

use super::rollup::{self, RollupFilter};
use super::xlsx_writer;

/// What to write.
#[derive(Clone, Debug)]
pub struct Outgoing {
    pub template: Template,
    pub version: String,
    pub year: i32,
}

/// The versions the export writes: those whose cells are known.
pub fn check_version(template: Template, version: &str) -> Result<(), AppError> {
    if KNOWN_VERSIONS
        .iter()
        .any(|(t, v)| *t == template && *v == version)
    {
        return Ok(());
    }
    let known: Vec<&str> = KNOWN_VERSIONS
        .iter()
        .filter(|(t, _)| *t == template)
        .map(|(_, v)| *v)
        .collect();
    Err(AppError::BadParameter {
        name: "version".to_owned(),
        detail: format!(
            "{} {version} is not a version Oretrace writes: one of {}",
            template.code(),
            known.join(", ")
        ),
    })
}

fn cell_map(template: Template, version: &str) -> CellMap {
    match (template, version.starts_with("1.")) {
        (Template::Cmrt, _) => cmrt6(version),
        (Template::Emrt, true) => emrt1(version),
        (Template::Emrt, false) => emrt2(version),
    }
}

/// What the organisation bought of one mineral in the year.
#[derive(Default)]
struct Bought {
    mg: i64,
    lines: i64,
    suppliers: BTreeSet<PartyId>,
}

/// The organisation's own declaration for the year, and the workbook.
pub fn outgoing(
    conn: &mut DbConn,
    organisation_id: OrganisationId,
    request: &Outgoing,
) -> Result<(Declaration, Vec<u8>), AppError> {
    check_version(request.template, &request.version)?;
    let template = request.template;
    let map = cell_map(template, &request.version);
    let from =
        NaiveDate::from_ymd_opt(request.year, 1, 1).ok_or_else(|| AppError::BadParameter {
            name: "year".to_owned(),
            detail: "is not a year".to_owned(),
        })?;
    let to = NaiveDate::from_ymd_opt(request.year, 12, 31).unwrap_or(from);
    let organisation = organisation::find(conn, organisation_id)?
        .ok_or_else(|| AppError::not_found(format!("no organisation {organisation_id}")))?;
    let profile = organisation_profile::own(conn, organisation_id)?;
    let policy = policy::get(conn, organisation_id)?;

    let mut bought: BTreeMap<Mineral, Bought> = BTreeMap::new();
    for line in supply::purchased_by_supplier(conn, organisation_id, from, to)? {
        let b = bought.entry(line.mineral).or_default();
        b.mg += line.quantity_mg;
        b.lines += line.lines;
        b.suppliers.insert(line.supplier);
    }
    let declarations: Vec<StoredDeclaration> =
        stored::current(conn, organisation_id, Some(template))?;
    let minerals: Vec<Mineral> = match map.family {
        Family::Emrt1 => vec![Mineral::Cobalt, Mineral::Mica],
        Family::Emrt2 => {
            let mut chosen: Vec<Mineral> = Template::Emrt
                .minerals()
                .iter()
                .copied()
                .filter(|m| {
                    bought.contains_key(m)
                        || declarations
                            .iter()
                            .any(|d| d.declaration.minerals.contains(m))
                })
                .collect();
            if chosen.is_empty() {
                chosen = Template::Emrt.minerals().to_vec();
            }
            chosen
        }
        _ => template.minerals().to_vec(),
    };

    let rollup = rollup::rollup_of(
        conn,
        organisation_id,
        &declarations,
        &RollupFilter {
            template: Some(template),
            ..RollupFilter::default()
        },
    )?;
    let answers = mineral_answers(
        &map,
        &minerals,
        &bought,
        &declarations,
        &rollup,
        request.year,
    );
    let company_answers =
        company_answers(&map, &minerals, &bought, &declarations, &profile, &policy);
    let mut smelters = Vec::new();
    let mut listed: BTreeSet<(Option<FacilityId>, Mineral)> = BTreeSet::new();
    for s in &rollup.smelters {
        for metal in s.metals.iter().filter(|m| minerals.contains(m)) {
            listed.insert((s.matched.facility_id, *metal));
            smelters.push(SmelterRow {
                metal: Some(*metal),
                name: Some(s.name.clone()),
                country: s.country.map(|c| c.template_name()),
                country_code: s.country,
                cid: s.cid.clone(),
                cid_source: s.cid.as_ref().map(|_| "RMI".to_owned()),
                mine_countries: (!s.mine_countries.is_empty()).then(|| {
                    s.mine_countries
                        .iter()
                        .map(|c| c.template_name())
                        .collect::<Vec<_>>()
                        .join("; ")
                }),
                recycled: (s.recycled_claims.len() == 1).then(|| s.recycled_claims[0].clone()),
                comments: Some(format!(
                    "Named by {} supplier declaration(s) received in Oretrace",
                    s.supplier_count
                )),
                identified: true,
                ..SmelterRow::default()
            });
        }
    }
    let traced = supply::traced_smelters(conn, organisation_id, from, to)?;
    let traced_ids: Vec<FacilityId> = traced.iter().map(|(f, _)| *f).collect();
    let facilities = facility::find_many(conn, &traced_ids)?;
    let cids = crate::store::declaration::catalog_match::cids_of(conn, &traced_ids)?;
    for (id, metal) in traced {
        if !minerals.contains(&metal) || listed.contains(&(Some(id), metal)) {
            continue;
        }
        let Some(f) = facilities.iter().find(|f| f.id == id) else {
            continue;
        };
        listed.insert((Some(id), metal));
        let cid = cids.get(&id).cloned();
        smelters.push(SmelterRow {
            metal: Some(metal),
            name: Some(f.name.clone()),
            country: Some(f.country.template_name()),
            country_code: Some(f.country),
            cid_source: cid.as_ref().map(|_| "RMI".to_owned()),
            cid,
            comments: Some("From the organisation's own custody events in Oretrace".to_owned()),
            identified: true,
            ..SmelterRow::default()
        });
    }
    for (i, row) in smelters.iter_mut().enumerate() {
        row.row = map.smelters.first_row + 1 + i as u32;
    }
    let declaration = Declaration {
        template,
        version: request.version.clone(),
        company: Company {
            name: profile.legal_name.clone().unwrap_or(organisation.name),
            scope: Some(DeclarationScope::Company),
            scope_description: None,
            unique_id: profile.unique_id.clone(),
            unique_id_authority: profile.unique_id_authority.clone(),
            address: profile.address.clone(),
            contact_name: profile.contact_name.clone(),
            contact_email: profile.contact_email.clone(),
            contact_phone: profile.contact_phone.clone(),
            authorizer: profile.authorizer.clone(),
            authorizer_title: profile.authorizer_title.clone(),
            authorizer_email: profile.authorizer_email.clone(),
            authorizer_phone: profile.authorizer_phone.clone(),
            effective_date: Some(time::now().date_naive()),
        },
        minerals,
        answers,
        company_answers,
        smelters,
        products: Vec::new(),
    };
    let bytes = xlsx_writer::write(&declaration).map_err(AppError::internal)?;
    Ok((declaration, bytes))
}

/// Each answer row of the cell map for the minerals in scope.
fn rows_of(rows: &MineralRows, minerals: &[Mineral]) -> Vec<Mineral> {
    match rows {
        MineralRows::Fixed(rows) => rows
            .iter()
            .map(|(m, _)| *m)
            .filter(|m| minerals.contains(m))
            .collect(),
        MineralRows::Named { .. } => {
            let mut sorted = minerals.to_vec();
            sorted.sort_by_key(|m| m.as_str());
            sorted
        }
    }
}

/// The answers of the suppliers' current declarations to `topic` for `mineral`, counted.
fn supplier_answers(
    declarations: &[StoredDeclaration],
    topic: Topic,
    mineral: Mineral,
) -> BTreeMap<String, usize> {
    let mut counts = BTreeMap::new();
    for d in declarations {
        let used = d.declaration.answers.iter().any(|a| {
            a.mineral == mineral
                && a.topic == Topic::IntentionallyAdded
                && !is_no(a.answer.as_deref())
        });
        if !used {
            continue;
        }
        let answer = d
            .declaration
            .answers
            .iter()
            .find(|a| a.mineral == mineral && a.topic == topic)
            .and_then(|a| a.answer.clone())
            .unwrap_or_else(|| "Unknown".to_owned());
        *counts.entry(answer).or_insert(0) += 1;
    }
    counts
}

fn counted(counts: &BTreeMap<String, usize>) -> String {
    counts
        .iter()
        .map(|(a, n)| format!("{n} {a}"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn share_bucket(declared: usize, total: usize) -> &'static str {
    if total == 0 || declared == 0 {
        return "None";
    }
    let share = declared as f64 / total as f64;
    if declared == total {
        "100%"
    } else if share > 0.9 {
        "Greater than 90%"
    } else if share > 0.75 {
        "Greater than 75%"
    } else if share > 0.5 {
        "Greater than 50%"
    } else {
        "50% or less"
    }
}

fn mineral_answers(
    map: &CellMap,
    minerals: &[Mineral],
    bought: &BTreeMap<Mineral, Bought>,
    declarations: &[StoredDeclaration],
    rollup: &rollup::Rollup,
    year: i32,
) -> Vec<MineralAnswer> {
    let mut answers = Vec::new();
    for block in &map.questions {
        for mineral in rows_of(&block.rows, minerals) {
            let b = bought.get(&mineral);
            let (answer, comment): (Option<String>, String) = match (block.topic, b) {
                (Topic::IntentionallyAdded, Some(b)) => (
                    Some("Yes".into()),
                    format!(
                        "Oretrace: {} purchase line(s), {:.3} kg from {} supplier(s) in {year}",
                        b.lines,
                        b.mg as f64 / 1e6,
                        b.suppliers.len()
                    ),
                ),
                (Topic::IntentionallyAdded, None) => (
                    Some(
                        if map.family == Family::Emrt2 {
                            "Not declaring"
                        } else {
                            "No"
                        }
                        .into(),
                    ),
                    format!("Oretrace: no purchase of {mineral} recorded in {year}"),
                ),
                (_, None) => continue,
                (Topic::RemainsInProduct, Some(_)) => (
                    Some("Yes".into()),
                    "Oretrace: assumed from the purchases; confirm".into(),
                ),
                (Topic::SuppliersResponded, Some(b)) => {
                    let declared = b
                        .suppliers
                        .iter()
                        .filter(|s| {
                            declarations.iter().any(|d| {
                                d.supplier_party_id == **s
                                    && d.declaration.minerals.contains(&mineral)
                            })
                        })
                        .count();
                    (
                        Some(share_bucket(declared, b.suppliers.len()).into()),
                        format!(
                            "Oretrace: {declared} of {} supplier(s) of {mineral} in {year} have a \
                             current declaration",
                            b.suppliers.len()
                        ),
                    )
                }
                (Topic::AllSmeltersIdentified, Some(b)) => {
                    let undeclared = b.suppliers.iter().any(|s| {
                        !declarations.iter().any(|d| {
                            d.supplier_party_id == *s && d.declaration.minerals.contains(&mineral)
                        })
                    });
                    let unidentified = declarations.iter().any(|d| {
                        d.declaration
                            .smelters
                            .iter()
                            .any(|r| r.metal == Some(mineral) && !r.identified)
                    });
                    let unmatched = rollup
                        .smelters
                        .iter()
                        .any(|s| s.metals.contains(&mineral) && s.matched.facility_id.is_none());
                    let yes = !undeclared && !unidentified && !unmatched;
                    (
                        Some(if yes { "Yes" } else { "No" }.into()),
                        format!(
                            "Oretrace: {}",
                            if yes {
                                "every supplier declared and every smelter named is in the catalog"
                            } else if undeclared {
                                "a supplier has no current declaration"
                            } else if unidentified {
                                "a supplier's smelter is not yet identified"
                            } else {
                                "a smelter named is not in the catalog"
                            }
                        ),
                    )
                }
                (Topic::AllSmeltersReported, Some(_)) => (
                    Some("Yes".into()),
                    "Oretrace: every smelter of the suppliers' current declarations and of the \
                     organisation's custody events is listed"
                        .into(),
                ),
                (topic, Some(_)) => {
                    let counts = supplier_answers(declarations, topic, mineral);
                    let cahra_named = topic == Topic::Cahra
                        && rollup.smelters.iter().any(|s| {
                            s.metals.contains(&mineral)
                                && s.cahra_exposure == rollup::CahraExposure::Yes
                        });
                    let answer = if counts.is_empty() {
                        "Unknown"
                    } else if topic == Topic::RecycledOrScrap {
                        if counts.keys().all(|a| a == "Yes") {
                            "Yes"
                        } else if counts.contains_key("No") {
                            "No"
                        } else {
                            "Unknown"
                        }
                    } else if cahra_named || counts.contains_key("Yes") {
                        "Yes"
                    } else if counts.keys().any(|a| a != "No") {
                        "Unknown"
                    } else {
                        "No"
                    };
                    let comment = if counts.is_empty() {
                        format!("Oretrace: no current supplier declaration covers {mineral}")
                    } else {
                        format!(
                            "Oretrace: from {} supplier declaration(s): {}{}",
                            counts.values().sum::<usize>(),
                            counted(&counts),
                            if cahra_named {
                                "; a named mine lies in a CAHRA"
                            } else {
                                ""
                            }
                        )
                    };
                    (Some(answer.into()), comment)
                }
            };
            answers.push(MineralAnswer {
                question: block.number.clone(),
                topic: block.topic,
                mineral,
                answer,
                comment: Some(comment),
                cell: String::new(),
            });
        }
    }
    answers
}

fn company_answers(
    map: &CellMap,
    minerals: &[Mineral],
    bought: &BTreeMap<Mineral, Bought>,
    declarations: &[StoredDeclaration],
    profile: &crate::domain::organisation::CompanyProfile,
    policy: &crate::store::policy::StoredPolicy,
) -> Vec<CompanyAnswer> {
    let yourself = "Oretrace cannot tell: answer this yourself".to_owned();
    let received = declarations.len();
    let mut answers = Vec::new();
    for question in &map.company_questions {
        let (answer, comment): (Option<String>, String) = match question.topic {
            CompanyTopic::Policy => match policy.updated_at {
                Some(at) => (
                    Some("Yes".into()),
                    format!(
                        "Oretrace: a sourcing policy is recorded (last changed {})",
                        at.date_naive()
                    ),
                ),
                None => (
                    None,
                    "Oretrace holds no sourcing policy of yours: answer this yourself".into(),
                ),
            },
            CompanyTopic::PolicyPublished => match &profile.policy_url {
                Some(url) => (Some("Yes".into()), url.clone()),
                None => (None, yourself.clone()),
            },
            CompanyTopic::SupplierSurvey if received > 0 => (
                Some(
                    if map.family == Family::Cmrt6 {
                        "Yes, in conformance with IPC1755 (e.g., CMRT)"
                    } else {
                        "Yes, in conformance with IPC1755 (e.g. EMRT)"
                    }
                    .into(),
                ),
                format!("Oretrace: {received} current supplier declaration(s) received"),
            ),
            CompanyTopic::SupplierSurvey => (
                Some("No".into()),
                "Oretrace: no supplier declaration received".into(),
            ),
            CompanyTopic::ReviewsSuppliers if received > 0 => (
                Some("Yes".into()),
                "Oretrace: each declaration is checked against the template and its smelters \
                 against the catalog and RMAP"
                    .into(),
            ),
            _ => (None, yourself.clone()),
        };
        match &question.per_mineral {
            None => answers.push(CompanyAnswer {
                question: question.letter.clone(),
                topic: question.topic,
                mineral: None,
                answer,
                comment: Some(comment),
                cell: String::new(),
            }),
            Some(rows) => {
                for mineral in rows_of(rows, minerals) {
                    if !bought.contains_key(&mineral) && map.family != Family::Emrt1 {
                        continue;
                    }
                    answers.push(CompanyAnswer {
                        question: question.letter.clone(),
                        topic: question.topic,
                        mineral: Some(mineral),
                        answer: answer.clone(),
                        comment: Some(comment.clone()),
                        cell: String::new(),
                    });
                }
            }
        }
    }
    answers
}

/// The file name of an outgoing workbook.
pub fn file_name(request: &Outgoing) -> String {
    format!(
        "{}-{}-{}.xlsx",
        request.template.code(),
        request.version,
        request.year
    )
}

/// The current calendar year.
pub fn this_year() -> i32 {
    time::now().year()
}
