//! The stable identifiers of the API's vocabulary (PRODUCT.md), as text-backed enums: they are
//! stored as their text, and an unknown value is refused at the edge.

/// Defines a text-backed enum with `as_str`, `parse`, `ALL`, `Display`, `FromStr`, serde and an
/// OpenAPI schema.
#[macro_export]
macro_rules! text_enum {
    (
        $(#[$meta:meta])*
        pub enum $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident = $text:literal ),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(
            Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord,
            serde::Serialize, serde::Deserialize, utoipa::ToSchema,
        )]
        // utoipa does not see the per-variant `rename` below through the macro's `$text`
        // fragments; every text is the snake_case of its variant (a test checks it), so this
        // gives the OpenAPI document the same names serde uses.
        #[serde(rename_all = "snake_case")]
        pub enum $name {
            $( $(#[$vmeta])* #[serde(rename = $text)] $variant ),+
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text),+
                }
            }

            pub fn parse(s: &str) -> Option<$name> {
                match s {
                    $($text => Some($name::$variant),)+
                    _ => None,
                }
            }

            /// The accepted values, for error messages: `a, b or c`.
            pub fn expected() -> String {
                let names: Vec<&str> = $name::ALL.iter().map(|v| v.as_str()).collect();
                match names.split_last() {
                    Some((last, [])) => (*last).to_owned(),
                    Some((last, rest)) => format!("{} or {}", rest.join(", "), last),
                    None => String::new(),
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl std::str::FromStr for $name {
            type Err = String;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                $name::parse(s).ok_or_else(|| format!("must be one of {}", $name::expected()))
            }
        }
    };
}

text_enum! {
    /// A mineral or metal.
    pub enum Mineral {
        Gold = "gold",
        Silver = "silver",
        Platinum = "platinum",
        Palladium = "palladium",
        Tin = "tin",
        Tantalum = "tantalum",
        Tungsten = "tungsten",
        Cobalt = "cobalt",
        Copper = "copper",
        Lithium = "lithium",
        Nickel = "nickel",
        Graphite = "graphite",
        Manganese = "manganese",
        Mica = "mica",
        Zinc = "zinc",
        Aluminium = "aluminium",
        RareEarthElements = "rare_earth_elements",
    }
}

text_enum! {
    /// What a facility does.
    pub enum FacilityKind {
        Mine = "mine",
        Concentrator = "concentrator",
        Smelter = "smelter",
        Refiner = "refiner",
        Recycler = "recycler",
        Warehouse = "warehouse",
        Manufacturer = "manufacturer",
    }
}

text_enum! {
    /// The scale of a mine: artisanal and small-scale, or large-scale.
    pub enum MiningScale {
        /// Artisanal and small-scale mining.
        Asm = "asm",
        /// Large-scale (industrial) mining.
        Lsm = "lsm",
    }
}

text_enum! {
    /// Where material comes from, for the sourcing mix.
    pub enum OriginClass {
        Asm = "asm",
        Lsm = "lsm",
        Recycled = "recycled",
        Unknown = "unknown",
    }
}

impl From<MiningScale> for OriginClass {
    fn from(scale: MiningScale) -> OriginClass {
        match scale {
            MiningScale::Asm => OriginClass::Asm,
            MiningScale::Lsm => OriginClass::Lsm,
        }
    }
}

text_enum! {
    /// The recorded status of a certificate.
    pub enum CertificationStatus {
        /// The assessment is under way; not yet certified.
        InAssessment = "in_assessment",
        Active = "active",
        /// Temporarily not valid (for example after a failed audit).
        Suspended = "suspended",
        Expired = "expired",
        /// Permanently ended.
        Withdrawn = "withdrawn",
    }
}

text_enum! {
    /// What a scheme can certify.
    pub enum SchemeSubject {
        AsmMine = "asm_mine",
        LsmMine = "lsm_mine",
        SmelterRefiner = "smelter_refiner",
        Company = "company",
    }
}

text_enum! {
    /// What a certificate is of: a facility (mine, smelter, refiner) or a party (company).
    pub enum SubjectType {
        Facility = "facility",
        Party = "party",
    }
}

