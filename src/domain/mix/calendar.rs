//! Reading a mix period in whole months where it can (issue 10, docs/PERFORMANCE.md): the
//! period's whole months come from the monthly rollup, its partial months at either edge from
//! the daily one. Certification is decided on the purchase date, so a facility's month is read
//! by day when one of its certificates may change standing within that month
//! ([`change_days`], [`steady_through`]); otherwise its standing on the month's first day is its
//! standing on every day of the month.

use std::collections::BTreeSet;

use chrono::{Datelike, Days, Months, NaiveDate};

use crate::domain::policy::CertificateFacts;

/// How a period is read: runs of days (inclusive) and a run of whole months (the first days of
/// the first and last months, inclusive).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PeriodPlan {
    /// At most two runs of days: before the first whole month and after the last.
    pub days: Vec<(NaiveDate, NaiveDate)>,
    /// The whole months, when the period holds at least one.
    pub months: Option<(NaiveDate, NaiveDate)>,
}

/// The first day of `day`'s month.
pub fn month_start(day: NaiveDate) -> NaiveDate {
    day.with_day(1).unwrap_or(day)
}

/// The last day of the month that starts on `month` (any day of the month will do).
pub fn month_end(month: NaiveDate) -> NaiveDate {
    month_start(month)
        .checked_add_months(Months::new(1))
        .and_then(|next| next.checked_sub_days(Days::new(1)))
        .unwrap_or(NaiveDate::MAX)
}

/// Splits `from..=to` into whole months and the days around them. Every day of the period is
/// in exactly one run; an empty period (`from > to`) has none.
pub fn plan(from: NaiveDate, to: NaiveDate) -> PeriodPlan {
    if from > to {
        return PeriodPlan::default();
    }
    let first_whole = if from.day() == 1 {
        Some(from)
    } else {
        month_start(from).checked_add_months(Months::new(1))
    };
    let last_whole = if month_end(to) == to {
        Some(month_start(to))
    } else {
        month_start(to).checked_sub_months(Months::new(1))
    };
    match (first_whole, last_whole) {
        (Some(first), Some(last)) if first <= last => {
            let mut days = Vec::new();
            if from < first {
                days.push((from, first.pred_opt().unwrap_or(first)));
            }
            let after = month_end(last);
            if after < to {
                days.push((after.succ_opt().unwrap_or(after), to));
            }
            PeriodPlan {
                days,
                months: Some((first, last)),
            }
        }
        _ => PeriodPlan {
            days: vec![(from, to)],
            months: None,
        },
    }
}

/// The days on which the standing of one of these certificates may differ from the day before:
/// each recorded state's effective day, the first day of its validity and the day after its
/// last (`domain::certification::standing_on` changes on no other day).
pub fn change_days(certificates: &[CertificateFacts]) -> BTreeSet<NaiveDate> {
    let mut days = BTreeSet::new();
    for snapshot in certificates.iter().flat_map(|c| &c.history) {
        days.insert(snapshot.effective_on);
        days.insert(snapshot.valid_from);
        if let Some(after) = snapshot.valid_until.and_then(|d| d.succ_opt()) {
            days.insert(after);
        }
    }
    days
}

/// `first..=last` cut at the months' edges: one run per calendar month it touches, in order
/// (none when `first > last`).
pub fn within_months(first: NaiveDate, last: NaiveDate) -> Vec<(NaiveDate, NaiveDate)> {
    let mut runs = Vec::new();
    let mut start = first;
    while start <= last {
        let end = month_end(start).min(last);
        runs.push((start, end));
        match end.succ_opt() {
            Some(next) => start = next,
            None => break,
        }
    }
    runs
}

