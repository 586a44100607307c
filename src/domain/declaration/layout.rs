//! Where each fact sits in each version of the templates (../shared/RMI-TEMPLATES.md, read from
//! the published workbooks): how a workbook says which template and version it is, and the
//! cell map the reader (and the export) uses. Versions whose cells are not known (CMRT 5.x, a
//! future release) are read by their labels.

use super::grid::{Sheet, Workbook};
use super::{CompanyTopic, Finding, Template, Topic};
use crate::domain::vocabulary::Mineral;

pub const DECLARATION: &str = "Declaration";
pub const SMELTER_LIST: &str = "Smelter List";
pub const PRODUCT_LIST: &str = "Product List";
pub const MINE_LIST: &str = "Mine List";

/// Column D: answers and company information.
pub const ANSWER_COL: u32 = 3;
/// Column G: comments.
pub const COMMENT_COL: u32 = 6;
/// Column B: labels (and, in EMRT 2.x, the mineral of each answer row).
pub const LABEL_COL: u32 = 1;

/// The cell maps Oretrace knows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Family {
    /// CMRT 6.0 to 6.5: one cell map.
    Cmrt6,
    /// EMRT 1.0 to 1.3: cobalt and mica on fixed rows.
    Emrt1,
    /// EMRT 2.0 and 2.1: six minerals chosen on the Declaration, one row each.
    Emrt2,
    /// A CMRT whose cells are not known (5.x, or a release after 6.5): read by label.
    CmrtByLabel,
}

/// The versions whose blank workbooks the cell maps were read from, or which the RMI's
/// revision history gives the same cells (6.0, 6.2, 6.21, 6.3; EMRT 1.0).
pub const KNOWN_VERSIONS: &[(Template, &str)] = &[
    (Template::Cmrt, "6.0"),
    (Template::Cmrt, "6.01"),
    (Template::Cmrt, "6.1"),
    (Template::Cmrt, "6.2"),
    (Template::Cmrt, "6.21"),
    (Template::Cmrt, "6.22"),
    (Template::Cmrt, "6.3"),
    (Template::Cmrt, "6.31"),
    (Template::Cmrt, "6.4"),
    (Template::Cmrt, "6.5"),
    (Template::Emrt, "1.0"),
    (Template::Emrt, "1.1"),
    (Template::Emrt, "1.11"),
    (Template::Emrt, "1.2"),
    (Template::Emrt, "1.3"),
    (Template::Emrt, "2.0"),
    (Template::Emrt, "2.1"),
];

/// The latest version of each template: what the export writes by default.
pub fn latest(template: Template) -> &'static str {
    match template {
        Template::Cmrt => "6.5",
        Template::Emrt => "2.1",
    }
}

/// What a workbook says it is.
#[derive(Clone, Debug, PartialEq)]
pub struct Detected {
    pub template: Template,
    pub version: String,
    pub family: Family,
    /// Whether the version is one of [`KNOWN_VERSIONS`].
    pub known: bool,
}

/// The version number in a revision text: `Revision 6.5` ⏎ `April 25, 2025` → `6.5` (also
/// `Version 1.3`).
pub fn version_in(text: &str) -> Option<String> {
    let lower = text.to_ascii_lowercase();
    let start = ["revision", "version"]
        .iter()
        .filter_map(|word| lower.find(word).map(|i| i + word.len()))
        .min()?;
    let rest = text[start..].trim_start();
    let number: String = rest
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == '.')
        .collect();
    let number = number.trim_end_matches('.');
    (!number.is_empty() && number.starts_with(|c: char| c.is_ascii_digit()))
        .then(|| number.to_owned())
}

fn major(version: &str) -> Option<u32> {
    version.split('.').next()?.parse().ok()
}

/// Versions compared as the decimals they are (`6.31` < `6.4`).
pub fn version_at_least(version: &str, minimum: &str) -> bool {
    match (version.parse::<f64>(), minimum.parse::<f64>()) {
        (Ok(v), Ok(m)) => v >= m,
        _ => false,
    }
}

