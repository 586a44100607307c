//! Whether a policy can be in force: its schemes exist and certify the classes they are listed
//! for, its levels are levels of their scheme, its targets are valid shares listed once.

use std::collections::BTreeMap;

use super::{Comparison, PolicyClass, SchemeInfo, SourcingPolicy, TargetMetric};
use crate::domain::vocabulary::Mineral;

impl SourcingPolicy {
    /// Every problem with the policy as `(JSON pointer, detail)`, in document order; empty when
    /// the policy is valid. `schemes` is the catalog's list of schemes.
    ///
    /// Refused: an unknown scheme; a minimum level the scheme does not have (or any level for a
    /// scheme without levels); a scheme that does not certify the class it is listed under; a
    /// scheme listed twice for one class; a target share outside 0..=1 or with more than 6
    /// decimals; two targets with the same mineral, metric and comparison.
    pub fn validate(&self, schemes: &[SchemeInfo]) -> Vec<(String, String)> {
        let mut errors = Vec::new();
        let by_id: BTreeMap<&str, &SchemeInfo> =
            schemes.iter().map(|s| (s.id.as_str(), s)).collect();
        for class in PolicyClass::ALL {
            let mut seen: BTreeMap<&str, usize> = BTreeMap::new();
            for (index, requirement) in self.requirements(class).iter().enumerate() {
                let at = format!("/accepted/{}/{index}", class.as_str());
                if let Some(first) = seen.get(requirement.scheme.as_str()) {
                    errors.push((
                        format!("{at}/scheme"),
                        format!(
                            "lists {} again (already /accepted/{}/{first}); give one minimum level per scheme",
                            requirement.scheme,
                            class.as_str()
                        ),
                    ));
                    continue;
                }
                seen.insert(requirement.scheme.as_str(), index);
                let Some(scheme) = by_id.get(requirement.scheme.as_str()) else {
                    errors.push((
                        format!("{at}/scheme"),
                        format!(
                            "{} is not a known scheme (GET /v1/schemes lists them)",
                            requirement.scheme
                        ),
                    ));
                    continue;
                };
                if !scheme.subjects.contains(&class.subject()) {
                    errors.push((
                        format!("{at}/scheme"),
                        format!(
                            "{} does not certify {} (it certifies {})",
                            scheme.id,
                            class.describe(),
                            list(scheme.subjects.iter().map(|s| s.as_str()))
                        ),
                    ));
                }
                if let Some(level) = &requirement.min_level {
                    if scheme.levels.is_empty() {
                        errors.push((
                            format!("{at}/min_level"),
                            format!("{} has no levels; leave min_level out", scheme.id),
                        ));
                    } else if !scheme.levels.contains(level) {
                        errors.push((
                            format!("{at}/min_level"),
                            format!(
                                "{level} is not a level of {} (levels, lowest first: {})",
                                scheme.id,
                                list(scheme.levels.iter().map(String::as_str))
                            ),
                        ));
                    }
                }
            }
        }
        let mut seen_targets: BTreeMap<(Option<Mineral>, TargetMetric, Comparison), usize> =
            BTreeMap::new();
        for (index, target) in self.targets.iter().enumerate() {
            if let Err(detail) = target.share_units() {
                errors.push((format!("/targets/{index}/share"), detail));
            }
            let key = (target.mineral, target.metric, target.comparison);
            if let Some(first) = seen_targets.get(&key) {
                errors.push((
                    format!("/targets/{index}"),
                    format!("repeats /targets/{first} (same mineral, metric and comparison)"),
                ));
            } else {
                seen_targets.insert(key, index);
            }
        }
        errors
    }
}

fn list<'a>(items: impl Iterator<Item = &'a str>) -> String {
    let items: Vec<&str> = items.collect();
    if items.is_empty() {
        "nothing".to_owned()
    } else {
        items.join(", ")
    }
}
