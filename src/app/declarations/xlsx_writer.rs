//! Writes a declaration as an `.xlsx` in the layout of the RMI template and version it names
//! (../shared/RMI-TEMPLATES.md): the sheets in the template's order, the company information,
//! the answers and comments at the cells of the cell map (`domain::declaration::layout`), the
//! Smelter List, the Product List and (EMRT 2.x) an empty Mine List, with the template's
//! drop-down lists as data validations. Labels are Oretrace's own English wording; no RMI text
//! (instructions, definitions, look-up lists) is copied. The reader reads the file back into
//! the same declaration.

use chrono::Datelike;
use rust_xlsxwriter::{
    DataValidation, ExcelDateTime, Format, FormatAlign, Formula, Workbook, Worksheet, XlsxError,
};

use crate::domain::declaration::answers::{allowed, allowed_company};
use crate::domain::declaration::grid::column_letters;
use crate::domain::declaration::layout::{
    ANSWER_COL, COMMENT_COL, CellMap, CompanyField, CompanyQuestion, DECLARATION, LABEL_COL,
    MINE_LIST, MineralRows, PRODUCT_LIST, QuestionBlock, SMELTER_LIST, cmrt6, emrt1, emrt2,
    version_at_least,
};
use crate::domain::declaration::{
    CompanyTopic, Declaration, DeclarationScope, SmelterRow, Template, Topic,
};
use crate::domain::vocabulary::Mineral;

/// What sheets Oretrace has nothing for hold (in A1).
const NOTE: &str = "Written by Oretrace; see the RMI template for the instructions";

/// The first of the hidden Declaration columns holding the drop-down lists whose items contain
/// commas (an inline list would split them): column AA.
const LIST_COL: u16 = 26;

/// The declaration as an `.xlsx` in its template's layout; an error for a version whose cells
/// Oretrace does not know (anything but CMRT 6.x and EMRT 1.x, 2.x).
pub fn write(declaration: &Declaration) -> Result<Vec<u8>, String> {
    let version = declaration.version.trim();
    let map = cell_map(declaration.template, version)?;
    build(declaration, version, &map).map_err(|e| {
        format!(
            "the {} {version} workbook could not be written ({e})",
            declaration.template.code()
        )
    })
}

/// The cell map of a version Oretrace writes.
fn cell_map(template: Template, version: &str) -> Result<CellMap, String> {
    let numeric = !version.is_empty()
        && version
            .split('.')
            .all(|part| !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit()));
    let major = version
        .split('.')
        .next()
        .and_then(|m| m.parse::<u32>().ok());
    match (template, major) {
        (Template::Cmrt, Some(6)) if numeric => Ok(cmrt6(version)),
        (Template::Emrt, Some(1)) if numeric => Ok(emrt1(version)),
        (Template::Emrt, Some(2)) if numeric => Ok(emrt2(version)),
        _ => Err(format!(
            "{} {version} cannot be written: Oretrace writes CMRT 6.x and EMRT 1.x and 2.x",
            template.code()
        )),
    }
}

/// The sheets of the template, in its order.
fn sheet_names(template: Template, version: &str) -> Vec<&'static str> {
    match template {
        Template::Cmrt => vec![
            "Revision",
            "Instructions",
            "Definitions",
            DECLARATION,
            SMELTER_LIST,
            "Checker",
            PRODUCT_LIST,
            "Smelter Look-up",
        ],
        Template::Emrt => {
            let mut names = if version_at_least(version, "2.1") {
                vec!["Revision", "Instructions"]
            } else {
                vec!["Instructions", "Revision"]
            };
            names.extend(["Definitions", DECLARATION, SMELTER_LIST, "Checker"]);
            if version_at_least(version, "2.0") {
                names.push(MINE_LIST);
            }
            names.extend([PRODUCT_LIST, "Smelter Look-up"]);
            names
        }
    }
}

fn build(declaration: &Declaration, version: &str, map: &CellMap) -> Result<Vec<u8>, XlsxError> {
    let revision = format!("Revision {version}\nWritten by Oretrace");
    let styles = Styles::new();
    let mut book = Workbook::new();
    for name in sheet_names(declaration.template, version) {
        let mut sheet = Worksheet::new();
        sheet.set_name(name)?;
        match name {
            DECLARATION => declaration_sheet(&mut sheet, declaration, map, &revision, &styles)?,
            SMELTER_LIST => smelter_sheet(&mut sheet, declaration, &revision, &styles)?,
            PRODUCT_LIST => product_sheet(&mut sheet, declaration, version, map, &styles)?,
            MINE_LIST => mine_sheet(&mut sheet, &revision, &styles)?,
            _ => {
                sheet.write_string(0, 0, NOTE)?;
                sheet.set_column_width(0, 70)?;
            }
        }
        book.push_worksheet(sheet);
    }
    book.save_to_buffer()
}

struct Styles {
    bold: Format,
    heading: Format,
    wrap: Format,
    date: Format,
}

impl Styles {
    fn new() -> Styles {
        Styles {
            bold: Format::new().set_bold(),
            heading: Format::new()
                .set_bold()
                .set_text_wrap()
                .set_align(FormatAlign::Top),
            wrap: Format::new().set_text_wrap().set_align(FormatAlign::Top),
            date: Format::new()
                .set_num_format("dd-mmm-yyyy")
                .set_align(FormatAlign::Left),
        }
    }
}