/// Which template and version a workbook is, from `Declaration!D2` (the title ends in
/// `(CMRT)` or `(EMRT)`) and the revision text of `Declaration!J3` (else `Smelter List!Q3`,
/// `Mine List!M3`, the last row of the Revision sheet). A workbook with neither is refused at
/// `Declaration!J3`.
pub fn detect(workbook: &Workbook) -> Result<Detected, Finding> {
    let Some(declaration) = workbook.sheet(DECLARATION) else {
        return Err(Finding::at(
            format!("{DECLARATION}!D2"),
            "the workbook has no Declaration sheet: it is not an RMI CMRT or EMRT",
        ));
    };
    let title = declaration
        .text(1, 3)
        .unwrap_or_default()
        .to_ascii_uppercase();
    let version = declaration
        .text(2, 9)
        .and_then(|t| version_in(&t))
        .or_else(|| {
            workbook
                .sheet(SMELTER_LIST)
                .and_then(|s| s.text(2, 16))
                .and_then(|t| version_in(&t))
        })
        .or_else(|| {
            workbook
                .sheet(MINE_LIST)
                .and_then(|s| s.text(2, 12))
                .and_then(|t| version_in(&t))
        })
        .or_else(|| workbook.sheet("Revision").and_then(last_revision));
    let template = if title.contains("(CMRT)") {
        Some(Template::Cmrt)
    } else if title.contains("(EMRT)") || workbook.sheet(MINE_LIST).is_some() {
        Some(Template::Emrt)
    } else {
        match version.as_deref().and_then(major) {
            Some(5..=7) => Some(Template::Cmrt),
            Some(1 | 2) => Some(Template::Emrt),
            _ => None,
        }
    };
    let (Some(template), Some(version)) = (template, version) else {
        return Err(Finding::at(
            format!("{DECLARATION}!J3"),
            "the template's revision (\"Revision 6.5\") is not in the workbook: it is not an RMI \
             CMRT or EMRT, or its Declaration sheet was changed",
        ));
    };
    let known = KNOWN_VERSIONS
        .iter()
        .any(|(t, v)| *t == template && *v == version);
    let family = match (template, major(&version)) {
        (Template::Cmrt, Some(6)) => Family::Cmrt6,
        (Template::Cmrt, _) => Family::CmrtByLabel,
        (Template::Emrt, Some(1)) => Family::Emrt1,
        (Template::Emrt, Some(2)) => Family::Emrt2,
        (Template::Emrt, _) if workbook.sheet(MINE_LIST).is_some() => Family::Emrt2,
        (Template::Emrt, _) => Family::Emrt1,
    };
    Ok(Detected {
        template,
        version,
        family,
        known,
    })
}

/// The revision of the last filled row of the Revision sheet's history (column B).
fn last_revision(sheet: &Sheet) -> Option<String> {
    (0..sheet.rows().min(500))
        .rev()
        .filter_map(|row| sheet.text(row, 1))
        .find_map(|t| {
            let t = t.trim().trim_start_matches(['R', 'r', 'V', 'v']);
            (t.starts_with(|c: char| c.is_ascii_digit()) && t.contains('.'))
                .then(|| version_in(&format!("Revision {t}")))
                .flatten()
        })
}

/// A field of the company information.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CompanyField {
    Name,
    Scope,
    ScopeDescription,
    UniqueId,
    UniqueIdAuthority,
    Address,
    ContactName,
    ContactEmail,
    ContactPhone,
    Authorizer,
    AuthorizerTitle,
    AuthorizerEmail,
    AuthorizerPhone,
    EffectiveDate,
}

impl CompanyField {
    pub const ALL: [CompanyField; 14] = [
        CompanyField::Name,
        CompanyField::Scope,
        CompanyField::ScopeDescription,
        CompanyField::UniqueId,
        CompanyField::UniqueIdAuthority,
        CompanyField::Address,
        CompanyField::ContactName,
        CompanyField::ContactEmail,
        CompanyField::ContactPhone,
        CompanyField::Authorizer,
        CompanyField::AuthorizerTitle,
        CompanyField::AuthorizerEmail,
        CompanyField::AuthorizerPhone,
        CompanyField::EffectiveDate,
    ];