text_enum! {
    /// The roles a party plays in supply chains.
    pub enum PartyRole {
        MineOperator = "mine_operator",
        AsmOrganisation = "asm_organisation",
        Processor = "processor",
        SmelterRefiner = "smelter_refiner",
        Trader = "trader",
        Manufacturer = "manufacturer",
        Supplier = "supplier",
    }
}

text_enum! {
    /// Whether a facility operates.
    pub enum FacilityStatus {
        Operating = "operating",
        Closed = "closed",
    }
}

text_enum! {
    /// The state of a coexistence agreement between an LSM mine and artisanal miners.
    pub enum CoexistenceStatus {
        None = "none",
        Negotiating = "negotiating",
        Signed = "signed",
        Suspended = "suspended",
        Terminated = "terminated",
    }
}

text_enum! {
    /// Identifier schemes for facilities.
    pub enum FacilityIdentifierScheme {
        /// RMI smelter/refiner id: `CID` and six digits.
        RmiCid = "rmi_cid",
        /// IRMA site id.
        IrmaSite = "irma_site",
        /// Open Supply Hub id.
        OsId = "os_id",
        /// Mining title or concession number.
        MiningTitle = "mining_title",
        /// GS1 Global Location Number: 13 digits, check digit verified (EPCIS `sgln`, Digital
        /// Link `/414/`).
        Gln = "gln",
        Other = "other",
    }
}

text_enum! {
    /// Identifier schemes for parties.
    pub enum PartyIdentifierScheme {
        /// Legal Entity Identifier (ISO 17442), check digits verified.
        Lei = "lei",
        /// Dun & Bradstreet D-U-N-S number (nine digits).
        Duns = "duns",
        /// VAT number.
        Vat = "vat",
        /// National company registry number.
        NationalRegistry = "national_registry",
        /// GS1 Global Location Number of the party: 13 digits, check digit verified (EPCIS
        /// `pgln`, Digital Link `/417/`).
        Gln = "gln",
        Other = "other",
    }
}

text_enum! {
    /// The physical form of a lot.
    pub enum LotForm {
        Ore = "ore",
        Concentrate = "concentrate",
        Dore = "dore",
        Metal = "metal",
        Scrap = "scrap",
        Product = "product",
    }
}

text_enum! {
    /// Custody event types (after GS1 EPCIS 2.0 and UNTP traceability events).
    pub enum CustodyEventType {
        /// A lot comes out of a mine.
        Extraction = "extraction",
        /// A quantity of a lot passes from one party to another.
        Transfer = "transfer",
        /// Input lots are consumed and output lots produced at a facility.
        Transformation = "transformation",
    }
}

text_enum! {
    /// Chain-of-custody model of a transformation.
    pub enum ChainOfCustody {
        IdentityPreserved = "identity_preserved",
        Segregated = "segregated",
        MassBalance = "mass_balance",
    }
}

text_enum! {
    /// Risks a supply chain raises (OECD Due Diligence Guidance, Annex II, made concrete).
    pub enum RedFlagKind {
        CahraOrigin = "cahra_origin",
        UncertifiedAsmOrigin = "uncertified_asm_origin",
        CertificationLapsed = "certification_lapsed",
        SmelterNotConformant = "smelter_not_conformant",
        MassBalanceExceeded = "mass_balance_exceeded",
        UntracedVolume = "untraced_volume",
        AsmPresenceWithoutCoexistenceAgreement = "asm_presence_without_coexistence_agreement",
    }
}

text_enum! {
    /// How urgent a red flag is.
    pub enum Severity {
        Low = "low",
        Medium = "medium",
        High = "high",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_round_trip_through_text_and_json() {
        for mineral in Mineral::ALL {
            assert_eq!(Mineral::parse(mineral.as_str()), Some(*mineral));
            let json = serde_json::to_string(mineral).unwrap();
            assert_eq!(json, format!("\"{}\"", mineral.as_str()));
        }
        assert_eq!(Mineral::ALL.len(), 17);
        assert_eq!(
            "unobtainium".parse::<Mineral>().unwrap_err(),
            format!("must be one of {}", Mineral::expected())
        );
        assert_eq!(MiningScale::expected(), "asm or lsm");
        assert_eq!(OriginClass::from(MiningScale::Lsm), OriginClass::Lsm);
    }
}