/// A mineral as the templates write it: `Cobalt`.
fn capitalised(mineral: Mineral) -> String {
    let name = mineral.as_str().replace('_', " ");
    let mut chars = name.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

fn col(c: u32) -> u16 {
    c as u16
}

/// Writes text unless there is none.
fn text(sheet: &mut Worksheet, row: u32, c: u32, value: Option<&str>) -> Result<(), XlsxError> {
    if let Some(value) = value.filter(|v| !v.is_empty()) {
        sheet.write_string(row, col(c), value)?;
    }
    Ok(())
}

/// The drop-down lists of the Declaration sheet: inline when no item holds a comma, else a
/// range of hidden cells (the template keeps its lists in cells too).
struct Lists {
    ranges: Vec<(Vec<&'static str>, String)>,
}

impl Lists {
    fn validate(
        &mut self,
        sheet: &mut Worksheet,
        row: u32,
        c: u32,
        items: &[&'static str],
    ) -> Result<(), XlsxError> {
        if items.is_empty() {
            return Ok(());
        }
        let validation = if items.iter().any(|i| i.contains(',')) {
            let formula = match self
                .ranges
                .iter()
                .find(|(list, _)| list.as_slice() == items)
            {
                Some((_, formula)) => formula.clone(),
                None => {
                    let list_col = LIST_COL + self.ranges.len() as u16;
                    for (i, item) in items.iter().enumerate() {
                        sheet.write_string(i as u32, list_col, *item)?;
                    }
                    sheet.set_column_hidden(list_col)?;
                    let letters = column_letters(u32::from(list_col));
                    let formula = format!("=${letters}$1:${letters}${}", items.len());
                    self.ranges.push((items.to_vec(), formula.clone()));
                    formula
                }
            };
            DataValidation::new().allow_list_formula(Formula::new(formula))
        } else {
            DataValidation::new().allow_list_strings(items)?
        };
        sheet.add_data_validation(row, col(c), row, col(c), &validation)?;
        Ok(())
    }
}

/// The question a block asks, in Oretrace's words.
fn question_text(template: Template, topic: Topic) -> &'static str {
    let emrt = template == Template::Emrt;
    match topic {
        Topic::IntentionallyAdded => {
            "Is the mineral intentionally added or used in the product(s) or in their production?"
        }
        Topic::RemainsInProduct => {
            "Is the mineral necessary to the functionality or production of the product(s), and \
             does it remain in them?"
        }
        Topic::CoveredCountries => {
            "Do any of the smelters in the supply chain source the mineral from the covered \
             countries (the DRC and its adjoining countries)?"
        }
        Topic::Cahra if emrt => {
            "Do any of the smelters or processors in the supply chain source the mineral from \
             conflict-affected and high-risk areas?"
        }
        Topic::Cahra => {
            "Do any of the smelters in the supply chain source the mineral from conflict-affected \
             and high-risk areas?"
        }
        Topic::RecycledOrScrap => {
            "Does 100 percent of the mineral come from recycled or scrap sources?"
        }
        Topic::SuppliersResponded => {
            "What share of the relevant suppliers have answered the survey for this mineral?"
        }
        Topic::AllSmeltersIdentified if emrt => {
            "Have all the smelters or processors supplying the mineral been identified?"
        }
        Topic::AllSmeltersIdentified => {
            "Have all the smelters supplying the mineral been identified?"
        }
        Topic::AllSmeltersReported => {
            "Is all the smelter information received for the mineral reported in this \
             declaration?"
        }
    }
}

/// The company-level question, in Oretrace's words.
fn company_question_text(template: Template, topic: CompanyTopic) -> &'static str {
    match topic {
        CompanyTopic::Policy => "Do you have a responsible minerals sourcing policy?",
        CompanyTopic::PolicyPublished => {
            "Is the policy published on your website? (Give its URL in the comment.)"
        }
        CompanyTopic::AuditedSmelters if template == Template::Emrt => {
            "Do you require your direct suppliers to source from smelters or processors whose \
             due diligence has been independently validated?"
        }
        CompanyTopic::AuditedSmelters => {
            "Do you require your direct suppliers to source from smelters whose due diligence \
             has been independently audited?"
        }
        CompanyTopic::DueDiligence => "Have you implemented due-diligence measures?",
        CompanyTopic::SupplierSurvey => "Do you survey your relevant suppliers?",
        CompanyTopic::ReviewsSuppliers => {
            "Do you review the due-diligence information your suppliers send?"
        }
        CompanyTopic::CorrectiveAction => "Does the review include corrective action management?",
        CompanyTopic::AnnualDisclosure => {
            "Are you required to file an annual conflict-minerals disclosure?"
        }
        CompanyTopic::Other => "Company question",
    }
}

/// The declaration's minerals as EMRT 2.x lists them in each block: alphabetically.
fn sorted_minerals(declaration: &Declaration) -> Vec<Mineral> {
    let mut minerals = declaration.minerals.clone();
    minerals.sort_by_key(|m| m.as_str());
    minerals.dedup();
    minerals
}

/// Each mineral's row of a block: the cell map's fixed rows, or the declaration's minerals in
/// alphabetical order from the block's first row.
fn rows_of(rows: &MineralRows, sorted: &[Mineral]) -> Vec<(Mineral, u32)> {
    match rows {
        MineralRows::Fixed(rows) => rows.clone(),
        MineralRows::Named { first, count } => sorted
            .iter()
            .take(*count as usize)
            .enumerate()
            .map(|(i, m)| (*m, first + i as u32))
            .collect(),
    }
}

fn declaration_sheet(
    sheet: &mut Worksheet,
    declaration: &Declaration,
    map: &CellMap,
    revision: &str,
    styles: &Styles,
) -> Result<(), XlsxError> {
    let template = declaration.template;
    let mut lists = Lists { ranges: Vec::new() };
    sheet.set_column_width(0, 3)?;
    sheet.set_column_width(col(LABEL_COL), 70)?;
    sheet.set_column_width(2, 3)?;
    sheet.set_column_width(col(ANSWER_COL), 28)?;
    sheet.set_column_width(4, 14)?;
    sheet.set_column_width(5, 3)?;
    sheet.set_column_width(col(COMMENT_COL), 45)?;
    sheet.set_column_width(9, 22)?;

    let title = match template {
        Template::Cmrt => "Conflict Minerals Reporting Template (CMRT)",
        Template::Emrt => "Extended Minerals Reporting Template (EMRT)",
    };
    sheet.write_string_with_format(1, col(ANSWER_COL), title, &styles.bold)?;
    sheet.write_string_with_format(2, 9, revision, &styles.wrap)?;
    sheet.write_string_with_format(6, col(LABEL_COL), "Company information", &styles.bold)?;

    let company = &declaration.company;
    for &(field, row) in &map.company {
        sheet.write_string(row, col(LABEL_COL), field.label())?;
        let value: Option<&str> = match field {
            CompanyField::Name => Some(company.name.as_str()),
            CompanyField::Scope => {
                let texts = [
                    DeclarationScope::Company.template_text(),
                    DeclarationScope::Product.template_text(),
                    DeclarationScope::UserDefined.template_text(),
                ];
                lists.validate(sheet, row, ANSWER_COL, &texts)?;
                company.scope.map(DeclarationScope::template_text)
            }
            CompanyField::ScopeDescription => company.scope_description.as_deref(),
            CompanyField::UniqueId => company.unique_id.as_deref(),
            CompanyField::UniqueIdAuthority => company.unique_id_authority.as_deref(),
            CompanyField::Address => company.address.as_deref(),
            CompanyField::ContactName => company.contact_name.as_deref(),
            CompanyField::ContactEmail => company.contact_email.as_deref(),
            CompanyField::ContactPhone => company.contact_phone.as_deref(),
            CompanyField::Authorizer => company.authorizer.as_deref(),
            CompanyField::AuthorizerTitle => company.authorizer_title.as_deref(),
            CompanyField::AuthorizerEmail => company.authorizer_email.as_deref(),
            CompanyField::AuthorizerPhone => company.authorizer_phone.as_deref(),
            CompanyField::EffectiveDate => {
                if let Some(date) = company.effective_date {
                    let excel = ExcelDateTime::from_ymd(
                        u16::try_from(date.year()).map_err(|_| {
                            XlsxError::DateTimeRangeError(format!(
                                "the year {} is not one Excel writes",
                                date.year()
                            ))
                        })?,
                        date.month() as u8,
                        date.day() as u8,
                    )?;
                    sheet.write_datetime_with_format(row, col(ANSWER_COL), &excel, &styles.date)?;
                }
                None
            }
        };
        text(sheet, row, ANSWER_COL, value)?;
    }

    // EMRT 2.x: each mineral cell holds the mineral when in scope, else `(Delete <Mineral>)`.
    if let Some(&(_, first_row, _)) = map.mineral_cells.first() {
        sheet.write_string(first_row, col(LABEL_COL), "Minerals in scope")?;
        for &(mineral, row, c) in &map.mineral_cells {
            let name = capitalised(mineral);
            let delete = format!("(Delete {name})");
            let value = if declaration.minerals.contains(&mineral) {
                name.clone()
            } else {
                delete.clone()
            };
            sheet.write_string(row, col(c), &value)?;
            let validation = DataValidation::new().allow_list_strings(&[name, delete])?;
            sheet.add_data_validation(row, col(c), row, col(c), &validation)?;
        }
    }

    let sorted = sorted_minerals(declaration);
    for block in &map.questions {
        question_block(sheet, declaration, map, block, &sorted, &mut lists, styles)?;
    }
    if let Some(first) = map.company_questions.first() {
        sheet.write_string_with_format(
            first.row.saturating_sub(2),
            col(LABEL_COL),
            "Company-level questions",
            &styles.bold,
        )?;
    }
    for question in &map.company_questions {
        company_question(
            sheet,
            declaration,
            map,
            question,
            &sorted,
            &mut lists,
            styles,
        )?;
    }
    Ok(())
}

fn header_row(
    sheet: &mut Worksheet,
    row: u32,
    label: &str,
    styles: &Styles,
) -> Result<(), XlsxError> {
    sheet.write_string_with_format(row, col(LABEL_COL), label, &styles.heading)?;
    sheet.write_string_with_format(row, col(ANSWER_COL), "Answer", &styles.bold)?;
    sheet.write_string_with_format(row, col(COMMENT_COL), "Comments", &styles.bold)?;
    Ok(())
}

fn question_block(
    sheet: &mut Worksheet,
    declaration: &Declaration,
    map: &CellMap,
    block: &QuestionBlock,
    sorted: &[Mineral],
    lists: &mut Lists,
    styles: &Styles,
) -> Result<(), XlsxError> {
    let label = format!(
        "{}) {}",
        block.number,
        question_text(declaration.template, block.topic)
    );
    header_row(sheet, block.header, &label, styles)?;
    for (mineral, row) in rows_of(&block.rows, sorted) {
        sheet.write_string(row, col(LABEL_COL), capitalised(mineral))?;
        lists.validate(
            sheet,
            row,
            ANSWER_COL,
            allowed(map.family, block.topic, mineral),
        )?;
        if let Some(answer) = declaration
            .answers
            .iter()
            .find(|a| a.topic == block.topic && a.mineral == mineral)
        {
            text(sheet, row, ANSWER_COL, answer.answer.as_deref())?;
            text(sheet, row, COMMENT_COL, answer.comment.as_deref())?;
        }
    }
    Ok(())
}

fn company_question(
    sheet: &mut Worksheet,
    declaration: &Declaration,
    map: &CellMap,
    question: &CompanyQuestion,
    sorted: &[Mineral],
    lists: &mut Lists,
    styles: &Styles,
) -> Result<(), XlsxError> {
    let label = format!(
        "{}. {}",
        question.letter,
        company_question_text(declaration.template, question.topic)
    );
    let allowed = allowed_company(map.family, question.topic);
    let cells: Vec<(Option<Mineral>, u32)> = match &question.per_mineral {
        None => {
            sheet.write_string_with_format(question.row, col(LABEL_COL), &label, &styles.wrap)?;
            vec![(None, question.row)]
        }
        Some(rows) => {
            header_row(sheet, question.row, &label, styles)?;
            rows_of(rows, sorted)
                .into_iter()
                .map(|(mineral, row)| {
                    sheet.write_string(row, col(LABEL_COL), capitalised(mineral))?;
                    Ok((Some(mineral), row))
                })
                .collect::<Result<_, XlsxError>>()?
        }
    };
    for (mineral, row) in cells {
        lists.validate(sheet, row, ANSWER_COL, allowed)?;
        if let Some(answer) = declaration
            .company_answers
            .iter()
            .find(|a| a.topic == question.topic && a.mineral == mineral)
        {
            text(sheet, row, ANSWER_COL, answer.answer.as_deref())?;
            text(sheet, row, COMMENT_COL, answer.comment.as_deref())?;
        }
    }
    Ok(())
}

/// The Smelter List's headings, columns A to R.
const SMELTER_HEADINGS: [&str; 18] = [
    "Smelter Identification Number Input Column",
    "Metal (*)",
    "Smelter Look-up (*)",
    "Smelter Name (1)",
    "Smelter Country (*)",
    "Smelter Identification",
    "Source of Smelter Identification Number",
    "Smelter Street",
    "Smelter City",
    "Smelter Facility Location: State / Province",
    "Smelter Contact Name",
    "Smelter Contact Email",
    "Proposed next steps",
    "Name of Mine(s) or if recycled or scrap sourced, enter \"recycled\" or \"scrap\"",
    "Location (Country) of Mine(s) or if recycled or scrap sourced, enter \"recycled\" or \"scrap\"",
    "Does 100% of the smelter's feedstock originate from recycled or scrap sources?",
    "Comments",
    "Standard Smelter Name",
];

fn smelter_sheet(
    sheet: &mut Worksheet,
    declaration: &Declaration,
    revision: &str,
    styles: &Styles,
) -> Result<(), XlsxError> {
    let emrt2 =
        declaration.template == Template::Emrt && version_at_least(&declaration.version, "2.0");
    sheet.write_string_with_format(0, 1, "Smelter List", &styles.bold)?;
    sheet.write_string_with_format(2, 16, revision, &styles.wrap)?;
    for (c, heading) in SMELTER_HEADINGS.iter().enumerate() {
        let heading = if c == 3 && emrt2 {
            "Smelter Name (*)"
        } else {
            heading
        };
        sheet.write_string_with_format(3, c as u16, heading, &styles.heading)?;
    }
    let widths = [
        18.0, 12.0, 30.0, 30.0, 22.0, 14.0, 16.0, 24.0, 16.0, 18.0, 20.0, 24.0, 24.0, 28.0, 28.0,
        22.0, 30.0, 30.0,
    ];
    for (c, width) in widths.into_iter().enumerate() {
        sheet.set_column_width(c as u16, width)?;
    }
    sheet.set_freeze_panes(4, 0)?;
    let first = 4u32;
    for (i, smelter) in declaration.smelters.iter().enumerate() {
        smelter_row(sheet, first + i as u32, smelter)?;
    }
    if !declaration.smelters.is_empty() {
        let last = first + declaration.smelters.len() as u32 - 1;
        let validation = DataValidation::new().allow_list_strings(&["Yes", "No", "Unknown"])?;
        sheet.add_data_validation(first, 15, last, 15, &validation)?;
    }
    Ok(())
}

fn smelter_row(sheet: &mut Worksheet, row: u32, smelter: &SmelterRow) -> Result<(), XlsxError> {
    let lookup = match (&smelter.lookup_name, smelter.identified) {
        (Some(name), _) => name.as_str(),
        (None, false) => "Smelter not yet identified",
        (None, true) => "Smelter not listed",
    };
    let metal = smelter.metal.map(capitalised);
    text(sheet, row, 1, metal.as_deref())?;
    sheet.write_string(row, 2, lookup)?;
    let fields = [
        (3, &smelter.name),
        (4, &smelter.country),
        (5, &smelter.cid),
        (6, &smelter.cid_source),
        (7, &smelter.street),
        (8, &smelter.city),
        (9, &smelter.state),
        (10, &smelter.contact_name),
        (11, &smelter.contact_email),
        (12, &smelter.next_steps),
        (13, &smelter.mine_names),
        (14, &smelter.mine_countries),
        (15, &smelter.recycled),
        (16, &smelter.comments),
    ];
    for (c, value) in fields {
        text(sheet, row, c, value.as_deref())?;
    }
    Ok(())
}

fn product_sheet(
    sheet: &mut Worksheet,
    declaration: &Declaration,
    version: &str,
    map: &CellMap,
    styles: &Styles,
) -> Result<(), XlsxError> {
    let columns = &map.products;
    let responder = match declaration.template {
        Template::Cmrt => version_at_least(version, "6.5"),
        Template::Emrt => version_at_least(version, "2.0"),
    };
    let (number, name) = if columns.requester_number.is_some() {
        ("Responder Product Number (*)", "Responder Product Name")
    } else if responder {
        ("Responder's Product Number (*)", "Responder's Product Name")
    } else {
        (
            "Manufacturer's Product Number (*)",
            "Manufacturer's Product Name",
        )
    };
    sheet.write_string_with_format(0, 1, "Product List", &styles.bold)?;
    let mut headings = vec![(columns.number, number), (columns.name, name)];
    if let Some(c) = columns.requester_number {
        headings.push((c, "Requester Product Number"));
    }
    if let Some(c) = columns.requester_name {
        headings.push((c, "Requester Product Name"));
    }
    headings.push((columns.comments, "Comments"));
    sheet.set_column_width(0, 3)?;
    for (c, heading) in headings {
        sheet.write_string_with_format(columns.header_row, col(c), heading, &styles.heading)?;
        sheet.set_column_width(col(c), if c == columns.comments { 45 } else { 30 })?;
    }
    for (i, product) in declaration.products.iter().enumerate() {
        let row = columns.first_row + i as u32;
        text(sheet, row, columns.number, product.number.as_deref())?;
        text(sheet, row, columns.name, product.name.as_deref())?;
        if let Some(c) = columns.requester_number {
            text(sheet, row, c, product.requester_number.as_deref())?;
        }
        if let Some(c) = columns.requester_name {
            text(sheet, row, c, product.requester_name.as_deref())?;
        }
        text(sheet, row, columns.comments, product.comments.as_deref())?;
    }
    Ok(())
}

/// The Mine List's headings, columns A to M.
const MINE_HEADINGS: [&str; 13] = [
    "Metal",
    "Name of Smelter(s) sourcing from this Mine Facility",
    "Mine Facility (Site) Name",
    "Mine Identification",
    "Source of Mine Facility Identification Number",
    "Mine Facility Country",
    "Mine Facility Street",
    "Mine Facility City",
    "Mine Facility State / Province",
    "Mine Facility Contact Name",
    "Mine Facility Contact Email",
    "Proposed next steps",
    "Comments",
];

fn mine_sheet(sheet: &mut Worksheet, revision: &str, styles: &Styles) -> Result<(), XlsxError> {
    sheet.write_string_with_format(0, 0, "Mine List", &styles.bold)?;
    sheet.write_string_with_format(2, 12, revision, &styles.wrap)?;
    for (c, heading) in MINE_HEADINGS.iter().enumerate() {
        sheet.write_string_with_format(3, c as u16, *heading, &styles.heading)?;
        sheet.set_column_width(c as u16, if c == 12 { 40 } else { 24 })?;
    }
    sheet.set_freeze_panes(4, 0)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::io::Read;

    use chrono::NaiveDate;

    use super::*;
    use crate::app::declarations::workbook::open;
    use crate::domain::country::CountryCode;
    use crate::domain::declaration::{
        Company, CompanyAnswer, MineralAnswer, Product, Reading, read,
    };

    const CMRT_TOPICS: [Topic; 8] = [
        Topic::IntentionallyAdded,
        Topic::RemainsInProduct,
        Topic::CoveredCountries,
        Topic::Cahra,
        Topic::RecycledOrScrap,
        Topic::SuppliersResponded,
        Topic::AllSmeltersIdentified,
        Topic::AllSmeltersReported,
    ];

    const EMRT_TOPICS: [Topic; 7] = [
        Topic::IntentionallyAdded,
        Topic::RemainsInProduct,
        Topic::Cahra,
        Topic::RecycledOrScrap,
        Topic::SuppliersResponded,
        Topic::AllSmeltersIdentified,
        Topic::AllSmeltersReported,
    ];

    fn s(text: &str) -> Option<String> {
        Some(text.to_owned())
    }

    fn company(scope: DeclarationScope) -> Company {
        Company {
            name: "Andes Metals S.A.".into(),
            scope: Some(scope),
            scope_description: s("All solder and contact products made in Lima"),
            unique_id: s("20512345678"),
            unique_id_authority: s("SUNAT (RUC)"),
            address: s("Av. Argentina 1234, Lima, Peru"),
            contact_name: s("Ana Quispe"),
            contact_email: s("ana@andes.example"),
            contact_phone: s("+51 1 555 0100"),
            authorizer: s("Luis Mamani"),
            authorizer_title: s("Head of Compliance"),
            authorizer_email: s("luis@andes.example"),
            authorizer_phone: s("+51 1 555 0101"),
            effective_date: NaiveDate::from_ymd_opt(2025, 4, 25),
        }
    }

    fn answer(
        question: usize,
        topic: Topic,
        mineral: Mineral,
        answer: Option<&str>,
        comment: Option<&str>,
        row: u32,
    ) -> MineralAnswer {
        MineralAnswer {
            question: question.to_string(),
            topic,
            mineral,
            answer: answer.map(str::to_owned),
            comment: comment.map(str::to_owned),
            cell: format!("Declaration!D{row}"),
        }
    }

    fn company_answer(
        letter: &str,
        topic: CompanyTopic,
        mineral: Option<Mineral>,
        answer: Option<&str>,
        comment: Option<&str>,
        row: u32,
    ) -> CompanyAnswer {
        CompanyAnswer {
            question: letter.to_owned(),
            topic,
            mineral,
            answer: answer.map(str::to_owned),
            comment: comment.map(str::to_owned),
            cell: format!("Declaration!D{row}"),
        }
    }

    /// A realistic answer of a mineral that is used.
    fn used_answer(template: Template, version: &str, topic: Topic, i: usize) -> &'static str {
        let emrt1 = template == Template::Emrt && version.starts_with('1');
        match topic {
            Topic::IntentionallyAdded | Topic::RemainsInProduct => "Yes",
            Topic::CoveredCountries => ["No", "Unknown", "No"][i % 3],
            Topic::Cahra if emrt1 => "DRC only",
            Topic::Cahra => ["No", "Unknown", "Yes"][i % 3],
            Topic::RecycledOrScrap => ["No", "Yes", "No"][i % 3],
            Topic::SuppliersResponded => ["100%", "Greater than 90%", "50% or less"][i % 3],
            Topic::AllSmeltersIdentified => ["Yes", "No", "Yes"][i % 3],
            Topic::AllSmeltersReported => "Yes",
        }
    }

    fn comment_for(topic: Topic, i: usize) -> Option<&'static str> {
        match (topic, i) {
            (Topic::Cahra, 1) => Some("Two smelters under review"),
            (Topic::SuppliersResponded, 0) => Some("All 42 relevant suppliers answered"),
            (Topic::AllSmeltersIdentified, 1) => Some("One distributor has not named its smelter"),
            _ => None,
        }
    }

    /// The answers of blocks whose header rows are `header(q)` (1-based) with each mineral's
    /// row; `not_used` is answered `No` to question 1: the reader skips its question 2 and
    /// reads its later answers as missing.
    fn answers(
        template: Template,
        version: &str,
        topics: &[Topic],
        rows: &dyn Fn(usize, Topic) -> Vec<(Mineral, u32)>,
        not_used: Mineral,
    ) -> Vec<MineralAnswer> {
        let mut all = Vec::new();
        for (q, &topic) in topics.iter().enumerate() {
            for (i, (mineral, row)) in rows(q, topic).into_iter().enumerate() {
                let number = q + 1;
                if mineral == not_used {
                    match topic {
                        Topic::IntentionallyAdded => all.push(answer(
                            number,
                            topic,
                            mineral,
                            Some("No"),
                            Some("Not used in any of our products"),
                            row,
                        )),
                        Topic::RemainsInProduct => {}
                        _ => all.push(answer(number, topic, mineral, None, None, row)),
                    }
                    continue;
                }
                all.push(answer(
                    number,
                    topic,
                    mineral,
                    Some(used_answer(template, version, topic, i)),
                    comment_for(topic, i),
                    row,
                ));
            }
        }
        all
    }

    fn smelter(row: u32, metal: Mineral) -> SmelterRow {
        SmelterRow {
            row,
            metal: Some(metal),
            ..SmelterRow::default()
        }
    }

    fn with_country(mut smelter: SmelterRow, country: &str) -> SmelterRow {
        smelter.country_code = CountryCode::from_name(country);
        smelter.country = s(country);
        smelter
    }

    /// Three smelters of the given metals: one looked up, one typed (not listed), one not
    /// yet identified.
    fn smelters(metals: [Mineral; 3]) -> Vec<SmelterRow> {
        let looked_up = SmelterRow {
            lookup_name: s("Thaisarco"),
            name: s("Thai Smelting and Refining Co., Ltd."),
            cid: s("CID001898"),
            cid_source: s("RMI"),
            street: s("335 Phuket Road"),
            city: s("Phuket"),
            state: s("Phuket"),
            contact_name: s("Somchai Wong"),
            contact_email: s("somchai@thaisarco.example"),
            next_steps: s("Keep conformant status under review"),
            mine_names: s("Various"),
            mine_countries: s("MYANMAR, THAILAND"),
            recycled: s("No"),
            comments: s("Conformant"),
            identified: true,
            ..smelter(5, metals[0])
        };
        let typed = SmelterRow {
            name: s("Andes Refinería S.A.C."),
            cid: s("CID009876"),
            cid_source: s("Supplier"),
            street: s("Calle Los Metales 12"),
            city: s("Arequipa"),
            state: s("Arequipa"),
            contact_name: s("Rosa Huamán"),
            contact_email: s("rosa@andesref.example"),
            next_steps: s("Invite to the RMI assessment"),
            mine_names: s("recycled"),
            mine_countries: s("recycled"),
            recycled: s("Yes"),
            comments: s("Recycler, not yet in the RMI list"),
            identified: true,
            ..smelter(6, metals[1])
        };
        let unknown = SmelterRow {
            next_steps: s("Ask the distributor for the smelter"),
            recycled: s("Unknown"),
            comments: s("Bought through a distributor"),
            identified: false,
            ..smelter(7, metals[2])
        };
        vec![
            with_country(looked_up, "THAILAND"),
            with_country(typed, "PERU"),
            unknown,
        ]
    }

    fn products(requester: bool) -> Vec<Product> {
        let requester = |text: &str| requester.then(|| text.to_owned());
        vec![
            Product {
                row: 6,
                number: s("AM-SOL-100"),
                name: s("Solder wire 0.8 mm"),
                requester_number: requester("ACME-77812"),
                requester_name: requester("Solder, lead-free"),
                comments: s("Lead-free"),
            },
            Product {
                row: 7,
                number: s("AM-CON-220"),
                name: s("Gold-plated contact"),
                requester_number: requester("ACME-90001"),
                requester_name: None,
                comments: None,
            },
        ]
    }

    fn cmrt(version: &str, scope: DeclarationScope) -> Declaration {
        use Mineral::*;
        let metals = [Tantalum, Tin, Gold, Tungsten];
        let rows = |q: usize, _| {
            metals
                .iter()
                .enumerate()
                .map(|(i, m)| (*m, 25 + 6 * q as u32 + 1 + i as u32))
                .collect()
        };
        let letters = ["A", "B", "C", "D", "E", "F", "G", "H"];
        let company_topics = [
            (CompanyTopic::Policy, "Yes", None),
            (
                CompanyTopic::PolicyPublished,
                "Yes",
                Some("https://andes.example/policy"),
            ),
            (CompanyTopic::AuditedSmelters, "Yes", None),
            (CompanyTopic::DueDiligence, "Yes", None),
            (
                CompanyTopic::SupplierSurvey,
                "Yes, in conformance with IPC1755 (e.g., CMRT)",
                None,
            ),
            (CompanyTopic::ReviewsSuppliers, "Yes", None),
            (
                CompanyTopic::CorrectiveAction,
                "No",
                Some("Planned for 2026"),
            ),
            (
                CompanyTopic::AnnualDisclosure,
                "Yes, with the SEC and the EU",
                None,
            ),
        ];
        Declaration {
            template: Template::Cmrt,
            version: version.into(),
            company: company(scope),
            minerals: metals.to_vec(),
            answers: answers(Template::Cmrt, version, &CMRT_TOPICS, &rows, Tungsten),
            company_answers: company_topics
                .iter()
                .enumerate()
                .map(|(i, (topic, a, comment))| {
                    company_answer(
                        letters[i],
                        *topic,
                        None,
                        Some(a),
                        *comment,
                        75 + 2 * i as u32,
                    )
                })
                .collect(),
            smelters: smelters([Tin, Gold, Tantalum]),
            products: products(false),
        }
    }

    fn emrt1(version: &str) -> Declaration {
        use Mineral::*;
        let rows = |q: usize, topic: Topic| {
            let header = 25 + 6 * q as u32;
            if topic == Topic::RecycledOrScrap {
                vec![(Cobalt, header + 1)]
            } else {
                vec![(Cobalt, header + 1), (Mica, header + 2)]
            }
        };
        let c = |letter, topic, mineral, a, comment, row| {
            company_answer(letter, topic, mineral, a, comment, row)
        };
        Declaration {
            template: Template::Emrt,
            version: version.into(),
            company: company(DeclarationScope::Product),
            minerals: vec![Cobalt, Mica],
            answers: answers(Template::Emrt, version, &EMRT_TOPICS, &rows, Mica),
            company_answers: vec![
                c("A", CompanyTopic::Policy, None, Some("Yes"), None, 69),
                c(
                    "B",
                    CompanyTopic::PolicyPublished,
                    None,
                    Some("Yes"),
                    Some("https://andes.example/policy"),
                    71,
                ),
                c(
                    "C",
                    CompanyTopic::AuditedSmelters,
                    Some(Cobalt),
                    Some("Yes"),
                    None,
                    74,
                ),
                c(
                    "C",
                    CompanyTopic::AuditedSmelters,
                    Some(Mica),
                    None,
                    Some("Mica not used"),
                    75,
                ),
                c("D", CompanyTopic::DueDiligence, None, Some("Yes"), None, 77),
                c(
                    "E",
                    CompanyTopic::SupplierSurvey,
                    None,
                    Some("Yes, Using Other Format (Describe)"),
                    Some("Our own questionnaire"),
                    79,
                ),
                c(
                    "F",
                    CompanyTopic::ReviewsSuppliers,
                    None,
                    Some("Yes"),
                    None,
                    81,
                ),
                c(
                    "G",
                    CompanyTopic::CorrectiveAction,
                    None,
                    Some("No"),
                    None,
                    83,
                ),
            ],
            smelters: smelters([Cobalt, Cobalt, Cobalt]),
            products: products(false),
        }
    }

    /// EMRT 2.x with three minerals in scope (in the order of the Declaration's cells, which is
    /// alphabetical), the last not used.
    fn emrt2(version: &str, minerals: [Mineral; 3]) -> Declaration {
        let rows = |q: usize, _| {
            minerals
                .iter()
                .enumerate()
                .map(|(i, m)| (*m, 29 + 12 * q as u32 + 1 + i as u32))
                .collect()
        };
        let c = |letter, topic, mineral, a, comment, row| {
            company_answer(letter, topic, mineral, a, comment, row)
        };
        let mut company_answers = vec![
            c("A", CompanyTopic::Policy, None, Some("Yes"), None, 115),
            c(
                "B",
                CompanyTopic::PolicyPublished,
                None,
                Some("Yes"),
                Some("https://andes.example/policy"),
                117,
            ),
        ];
        let per_mineral = [
            Some("Yes, when more processors are validated"),
            Some("Yes"),
            None,
        ];
        for (i, mineral) in minerals.iter().enumerate() {
            company_answers.push(c(
                "C",
                CompanyTopic::AuditedSmelters,
                Some(*mineral),
                per_mineral[i],
                None,
                120 + i as u32,
            ));
        }
        company_answers.extend([
            c(
                "D",
                CompanyTopic::DueDiligence,
                None,
                Some("Yes"),
                None,
                131,
            ),
            c(
                "E",
                CompanyTopic::SupplierSurvey,
                None,
                Some("Yes, in conformance with IPC1755 (e.g. EMRT)"),
                None,
                133,
            ),
            c(
                "F",
                CompanyTopic::ReviewsSuppliers,
                None,
                Some("Yes"),
                None,
                135,
            ),
            c(
                "G",
                CompanyTopic::CorrectiveAction,
                None,
                Some("No"),
                Some("Planned for 2026"),
                137,
            ),
        ]);
        Declaration {
            template: Template::Emrt,
            version: version.into(),
            company: company(DeclarationScope::Product),
            minerals: minerals.to_vec(),
            answers: answers(Template::Emrt, version, &EMRT_TOPICS, &rows, minerals[2]),
            company_answers,
            smelters: smelters([minerals[0], minerals[1], minerals[0]]),
            products: products(version_at_least(version, "2.1")),
        }
    }

    fn round_trip(declaration: &Declaration) -> Reading {
        let bytes = write(declaration).expect("the declaration is written");
        let workbook = open(&bytes).expect("the workbook opens");
        read(&workbook).unwrap_or_else(|invalid| panic!("read as invalid: {invalid:#?}"))
    }

    fn assert_round_trip(declaration: Declaration) {
        let reading = round_trip(&declaration);
        assert!(reading.detected.known, "{:?}", reading.detected);
        assert_eq!(reading.declaration, declaration);
        // What the declaration lacks: only the smelter not yet identified.
        assert_eq!(
            reading
                .findings
                .iter()
                .map(|f| f.cell.as_str())
                .collect::<Vec<_>>(),
            vec!["Smelter List!C7"],
            "{:#?}",
            reading.findings
        );
    }

    #[test]
    fn cmrt_6_5_round_trips() {
        assert_round_trip(cmrt("6.5", DeclarationScope::Product));
    }

    #[test]
    fn cmrt_6_22_round_trips() {
        assert_round_trip(cmrt("6.22", DeclarationScope::UserDefined));
    }

    #[test]
    fn emrt_1_3_round_trips() {
        assert_round_trip(emrt1("1.3"));
    }

    #[test]
    fn emrt_2_0_round_trips() {
        use Mineral::*;
        assert_round_trip(emrt2("2.0", [Cobalt, Lithium, Nickel]));
    }

    #[test]
    fn emrt_2_1_round_trips() {
        use Mineral::*;
        assert_round_trip(emrt2("2.1", [Copper, Graphite, Mica]));
    }

    #[test]
    fn sheets_are_in_the_templates_order() {
        let names = |declaration: &Declaration| -> Vec<String> {
            let bytes = write(declaration).unwrap();
            open(&bytes)
                .unwrap()
                .sheets
                .into_iter()
                .map(|s| s.name)
                .collect()
        };
        assert_eq!(
            names(&cmrt("6.5", DeclarationScope::Company)),
            [
                "Revision",
                "Instructions",
                "Definitions",
                "Declaration",
                "Smelter List",
                "Checker",
                "Product List",
                "Smelter Look-up"
            ]
        );
        assert_eq!(
            names(&emrt1("1.3")),
            [
                "Instructions",
                "Revision",
                "Definitions",
                "Declaration",
                "Smelter List",
                "Checker",
                "Product List",
                "Smelter Look-up"
            ]
        );
        use Mineral::*;
        assert_eq!(
            names(&emrt2("2.0", [Cobalt, Lithium, Nickel])),
            [
                "Instructions",
                "Revision",
                "Definitions",
                "Declaration",
                "Smelter List",
                "Checker",
                "Mine List",
                "Product List",
                "Smelter Look-up"
            ]
        );
        assert_eq!(
            names(&emrt2("2.1", [Cobalt, Lithium, Nickel])),
            [
                "Revision",
                "Instructions",
                "Definitions",
                "Declaration",
                "Smelter List",
                "Checker",
                "Mine List",
                "Product List",
                "Smelter Look-up"
            ]
        );
    }

    #[test]
    fn answers_have_their_drop_down_lists() {
        let bytes = write(&cmrt("6.5", DeclarationScope::Product)).unwrap();
        let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
        // The Declaration is the fourth sheet.
        let mut xml = String::new();
        zip.by_name("xl/worksheets/sheet4.xml")
            .unwrap()
            .read_to_string(&mut xml)
            .unwrap();
        assert!(xml.contains("<dataValidations"));
        assert!(
            xml.contains("A. Company,B. Product (or List of Products)"),
            "{xml}"
        );
        assert!(xml.contains("Greater than 90%"));
        // A list whose items hold commas is a range of hidden cells.
        assert!(xml.contains("$AA$1:$AA$3"), "{xml}");
    }

    #[test]
    fn versions_whose_cells_are_not_known_are_refused() {
        let mut declaration = cmrt("6.5", DeclarationScope::Company);
        declaration.version = "5.12".into();
        assert!(write(&declaration).unwrap_err().contains("CMRT 5.12"));
        declaration.version = "6.x".into();
        assert!(write(&declaration).is_err());
        let mut declaration = emrt1("1.3");
        declaration.version = "3.0".into();
        assert!(write(&declaration).unwrap_err().contains("EMRT 3.0"));
    }
}