    /// The English label of the template.
    pub fn label(self) -> &'static str {
        match self {
            CompanyField::Name => "Company Name (Legal Name)",
            CompanyField::Scope => "Declaration Scope or Class",
            CompanyField::ScopeDescription => "Description of Scope",
            CompanyField::UniqueId => "Company Unique ID",
            CompanyField::UniqueIdAuthority => "Company Unique ID Authority",
            CompanyField::Address => "Address",
            CompanyField::ContactName => "Contact Name",
            CompanyField::ContactEmail => "Email – Contact",
            CompanyField::ContactPhone => "Phone – Contact",
            CompanyField::Authorizer => "Authorizer",
            CompanyField::AuthorizerTitle => "Title - Authorizer",
            CompanyField::AuthorizerEmail => "Email - Authorizer",
            CompanyField::AuthorizerPhone => "Phone - Authorizer",
            CompanyField::EffectiveDate => "Effective Date",
        }
    }

    /// Whether the template's Checker asks for it (name and scope make a declaration invalid
    /// when missing; the others make it incomplete).
    pub fn required(self, family: Family) -> bool {
        match self {
            CompanyField::Name
            | CompanyField::Scope
            | CompanyField::ContactName
            | CompanyField::ContactEmail
            | CompanyField::ContactPhone
            | CompanyField::Authorizer
            | CompanyField::AuthorizerEmail
            | CompanyField::EffectiveDate => true,
            CompanyField::AuthorizerPhone => family == Family::Emrt1,
            _ => false,
        }
    }

    /// The label texts (lower case) that name the field, most specific first.
    fn matches(self, label: &str) -> bool {
        let starts = |prefixes: &[&str]| prefixes.iter().any(|p| label.starts_with(p));
        match self {
            CompanyField::Name => starts(&["company name"]),
            CompanyField::Scope => starts(&["declaration scope"]),
            CompanyField::ScopeDescription => starts(&["description of scope"]),
            CompanyField::UniqueId => {
                starts(&["company unique id"]) && !label.contains("authority")
            }
            CompanyField::UniqueIdAuthority => starts(&["company unique id authority"]),
            CompanyField::Address => starts(&["address"]),
            CompanyField::ContactName => starts(&["contact name"]),
            CompanyField::ContactEmail => starts(&["email - contact", "e-mail - contact"]),
            CompanyField::ContactPhone => starts(&["phone - contact", "telephone - contact"]),
            CompanyField::Authorizer => label == "authorizer" || starts(&["authorizer "]),
            CompanyField::AuthorizerTitle => starts(&["title - authorizer"]),
            CompanyField::AuthorizerEmail => starts(&["email - authorizer", "e-mail - authorizer"]),
            CompanyField::AuthorizerPhone => {
                starts(&["phone - authorizer", "telephone - authorizer"])
            }
            CompanyField::EffectiveDate => {
                starts(&["effective date", "date of completion", "date of completing"])
            }
        }
    }
}

/// The rows of a block's answers, one per mineral.
#[derive(Clone, Debug, PartialEq)]
pub enum MineralRows {
    /// Each mineral on its own row.
    Fixed(Vec<(Mineral, u32)>),
    /// `count` rows from `first`, each naming its mineral in column B (EMRT 2.x).
    Named { first: u32, count: u32 },
}

/// A per-mineral question: its number, what it asks, its header row and its answer rows.
#[derive(Clone, Debug, PartialEq)]
pub struct QuestionBlock {
    pub number: String,
    pub topic: Topic,
    pub header: u32,
    pub rows: MineralRows,
}

/// A company-level question: its letter, what it asks, its row, and for a question answered
/// per mineral, the rows of the minerals.
#[derive(Clone, Debug, PartialEq)]
pub struct CompanyQuestion {
    pub letter: String,
    pub topic: CompanyTopic,
    pub row: u32,
    pub per_mineral: Option<MineralRows>,
}

