//! Filled RMI reporting templates (CMRT, EMRT) written as `.xlsx` for the import tests.
//!
//! Every fixture here is built from ../shared/RMI-TEMPLATES.md (the sheets and cells recorded
//! from the published templates), never from an RMI file, and independently of the crate's own
//! layout tables and writer: it is a second reading of that document. Where the document marks
//! a fact as inferred (CMRT 5.x), the fixture lays the sheet out by its labels only.
//!
//! `Cmrt::filled("6.5")`, `Emrt::filled("2.1")`, `Emrt::filled("1.3")` and `Cmrt::filled("5.12")`
//! give a complete declaration (every required field and answer filled, one smelter row, one
//! product row); the setters change what a test is about:
//!
//! ```ignore
//! let bytes = Cmrt::filled("6.5")
//!     .company(Field::Name, "Acme Metals")
//!     .answer(3, "Tin", "Unknown")
//!     .smelter(SmelterRow::new("Tin").typed("Fundicion Sur", "PERU").cid("CID001234"))
//!     .remove("Declaration!D15")
//!     .bytes();
//! ```

use std::collections::BTreeMap;

use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};

/// A cell's value as the fixture writes it.
#[derive(Clone, Debug)]
enum Cell {
    Text(String),
    Number(f64, Option<&'static str>),
    Date(u16, u8, u8),
}

/// A sheet: its name, whether it is hidden, and its cells by (1-based row, 0-based column).
type Sheet = (String, bool, BTreeMap<(u32, u16), Cell>);

/// How a template version lays its Declaration sheet out (RMI-TEMPLATES.md).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Layout {
    /// CMRT 6.01 to 6.5: fixed cells.
    Cmrt6,
    /// CMRT 5.x: cells not known; laid out with labels (`1)`…`7)`, `A.`…`I.`).
    Cmrt5,
    /// EMRT 1.x: cobalt and mica on fixed rows.
    Emrt1,
    /// EMRT 2.x: minerals chosen on the Declaration sheet, named in column B of each block.
    Emrt2,
}

/// A company-information field of the Declaration sheet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Field {
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

impl Field {
    const ALL: [Field; 14] = [
        Field::Name,
        Field::Scope,
        Field::ScopeDescription,
        Field::UniqueId,
        Field::UniqueIdAuthority,
        Field::Address,
        Field::ContactName,
        Field::ContactEmail,
        Field::ContactPhone,
        Field::Authorizer,
        Field::AuthorizerTitle,
        Field::AuthorizerEmail,
        Field::AuthorizerPhone,
        Field::EffectiveDate,
    ];

    /// The English label in column B.
    fn label(self) -> &'static str {
        match self {
            Field::Name => "Company Name (*):",
            Field::Scope => "Declaration Scope or Class (*):",
            Field::ScopeDescription => "Description of Scope:",
            Field::UniqueId => "Company Unique ID:",
            Field::UniqueIdAuthority => "Company Unique ID Authority:",
            Field::Address => "Address:",
            Field::ContactName => "Contact Name (*):",
            Field::ContactEmail => "Email – Contact (*):",
            Field::ContactPhone => "Phone – Contact (*):",
            Field::Authorizer => "Authorizer (*):",
            Field::AuthorizerTitle => "Title - Authorizer:",
            Field::AuthorizerEmail => "Email - Authorizer (*):",
            Field::AuthorizerPhone => "Phone - Authorizer:",
            Field::EffectiveDate => "Effective Date (*):",
        }
    }

    /// Its row (1-based): D8…D10, then (after the Product List link on row 11) D12…D22 in
    /// CMRT 6.x and EMRT 1.x; D8…D10 then D16…D26 in EMRT 2.x (the six mineral cells take rows
    /// 12 and 13). CMRT 5.x is taken to keep the 6.x rows.
    fn row(self, layout: Layout) -> u32 {
        let index = Field::ALL.iter().position(|f| *f == self).unwrap() as u32;
        match layout {
            _ if index < 3 => 8 + index,
            Layout::Emrt2 => 16 + index - 3,
            _ => 12 + index - 3,
        }
    }
}

