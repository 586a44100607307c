//! The due-diligence report as one self-contained, print-ready HTML page: the JSON view's
//! figures laid out for a reader (and for a browser's print to PDF), with its own style sheet
//! inline, no script, font or image from anywhere, and a Content-Security-Policy that allows
//! exactly that style sheet (by its SHA-256) and nothing else. maud writes the markup, escaping
//! every value.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use maud::{DOCTYPE, Markup, PreEscaped, html};
use sha2::{Digest, Sha256};

use super::{DueDiligenceReportView, ReportSmelterView};
use crate::api::charts;
use crate::api::routes::red_flags::RedFlagDetail;
use crate::api::routes::sourcing_mix::SourcingMix;
use crate::domain::mix::MixFigures;

/// The page and the policy to send with it.
pub struct Page {
    pub html: String,
    pub content_security_policy: String,
}

const CSS: &str = "\
body{font:11pt/1.45 system-ui,-apple-system,'Segoe UI',Roboto,'Helvetica Neue',Arial,sans-serif;\
color:#111;max-width:60rem;margin:2rem auto;padding:0 1rem}\
h1{font-size:1.6rem;margin:0 0 .25rem}h2{font-size:1.2rem;margin:2rem 0 .5rem;\
border-bottom:2px solid #333;padding-bottom:.2rem}h3{font-size:1rem;margin:1.2rem 0 .4rem}\
table{border-collapse:collapse;width:100%;margin:.5rem 0 1rem;font-size:.92em}\
th,td{border:1px solid #999;padding:.25rem .4rem;text-align:left;vertical-align:top}\
th{background:#eee}td.n{text-align:right;font-variant-numeric:tabular-nums}\
.meta{color:#444}.missed{font-weight:bold}.flag{font-weight:bold}\
dl{display:grid;grid-template-columns:max-content 1fr;gap:.2rem 1rem}dt{font-weight:bold}\
dd{margin:0}ol.steps{margin:0;padding-left:1.2rem}\
figure{margin:.5rem 0}figure svg{max-width:100%;height:auto}\
@page{size:A4;margin:18mm 15mm}\
@media print{body{margin:0;max-width:none}h2{break-after:avoid}tr,li{break-inside:avoid}\
thead{display:table-header-group}}";

fn or_dash(value: Option<&str>) -> &str {
    value.unwrap_or("—")
}

/// The page of `report`, and its Content-Security-Policy.
pub fn page(report: &DueDiligenceReportView) -> Page {
    let hash = STANDARD.encode(Sha256::digest(CSS.as_bytes()));
    let scope = report
        .mineral
        .map(|m| m.to_string())
        .unwrap_or_else(|| "all minerals".to_owned());
    let company = report
        .organisation
        .profile
        .legal_name
        .clone()
        .unwrap_or_else(|| report.organisation.name.clone());
    let title = format!(
        "Supply chain due diligence report {} — {company}",
        report.year
    );
    let markup = html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) }
                style { (PreEscaped(CSS)) }
            }
            body {
                header {
                    h1 { (title) }
                    p.meta {
                        "Reporting period " (report.from.to_string()) " to " (report.to.to_string())
                        "; scope: " (scope) "; generated " (report.generated_at.format("%Y-%m-%d %H:%M UTC").to_string())
                        " by Oretrace. Every figure below is what the Oretrace API answers for the same period."
                    }
                }
                (management(report))
                (mix_section(report))
                (smelters(&report.smelters))
                (red_flags(&report.red_flags))
                (declarations(report))
            }
        }
    };
    Page {
        html: markup.into_string(),
        content_security_policy: format!(
            "default-src 'none'; style-src 'sha256-{hash}'; frame-ancestors 'none'; \
             base-uri 'none'; form-action 'none'"
        ),
    }
}