/// The Smelter List's columns (0-based) and its first data row.
#[derive(Clone, Debug, PartialEq)]
pub struct SmelterColumns {
    pub header_row: u32,
    pub first_row: u32,
    pub input_cid: Option<u32>,
    pub metal: u32,
    pub lookup: Option<u32>,
    pub name: Option<u32>,
    pub country: Option<u32>,
    pub cid: Option<u32>,
    pub cid_source: Option<u32>,
    pub street: Option<u32>,
    pub city: Option<u32>,
    pub state: Option<u32>,
    pub contact_name: Option<u32>,
    pub contact_email: Option<u32>,
    pub next_steps: Option<u32>,
    pub mine_names: Option<u32>,
    pub mine_countries: Option<u32>,
    pub recycled: Option<u32>,
    pub comments: Option<u32>,
    pub standard_name: Option<u32>,
}

impl SmelterColumns {
    /// The columns of CMRT 6.x and EMRT 1.x/2.x: header on row 4, data from row 5.
    pub fn standard() -> SmelterColumns {
        SmelterColumns {
            header_row: 3,
            first_row: 4,
            input_cid: Some(0),
            metal: 1,
            lookup: Some(2),
            name: Some(3),
            country: Some(4),
            cid: Some(5),
            cid_source: Some(6),
            street: Some(7),
            city: Some(8),
            state: Some(9),
            contact_name: Some(10),
            contact_email: Some(11),
            next_steps: Some(12),
            mine_names: Some(13),
            mine_countries: Some(14),
            recycled: Some(15),
            comments: Some(16),
            standard_name: Some(17),
        }
    }
}

/// The Product List's columns (0-based) and its first data row.
#[derive(Clone, Debug, PartialEq)]
pub struct ProductColumns {
    pub header_row: u32,
    pub first_row: u32,
    pub number: u32,
    pub name: u32,
    pub requester_number: Option<u32>,
    pub requester_name: Option<u32>,
    pub comments: u32,
}

/// Where everything sits in one workbook.
#[derive(Clone, Debug, PartialEq)]
pub struct CellMap {
    pub family: Family,
    /// The row of each company field (column D).
    pub company: Vec<(CompanyField, u32)>,
    /// EMRT 2.x: the cell offering each mineral (in scope when it holds the mineral's name).
    pub mineral_cells: Vec<(Mineral, u32, u32)>,
    pub questions: Vec<QuestionBlock>,
    pub company_questions: Vec<CompanyQuestion>,
    pub smelters: SmelterColumns,
    pub products: ProductColumns,
}

fn fixed(minerals: &[Mineral], first: u32) -> MineralRows {
    MineralRows::Fixed(
        minerals
            .iter()
            .enumerate()
            .map(|(i, m)| (*m, first + i as u32))
            .collect(),
    )
}

/// 1-based rows of the template, as the published table gives them, to 0-based.
const fn r(row: u32) -> u32 {
    row - 1
}

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

