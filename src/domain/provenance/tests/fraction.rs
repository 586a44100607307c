//! Exact non-negative fractions reduced at every step: the slow, obvious arithmetic the tests
//! check the attribution against.

use std::cmp::Ordering;

use num_bigint::BigUint;
use num_integer::Integer;
use num_traits::{One, Zero};

/// A fraction `numerator / denominator` with `denominator > 0`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fraction {
    numerator: BigUint,
    denominator: BigUint,
}

impl Fraction {
    /// 0.
    pub fn zero() -> Fraction {
        Fraction {
            numerator: BigUint::zero(),
            denominator: BigUint::one(),
        }
    }

    /// 1.
    pub fn one() -> Fraction {
        Fraction {
            numerator: BigUint::one(),
            denominator: BigUint::one(),
        }
    }

    /// `numerator / denominator`, reduced; `None` when the denominator is 0.
    pub fn new(numerator: u128, denominator: u128) -> Option<Fraction> {
        if denominator == 0 {
            return None;
        }
        let mut f = Fraction {
            numerator: BigUint::from(numerator),
            denominator: BigUint::from(denominator),
        };
        f.reduce();
        Some(f)
    }

    /// Whether this is 0.
    pub fn is_zero(&self) -> bool {
        self.numerator.is_zero()
    }

    /// Brings the fraction to lowest terms.
    pub fn reduce(&mut self) {
        let g = self.numerator.gcd(&self.denominator);
        if self.numerator.is_zero() {
            self.denominator = BigUint::one();
        } else if !g.is_one() {
            self.numerator /= &g;
            self.denominator /= &g;
        }
    }

    /// Adds `other`, over the least common denominator (not necessarily in lowest terms after).
    pub fn add_assign(&mut self, other: &Fraction) {
        if other.numerator.is_zero() {
            return;
        }
        if self.numerator.is_zero() {
            *self = other.clone();
            return;
        }
        if self.denominator == other.denominator {
            self.numerator += &other.numerator;
            return;
        }
        let g = self.denominator.gcd(&other.denominator);
        let mine = &other.denominator / &g;
        let theirs = &self.denominator / &g;
        self.numerator = &self.numerator * &mine + &other.numerator * theirs;
        self.denominator *= mine;
    }

    /// `self × part / whole` (not necessarily in lowest terms); `whole > 0`.
    pub fn times_ratio(&self, part: u128, whole: u128) -> Fraction {
        let part = BigUint::from(part);
        let whole = BigUint::from(whole);
        // Cancel what is cheap to cancel to keep the numbers small.
        let g = part.gcd(&whole);
        Fraction {
            numerator: &self.numerator * (part / &g),
            denominator: &self.denominator * (whole / g),
        }
    }

    /// `floor(self × total)` and the remainder as a fraction of the denominator:
    /// `self × total = quotient + remainder / denominator`.
    pub fn times_floor(&self, total: u128) -> (BigUint, BigUint) {
        (&self.numerator * BigUint::from(total)).div_rem(&self.denominator)
    }

    /// Compares `a / da` with `b / db` exactly.
    pub fn compare(a: &BigUint, da: &BigUint, b: &BigUint, db: &BigUint) -> Ordering {
        (a * db).cmp(&(b * da))
    }

    /// Compares with `part / whole` exactly.
    pub fn cmp_ratio(&self, part: u128, whole: u128) -> Ordering {
        Fraction::compare(
            &self.numerator,
            &self.denominator,
            &BigUint::from(part),
            &BigUint::from(whole),
        )
    }

    /// Reads `numerator` and `denominator` decimal strings.
    pub fn parse(numerator: &str, denominator: &str) -> Fraction {
        let mut f = Fraction {
            numerator: numerator.parse().unwrap(),
            denominator: denominator.parse().unwrap(),
        };
        f.reduce();
        f
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arithmetic_is_exact() {
        let mut a = Fraction::new(1, 3).unwrap();
        a.add_assign(&Fraction::new(1, 6).unwrap());
        a.reduce();
        assert_eq!(a, Fraction::new(1, 2).unwrap());
        let b = Fraction::one().times_ratio(600, 1000);
        let mut b2 = b.clone();
        b2.reduce();
        assert_eq!(b2, Fraction::new(3, 5).unwrap());
        assert_eq!(b.times_floor(7), (BigUint::from(4u8), BigUint::from(1u8)));
        assert!(Fraction::new(1, 0).is_none());
        let mut z = Fraction::zero();
        z.add_assign(&Fraction::new(2, 4).unwrap());
        assert_eq!(z.cmp_ratio(1, 2), Ordering::Equal);
        assert_eq!(Fraction::new(1, 3).unwrap().cmp_ratio(1, 2), Ordering::Less);
        assert_eq!(Fraction::parse("2", "8"), Fraction::new(1, 4).unwrap());
    }
}
