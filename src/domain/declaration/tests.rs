//! The reader against workbooks laid out as ../shared/RMI-TEMPLATES.md records the published
//! templates (built here cell by cell, never from an RMI file).

use chrono::NaiveDate;

use super::grid::{Sheet, Value, Workbook, position};
use super::layout::Family;
use super::*;

fn t(s: &str) -> Value {
    Value::Text(s.to_owned())
}

/// A sheet from `(A1 reference, value)` pairs.
fn sheet(name: &str, cells: &[(&str, Value)]) -> Sheet {
    let mut sheet = Sheet::new(name);
    for (reference, value) in cells {
        let (row, col) = position(reference).expect("a reference");
        sheet.set(row, col, value.clone());
    }
    sheet
}

fn company_cells(title: &str, revision: &str) -> Vec<(&'static str, Value)> {
    vec![
        ("D2", t(title)),
        ("J3", t(revision)),
        ("D8", t("Andes Metals S.A.")),
        ("D9", t("A. Company")),
        ("D15", t("Ana Quispe")),
        ("D16", t("ana@andes.example")),
        ("D17", t("+51 1 555 0100")),
        ("D18", t("Luis Mamani")),
        ("D20", t("luis@andes.example")),
        ("D22", Value::Number(45_772.0)),
    ]
}

/// A filled CMRT 6.x: gold and tin used, tantalum and tungsten not.
fn cmrt(revision: &str) -> Workbook {
    let mut cells = company_cells("Conflict Minerals Reporting Template (CMRT)", revision);
    // Q1 rows 26-29 (Ta, Sn, Au, W), Q2 rows 32-35.
    let q1 = ["No", "Yes", "yes", "No"];
    let q2 = ["No", "Yes", "Yes", "No"];
    let refs1 = ["D26", "D27", "D28", "D29"];
    let refs2 = ["D32", "D33", "D34", "D35"];
    for i in 0..4 {
        cells.push((refs1[i], t(q1[i])));
        cells.push((refs2[i], t(q2[i])));
    }
    // Q3-Q8 for tin (row +2) and gold (row +3).
    for (header, answer) in [
        (37, "No"),
        (43, "Unknown"),
        (49, "No"),
        (55, "1"),
        (61, "Yes"),
        (67, "Yes"),
    ] {
        for offset in [2, 3] {
            let reference: &'static str =
                Box::leak(format!("D{}", header + offset).into_boxed_str());
            cells.push((reference, t(answer)));
        }
    }
    for (row, answer) in [
        (75, "Yes"),
        (77, "Yes"),
        (79, "Yes"),
        (81, "Yes"),
        (83, "Yes, in conformance with IPC1755 (e.g., CMRT)"),
        (85, "Yes"),
        (87, "No"),
        (89, "No"),
    ] {
        let reference: &'static str = Box::leak(format!("D{row}").into_boxed_str());
        cells.push((reference, t(answer)));
    }
    cells.push(("G77", t("https://andes.example/policy")));
    let declaration = sheet("Declaration", &cells);
    let smelters = sheet(
        "Smelter List",
        &[
            ("B4", t("Metal (*)")),
            ("B5", t("Gold")),
            ("C5", t("Metalor Technologies S.A.")),
            ("E5", t("SWITZERLAND")),
            ("F5", t("CID001153")),
            ("G5", t("RMI")),
            ("P5", t("No")),
            ("B6", t("Tin")),
            ("C6", t("Smelter not listed")),
            ("D6", t("Fundición Andina")),
            ("E6", t("BOLIVIA")),
            ("F6", t(" cid002999 ")),
            ("N6", t("Huanuni")),
            ("O6", t("BOLIVIA")),
            ("B8", t("Gold")),
            ("C8", t("Smelter not yet identified")),
        ],
    );
    Workbook {
        sheets: vec![declaration, smelters, Sheet::new("Product List")],
    }
}

#[test]
fn a_filled_cmrt_is_read_cell_by_cell() {
    for revision in [
        "Revision 6.5\nApril 25, 2025",
        "Revision 6.01",
        "Revision 6.31",
    ] {
        let reading = read(&cmrt(revision)).expect("valid");
        let d = &reading.declaration;
        assert_eq!(d.template, Template::Cmrt);
        assert_eq!(reading.detected.family, Family::Cmrt6);
        assert!(reading.detected.known);
        assert_eq!(d.company.name, "Andes Metals S.A.");
        assert_eq!(d.company.scope, Some(DeclarationScope::Company));
        assert_eq!(
            d.company.effective_date,
            NaiveDate::from_ymd_opt(2025, 4, 25)
        );
        let answer = |q: &str, m: Mineral| {
            d.answers
                .iter()
                .find(|a| a.question == q && a.mineral == m)
                .and_then(|a| a.answer.clone())
        };
        assert_eq!(answer("1", Mineral::Gold).as_deref(), Some("Yes"));
        assert_eq!(answer("6", Mineral::Tin).as_deref(), Some("100%"));
        assert_eq!(answer("4", Mineral::Gold).as_deref(), Some("Unknown"));
        assert_eq!(answer("3", Mineral::Tantalum), None);
        let b = d
            .company_answers
            .iter()
            .find(|a| a.question == "B")
            .unwrap();
        assert_eq!(b.comment.as_deref(), Some("https://andes.example/policy"));
        assert_eq!(d.smelters.len(), 3);
        assert_eq!(
            d.smelters[0].name.as_deref(),
            Some("Metalor Technologies S.A.")
        );
        assert_eq!(
            d.smelters[0].country_code.map(|c| c.to_string()).as_deref(),
            Some("CH")
        );
        assert_eq!(d.smelters[1].cid.as_deref(), Some("CID002999"));
        assert_eq!(d.smelters[1].name.as_deref(), Some("Fundición Andina"));
        assert_eq!(d.smelters[1].row, 6);
        assert!(!d.smelters[2].identified);
        // Incomplete, not invalid: one smelter not yet identified (and its missing country).
        assert!(
            reading.findings.iter().any(|f| f.cell == "Smelter List!C8"),
            "{:?}",
            reading.findings
        );
    }
}