/// CMRT 5.x asked seven questions: no CAHRA question.
const CMRT5_TOPICS: [Topic; 7] = [
    Topic::IntentionallyAdded,
    Topic::RemainsInProduct,
    Topic::CoveredCountries,
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

const CMRT_COMPANY_TOPICS: [CompanyTopic; 8] = [
    CompanyTopic::Policy,
    CompanyTopic::PolicyPublished,
    CompanyTopic::AuditedSmelters,
    CompanyTopic::DueDiligence,
    CompanyTopic::SupplierSurvey,
    CompanyTopic::ReviewsSuppliers,
    CompanyTopic::CorrectiveAction,
    CompanyTopic::AnnualDisclosure,
];

const EMRT_COMPANY_TOPICS: [CompanyTopic; 7] = [
    CompanyTopic::Policy,
    CompanyTopic::PolicyPublished,
    CompanyTopic::AuditedSmelters,
    CompanyTopic::DueDiligence,
    CompanyTopic::SupplierSurvey,
    CompanyTopic::ReviewsSuppliers,
    CompanyTopic::CorrectiveAction,
];

const LETTERS: [&str; 9] = ["A", "B", "C", "D", "E", "F", "G", "H", "I"];

fn company_rows(rows: [u32; 14]) -> Vec<(CompanyField, u32)> {
    CompanyField::ALL
        .into_iter()
        .zip(rows)
        .filter(|(_, row)| *row > 0)
        .map(|(f, row)| (f, r(row)))
        .collect()
}

fn products(template: Template, version: &str) -> ProductColumns {
    let requester = template == Template::Emrt && version_at_least(version, "2.1");
    ProductColumns {
        header_row: r(5),
        first_row: r(6),
        number: 1,
        name: 2,
        requester_number: requester.then_some(3),
        requester_name: requester.then_some(4),
        comments: if requester { 5 } else { 3 },
    }
}

/// The cell map of CMRT 6.x.
pub fn cmrt6(version: &str) -> CellMap {
    let metals = Template::Cmrt.minerals();
    CellMap {
        family: Family::Cmrt6,
        company: company_rows([8, 9, 10, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22]),
        mineral_cells: Vec::new(),
        questions: CMRT_TOPICS
            .iter()
            .enumerate()
            .map(|(i, topic)| {
                let header = r(25 + 6 * i as u32);
                QuestionBlock {
                    number: (i + 1).to_string(),
                    topic: *topic,
                    header,
                    rows: fixed(metals, header + 1),
                }
            })
            .collect(),
        company_questions: CMRT_COMPANY_TOPICS
            .iter()
            .enumerate()
            .map(|(i, topic)| CompanyQuestion {
                letter: LETTERS[i].to_owned(),
                topic: *topic,
                row: r(75 + 2 * i as u32),
                per_mineral: None,
            })
            .collect(),
        smelters: SmelterColumns::standard(),
        products: products(Template::Cmrt, version),
    }
}

/// The cell map of EMRT 1.x: cobalt and mica.
pub fn emrt1(version: &str) -> CellMap {
    let both = [Mineral::Cobalt, Mineral::Mica];
    CellMap {
        family: Family::Emrt1,
        company: company_rows([8, 9, 10, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22]),
        mineral_cells: Vec::new(),
        questions: EMRT_TOPICS
            .iter()
            .enumerate()
            .map(|(i, topic)| {
                let header = r(25 + 6 * i as u32);
                let minerals: &[Mineral] = if *topic == Topic::RecycledOrScrap {
                    &[Mineral::Cobalt]
                } else {
                    &both
                };
                QuestionBlock {
                    number: (i + 1).to_string(),
                    topic: *topic,
                    header,
                    rows: fixed(minerals, header + 1),
                }
            })
            .collect(),
        company_questions: [69, 71, 73, 77, 79, 81, 83]
            .into_iter()
            .zip(EMRT_COMPANY_TOPICS)
            .enumerate()
            .map(|(i, (row, topic))| CompanyQuestion {
                letter: LETTERS[i].to_owned(),
                topic,
                row: r(row),
                per_mineral: (topic == CompanyTopic::AuditedSmelters)
                    .then(|| fixed(&both, r(row + 1))),
            })
            .collect(),
        smelters: SmelterColumns::standard(),
        products: products(Template::Emrt, version),
    }
}

/// The cell map of EMRT 2.x: six minerals chosen in D12:G13, each block's rows naming their
/// mineral in column B.
pub fn emrt2(version: &str) -> CellMap {
    CellMap {
        family: Family::Emrt2,
        company: company_rows([8, 9, 10, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26]),
        mineral_cells: vec![
            (Mineral::Cobalt, r(12), 3),
            (Mineral::Copper, r(12), 4),
            (Mineral::Graphite, r(12), 6),
            (Mineral::Lithium, r(13), 3),
            (Mineral::Mica, r(13), 4),
            (Mineral::Nickel, r(13), 6),
        ],
        questions: EMRT_TOPICS
            .iter()
            .enumerate()
            .map(|(i, topic)| {
                let header = r(29 + 12 * i as u32);
                QuestionBlock {
                    number: (i + 1).to_string(),
                    topic: *topic,
                    header,
                    rows: MineralRows::Named {
                        first: header + 1,
                        count: 10,
                    },
                }
            })
            .collect(),
        company_questions: [115, 117, 119, 131, 133, 135, 137]
            .into_iter()
            .zip(EMRT_COMPANY_TOPICS)
            .enumerate()
            .map(|(i, (row, topic))| CompanyQuestion {
                letter: LETTERS[i].to_owned(),
                topic,
                row: r(row),
                per_mineral: (topic == CompanyTopic::AuditedSmelters).then_some(
                    MineralRows::Named {
                        first: r(row + 1),
                        count: 10,
                    },
                ),
            })
            .collect(),
        smelters: SmelterColumns::standard(),
        products: products(Template::Emrt, version),
    }
}

/// A label as compared: lower case, dashes and spaces unified, `(*)`, `*` and `:` dropped.
pub fn normalise_label(label: &str) -> String {
    let replaced: String = label
        .chars()
        .map(|c| match c {
            '–' | '—' | '‐' => '-',
            '*' | ':' => ' ',
            c => c.to_ascii_lowercase(),
        })
        .collect();
    replaced
        .replace("()", " ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// The English label of a Declaration cell: from the hidden label sheet `L` (column A
/// `DeclarationB8`, column D English) when the workbook has it, else the cell's cached text.
fn english_label(
    workbook: &Workbook,
    labels: Option<&Sheet>,
    row: u32,
    col: u32,
) -> Option<String> {
    let cached = workbook.sheet(DECLARATION)?.text(row, col);
    let key = format!(
        "{DECLARATION}{}{}",
        super::grid::column_letters(col),
        row + 1
    );
    let translated = labels.and_then(|l| {
        (0..l.rows())
            .find(|&i| l.text(i, 0).as_deref() == Some(key.as_str()))
            .and_then(|i| l.text(i, 3))
    });
    translated.or(cached)
}

/// The cell map of a CMRT whose cells are not known, found from its labels: the company
/// fields and the numbered (`1)`…) and lettered (`A.`…) questions in column B of the
/// Declaration sheet, and the Smelter List's columns by their headings. Each question block is
/// taken to keep the four metals in the template's order under its header (as every known
/// version does).
pub fn by_label(workbook: &Workbook, version: &str) -> (CellMap, Vec<Finding>) {
    let mut findings = Vec::new();
    let labels = workbook.sheet("L");
    let rows = workbook.sheet(DECLARATION).map_or(0, Sheet::rows).min(400);
    let mut company = Vec::new();
    let mut numbered: Vec<(u32, u32)> = Vec::new();
    let mut lettered: Vec<(usize, u32)> = Vec::new();
    for row in 0..rows {
        let Some(label) = english_label(workbook, labels, row, LABEL_COL) else {
            continue;
        };
        let label = normalise_label(&label);
        if let Some(field) = CompanyField::ALL
            .into_iter()
            .find(|f| f.matches(&label) && !company.iter().any(|(c, _)| c == f))
        {
            company.push((field, row));
            continue;
        }
        let mut chars = label.chars();
        match (chars.next(), chars.next()) {
            (Some(d), Some(')')) if d.is_ascii_digit() && d != '0' => {
                numbered.push((d.to_digit(10).unwrap_or(0), row));
            }
            (Some(l), Some('.')) if ('a'..='i').contains(&l) => {
                lettered.push(((l as u8 - b'a') as usize, row));
            }
            _ => {}
        }
    }
    let topics: &[Topic] = if numbered.len() <= 7 {
        &CMRT5_TOPICS
    } else {
        &CMRT_TOPICS
    };
    let questions = numbered
        .iter()
        .filter_map(|(n, header)| {
            let topic = *topics.get(*n as usize - 1)?;
            Some(QuestionBlock {
                number: n.to_string(),
                topic,
                header: *header,
                rows: fixed(Template::Cmrt.minerals(), header + 1),
            })
        })
        .collect();
    let company_topics = lettered.len() == 8;
    let company_questions = lettered
        .iter()
        .map(|(i, row)| CompanyQuestion {
            letter: LETTERS[*i].to_owned(),
            topic: if company_topics {
                CMRT_COMPANY_TOPICS[*i]
            } else {
                CompanyTopic::Other
            },
            row: *row,
            per_mineral: None,
        })
        .collect();
    if !company.iter().any(|(f, _)| *f == CompanyField::Name) {
        company.push((CompanyField::Name, r(8)));
    }
    if !company.iter().any(|(f, _)| *f == CompanyField::Scope) {
        company.push((CompanyField::Scope, r(9)));
    }
    let smelters = workbook
        .sheet(SMELTER_LIST)
        .and_then(smelter_columns_by_heading)
        .unwrap_or_else(|| {
            findings.push(Finding::at(
                format!("{SMELTER_LIST}!A4"),
                "the Smelter List's headings were not found; its columns are read as in CMRT 6.x",
            ));
            SmelterColumns::standard()
        });
    (
        CellMap {
            family: Family::CmrtByLabel,
            company,
            mineral_cells: Vec::new(),
            questions,
            company_questions,
            smelters,
            products: products(Template::Cmrt, version),
        },
        findings,
    )
}

/// The Smelter List's columns found by their headings in rows 1 to 10.
fn smelter_columns_by_heading(sheet: &Sheet) -> Option<SmelterColumns> {
    let header_row = (0..10).find(|&row| {
        let cells: Vec<String> = (0..30)
            .filter_map(|c| sheet.text(row, c))
            .map(|t| normalise_label(&t))
            .collect();
        cells.iter().any(|c| c.contains("smelter identification"))
            && cells.iter().any(|c| c.starts_with("metal"))
    })?;
    let headings: Vec<(u32, String)> = (0..30)
        .filter_map(|c| sheet.text(header_row, c).map(|t| (c, normalise_label(&t))))
        .collect();
    let find =
        |test: &dyn Fn(&str) -> bool| headings.iter().find(|(_, h)| test(h)).map(|(c, _)| *c);
    Some(SmelterColumns {
        header_row,
        first_row: header_row + 1,
        input_cid: find(&|h| h.contains("input column")),
        metal: find(&|h| h.starts_with("metal"))?,
        lookup: find(&|h| h.contains("look-up") || h.contains("reference list")),
        name: find(&|h| h.starts_with("smelter name")),
        country: find(&|h| h.starts_with("smelter country")),
        cid: find(&|h| {
            h.starts_with("smelter identification") && !h.contains("input") && !h.contains("source")
        }),
        cid_source: find(&|h| h.starts_with("source of smelter identification")),
        street: find(&|h| h.contains("street")),
        city: find(&|h| h.contains("city")),
        state: find(&|h| h.contains("state") && !h.contains("code")),
        contact_name: find(&|h| h.contains("contact name")),
        contact_email: find(&|h| h.contains("contact email")),
        next_steps: find(&|h| h.contains("next steps")),
        mine_names: find(&|h| h.starts_with("name of mine")),
        mine_countries: find(&|h| h.contains("country) of mine")),
        recycled: find(&|h| h.contains("recycled or scrap sources")),
        comments: find(&|h| h.starts_with("comments")),
        standard_name: find(&|h| h.contains("standard smelter name")),
    })
}

/// The cell map of a detected workbook, with what the reader should know about it.
pub fn cell_map(detected: &Detected, workbook: &Workbook) -> (CellMap, Vec<Finding>) {
    match detected.family {
        Family::Cmrt6 => (cmrt6(&detected.version), Vec::new()),
        Family::Emrt1 => (emrt1(&detected.version), Vec::new()),
        Family::Emrt2 => (emrt2(&detected.version), Vec::new()),
        Family::CmrtByLabel => by_label(workbook, &detected.version),
    }
}
