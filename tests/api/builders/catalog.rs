//! Facilities, parties and certificates of the shared catalog.

use serde_json::{Value, json};

use super::{json_body, push};

/// A facility: of gold, in Peru, unless set.
#[derive(Clone, Debug)]
pub struct Facility(Value);

json_body!(Facility);

impl Facility {
    /// A facility of `kind` (`mine`, `smelter`, `refiner`, `warehouse`…).
    pub fn new(name: &str, kind: &str) -> Facility {
        Facility(json!({"name": name, "kind": kind, "minerals": ["gold"], "country": "PE"}))
    }

    /// A mine of `scale` (`asm` or `lsm`).
    pub fn mine(name: &str, scale: &str) -> Facility {
        Facility::new(name, "mine").with("mining_scale", scale)
    }

    /// A smelter.
    pub fn smelter(name: &str) -> Facility {
        Facility::new(name, "smelter")
    }

    /// A refiner.
    pub fn refiner(name: &str) -> Facility {
        Facility::new(name, "refiner")
    }

    /// The minerals, in the order given.
    pub fn minerals(mut self, minerals: &[&str]) -> Facility {
        self.0["minerals"] = json!(minerals);
        self
    }

    /// The country.
    pub fn country(mut self, country: &str) -> Facility {
        self.0["country"] = json!(country);
        self
    }

    /// The location.
    pub fn location(mut self, lat: f64, lon: f64) -> Facility {
        self.0["location"] = json!({"lat": lat, "lon": lon});
        self
    }

    /// One more identifier.
    pub fn identifier(mut self, scheme: &str, value: &str) -> Facility {
        push(
            &mut self.0,
            "identifiers",
            json!({"scheme": scheme, "value": value}),
        );
        self
    }

    /// The operating status (`operating`, `closed`…).
    pub fn status(mut self, status: &str) -> Facility {
        self.0["status"] = json!(status);
        self
    }
}

/// A party of the catalog.
#[derive(Clone, Debug)]
pub struct Party(Value);

json_body!(Party);

impl Party {
    /// A party with `roles`, of no country.
    pub fn new(name: &str, roles: &[&str]) -> Party {
        Party(json!({"name": name, "roles": roles}))
    }

    /// A supplier and trader in Switzerland.
    pub fn supplier(name: &str) -> Party {
        Party::new(name, &["supplier", "trader"]).country("CH")
    }

    /// The country.
    pub fn country(mut self, country: &str) -> Party {
        self.0["country"] = json!(country);
        self
    }

    /// One more identifier.
    pub fn identifier(mut self, scheme: &str, value: &str) -> Party {
        push(
            &mut self.0,
            "identifiers",
            json!({"scheme": scheme, "value": value}),
        );
        self
    }
}

/// A certificate: active, for gold, valid from 2025-01-01 without an end, unless set.
#[derive(Clone, Debug)]
pub struct Certification(Value);

json_body!(Certification);

impl Certification {
    /// A certificate of `scheme` held by a facility.
    pub fn of_facility(facility_id: &str, scheme: &str) -> Certification {
        Certification::of(json!({"type": "facility", "id": facility_id}), scheme)
    }

    /// A certificate of `scheme` held by a party.
    pub fn of_party(party_id: &str, scheme: &str) -> Certification {
        Certification::of(json!({"type": "party", "id": party_id}), scheme)
    }

    /// A certificate of `scheme` held by the facility known by `identifier` (`scheme:value`).
    pub fn of_facility_by_identifier(identifier: &str, scheme: &str) -> Certification {
        Certification::of(
            json!({"type": "facility", "identifier": identifier}),
            scheme,
        )
    }

    fn of(subject: Value, scheme: &str) -> Certification {
        Certification(
            json!({"subject": subject, "scheme": scheme, "status": "active",
                             "valid_from": "2025-01-01", "minerals": ["gold"]}),
        )
    }

    /// The level within the scheme.
    pub fn level(mut self, level: &str) -> Certification {
        self.0["level"] = json!(level);
        self
    }

    /// The status (`active`, `in_assessment`…).
    pub fn status(mut self, status: &str) -> Certification {
        self.0["status"] = json!(status);
        self
    }

    /// Valid from `from` through `until`.
    pub fn valid(mut self, from: &str, until: &str) -> Certification {
        self.0["valid_from"] = json!(from);
        self.0["valid_until"] = json!(until);
        self
    }

    /// Valid from `from`, without an end.
    pub fn valid_from(mut self, from: &str) -> Certification {
        self.0["valid_from"] = json!(from);
        self
    }

    /// The certificate number.
    pub fn number(mut self, number: &str) -> Certification {
        self.0["certificate_number"] = json!(number);
        self
    }

    /// The minerals covered.
    pub fn minerals(mut self, minerals: &[&str]) -> Certification {
        self.0["minerals"] = json!(minerals);
        self
    }
}