#[test]
fn what_makes_a_cmrt_invalid_is_named_by_cell() {
    let mut workbook = cmrt("Revision 6.4");
    let declaration = &mut workbook.sheets[0];
    declaration.set(7, 3, t(" "));
    *declaration = {
        let mut s = Sheet::new("Declaration");
        for row in 0..declaration.rows() {
            for col in 0..12 {
                if let Some(v) = declaration.get(row, col)
                    && !(row == 7 && col == 3)
                    && !(row == 26 && col == 3)
                {
                    s.set(row, col, v.clone());
                }
            }
        }
        s
    };
    workbook.sheets[1].set(5, 5, t("CID12"));
    workbook.sheets[1].set(4, 1, t("Silver"));
    let errors = read(&workbook).unwrap_err();
    let cells: Vec<&str> = errors.iter().map(|e| e.cell.as_str()).collect();
    assert!(cells.contains(&"Declaration!D8"), "{errors:?}");
    assert!(cells.contains(&"Declaration!D27"), "{errors:?}");
    assert!(cells.contains(&"Smelter List!F6"), "{errors:?}");
    assert!(cells.contains(&"Smelter List!B5"), "{errors:?}");
}

#[test]
fn a_workbook_that_is_no_template_is_refused_at_the_revision_cell() {
    let workbook = Workbook {
        sheets: vec![sheet("Declaration", &[("A1", t("hello"))])],
    };
    let errors = read(&workbook).unwrap_err();
    assert_eq!(errors[0].cell, "Declaration!J3");
    let workbook = Workbook {
        sheets: vec![sheet("Sheet1", &[("A1", t("hello"))])],
    };
    assert_eq!(read(&workbook).unwrap_err()[0].cell, "Declaration!D2");
}

/// An EMRT 2.1: cobalt and nickel chosen, rows naming their mineral in column B.
fn emrt2() -> Workbook {
    let mut cells = vec![
        ("D2", t("Extended Minerals Reporting Template (EMRT)")),
        ("J3", t("Revision 2.1\nOctober 2025")),
        ("D8", t("Katanga Cells Ltd")),
        ("D9", t("B. Product (or List of Products)")),
        ("D12", t("Cobalt")),
        ("E12", t("(Delete Copper)")),
        ("G13", t("Nickel")),
        ("D19", t("Grace")),
        ("D20", t("grace@katanga.example")),
        ("D21", t("+243 0")),
        ("D22", t("Peter")),
        ("D24", t("peter@katanga.example")),
        ("D26", t("2025-11-02")),
    ];
    for header in [29, 41, 53, 65, 77, 89, 101] {
        let b1: &'static str = Box::leak(format!("B{}", header + 1).into_boxed_str());
        let b2: &'static str = Box::leak(format!("B{}", header + 2).into_boxed_str());
        let d1: &'static str = Box::leak(format!("D{}", header + 1).into_boxed_str());
        let d2: &'static str = Box::leak(format!("D{}", header + 2).into_boxed_str());
        cells.push((b1, t("Cobalt")));
        cells.push((b2, t("Nickel")));
        let answer = match header {
            29 | 41 => "Yes",
            77 => "Did not survey",
            _ => "Unknown",
        };
        cells.push((d1, t(answer)));
        cells.push((d2, t(answer)));
    }
    let declaration = sheet("Declaration", &cells);
    let smelters = sheet(
        "Smelter List",
        &[
            ("B5", t("Cobalt")),
            ("D5", t("Lubumbashi Refinery")),
            ("E5", t("CONGO, DEMOCRATIC REPUBLIC OF THE")),
            ("A5", t("CID003100")),
        ],
    );
    let products = sheet(
        "Product List",
        &[
            ("B6", t("P-100")),
            ("C6", t("Cell 21700")),
            ("D6", t("R-9")),
            ("F6", t("note")),
        ],
    );
    Workbook {
        sheets: vec![declaration, smelters, sheet("Mine List", &[]), products],
    }
}