/// One row of the Smelter List.
#[derive(Clone, Debug, Default)]
pub struct SmelterRow {
    metal: String,
    input_cid: Option<String>,
    lookup: Option<String>,
    name: Option<String>,
    country: Option<String>,
    cid: Option<String>,
    cid_source: Option<String>,
    city: Option<String>,
    mine_names: Option<String>,
    mine_countries: Option<String>,
    recycled: Option<String>,
    comments: Option<String>,
}

impl SmelterRow {
    /// A row of `metal` (as the template writes it: `Tin`, `Cobalt`), nothing else filled.
    pub fn new(metal: &str) -> SmelterRow {
        SmelterRow {
            metal: metal.to_owned(),
            ..SmelterRow::default()
        }
    }

    /// Chosen from the Smelter Look-up (column C) by `alias`, in `country` (column E, upper
    /// case as sheet `C` writes it).
    pub fn looked_up(mut self, alias: &str, country: &str) -> SmelterRow {
        self.lookup = Some(alias.to_owned());
        self.country = Some(country.to_owned());
        self.cid_source = Some("RMI".to_owned());
        self
    }

    /// `Smelter not listed` in C, the name typed in D, the country in E.
    pub fn typed(mut self, name: &str, country: &str) -> SmelterRow {
        self.lookup = Some("Smelter not listed".to_owned());
        self.name = Some(name.to_owned());
        self.country = Some(country.to_owned());
        self
    }

    /// `Smelter not yet identified` in C, the country `Unknown` as the look-up fills it.
    pub fn not_yet_identified(mut self) -> SmelterRow {
        self.lookup = Some("Smelter not yet identified".to_owned());
        self.country = Some("Unknown".to_owned());
        self
    }

    /// The CID in column F (Smelter Identification).
    pub fn cid(mut self, cid: &str) -> SmelterRow {
        self.cid = Some(cid.to_owned());
        self
    }

    /// The CID only in column A (the input column), as a workbook saved without computing
    /// its formulas leaves it.
    pub fn input_cid(mut self, cid: &str) -> SmelterRow {
        self.input_cid = Some(cid.to_owned());
        self
    }

    /// Column P: `Yes`, `No`, `Unknown`.
    pub fn recycled(mut self, answer: &str) -> SmelterRow {
        self.recycled = Some(answer.to_owned());
        self
    }

    /// Columns N and O.
    pub fn mines(mut self, names: &str, countries: &str) -> SmelterRow {
        self.mine_names = Some(names.to_owned());
        self.mine_countries = Some(countries.to_owned());
        self
    }

    /// Column I.
    pub fn city(mut self, city: &str) -> SmelterRow {
        self.city = Some(city.to_owned());
        self
    }

    /// Column Q.
    pub fn comments(mut self, comments: &str) -> SmelterRow {
        self.comments = Some(comments.to_owned());
        self
    }
}

/// The Smelter List's headings, row 4, columns A to Q (RMI-TEMPLATES.md, "Smelter List").
const SMELTER_HEADINGS: [&str; 17] = [
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
];

/// The CMRT metals in the order of every question block.
const CMRT_METALS: [&str; 4] = ["Tantalum", "Tin", "Gold", "Tungsten"];

/// EMRT 2.x's mineral cells on the Declaration sheet.
const EMRT2_MINERAL_CELLS: [(&str, &str); 6] = [
    ("Cobalt", "D12"),
    ("Copper", "E12"),
    ("Graphite", "G12"),
    ("Lithium", "D13"),
    ("Mica", "E13"),
    ("Nickel", "G13"),
];

/// A CMRT.
pub struct Cmrt;

/// An EMRT.
pub struct Emrt;

impl Cmrt {
    /// A complete CMRT of `version` (6.01 to 6.5 on their cells; 5.x laid out by labels).
    pub fn filled(version: &str) -> RmiWorkbook {
        let layout = if version.starts_with('5') {
            Layout::Cmrt5
        } else {
            Layout::Cmrt6
        };
        let mut book = RmiWorkbook::blank(layout, version);
        book.fill();
        book
    }
}

impl Emrt {
    /// A complete EMRT of `version`: 1.x declares cobalt and mica; 2.x declares cobalt and mica
    /// too, chosen on the Declaration sheet (see [`RmiWorkbook::emrt_minerals`]).
    pub fn filled(version: &str) -> RmiWorkbook {
        let layout = if version.starts_with('1') {
            Layout::Emrt1
        } else {
            Layout::Emrt2
        };
        let mut book = RmiWorkbook::blank(layout, version);
        book.minerals = vec!["Cobalt".to_owned(), "Mica".to_owned()];
        book.fill();
        book
    }
}

