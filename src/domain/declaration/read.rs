//! Reading a workbook's cells into a declaration: what makes it invalid (refused, each reason
//! at its cell) and what makes it merely incomplete (kept, as findings, the way the template's
//! own Checker lists what is still missing). The rules are written out in docs/DECLARATIONS.md.

use super::answers::{allowed, allowed_company, canonical, is_no};
use super::grid::{Sheet, Workbook, address};
use super::layout::{
    ANSWER_COL, COMMENT_COL, CellMap, CompanyField, DECLARATION, Detected, Family, LABEL_COL,
    MineralRows, PRODUCT_LIST, SMELTER_LIST, cell_map, detect,
};
use super::{
    Company, CompanyAnswer, Declaration, DeclarationScope, Finding, MineralAnswer, Product,
    SmelterRow, Template, Topic, dates, is_cid, normalise_cid,
};
use crate::domain::country::CountryCode;
use crate::domain::vocabulary::Mineral;

/// The most Smelter List or Product List rows read (the templates hold 2,500 and 2,000).
pub const MAX_ROWS: u32 = 10_000;

/// A declaration read from a workbook, with what it lacks.
#[derive(Clone, Debug, PartialEq)]
pub struct Reading {
    pub declaration: Declaration,
    /// What makes it incomplete; empty when it is complete.
    pub findings: Vec<Finding>,
    pub detected: Detected,
}

/// Reads a workbook: the declaration and its findings, or every reason it is invalid.
pub fn read(workbook: &Workbook) -> Result<Reading, Vec<Finding>> {
    let detected = detect(workbook).map_err(|f| vec![f])?;
    let (map, mut findings) = cell_map(&detected, workbook);
    let mut invalid = Vec::new();
    if !detected.known {
        findings.push(Finding::at(
            format!("{DECLARATION}!J3"),
            format!(
                "{} {} is not a version whose cells Oretrace knows; it was read by its labels \
                 (docs/DECLARATIONS.md)",
                detected.template.code(),
                detected.version
            ),
        ));
    }
    let empty = Sheet::new(DECLARATION);
    let sheet = workbook.sheet(DECLARATION).unwrap_or(&empty);
    let at = |row: u32, col: u32| address(DECLARATION, row, col);

    let company = read_company(sheet, &map, &mut invalid, &mut findings);
    let minerals = minerals_in_scope(sheet, &map, detected.template, &mut invalid);
    let answers = read_answers(sheet, &map, &minerals, &mut invalid, &mut findings);
    let applicable: Vec<Mineral> = minerals
        .iter()
        .copied()
        .filter(|m| applies(&answers, *m))
        .collect();
    let mut company_answers = Vec::new();
    for question in &map.company_questions {
        let allowed = allowed_company(map.family, question.topic);
        let mut cells: Vec<(Option<Mineral>, u32)> = Vec::new();
        match &question.per_mineral {
            None => cells.push((None, question.row)),
            Some(rows) => {
                for (mineral, row) in mineral_rows(sheet, rows, &mut findings) {
                    if minerals.contains(&mineral) {
                        cells.push((Some(mineral), row));
                    }
                }
            }
        }
        for (mineral, row) in cells {
            let needed = match mineral {
                Some(m) => applicable.contains(&m),
                None => !applicable.is_empty(),
            };
            let answer = answer_at(sheet, row, allowed, needed, &at, &mut findings);
            company_answers.push(CompanyAnswer {
                question: question.letter.clone(),
                topic: question.topic,
                mineral,
                answer,
                comment: sheet.text(row, COMMENT_COL),
                cell: at(row, ANSWER_COL),
            });
        }
    }
    let smelters = match workbook.sheet(SMELTER_LIST) {
        Some(list) => read_smelters(list, &map, detected.template, &mut invalid, &mut findings),
        None => Vec::new(),
    };
    if smelters.is_empty() && !applicable.is_empty() {
        findings.push(Finding::at(
            address(SMELTER_LIST, map.smelters.first_row, map.smelters.metal),
            "the Smelter List is empty although a mineral is declared as used",
        ));
    }
    let products = workbook
        .sheet(PRODUCT_LIST)
        .map(|list| read_products(list, &map))
        .unwrap_or_default();
    if company.scope == Some(DeclarationScope::Product) && products.is_empty() {
        findings.push(Finding::at(
            address(PRODUCT_LIST, map.products.first_row, map.products.number),
            "the scope is a product (list of products) but the Product List is empty",
        ));
    }
    if !invalid.is_empty() {
        return Err(invalid);
    }
    Ok(Reading {
        declaration: Declaration {
            template: detected.template,
            version: detected.version.clone(),
            company,
            minerals,
            answers,
            company_answers,
            smelters,
            products,
        },
        findings,
        detected,
    })
}

