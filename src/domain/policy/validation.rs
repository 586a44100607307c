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

#[cfg(test)]
mod tests {
    use super::super::{Requirement, Target};
    use super::*;
    use crate::domain::policy::test_certificates::seeded_schemes;

    #[test]
    fn the_default_policy_is_valid_against_the_seeded_schemes() {
        let policy = SourcingPolicy::default();
        assert_eq!(policy.validate(&seeded_schemes()), vec![]);
        assert_eq!(policy.targets[0].share_units(), Ok(50_000));
        assert_eq!(policy.targets[1].share_units(), Ok(100_000));
    }

    fn requirement(scheme: &str) -> Requirement {
        Requirement {
            scheme: scheme.into(),
            min_level: None,
        }
    }

    fn target(
        mineral: Option<Mineral>,
        metric: TargetMetric,
        comparison: Comparison,
        share: f64,
    ) -> Target {
        Target {
            mineral,
            metric,
            comparison,
            share,
        }
    }

    #[test]
    fn validation_names_each_bad_field() {
        let mut policy = SourcingPolicy::default();
        let accepted = &mut policy.accepted;
        accepted.asm.push(requirement("unobtainium"));
        accepted.asm.push(requirement("craft"));
        accepted.lsm[0].min_level = Some("irma_1000".into());
        accepted.lsm.push(requirement("fairmined"));
        accepted.smelter_refiner[1].min_level = Some("gold".into());
        policy.targets.extend([
            target(None, TargetMetric::Asm, Comparison::AtLeast, 1.5),
            target(None, TargetMetric::Lsm, Comparison::AtLeast, 0.1234567),
            target(None, TargetMetric::Unknown, Comparison::AtMost, 0.2),
            target(None, TargetMetric::Recycled, Comparison::AtMost, f64::NAN),
            target(None, TargetMetric::Certified, Comparison::AtMost, -0.1),
        ]);
        let details = policy.validate(&seeded_schemes());
        let pointers: Vec<&str> = details.iter().map(|(p, _)| p.as_str()).collect();
        assert_eq!(
            pointers,
            vec![
                "/accepted/asm/3/scheme",
                "/accepted/asm/4/scheme",
                "/accepted/lsm/0/min_level",
                "/accepted/lsm/3/scheme",
                "/accepted/smelter_refiner/1/min_level",
                "/targets/2/share",
                "/targets/3/share",
                "/targets/4",
                "/targets/5/share",
                "/targets/6/share",
            ]
        );
        for (index, words) in [
            (3, "does not certify LSM mines"),
            (6, "at most 6 decimals"),
            (4, "has no levels"),
        ] {
            assert!(details[index].1.contains(words), "{}", details[index].1);
        }
    }

    #[test]
    fn an_at_least_and_an_at_most_target_may_bound_the_same_metric() {
        let mut policy = SourcingPolicy::default();
        policy.targets.extend([
            target(None, TargetMetric::Unknown, Comparison::AtLeast, 0.0),
            target(
                Some(Mineral::Tin),
                TargetMetric::Unknown,
                Comparison::AtMost,
                1.0,
            ),
        ]);
        assert_eq!(policy.validate(&seeded_schemes()), vec![]);
    }
}