/// A workbook being built: cells by sheet, written on `bytes()`.
#[derive(Clone, Debug)]
pub struct RmiWorkbook {
    layout: Layout,
    version: String,
    /// The minerals declared (the CMRT's four, or the EMRT's chosen ones), as the template
    /// writes them.
    minerals: Vec<String>,
    sheets: Vec<Sheet>,
    smelter_rows: u32,
    product_rows: u32,
}

/// `D8` as (row 8, column 3): 1-based row, 0-based column.
fn parse_a1(a1: &str) -> (u32, u16) {
    let letters: String = a1.chars().take_while(char::is_ascii_alphabetic).collect();
    let row: u32 = a1[letters.len()..].parse().expect("a row number");
    let col = letters.bytes().fold(0u16, |acc, b| {
        acc * 26 + u16::from(b.to_ascii_uppercase() - b'A' + 1)
    }) - 1;
    (row, col)
}

impl RmiWorkbook {
    fn blank(layout: Layout, version: &str) -> RmiWorkbook {
        let visible: &[&str] = match layout {
            Layout::Cmrt6 | Layout::Cmrt5 => &[
                "Revision",
                "Instructions",
                "Definitions",
                "Declaration",
                "Smelter List",
                "Checker",
                "Product List",
                "Smelter Look-up",
            ],
            Layout::Emrt1 => &[
                "Instructions",
                "Revision",
                "Definitions",
                "Declaration",
                "Smelter List",
                "Checker",
                "Product List",
                "Smelter Look-up",
            ],
            Layout::Emrt2 if version == "2.0" => &[
                "Instructions",
                "Revision",
                "Definitions",
                "Declaration",
                "Smelter List",
                "Checker",
                "Mine List",
                "Product List",
                "Smelter Look-up",
            ],
            Layout::Emrt2 => &[
                "Revision",
                "Instructions",
                "Definitions",
                "Declaration",
                "Smelter List",
                "Checker",
                "Mine List",
                "Product List",
                "Smelter Look-up",
            ],
        };
        let mut sheets: Vec<Sheet> = visible
            .iter()
            .map(|name| ((*name).to_owned(), false, BTreeMap::new()))
            .collect();
        for hidden in ["L", "C", "SorP"] {
            sheets.push((hidden.to_owned(), true, BTreeMap::new()));
        }
        let mut book = RmiWorkbook {
            layout,
            version: version.to_owned(),
            minerals: CMRT_METALS.map(str::to_owned).to_vec(),
            sheets,
            smelter_rows: 0,
            product_rows: 0,
        };
        book.frame();
        book
    }

    fn is_cmrt(&self) -> bool {
        matches!(self.layout, Layout::Cmrt5 | Layout::Cmrt6)
    }

    fn cells(&mut self, sheet: &str) -> &mut BTreeMap<(u32, u16), Cell> {
        &mut self
            .sheets
            .iter_mut()
            .find(|(name, ..)| name == sheet)
            .unwrap_or_else(|| panic!("no sheet {sheet}"))
            .2
    }

    fn put(&mut self, sheet: &str, a1: &str, cell: Cell) {
        let at = parse_a1(a1);
        self.cells(sheet).insert(at, cell);
    }

    fn text_at(&mut self, sheet: &str, a1: &str, text: &str) {
        self.put(sheet, a1, Cell::Text(text.to_owned()));
    }