fn read_company(
    sheet: &Sheet,
    map: &CellMap,
    invalid: &mut Vec<Finding>,
    findings: &mut Vec<Finding>,
) -> Company {
    let mut company = Company::default();
    for &(field, row) in &map.company {
        let cell = address(DECLARATION, row, ANSWER_COL);
        let value = sheet.get(row, ANSWER_COL);
        let text = sheet.text(row, ANSWER_COL);
        if text.is_none() && field.required(map.family) {
            let detail = format!("{} is required", field.label());
            match field {
                CompanyField::Name | CompanyField::Scope => invalid.push(Finding::at(cell, detail)),
                _ => findings.push(Finding::at(cell, detail)),
            }
            continue;
        }
        match field {
            CompanyField::Name => company.name = text.unwrap_or_default(),
            CompanyField::Scope => {
                let text = text.unwrap_or_default();
                company.scope = DeclarationScope::from_template_text(&text);
                if company.scope.is_none() {
                    invalid.push(Finding::at(
                        cell,
                        format!(
                            "\"{text}\" is not a declaration scope: A. Company, B. Product (or \
                             List of Products) or C. User defined"
                        ),
                    ));
                }
            }
            CompanyField::ScopeDescription => company.scope_description = text,
            CompanyField::UniqueId => company.unique_id = text,
            CompanyField::UniqueIdAuthority => company.unique_id_authority = text,
            CompanyField::Address => company.address = text,
            CompanyField::ContactName => company.contact_name = text,
            CompanyField::ContactEmail => company.contact_email = text,
            CompanyField::ContactPhone => company.contact_phone = text,
            CompanyField::Authorizer => company.authorizer = text,
            CompanyField::AuthorizerTitle => company.authorizer_title = text,
            CompanyField::AuthorizerEmail => company.authorizer_email = text,
            CompanyField::AuthorizerPhone => company.authorizer_phone = text,
            CompanyField::EffectiveDate => match value.map(dates::read) {
                Some(Ok(date)) if date < dates::earliest() => findings.push(Finding::at(
                    cell,
                    format!("the effective date {date} is before 1 January 2007"),
                )),
                Some(Ok(date)) => company.effective_date = Some(date),
                Some(Err(reason)) => {
                    findings.push(Finding::at(cell, format!("the effective date {reason}")))
                }
                None => {}
            },
        }
    }
    if company.scope == Some(DeclarationScope::UserDefined) && company.scope_description.is_none() {
        let row = map
            .company
            .iter()
            .find(|(f, _)| *f == CompanyField::ScopeDescription)
            .map_or(9, |(_, row)| *row);
        findings.push(Finding::at(
            address(DECLARATION, row, ANSWER_COL),
            "a user-defined scope needs its description",
        ));
    }
    company
}