fn management(report: &DueDiligenceReportView) -> Markup {
    let profile = &report.organisation.profile;
    let accepted = &report.policy.policy.accepted;
    let schemes = |list: &[crate::domain::policy::Requirement]| -> String {
        if list.is_empty() {
            return "none".to_owned();
        }
        list.iter()
            .map(|r| match &r.min_level {
                Some(level) => format!("{} (at least {level})", r.scheme),
                None => r.scheme.clone(),
            })
            .collect::<Vec<_>>()
            .join(", ")
    };
    let source = match report.policy.updated_at {
        Some(at) => format!("the organisation's own, last set {}", at.format("%Y-%m-%d")),
        None => "Oretrace's documented default (the organisation has not set its own)".to_owned(),
    };
    html! {
        section {
            h2 { "1. Company management system" }
            dl {
                dt { "Company" } dd { (or_dash(profile.legal_name.as_deref().or(Some(&report.organisation.name)))) }
                dt { "Identifier" } dd { (or_dash(profile.unique_id.as_deref())) " " (or_dash(profile.unique_id_authority.as_deref())) }
                dt { "Address" } dd { (or_dash(profile.address.as_deref())) }
                dt { "Policy maintained by" } dd { (or_dash(profile.contact_name.as_deref())) " " (or_dash(profile.contact_email.as_deref())) }
                dt { "Authorised by" } dd { (or_dash(profile.authorizer.as_deref())) ", " (or_dash(profile.authorizer_title.as_deref())) }
                dt { "Published policy" } dd { (or_dash(profile.policy_url.as_deref())) }
                dt { "Sourcing policy" } dd { (source) }
                dt { "Accepted for ASM mines" } dd { (schemes(&accepted.asm)) }
                dt { "Accepted for LSM mines" } dd { (schemes(&accepted.lsm)) }
                dt { "Accepted for smelters and refiners" } dd { (schemes(&accepted.smelter_refiner)) }
            }
        }
    }
}

fn figures_rows(label: &str, figures: &MixFigures) -> Markup {
    html! {
        @for c in &figures.classes {
            tr {
                td { (label) }
                td { (c.origin_class.to_string()) }
                td.n { (c.quantity) }
                td.n { (c.share.value) }
                td.n { (c.certified) }
                td.n { (c.certified_share.value) }
                td.n { (c.basis.traced_mg) }
                td.n { (c.basis.declared_mg) }
                td.n { (c.basis.unknown_mg) }
            }
        }
    }
}

fn mix_table(mix: &SourcingMix, label_of: impl Fn(usize) -> String) -> Markup {
    html! {
        table {
            thead {
                tr {
                    th { "Group" } th { "Origin class" } th { "Quantity (" (mix.unit.to_string()) ")" }
                    th { "Share" } th { "Certified (" (mix.unit.to_string()) ")" } th { "Certified share" }
                    th { "Traced (mg)" } th { "Declared (mg)" } th { "Unknown basis (mg)" }
                }
            }
            tbody {
                @if mix.groups.is_empty() {
                    (figures_rows("whole year", &mix.overall))
                }
                @for (i, g) in mix.groups.iter().enumerate() {
                    (figures_rows(&label_of(i), &g.figures))
                }
            }
        }
    }
}

fn group_label(mix: &SourcingMix, index: usize) -> String {
    mix.groups[index]
        .key
        .iter()
        .map(|k| k.value.clone().unwrap_or_else(|| "unknown".to_owned()))
        .collect::<Vec<_>>()
        .join(" / ")
}

fn mix_section(report: &DueDiligenceReportView) -> Markup {
    let mix = &report.mix;
    html! {
        section {
            h2 { "2. Sourcing mix and targets" }
            p {
                "Total purchased: " (mix.overall.total) " " (mix.unit.to_string())
                "; certified under the policy on the purchase date: " (mix.overall.certified) " "
                (mix.unit.to_string()) " (share " (mix.overall.certified_share.value) ")."
            }
            (mix_table(mix, |_| String::new()))
            h3 { "Targets" }
            @if mix.targets.is_empty() {
                p { "The policy sets no target." }
            } @else {
                table {
                    thead { tr { th { "Mineral" } th { "Measure" } th { "Target" } th { "Actual" } th { "Outcome" } } }
                    tbody {
                        @for t in &mix.targets {
                            tr {
                                td { (t.mineral.map(|m| m.to_string()).unwrap_or_else(|| "all".to_owned())) }
                                td { (t.metric.to_string()) }
                                td.n { (t.comparison.to_string().replace('_', " ")) " " (t.share) }
                                td.n { (t.actual.value) }
                                @if t.met { td { "met" } } @else { td.missed { "missed" } }
                            }
                        }
                    }
                }
            }
            h3 { "By month" }
            figure {
                (PreEscaped(charts::mix::by_month(&report.mix_by_month)))
            }
            (mix_table(&report.mix_by_month, |i| group_label(&report.mix_by_month, i)))
            h3 { "Countries of origin" }
            p {
                "Countries where traced or declared material originated; red flags of kind "
                "cahra_origin (section 4) name the origins in conflict-affected and high-risk areas."
            }
            (mix_table(&report.mix_by_country, |i| group_label(&report.mix_by_country, i)))
        }
    }
}

