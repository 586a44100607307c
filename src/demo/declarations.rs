//! Demo supplier declarations: three fictional suppliers' filled workbooks, written by
//! Oretrace's own writer and imported through the same checks as an upload, so that the
//! roll-up and the coverage show something real. One is complete (Lima Gold Exports, CMRT 6.5),
//! one names the demo's suspended tin smelter (Meridian Metals Trading, CMRT 6.4), one is
//! incomplete and names a CID the catalog does not hold (Nordic Battery Materials, EMRT 2.1).
//! Andes Copper sends none: the coverage lists it to chase.

use chrono::{Datelike, NaiveDate};

use super::catalog::DemoCatalog;
use super::catalog::names::*;
use crate::app::AppError;
use crate::app::declarations::{import, xlsx_writer};
use crate::db::DbConn;
use crate::domain::country::CountryCode;
use crate::domain::declaration::layout::{CellMap, MineralRows, cmrt6, emrt2};
use crate::domain::declaration::{
    Company, CompanyAnswer, CompanyTopic, Declaration, DeclarationScope, MineralAnswer, SmelterRow,
    Template, Topic,
};
use crate::domain::ids::OrganisationId;
use crate::domain::vocabulary::Mineral;
use crate::store::audit::Actor;

fn company(name: &str, contact: &str, email: Option<&str>, date: NaiveDate) -> Company {
    Company {
        name: name.to_owned(),
        scope: Some(DeclarationScope::Company),
        contact_name: Some(contact.to_owned()),
        contact_email: email.map(str::to_owned),
        contact_phone: email.map(|_| "+00 000 0000 (fictional)".to_owned()),
        authorizer: Some(format!("{contact}'s manager (fictional)")),
        authorizer_email: email.map(|e| format!("compliance.{e}")),
        effective_date: Some(date),
        ..Company::default()
    }
}

/// Every question of the cell map answered by `answer(topic, mineral)` (`None`: unanswered).
fn answers(
    map: &CellMap,
    minerals: &[Mineral],
    answer: impl Fn(Topic, Mineral) -> Option<&'static str>,
) -> Vec<MineralAnswer> {
    let mut all = Vec::new();
    for block in &map.questions {
        let rows: Vec<Mineral> = match &block.rows {
            MineralRows::Fixed(rows) => rows.iter().map(|(m, _)| *m).collect(),
            MineralRows::Named { .. } => minerals.to_vec(),
        };
        for mineral in rows.into_iter().filter(|m| minerals.contains(m)) {
            all.push(MineralAnswer {
                question: block.number.clone(),
                topic: block.topic,
                mineral,
                answer: answer(block.topic, mineral).map(str::to_owned),
                comment: None,
                cell: String::new(),
            });
        }
    }
    all
}

fn company_answers(map: &CellMap, survey: &'static str) -> Vec<CompanyAnswer> {
    map.company_questions
        .iter()
        .filter(|q| q.per_mineral.is_none())
        .map(|q| CompanyAnswer {
            question: q.letter.clone(),
            topic: q.topic,
            mineral: None,
            answer: Some(match q.topic {
                CompanyTopic::SupplierSurvey => survey,
                CompanyTopic::AnnualDisclosure => "No",
                _ => "Yes",
            })
            .map(str::to_owned),
            comment: None,
            cell: String::new(),
        })
        .collect()
}

fn smelter(metal: Mineral, name: &str, country: &str, cid: &str) -> SmelterRow {
    SmelterRow {
        metal: Some(metal),
        name: Some(name.to_owned()),
        country: Some(country.to_owned()),
        country_code: CountryCode::from_name(country),
        cid: Some(cid.to_owned()),
        cid_source: Some("RMI".to_owned()),
        recycled: Some("No".to_owned()),
        identified: true,
        ..SmelterRow::default()
    }
}