    /// The title, the revision cells, the labels and the list headings of a blank template.
    fn frame(&mut self) {
        let (code, title) = if self.is_cmrt() {
            ("CMRT", "Conflict Minerals Reporting Template (CMRT)")
        } else if self.version == "2.1" {
            ("EMRT", "Extended Minerals Reporting Template (EMRT)")
        } else {
            ("EMRT", "Extended Mineral Reporting Template (EMRT)")
        };
        let revision = format!("Revision {}\nApril 25, 2025", self.version);
        self.text_at("Declaration", "D2", title);
        self.text_at("Declaration", "D3", "English");
        self.text_at("Declaration", "J3", &revision);
        let smelter_list_version = if self.layout == Layout::Emrt1 || self.version == "2.0" {
            format!("Version {}", self.version)
        } else {
            revision.clone()
        };
        self.text_at("Smelter List", "Q3", &smelter_list_version);
        if self.layout == Layout::Emrt2 {
            self.text_at("Mine List", "M3", &revision);
        }
        self.text_at("Revision", "B3", title);
        self.text_at("Revision", "B5", "Revision");
        self.text_at("Revision", "D5", "Date");
        self.text_at("Revision", "E5", "Description");
        self.text_at("Revision", "B6", &self.version.clone());
        self.text_at("Revision", "D6", "April 25, 2025");
        self.text_at("Revision", "E6", &format!("{code} release"));
        for field in Field::ALL {
            let row = field.row(self.layout);
            self.text_at("Declaration", &format!("B{row}"), field.label());
        }
        for (i, heading) in SMELTER_HEADINGS.iter().enumerate() {
            let col = (b'A' + i as u8) as char;
            self.text_at("Smelter List", &format!("{col}4"), heading);
        }
        let product_headings: &[&str] = match (self.layout, self.version.as_str()) {
            (Layout::Emrt2, "2.1") => &[
                "Responder Product Number (*)",
                "Responder Product Name",
                "Requester Product Number",
                "Requester Product Name",
                "Comments",
            ],
            (_, "6.5" | "2.0") => &[
                "Responder's Product Number (*)",
                "Responder's Product Name",
                "Comments",
            ],
            _ => &[
                "Manufacturer's Product Number (*)",
                "Manufacturer's Product Name",
                "Comments",
            ],
        };
        for (i, heading) in product_headings.iter().enumerate() {
            let col = (b'B' + i as u8) as char;
            self.text_at("Product List", &format!("{col}5"), heading);
        }
        for (a1, text) in [
            ("A1", "AF"),
            ("B1", "AFGHANISTAN"),
            ("A2", "PE"),
            ("B2", "PERU"),
        ] {
            self.text_at("C", a1, text);
        }
        self.text_at("L", "A1", "DeclarationB8");
        self.text_at("L", "D1", "Company Name (Legal Name):");
    }

    /// Fills what a complete declaration has: company information, every answer, one smelter
    /// and one product.
    fn fill(&mut self) {
        for (field, value) in [
            (Field::Name, "Andes Metals SA"),
            (Field::Scope, "A. Company"),
            (Field::UniqueId, "DUNS 123456789"),
            (Field::UniqueIdAuthority, "Dun & Bradstreet"),
            (Field::Address, "Av. Arequipa 100, Lima"),
            (Field::ContactName, "Ana Quispe"),
            (Field::ContactEmail, "ana@andes.example"),
            (Field::ContactPhone, "+51 1 555 0100"),
            (Field::Authorizer, "Luis Mamani"),
            (Field::AuthorizerTitle, "Compliance Director"),
            (Field::AuthorizerEmail, "luis@andes.example"),
            (Field::AuthorizerPhone, "+51 1 555 0101"),
        ] {
            self.set_field(field, Cell::Text(value.to_owned()));
        }
        self.set_field(Field::EffectiveDate, Cell::Date(2025, 3, 31));
        if self.layout == Layout::Emrt2 {
            self.write_emrt2_minerals();
        }
        self.write_question_labels();
        let minerals = self.minerals.clone();
        for question in 1..=self.question_count() {
            for mineral in &minerals {
                if self.question_row(question, mineral).is_none() {
                    continue;
                }
                let suppliers_question = if self.layout == Layout::Cmrt6 { 6 } else { 5 };
                match question {
                    q if q == suppliers_question => self.answer_hundred_percent(question, mineral),
                    _ => {
                        let answer = if question <= 2 { "Yes" } else { "No" };
                        self.set_answer(question, mineral, Cell::Text(answer.to_owned()));
                    }
                }
            }
        }
        for letter in self.company_letters() {
            let answer = match (self.is_cmrt(), letter) {
                (true, 'E') => "Yes, in conformance with IPC1755 (e.g., CMRT)",
                (false, 'E') => "Yes, in conformance with IPC1755 (e.g. EMRT)",
                (true, 'H') if self.layout == Layout::Cmrt6 => "Yes, with the SEC",
                _ => "Yes",
            };
            self.company_answer_all(letter, answer);
        }
        let first = self.minerals[0].clone();
        let country = "PERU";
        self.push_smelter(SmelterRow::new(&first).typed("Fundicion Andina", country));
        self.product("P-100", "Widget");
    }

