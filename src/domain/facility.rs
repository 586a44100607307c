//! Pure rules about facilities: what a scheme can certify, locations and bounding boxes.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::country::CountryCode;
use super::vocabulary::{FacilityKind, MiningScale, SchemeSubject};

/// The scheme subject a facility is: an ASM mine, an LSM mine or a smelter/refiner. Other kinds
/// (concentrators, recyclers, warehouses, manufacturers) are certified through their operator
/// (a party, subject `company`).
pub fn scheme_subject(kind: FacilityKind, scale: Option<MiningScale>) -> Option<SchemeSubject> {
    match (kind, scale) {
        (FacilityKind::Mine, Some(MiningScale::Asm)) => Some(SchemeSubject::AsmMine),
        (FacilityKind::Mine, Some(MiningScale::Lsm)) => Some(SchemeSubject::LsmMine),
        (FacilityKind::Smelter | FacilityKind::Refiner, _) => Some(SchemeSubject::SmelterRefiner),
        _ => None,
    }
}

/// A point in WGS 84 decimal degrees.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Location {
    /// Latitude in decimal degrees, -90 to 90 (WGS 84).
    #[schema(minimum = -90, maximum = 90, example = -12.4603)]
    pub lat: f64,
    /// Longitude in decimal degrees, -180 to 180 (WGS 84).
    #[schema(minimum = -180, maximum = 180, example = -69.3542)]
    pub lon: f64,
}

impl Location {
    /// Which coordinates are out of range, as `(member, reason)`.
    pub fn problems(&self) -> Vec<(&'static str, String)> {
        let mut problems = Vec::new();
        if !(self.lat.is_finite() && (-90.0..=90.0).contains(&self.lat)) {
            problems.push(("lat", "must be between -90 and 90".to_owned()));
        }
        if !(self.lon.is_finite() && (-180.0..=180.0).contains(&self.lon)) {
            problems.push(("lon", "must be between -180 and 180".to_owned()));
        }
        problems
    }
}

/// A bounding box `min_lon,min_lat,max_lon,max_lat` (as in GeoJSON and OGC APIs). A box whose
/// `min_lon` is greater than its `max_lon` crosses the antimeridian.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BoundingBox {
    pub min_lon: f64,
    pub min_lat: f64,
    pub max_lon: f64,
    pub max_lat: f64,
}

impl BoundingBox {
    pub fn parse(text: &str) -> Result<BoundingBox, String> {
        let parts: Vec<&str> = text.split(',').map(str::trim).collect();
        let numbers: Vec<f64> = parts
            .iter()
            .map(|p| p.parse::<f64>().ok().filter(|n| n.is_finite()))
            .collect::<Option<Vec<f64>>>()
            .filter(|n| n.len() == 4)
            .ok_or("must be four numbers: min_lon,min_lat,max_lon,max_lat")?;
        let b = BoundingBox {
            min_lon: numbers[0],
            min_lat: numbers[1],
            max_lon: numbers[2],
            max_lat: numbers[3],
        };
        let lon_ok = |v: f64| (-180.0..=180.0).contains(&v);
        let lat_ok = |v: f64| (-90.0..=90.0).contains(&v);
        if !(lon_ok(b.min_lon) && lon_ok(b.max_lon)) {
            return Err("longitudes must be between -180 and 180".into());
        }
        if !(lat_ok(b.min_lat) && lat_ok(b.max_lat)) {
            return Err("latitudes must be between -90 and 90".into());
        }
        if b.min_lat > b.max_lat {
            return Err("min_lat must not be greater than max_lat".into());
        }
        Ok(b)
    }

    /// Whether the box crosses the antimeridian (its longitudes wrap around).
    pub fn wraps(&self) -> bool {
        self.min_lon > self.max_lon
    }

    pub fn contains(&self, at: Location) -> bool {
        let lat = (self.min_lat..=self.max_lat).contains(&at.lat);
        let lon = if self.wraps() {
            at.lon >= self.min_lon || at.lon <= self.max_lon
        } else {
            (self.min_lon..=self.max_lon).contains(&at.lon)
        };
        lat && lon
    }
}