/// The demo declarations, by supplier name.
fn declarations(today: NaiveDate) -> Vec<(&'static str, Declaration)> {
    let dated = NaiveDate::from_ymd_opt(today.year(), 1, 15).unwrap_or(today);
    let cmrt = cmrt6("6.5");
    let gold_only = |topic: Topic, mineral: Mineral| match (topic, mineral) {
        (Topic::IntentionallyAdded | Topic::RemainsInProduct, Mineral::Gold) => Some("Yes"),
        (Topic::IntentionallyAdded, _) => Some("No"),
        (_, Mineral::Gold) => Some(match topic {
            Topic::SuppliersResponded => "100%",
            Topic::AllSmeltersIdentified | Topic::AllSmeltersReported => "Yes",
            _ => "No",
        }),
        _ => None,
    };
    let lima = Declaration {
        template: Template::Cmrt,
        version: "6.5".to_owned(),
        company: company(
            LIMA_GOLD_SUPPLIER,
            "Rosa Huamán (fictional)",
            Some("rosa@lima-gold.example"),
            dated,
        ),
        minerals: Template::Cmrt.minerals().to_vec(),
        answers: answers(&cmrt, Template::Cmrt.minerals(), gold_only),
        company_answers: company_answers(&cmrt, "Yes, in conformance with IPC1755 (e.g., CMRT)"),
        smelters: vec![
            smelter(
                Mineral::Gold,
                ALPINE_REFINERY,
                "SWITZERLAND",
                ALPINE_REFINERY_CID,
            ),
            smelter(
                Mineral::Gold,
                GULF_REFINERY,
                "UNITED ARAB EMIRATES",
                GULF_REFINERY_CID,
            ),
        ],
        products: Vec::new(),
    };
    let cmrt64 = cmrt6("6.4");
    let gold_and_tin = |topic: Topic, mineral: Mineral| {
        let used = matches!(mineral, Mineral::Gold | Mineral::Tin);
        match topic {
            Topic::IntentionallyAdded | Topic::RemainsInProduct if used => Some("Yes"),
            Topic::IntentionallyAdded => Some("No"),
            _ if !used => None,
            Topic::SuppliersResponded => Some("Greater than 75%"),
            Topic::AllSmeltersIdentified | Topic::AllSmeltersReported => Some("Yes"),
            Topic::Cahra if mineral == Mineral::Tin => Some("Unknown"),
            _ => Some("No"),
        }
    };
    let meridian = Declaration {
        template: Template::Cmrt,
        version: "6.4".to_owned(),
        company: company(
            MERIDIAN_TRADING,
            "Omar Haddad (fictional)",
            Some("omar@meridian.example"),
            dated,
        ),
        minerals: Template::Cmrt.minerals().to_vec(),
        answers: answers(&cmrt64, Template::Cmrt.minerals(), gold_and_tin),
        company_answers: company_answers(&cmrt64, "Yes, in conformance with IPC1755 (e.g., CMRT)"),
        smelters: vec![
            smelter(
                Mineral::Tin,
                BANGKA_TIN_SMELTER,
                "INDONESIA",
                BANGKA_TIN_CID,
            ),
            smelter(
                Mineral::Tin,
                STRAITS_TIN_SMELTER,
                "MALAYSIA",
                STRAITS_TIN_CID,
            ),
            smelter(
                Mineral::Gold,
                ALPINE_REFINERY,
                "SWITZERLAND",
                ALPINE_REFINERY_CID,
            ),
        ],
        products: Vec::new(),
    };
    let emrt = emrt2("2.1");
    let lithium = [Mineral::Lithium];
    let nordic = Declaration {
        template: Template::Emrt,
        version: "2.1".to_owned(),
        // Incomplete: no contact email or phone, question 5 unanswered.
        company: company(
            NORDIC_BATTERY_SUPPLIER,
            "Sven Lind (fictional)",
            None,
            dated,
        ),
        minerals: lithium.to_vec(),
        answers: answers(&emrt, &lithium, |topic, _| match topic {
            Topic::IntentionallyAdded | Topic::RemainsInProduct => Some("Yes"),
            Topic::SuppliersResponded => None,
            Topic::AllSmeltersIdentified | Topic::AllSmeltersReported => Some("Yes"),
            _ => Some("Unknown"),
        }),
        company_answers: company_answers(&emrt, "Yes, in conformance with IPC1755 (e.g. EMRT)"),
        smelters: vec![smelter(
            Mineral::Lithium,
            "Nordkapp Lithium Refinery (fictional)",
            "NORWAY",
            "CID009990",
        )],
        products: Vec::new(),
    };
    vec![
        (LIMA_GOLD_SUPPLIER, lima),
        (MERIDIAN_TRADING, meridian),
        (NORDIC_BATTERY_SUPPLIER, nordic),
    ]
}

/// Imports the demo declarations for `purchaser`.
pub fn seed(
    conn: &mut DbConn,
    purchaser: OrganisationId,
    catalog: &DemoCatalog,
    today: NaiveDate,
) -> Result<usize, AppError> {
    let actor = Actor::cli(purchaser);
    let mut count = 0;
    for (supplier, declaration) in declarations(today) {
        let supplier = *catalog
            .parties
            .get(supplier)
            .ok_or_else(|| AppError::internal(format!("demo supplier {supplier} missing")))?;
        let bytes = xlsx_writer::write(&declaration).map_err(AppError::internal)?;
        let checked = import::check(&bytes)?;
        let name = format!(
            "{}-{}.xlsx",
            declaration.template.code(),
            declaration
                .company
                .name
                .split(' ')
                .next()
                .unwrap_or("supplier")
        );
        import::record(conn, &actor, supplier, Some(name), checked)?;
        count += 1;
    }
    Ok(count)
}