    fn question_count(&self) -> u32 {
        match self.layout {
            Layout::Cmrt6 => 8,
            Layout::Cmrt5 | Layout::Emrt1 | Layout::Emrt2 => 7,
        }
    }

    fn company_letters(&self) -> Vec<char> {
        let last = match self.layout {
            Layout::Cmrt6 => 'H',
            Layout::Cmrt5 => 'I',
            Layout::Emrt1 | Layout::Emrt2 => 'G',
        };
        ('A'..=last).collect()
    }

    /// The header row of a per-metal question (1-based).
    fn question_header(&self, question: u32) -> u32 {
        match self.layout {
            // 25, 31, … 67: a header and four metal rows, one row between blocks.
            Layout::Cmrt6 | Layout::Cmrt5 | Layout::Emrt1 => 25 + (question - 1) * 6,
            // 29, 41, … 101: a header and ten mineral rows, one row between blocks.
            Layout::Emrt2 => 29 + (question - 1) * 12,
        }
    }

    /// The answer row of `question` for `mineral`, when the layout has one.
    fn question_row(&self, question: u32, mineral: &str) -> Option<u32> {
        let header = self.question_header(question);
        match self.layout {
            Layout::Cmrt6 | Layout::Cmrt5 => {
                let i = CMRT_METALS
                    .iter()
                    .position(|m| m.eq_ignore_ascii_case(mineral))?;
                Some(header + 1 + i as u32)
            }
            Layout::Emrt1 => match (mineral, question) {
                ("Cobalt", _) => Some(header + 1),
                ("Mica", 4) => None,
                ("Mica", _) => Some(header + 2),
                _ => None,
            },
            Layout::Emrt2 => {
                let mut chosen = self.minerals.clone();
                chosen.sort();
                let i = chosen.iter().position(|m| m == mineral)?;
                Some(header + 1 + i as u32)
            }
        }
    }

    /// The row of a company-level question (1-based).
    fn company_row(&self, letter: char) -> u32 {
        let i = letter as u32 - 'A' as u32;
        match self.layout {
            Layout::Cmrt6 => 75 + 2 * i,
            // 5.x: after the seven blocks (the last ends on row 65), one row each.
            Layout::Cmrt5 => 68 + 2 * i,
            // C has a header (73) and a row per mineral; D follows on 77.
            Layout::Emrt1 => 69 + 2 * i + if i >= 3 { 2 } else { 0 },
            Layout::Emrt2 => 115 + 2 * i + if i >= 3 { 10 } else { 0 },
        }
    }

    /// The rows of EMRT company question C per mineral.
    fn company_c_row(&self, mineral: &str) -> Option<u32> {
        match self.layout {
            Layout::Emrt1 => match mineral {
                "Cobalt" => Some(74),
                "Mica" => Some(75),
                _ => None,
            },
            Layout::Emrt2 => {
                let mut chosen = self.minerals.clone();
                chosen.sort();
                let i = chosen.iter().position(|m| m == mineral)?;
                Some(120 + i as u32)
            }
            _ => None,
        }
    }

    fn write_emrt2_minerals(&mut self) {
        for (mineral, a1) in EMRT2_MINERAL_CELLS {
            let chosen = self.minerals.iter().any(|m| m == mineral);
            let text = if chosen {
                mineral.to_owned()
            } else {
                format!("(Delete {mineral})")
            };
            self.text_at("Declaration", a1, &text);
        }
    }