/// The minerals the declaration covers: the template's own, or (EMRT 2.x) those chosen.
fn minerals_in_scope(
    sheet: &Sheet,
    map: &CellMap,
    template: Template,
    invalid: &mut Vec<Finding>,
) -> Vec<Mineral> {
    if map.mineral_cells.is_empty() {
        return match map.family {
            Family::Emrt1 => vec![Mineral::Cobalt, Mineral::Mica],
            _ => template.minerals().to_vec(),
        };
    }
    let chosen: Vec<Mineral> = map
        .mineral_cells
        .iter()
        .filter(|(mineral, row, col)| {
            sheet
                .text(*row, *col)
                .is_some_and(|t| t.eq_ignore_ascii_case(mineral.as_str()))
        })
        .map(|(mineral, ..)| *mineral)
        .collect();
    if chosen.is_empty() {
        let (_, row, col) = map.mineral_cells[0];
        invalid.push(Finding::at(
            address(DECLARATION, row, col),
            "no mineral is in scope: choose at least one of cobalt, copper, graphite, lithium, \
             mica and nickel",
        ));
    }
    chosen
}

/// A template mineral named in a cell (`Tantalum`, `cobalt`).
fn mineral_named(text: &str) -> Option<Mineral> {
    Mineral::parse(&text.trim().to_ascii_lowercase())
}

/// Each mineral's row of a block.
fn mineral_rows(
    sheet: &Sheet,
    rows: &MineralRows,
    findings: &mut Vec<Finding>,
) -> Vec<(Mineral, u32)> {
    match rows {
        MineralRows::Fixed(rows) => rows.clone(),
        MineralRows::Named { first, count } => (*first..first + count)
            .filter_map(|row| {
                let name = sheet.text(row, LABEL_COL)?;
                let mineral = mineral_named(&name);
                if mineral.is_none() {
                    findings.push(Finding::at(
                        address(DECLARATION, row, LABEL_COL),
                        format!("\"{name}\" is not a mineral of the template"),
                    ));
                }
                Some((mineral?, row))
            })
            .collect(),
    }
}