/// Whether no change day falls after `first` and on or before `last`: the standing on `first`
/// is then the standing on every day up to `last`.
pub fn steady_through(changes: &BTreeSet<NaiveDate>, first: NaiveDate, last: NaiveDate) -> bool {
    first >= last
        || changes
            .range(first.succ_opt().unwrap_or(first)..=last)
            .next()
            .is_none()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::certification::standing_on;
    use crate::domain::policy::test_certificates::certificate;
    use proptest::prelude::*;

    fn day(text: &str) -> NaiveDate {
        text.parse().unwrap()
    }

    #[test]
    fn runs_are_cut_at_the_months_edges() {
        assert_eq!(
            within_months(day("2026-01-15"), day("2026-03-02")),
            [
                (day("2026-01-15"), day("2026-01-31")),
                (day("2026-02-01"), day("2026-02-28")),
                (day("2026-03-01"), day("2026-03-02")),
            ]
        );
        assert_eq!(
            within_months(day("2026-05-07"), day("2026-05-07")),
            [(day("2026-05-07"), day("2026-05-07"))]
        );
        assert_eq!(within_months(day("2026-05-08"), day("2026-05-07")), []);
    }

    #[test]
    fn a_year_is_twelve_whole_months() {
        let plan = plan(day("2026-01-01"), day("2026-12-31"));
        assert_eq!(plan.days, []);
        assert_eq!(plan.months, Some((day("2026-01-01"), day("2026-12-01"))));
    }

    #[test]
    fn partial_months_are_read_by_day() {
        let plan = plan(day("2026-01-15"), day("2026-04-10"));
        assert_eq!(
            plan.days,
            [
                (day("2026-01-15"), day("2026-01-31")),
                (day("2026-04-01"), day("2026-04-10"))
            ]
        );
        assert_eq!(plan.months, Some((day("2026-02-01"), day("2026-03-01"))));
        let inside = super::plan(day("2026-02-03"), day("2026-02-27"));
        assert_eq!(inside.days, [(day("2026-02-03"), day("2026-02-27"))]);
        assert_eq!(inside.months, None);
        assert_eq!(month_end(day("2024-02-10")), day("2024-02-29"));
    }

    #[test]
    fn a_change_inside_a_month_unsteadies_it() {
        let facts = certificate("c", "fairmined")
            .valid("2026-01-01", "2026-03-14")
            .facts();
        let changes = change_days(std::slice::from_ref(&facts));
        assert!(steady_through(
            &changes,
            day("2026-01-01"),
            day("2026-01-31")
        ));
        assert!(!steady_through(
            &changes,
            day("2026-03-01"),
            day("2026-03-31")
        ));
        assert!(steady_through(
            &changes,
            day("2026-04-01"),
            day("2026-04-30")
        ));
    }

    fn any_day() -> impl Strategy<Value = NaiveDate> {
        (0u32..1200).prop_map(|n| day("2025-01-01") + Days::new(u64::from(n)))
    }

    proptest! {
        /// Every day of the period is read exactly once, whole months only where whole.
        #[test]
        fn a_plan_covers_the_period_exactly(a in any_day(), b in any_day()) {
            let (from, to) = if a <= b { (a, b) } else { (b, a) };
            let plan = plan(from, to);
            let mut covered: Vec<NaiveDate> = Vec::new();
            for (first, last) in &plan.days {
                prop_assert!(first <= last);
                covered.extend(first.iter_days().take_while(|d| d <= last));
            }
            if let Some((first, last)) = plan.months {
                prop_assert_eq!(first.day(), 1);
                prop_assert_eq!(last.day(), 1);
                let end = month_end(last);
                covered.extend(first.iter_days().take_while(|d| *d <= end));
            }
            covered.sort();
            let expected: Vec<NaiveDate> = from.iter_days().take_while(|d| *d <= to).collect();
            prop_assert_eq!(covered, expected);
        }

        /// Where no change day falls, a certificate's standing stays what it was on the first
        /// day.
        #[test]
        fn steady_means_the_standing_does_not_move(
            from in 0u32..400, until in 0u32..400, suspended in proptest::option::of(0u32..400),
            first in any_day(), length in 0u64..40,
        ) {
            let start = day("2025-06-01");
            let at = |n: u32| (start + Days::new(u64::from(n))).to_string();
            let mut builder = certificate("c", "fairmined").valid(&at(from), &at(from + until));
            if let Some(s) = suspended {
                builder = builder.suspended_on(&at(s));
            }
            let facts = builder.facts();
            let changes = change_days(std::slice::from_ref(&facts));
            let last = first + Days::new(length);
            if steady_through(&changes, first, last) {
                let standing = standing_on(&facts.history, first);
                for d in first.iter_days().take_while(|d| *d <= last) {
                    prop_assert_eq!(&standing_on(&facts.history, d), &standing);
                }
            }
        }
    }
}