    /// The question labels in column B (what a reader by labels finds), and EMRT 2.x's mineral
    /// names under each block.
    fn write_question_labels(&mut self) {
        for question in 1..=self.question_count() {
            let header = self.question_header(question);
            self.text_at(
                "Declaration",
                &format!("B{header}"),
                &format!("{question}) Question {question}"),
            );
            self.text_at("Declaration", &format!("D{header}"), "Answer");
            self.text_at("Declaration", &format!("G{header}"), "Comments");
            let minerals = self.minerals.clone();
            for mineral in minerals {
                if let Some(row) = self.question_row(question, &mineral) {
                    self.text_at("Declaration", &format!("B{row}"), &mineral);
                }
            }
        }
        for letter in self.company_letters() {
            let row = self.company_row(letter);
            self.text_at(
                "Declaration",
                &format!("B{row}"),
                &format!("{letter}. Company question {letter}"),
            );
            if letter == 'C' {
                let minerals = self.minerals.clone();
                for mineral in minerals {
                    if let Some(row) = self.company_c_row(&mineral) {
                        self.text_at("Declaration", &format!("B{row}"), &mineral);
                    }
                }
            }
        }
    }

    fn set_field(&mut self, field: Field, cell: Cell) {
        let row = field.row(self.layout);
        self.put("Declaration", &format!("D{row}"), cell);
    }

    fn set_answer(&mut self, question: u32, mineral: &str, cell: Cell) {
        let row = self
            .question_row(question, mineral)
            .unwrap_or_else(|| panic!("question {question} has no row for {mineral}"));
        self.put("Declaration", &format!("D{row}"), cell);
    }

    /// "100%": the number 1 shown as a percentage up to CMRT 6.22 and in EMRT 1.x, the text
    /// `100%` from CMRT 6.31 and in EMRT 2.x.
    fn answer_hundred_percent(&mut self, question: u32, mineral: &str) {
        let numeric = match self.layout {
            Layout::Cmrt6 => {
                let minor: u32 = self
                    .version
                    .split('.')
                    .nth(1)
                    .and_then(|m| m.parse().ok())
                    .unwrap_or(0);
                // 6.01 ≙ 1, 6.1 ≙ 1, 6.22 ≙ 22, 6.31 ≙ 31: text from 6.3 on.
                let minor = if minor < 10 { minor * 10 } else { minor };
                minor < 30
            }
            Layout::Cmrt5 | Layout::Emrt1 => true,
            Layout::Emrt2 => false,
        };
        let cell = if numeric {
            Cell::Number(1.0, Some("0%"))
        } else {
            Cell::Text("100%".to_owned())
        };
        self.set_answer(question, mineral, cell);
    }

    fn company_answer_all(&mut self, letter: char, answer: &str) {
        let per_mineral = letter == 'C' && matches!(self.layout, Layout::Emrt1 | Layout::Emrt2);
        if per_mineral {
            let minerals = self.minerals.clone();
            for mineral in minerals {
                if let Some(row) = self.company_c_row(&mineral) {
                    self.text_at("Declaration", &format!("D{row}"), answer);
                }
            }
        } else {
            let row = self.company_row(letter);
            self.text_at("Declaration", &format!("D{row}"), answer);
        }
    }

    fn push_smelter(&mut self, smelter: SmelterRow) {
        let row = 5 + self.smelter_rows;
        self.smelter_rows += 1;
        let columns = [
            ("A", smelter.input_cid),
            ("B", Some(smelter.metal)),
            ("C", smelter.lookup),
            ("D", smelter.name),
            ("E", smelter.country),
            ("F", smelter.cid),
            ("G", smelter.cid_source),
            ("I", smelter.city),
            ("N", smelter.mine_names),
            ("O", smelter.mine_countries),
            ("P", smelter.recycled),
            ("Q", smelter.comments),
        ];
        for (col, value) in columns {
            if let Some(value) = value {
                self.text_at("Smelter List", &format!("{col}{row}"), &value);
            }
        }
    }

    // The builder's API.

    /// The template's version as written in `Declaration!J3`.
    pub fn version(&self) -> &str {
        &self.version
    }

    /// Sets a company-information field as text.
    pub fn company(mut self, field: Field, value: &str) -> RmiWorkbook {
        self.set_field(field, Cell::Text(value.to_owned()));
        self
    }

    /// The effective date as a real Excel date (`DD-MMM-YYYY`).
    pub fn effective_date(mut self, year: u16, month: u8, day: u8) -> RmiWorkbook {
        self.set_field(Field::EffectiveDate, Cell::Date(year, month, day));
        self
    }