/// A subdivision: an ISO 3166-2 code (such as `CD-SK`), whose prefix must be the facility's
/// country, or a region name (1 to 100 characters).
pub fn subdivision(country: Option<CountryCode>, value: &str) -> Result<String, String> {
    let value = super::text::short_text(value, 100)?;
    let bytes = value.as_bytes();
    let looks_like_code = bytes.len() >= 4
        && bytes.len() <= 6
        && bytes[2] == b'-'
        && bytes[..2].iter().all(u8::is_ascii_uppercase)
        && bytes[3..]
            .iter()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit());
    if looks_like_code
        && let Some(country) = country
        && &value[..2] != country.as_str()
    {
        return Err(format!(
            "the ISO 3166-2 code {value} is not a subdivision of {country}"
        ));
    }
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn which_scheme_subject_a_facility_is() {
        use FacilityKind::*;
        assert_eq!(
            scheme_subject(Mine, Some(MiningScale::Asm)),
            Some(SchemeSubject::AsmMine)
        );
        assert_eq!(
            scheme_subject(Mine, Some(MiningScale::Lsm)),
            Some(SchemeSubject::LsmMine)
        );
        assert_eq!(
            scheme_subject(Smelter, None),
            Some(SchemeSubject::SmelterRefiner)
        );
        assert_eq!(
            scheme_subject(Refiner, None),
            Some(SchemeSubject::SmelterRefiner)
        );
        assert_eq!(scheme_subject(Warehouse, None), None);
        assert_eq!(scheme_subject(Mine, None), None);
    }

    #[test]
    fn locations_are_range_checked() {
        assert!(
            Location {
                lat: 90.0,
                lon: -180.0
            }
            .problems()
            .is_empty()
        );
        let bad = Location {
            lat: 90.5,
            lon: f64::NAN,
        };
        let members: Vec<&str> = bad.problems().iter().map(|p| p.0).collect();
        assert_eq!(members, vec!["lat", "lon"]);
    }

    #[test]
    fn bounding_boxes_parse_and_wrap() {
        let b = BoundingBox::parse("-80,-20,-60,0").unwrap();
        assert!(b.contains(Location {
            lat: -12.0,
            lon: -70.0
        }));
        assert!(!b.contains(Location {
            lat: 5.0,
            lon: -70.0
        }));
        let pacific = BoundingBox::parse("170,-50,-170,0").unwrap();
        assert!(pacific.wraps());
        assert!(pacific.contains(Location {
            lat: -10.0,
            lon: 179.0
        }));
        assert!(pacific.contains(Location {
            lat: -10.0,
            lon: -175.0
        }));
        assert!(!pacific.contains(Location {
            lat: -10.0,
            lon: 0.0
        }));
        for bad in [
            "1,2,3",
            "a,b,c,d",
            "-200,0,0,0",
            "0,-91,1,1",
            "0,10,1,5",
            "0,0,1,1,1",
        ] {
            assert!(BoundingBox::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn subdivision_codes_belong_to_the_country() {
        let cd: CountryCode = "CD".parse().unwrap();
        assert_eq!(subdivision(Some(cd), "CD-SK").unwrap(), "CD-SK");
        assert!(subdivision(Some(cd), "PE-MD").is_err());
        assert_eq!(subdivision(Some(cd), "South Kivu").unwrap(), "South Kivu");
        assert!(subdivision(Some(cd), "").is_err());
    }
}

/// Whatever text arrives, a bounding box or a subdivision parses or is refused, never a panic.
#[cfg(test)]
mod properties {
    use proptest::prelude::*;

    use super::{BoundingBox, subdivision};
    use crate::domain::test_strategies::tricky_text;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn query_values_never_panic(value in tricky_text()) {
            let _ = BoundingBox::parse(&value);
            let _ = subdivision(None, &value);
            let _ = subdivision("PE".parse().ok(), &value);
        }
    }
}