#[test]
fn an_emrt_2_reads_the_chosen_minerals_and_named_rows() {
    let reading = read(&emrt2()).expect("valid");
    let d = &reading.declaration;
    assert_eq!(d.template, Template::Emrt);
    assert_eq!(reading.detected.family, Family::Emrt2);
    assert_eq!(d.minerals, vec![Mineral::Cobalt, Mineral::Nickel]);
    assert_eq!(d.company.contact_name.as_deref(), Some("Grace"));
    assert_eq!(
        d.company.effective_date,
        NaiveDate::from_ymd_opt(2025, 11, 2)
    );
    let five: Vec<_> = d.answers.iter().filter(|a| a.question == "5").collect();
    assert_eq!(five.len(), 2);
    assert_eq!(five[0].answer.as_deref(), Some("Did not survey"));
    assert_eq!(d.smelters[0].cid.as_deref(), Some("CID003100"));
    assert_eq!(
        d.smelters[0].country_code.map(|c| c.to_string()).as_deref(),
        Some("CD")
    );
    assert_eq!(d.products[0].requester_number.as_deref(), Some("R-9"));
    assert_eq!(d.products[0].comments.as_deref(), Some("note"));
    // The company questions were not answered: incomplete.
    assert!(
        reading
            .findings
            .iter()
            .any(|f| f.cell == "Declaration!D115")
    );
}

#[test]
fn an_emrt_2_with_no_mineral_in_scope_is_invalid() {
    let mut workbook = emrt2();
    let mut declaration = Sheet::new("Declaration");
    for row in 0..workbook.sheets[0].rows() {
        for col in 0..12 {
            if let Some(v) = workbook.sheets[0].get(row, col)
                && !(row == 11 && col == 3)
                && !(row == 12 && col == 6)
            {
                declaration.set(row, col, v.clone());
            }
        }
    }
    workbook.sheets[0] = declaration;
    let errors = read(&workbook).unwrap_err();
    assert_eq!(errors[0].cell, "Declaration!D12");
}

#[test]
fn a_cmrt_5_is_read_by_its_labels() {
    // Seven numbered questions whose blocks sit where 6.x has none, company labels in B.
    let mut cells = vec![
        ("D2", t("Conflict Minerals Reporting Template (CMRT)")),
        ("J3", t("Revision 5.12")),
        ("B8", t("Company Name (*):")),
        ("D8", t("Old Supplier Co")),
        ("B9", t("Declaration Scope or Class (*):")),
        ("D9", t("A. Company")),
        ("B20", t("Effective Date (*):")),
        ("D20", t("01-Mar-2019")),
    ];
    for (n, header) in (1..=7).zip([24u32, 30, 36, 42, 48, 54, 60]) {
        let b: &'static str = Box::leak(format!("B{header}").into_boxed_str());
        let label: &'static str = Box::leak(format!("{n}) question {n}").into_boxed_str());
        cells.push((b, t(label)));
        for offset in 1..=4 {
            let d: &'static str = Box::leak(format!("D{}", header + offset).into_boxed_str());
            let answer = if n == 5 { "100%" } else { "Yes" };
            cells.push((d, t(answer)));
        }
    }
    let declaration = sheet("Declaration", &cells);
    let smelters = sheet(
        "Smelter List",
        &[
            ("A4", t("Metal (*)")),
            ("B4", t("Smelter Reference List (*)")),
            ("C4", t("Smelter Name (1) (*)")),
            ("D4", t("Smelter Country (*)")),
            ("E4", t("Smelter Identification")),
            ("A5", t("Tin")),
            ("C5", t("Old Tin Smelter")),
            ("D5", t("MALAYSIA")),
            ("E5", t("CID001234")),
        ],
    );
    let reading = read(&Workbook {
        sheets: vec![declaration, smelters],
    })
    .expect("valid");
    assert_eq!(reading.detected.family, Family::CmrtByLabel);
    assert!(!reading.detected.known);
    let d = &reading.declaration;
    assert_eq!(d.company.name, "Old Supplier Co");
    assert_eq!(
        d.company.effective_date,
        NaiveDate::from_ymd_opt(2019, 3, 1)
    );
    let recycled = d
        .answers
        .iter()
        .find(|a| a.topic == Topic::RecycledOrScrap && a.mineral == Mineral::Tin)
        .unwrap();
    assert_eq!(recycled.question, "4");
    assert_eq!(recycled.cell, "Declaration!D44");
    assert_eq!(d.smelters[0].name.as_deref(), Some("Old Tin Smelter"));
    assert_eq!(d.smelters[0].cid.as_deref(), Some("CID001234"));
    assert!(reading.findings.iter().any(|f| f.cell == "Declaration!J3"));
}

#[test]
fn cids_have_the_rmi_form() {
    assert!(is_cid("CID001234"));
    assert!(!is_cid("CID01234"));
    assert!(!is_cid("cid001234"));
    assert_eq!(normalise_cid(" cid001234 "), "CID001234");
}