    /// EMRT 2.x: the minerals in scope (`Cobalt`, `Nickel`…), replacing the declared ones;
    /// every answer is written again for them.
    pub fn emrt_minerals(self, minerals: &[&str]) -> RmiWorkbook {
        assert_eq!(self.layout, Layout::Emrt2, "only EMRT 2.x chooses minerals");
        let mut book = RmiWorkbook::blank(Layout::Emrt2, &self.version);
        book.minerals = minerals.iter().map(|m| (*m).to_owned()).collect();
        book.fill();
        book
    }

    /// Answers per-metal question `question` for `metal` (`Tin`, `Cobalt`).
    pub fn answer(mut self, question: u32, metal: &str, answer: &str) -> RmiWorkbook {
        self.set_answer(question, metal, Cell::Text(answer.to_owned()));
        self
    }

    /// The cell of question `question`'s answer for `metal`: `Declaration!D38`.
    pub fn answer_cell(&self, question: u32, metal: &str) -> String {
        let row = self.question_row(question, metal).expect("a row");
        format!("Declaration!D{row}")
    }

    /// Answers company question `letter` (every mineral's row of a per-mineral one).
    pub fn company_answer(mut self, letter: char, answer: &str) -> RmiWorkbook {
        self.company_answer_all(letter, answer);
        self
    }

    /// Appends a Smelter List row.
    pub fn smelter(mut self, smelter: SmelterRow) -> RmiWorkbook {
        self.push_smelter(smelter);
        self
    }

    /// Removes every Smelter List row.
    pub fn no_smelters(mut self) -> RmiWorkbook {
        self.cells("Smelter List").retain(|(row, _), _| *row < 5);
        self.smelter_rows = 0;
        self
    }

    /// The sheet row (1-based) the next smelter would take.
    pub fn next_smelter_row(&self) -> u32 {
        5 + self.smelter_rows
    }

    /// Appends a Product List row.
    pub fn product(&mut self, number: &str, name: &str) {
        let row = 6 + self.product_rows;
        self.product_rows += 1;
        self.text_at("Product List", &format!("B{row}"), number);
        self.text_at("Product List", &format!("C{row}"), name);
    }

    /// Appends a Product List row (by value).
    pub fn with_product(mut self, number: &str, name: &str) -> RmiWorkbook {
        self.product(number, name);
        self
    }

    /// Sets any cell (`Smelter List!F5`) to text.
    pub fn set(mut self, cell: &str, text: &str) -> RmiWorkbook {
        let (sheet, a1) = cell.split_once('!').expect("Sheet!A1");
        self.text_at(sheet, a1, text);
        self
    }

    /// Sets any cell to a number.
    pub fn set_number(mut self, cell: &str, value: f64) -> RmiWorkbook {
        let (sheet, a1) = cell.split_once('!').expect("Sheet!A1");
        self.put(sheet, a1, Cell::Number(value, None));
        self
    }

    /// Empties a cell (`Declaration!D8`).
    pub fn remove(mut self, cell: &str) -> RmiWorkbook {
        let (sheet, a1) = cell.split_once('!').expect("Sheet!A1");
        let at = parse_a1(a1);
        self.cells(sheet).remove(&at);
        self
    }

    /// The `.xlsx` file.
    pub fn bytes(&self) -> Vec<u8> {
        let mut workbook = Workbook::new();
        let date = Format::new().set_num_format("dd-mmm-yyyy");
        for (name, hidden, cells) in &self.sheets {
            let sheet = workbook.add_worksheet();
            sheet.set_name(name).expect("sheet name");
            if *hidden {
                sheet.set_hidden(true);
            }
            for (&(row, col), cell) in cells {
                let row = row - 1;
                match cell {
                    Cell::Text(text) => {
                        sheet.write_string(row, col, text).expect("write text");
                    }
                    Cell::Number(value, None) => {
                        sheet.write_number(row, col, *value).expect("write number");
                    }
                    Cell::Number(value, Some(format)) => {
                        let format = Format::new().set_num_format(*format);
                        sheet
                            .write_number_with_format(row, col, *value, &format)
                            .expect("write number");
                    }
                    Cell::Date(y, m, d) => {
                        let day = ExcelDateTime::from_ymd(*y, *m, *d).expect("a date");
                        sheet
                            .write_datetime_with_format(row, col, &day, &date)
                            .expect("write date");
                    }
                }
            }
        }
        workbook.save_to_buffer().expect("xlsx")
    }
}