fn smelters(list: &[ReportSmelterView]) -> Markup {
    html! {
        section {
            h2 { "3. Smelters and refiners in the supply chain" }
            @if list.is_empty() {
                p { "No smelter or refiner was traced or declared for this period." }
            } @else {
                table {
                    thead {
                        tr {
                            th { "Name" } th { "RMI id" } th { "Country" } th { "Metals" } th { "Source" }
                            th { "Certificates: standing on 31 December" } th { "Changes during the year" } th { "Red flags" }
                        }
                    }
                    tbody {
                        @for s in list {
                            tr {
                                td { (s.name) }
                                td { (or_dash(s.cid.as_deref())) }
                                td { (s.country.map(|c| c.to_string()).unwrap_or_else(|| "—".to_owned())) }
                                td { (s.metals.iter().map(|m| m.to_string()).collect::<Vec<_>>().join(", ")) }
                                td {
                                    @if s.traced { "traced" }
                                    @if s.traced && s.declared_by > 0 { "; " }
                                    @if s.declared_by > 0 { "declared by " (s.declared_by) " supplier(s)" }
                                }
                                td {
                                    @if s.certifications.is_empty() { "none known" }
                                    @for c in &s.certifications {
                                        div { (c.scheme) @if let Some(l) = &c.level { " " (l) } ": " (c.status_at_end.to_string()) }
                                    }
                                }
                                td {
                                    @for c in &s.certifications {
                                        @for change in &c.changes {
                                            div { (c.scheme) " " (change.status.to_string()) " from " (change.on.to_string()) }
                                        }
                                    }
                                }
                                td {
                                    @for f in &s.flags { div.flag { (f.kind.to_string()) } }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn red_flags(list: &[RedFlagDetail]) -> Markup {
    html! {
        section {
            h2 { "4. Risks identified and the response (OECD step 3)" }
            @if list.is_empty() {
                p { "No red flag was raised by this period's purchases." }
            } @else {
                table {
                    thead {
                        tr {
                            th { "Purchased" } th { "Risk" } th { "Severity" } th { "Finding" }
                            th { "Outcome" } th { "Steps taken" }
                        }
                    }
                    tbody {
                        @for f in list {
                            tr {
                                td { (f.purchased_on.map(|d| d.to_string()).unwrap_or_default()) }
                                td { (f.kind.to_string()) }
                                td { (f.severity.to_string()) }
                                td { (f.message) }
                                td {
                                    (f.case.status.to_string())
                                    @if let Some(a) = &f.case.assignee { br; "assignee: " (a) }
                                    @if let Some(d) = f.case.due_date { br; "due " (d.to_string()) }
                                    @if let Some(r) = &f.case.cleared_reason { br; (r) }
                                }
                                td {
                                    @if let Some(plan) = &f.case.mitigation_plan { p { "Plan: " (plan) } }
                                    @if !f.entries.is_empty() {
                                        ol.steps {
                                            @for e in &f.entries {
                                                li { (e.at.format("%Y-%m-%d").to_string()) ": " (e.text) }
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn declarations(report: &DueDiligenceReportView) -> Markup {
    let d = &report.declarations;
    html! {
        section {
            h2 { "5. Suppliers' declarations and the data's coverage" }
            p {
                (d.suppliers_declared) " of " (d.suppliers_total) " suppliers of the period have a current "
                "CMRT or EMRT covering what was bought from them; declared share of the templated quantity: "
                (d.declared_share.map(|s| format!("{s:.6}")).unwrap_or_else(|| "—".to_owned())) "."
            }
            table {
                thead { tr { th { "Supplier" } th { "Quantity (mg)" } th { "Share" } th { "Declared" } th { "Undeclared minerals" } th { "Declarations" } } }
                tbody {
                    @for s in &d.suppliers {
                        tr {
                            td { (s.supplier_name) }
                            td.n { (s.quantity_mg) }
                            td.n { (format!("{:.6}", s.share)) }
                            td { @if s.declared { "yes" } @else { span.missed { "no" } } }
                            td { (s.undeclared_minerals.iter().map(|m| m.to_string()).collect::<Vec<_>>().join(", ")) }
                            td {
                                @for r in &s.declarations {
                                    div { (r.template.to_string()) " " (r.version) " (" (r.status.to_string()) ")" }
                                }
                            }
                        }
                    }
                }
            }
            p.meta {
                "What the mix rests on: traced through custody events, declared by suppliers, or unknown "
                "(the traced, declared and unknown columns of section 2)."
            }
        }
    }
}