/// The answer in a row's column D as the template writes it: missing is a finding where the
/// question is `needed`, and an answer outside the list is kept as typed, with a finding.
fn answer_at(
    sheet: &Sheet,
    row: u32,
    allowed: &[&'static str],
    needed: bool,
    at: &dyn Fn(u32, u32) -> String,
    findings: &mut Vec<Finding>,
) -> Option<String> {
    let Some(typed) = sheet.text(row, ANSWER_COL) else {
        if needed {
            findings.push(Finding::at(at(row, ANSWER_COL), "no answer"));
        }
        return None;
    };
    if allowed.is_empty() {
        return Some(typed);
    }
    match canonical(&typed, allowed) {
        Some(answer) => Some(answer.to_owned()),
        None => {
            findings.push(Finding::at(
                at(row, ANSWER_COL),
                format!("\"{typed}\" is not one of: {}", allowed.join("; ")),
            ));
            Some(typed)
        }
    }
}

fn read_answers(
    sheet: &Sheet,
    map: &CellMap,
    minerals: &[Mineral],
    invalid: &mut Vec<Finding>,
    findings: &mut Vec<Finding>,
) -> Vec<MineralAnswer> {
    let at = |row: u32, col: u32| address(DECLARATION, row, col);
    let mut answers: Vec<MineralAnswer> = Vec::new();
    // First the two questions that decide whether the others apply: missing or unreadable,
    // the declaration says nothing, so it is refused.
    let deciding = [Topic::IntentionallyAdded, Topic::RemainsInProduct];
    for topic in deciding {
        let Some(block) = map.questions.iter().find(|q| q.topic == topic) else {
            continue;
        };
        let rows = mineral_rows(sheet, &block.rows, findings);
        for &mineral in minerals {
            let earlier = answers
                .iter()
                .find(|a| a.mineral == mineral && a.topic == Topic::IntentionallyAdded)
                .and_then(|a| a.answer.as_deref());
            if topic == Topic::RemainsInProduct && is_no(earlier) {
                continue;
            }
            let Some(&(_, row)) = rows.iter().find(|(m, _)| *m == mineral) else {
                invalid.push(Finding::at(
                    at(block.header, LABEL_COL),
                    format!("question {} has no row for {mineral}", block.number),
                ));
                continue;
            };
            let allowed = allowed(map.family, topic, mineral);
            let typed = sheet.text(row, ANSWER_COL);
            let answer = typed.as_deref().and_then(|t| canonical(t, allowed));
            match (&typed, answer) {
                (None, _) => invalid.push(Finding::at(
                    at(row, ANSWER_COL),
                    format!("question {} for {mineral} is required", block.number),
                )),
                (Some(t), None) => invalid.push(Finding::at(
                    at(row, ANSWER_COL),
                    format!(
                        "question {} for {mineral}: \"{t}\" is not one of: {}",
                        block.number,
                        allowed.join("; ")
                    ),
                )),
                _ => {}
            }
            answers.push(MineralAnswer {
                question: block.number.clone(),
                topic,
                mineral,
                answer: answer.map(str::to_owned),
                comment: sheet.text(row, COMMENT_COL),
                cell: at(row, ANSWER_COL),
            });
        }
    }
    let applicable: Vec<Mineral> = minerals
        .iter()
        .copied()
        .filter(|m| applies(&answers, *m))
        .collect();
    for block in map
        .questions
        .iter()
        .filter(|q| !deciding.contains(&q.topic))
    {
        for (mineral, row) in mineral_rows(sheet, &block.rows, findings) {
            if !minerals.contains(&mineral) {
                continue;
            }
            let allowed = allowed(map.family, block.topic, mineral);
            let needed = applicable.contains(&mineral);
            let answer = answer_at(sheet, row, allowed, needed, &at, findings);
            answers.push(MineralAnswer {
                question: block.number.clone(),
                topic: block.topic,
                mineral,
                answer,
                comment: sheet.text(row, COMMENT_COL),
                cell: at(row, ANSWER_COL),
            });
        }
    }
    answers.sort_by(|a, b| {
        (
            a.question.parse::<u32>().unwrap_or(0),
            a.cell.len(),
            &a.cell,
        )
            .cmp(&(
                b.question.parse::<u32>().unwrap_or(0),
                b.cell.len(),
                &b.cell,
            ))
    });
    answers
}

/// Whether the later questions apply to a mineral: it is used (question 1) and remains in the
/// product (question 2).
fn applies(answers: &[MineralAnswer], mineral: Mineral) -> bool {
    let answer = |topic: Topic| {
        answers
            .iter()
            .find(|a| a.mineral == mineral && a.topic == topic)
            .and_then(|a| a.answer.as_deref())
    };
    !is_no(answer(Topic::IntentionallyAdded)) && !is_no(answer(Topic::RemainsInProduct))
}

fn text_at(sheet: &Sheet, row: u32, col: Option<u32>) -> Option<String> {
    col.and_then(|c| sheet.text(row, c))
}

fn read_smelters(
    sheet: &Sheet,
    map: &CellMap,
    template: Template,
    invalid: &mut Vec<Finding>,
    findings: &mut Vec<Finding>,
) -> Vec<SmelterRow> {
    let columns = &map.smelters;
    let name = &sheet.name;
    let mut rows = Vec::new();
    let last = sheet.rows().min(columns.first_row + MAX_ROWS);
    for row in columns.first_row..last {
        let text = |col: Option<u32>| text_at(sheet, row, col);
        let input_cid = text(columns.input_cid);
        let metal_text = text(Some(columns.metal));
        let lookup = text(columns.lookup);
        let typed_name = text(columns.name);
        let cid_text = text(columns.cid);
        if input_cid.is_none()
            && metal_text.is_none()
            && lookup.is_none()
            && typed_name.is_none()
            && cid_text.is_none()
        {
            continue;
        }
        let metal = match &metal_text {
            None => {
                findings.push(Finding::at(
                    address(name, row, columns.metal),
                    "the smelter's metal is missing",
                ));
                None
            }
            Some(t) => match mineral_named(t).filter(|m| template.minerals().contains(m)) {
                Some(m) => Some(m),
                None => {
                    invalid.push(Finding::at(
                        address(name, row, columns.metal),
                        format!(
                            "\"{t}\" is not a metal of the {}: {}",
                            template.code(),
                            template
                                .minerals()
                                .iter()
                                .map(|m| m.as_str())
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                    ));
                    None
                }
            },
        };
        let lowered = lookup.as_deref().map(str::to_ascii_lowercase);
        let identified = lowered.as_deref() != Some("smelter not yet identified");
        let lookup_name = lookup.clone().filter(|_| {
            !matches!(
                lowered.as_deref(),
                Some("smelter not listed" | "smelter not yet identified")
            )
        });
        let standard_name = text(columns.standard_name);
        let smelter_name = typed_name.or_else(|| lookup_name.clone()).or(standard_name);
        let (cid, cid_col) = match (cid_text, input_cid) {
            (Some(c), _) => (Some(c), columns.cid),
            (None, Some(c)) => (Some(c), columns.input_cid),
            (None, None) => (None, None),
        };
        let cid = cid.map(|c| normalise_cid(&c));
        if let Some(c) = &cid
            && !is_cid(c)
        {
            invalid.push(Finding::at(
                address(name, row, cid_col.unwrap_or(5)),
                format!("\"{c}\" is not a smelter identification: CID and six digits (CID001234)"),
            ));
        }
        if smelter_name.is_none() && identified {
            findings.push(Finding::at(
                address(name, row, columns.name.unwrap_or(3)),
                "the smelter's name is missing",
            ));
        }
        let country = text(columns.country).filter(|c| !c.eq_ignore_ascii_case("unknown"));
        let country_code = country.as_deref().and_then(CountryCode::from_name);
        if identified && country.is_none() {
            findings.push(Finding::at(
                address(name, row, columns.country.unwrap_or(4)),
                "the smelter's country is missing",
            ));
        } else if let (Some(c), None) = (&country, country_code) {
            findings.push(Finding::at(
                address(name, row, columns.country.unwrap_or(4)),
                format!("\"{c}\" is not a country Oretrace knows"),
            ));
        }
        if !identified {
            findings.push(Finding::at(
                address(name, row, columns.lookup.unwrap_or(2)),
                "the smelter is not yet identified",
            ));
        }
        let recycled = text(columns.recycled).map(|typed| {
            match canonical(&typed, &["Yes", "No", "Unknown"]) {
                Some(answer) => answer.to_owned(),
                None => {
                    findings.push(Finding::at(
                        address(name, row, columns.recycled.unwrap_or(15)),
                        format!("\"{typed}\" is not one of: Yes; No; Unknown"),
                    ));
                    typed
                }
            }
        });
        rows.push(SmelterRow {
            row: row + 1,
            metal,
            lookup_name,
            name: smelter_name,
            country,
            country_code,
            cid,
            cid_source: text(columns.cid_source),
            street: text(columns.street),
            city: text(columns.city),
            state: text(columns.state),
            contact_name: text(columns.contact_name),
            contact_email: text(columns.contact_email),
            next_steps: text(columns.next_steps),
            mine_names: text(columns.mine_names),
            mine_countries: text(columns.mine_countries),
            recycled,
            comments: text(columns.comments),
            identified,
        });
    }
    rows
}

fn read_products(sheet: &Sheet, map: &CellMap) -> Vec<Product> {
    let columns = &map.products;
    let last = sheet.rows().min(columns.first_row + MAX_ROWS);
    (columns.first_row..last)
        .filter_map(|row| {
            let text = |col: Option<u32>| text_at(sheet, row, col);
            let product = Product {
                row: row + 1,
                number: text(Some(columns.number)),
                name: text(Some(columns.name)),
                requester_number: text(columns.requester_number),
                requester_name: text(columns.requester_name),
                comments: text(Some(columns.comments)),
            };
            let empty = product.number.is_none()
                && product.name.is_none()
                && product.requester_number.is_none()
                && product.requester_name.is_none();
            (!empty).then_some(product)
        })
        .collect()
}
