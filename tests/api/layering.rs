//! The floor plan, enforced: `api` → `app` → `store` / `domain` (docs/ARCHITECTURE.md).
//!
//! Reads every source file under `src/` (comments left out) and fails, naming the file and
//! line, when:
//!
//! - a file in `domain`, `store` or `app` uses actix-web;
//! - anything outside `api` names the routes (`routes::`);
//! - `domain` uses anything of the crate outside itself (its macros excepted) or diesel;
//! - `store` uses `app` or `api`, or `app` uses `api`;
//! - `auth`, `db` or `config` use `app` or `api` (they sit below the use cases).

use std::path::{Path, PathBuf};

fn sources(dir: &Path, found: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("read src") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            sources(&path, found);
        } else if path.extension().is_some_and(|e| e == "rs") {
            found.push(path);
        }
    }
}

/// The code lines of a file: line comments and doc comments removed.
fn code_lines(path: &Path) -> Vec<(usize, String)> {
    let text = std::fs::read_to_string(path).expect("read source");
    text.lines()
        .enumerate()
        .filter_map(|(i, line)| {
            let code = match line.find("//") {
                Some(at) if !line[..at].contains('"') => &line[..at],
                _ => line,
            };
            let code = code.trim();
            (!code.is_empty()).then(|| (i + 1, code.to_owned()))
        })
        .collect()
}

struct Rule {
    /// Files under these folders of `src/`.
    applies_to: &'static [&'static str],
    /// What they must not contain.
    forbidden: &'static [&'static str],
    /// Unless the line also contains one of these.
    except: &'static [&'static str],
    why: &'static str,
}

const RULES: &[Rule] = &[
    Rule {
        applies_to: &["domain/", "store/", "app/"],
        forbidden: &["actix"],
        except: &[],
        why: "domain, store and app know nothing of HTTP",
    },
    Rule {
        applies_to: &[""],
        forbidden: &["routes::"],
        except: &[],
        why: "only the api layer names the routes; call app:: instead",
    },
    Rule {
        applies_to: &["domain/"],
        forbidden: &["crate::", "diesel"],
        except: &["crate::domain", "crate::text_enum!", "crate::typed_id!"],
        why: "the domain is pure: it imports nothing of the crate outside itself, and no diesel",
    },
    Rule {
        applies_to: &["store/"],
        forbidden: &["crate::app", "crate::api"],
        except: &[],
        why: "the store is below the use cases and the HTTP edge",
    },
    Rule {
        applies_to: &["app/"],
        forbidden: &["crate::api"],
        except: &[],
        why: "use cases know nothing of the HTTP edge",
    },
    Rule {
        applies_to: &["auth/", "db/", "config/"],
        forbidden: &["crate::app", "crate::api"],
        except: &[],
        why: "infrastructure sits below the use cases and the HTTP edge",
    },
];

#[test]
fn every_layer_imports_only_what_lies_below_it() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    sources(&root, &mut files);
    files.sort();
    let mut violations = Vec::new();
    for file in &files {
        let relative = file
            .strip_prefix(&root)
            .expect("under src")
            .to_string_lossy()
            .replace('\\', "/");
        let lines = code_lines(file);
        for rule in RULES {
            let applies = rule.applies_to.iter().any(|p| relative.starts_with(p))
                && !(rule.forbidden.contains(&"routes::") && relative.starts_with("api/"));
            if !applies {
                continue;
            }
            for (number, line) in &lines {
                let mut rest = line.clone();
                for allowed in rule.except {
                    rest = rest.replace(allowed, "");
                }
                let hit = rule.forbidden.iter().any(|f| rest.contains(f));
                if hit {
                    violations.push(format!("src/{relative}:{number}: {line}  ({})", rule.why));
                }
            }
        }
    }
    assert!(
        violations.is_empty(),
        "{} import(s) against the floor plan:\n{}",
        violations.len(),
        violations.join("\n")
    );
}

#[test]
fn the_rules_catch_what_they_should() {
    // A guard against a rule that can never fail: each forbidden word is found in a line.
    let line = "use actix_web::HttpResponse; crate::api::routes::purchases";
    assert!(RULES[0].forbidden.iter().any(|f| line.contains(f)));
    assert!(RULES[1].forbidden.iter().any(|f| line.contains(f)));
    assert!(RULES[4].forbidden.iter().any(|f| line.contains(f)));
}
