//! A party as a row: the body of `POST /v1/parties`, of each row of `POST /v1/parties/batch`
//! and of each row of `oretrace import catalog --kind parties` (two edges, one contract), and
//! how it becomes a [`NewParty`].

use serde::Deserialize;
use utoipa::ToSchema;

use crate::app::catalog::{checked_identifiers, checked_list};
use crate::domain::country::CountryCode;
use crate::domain::identifiers;
use crate::domain::text;
use crate::domain::validation::{Checked, FieldErrors, Invalid, from_value};
use crate::domain::vocabulary::{PartyIdentifierScheme, PartyRole};
use crate::store::party::{NewParty, PartyIdentifier};

/// A party: a company or organisation in mineral supply chains.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PartyInput {
    /// Name, 1 to 200 characters (trimmed).
    #[schema(
        min_length = 1,
        max_length = 200,
        example = "Cooperativa Minera Aurífera Sol Naciente (fictional)"
    )]
    pub name: String,
    /// The roles it plays, at least one: `mine_operator`, `asm_organisation`, `processor`,
    /// `smelter_refiner`, `trader`, `manufacturer`, `supplier`.
    #[schema(value_type = Vec<PartyRole>, min_items = 1)]
    pub roles: Vec<Checked<PartyRole>>,
    /// Country of registration, ISO 3166-1 alpha-2 (such as `PE`).
    #[serde(default)]
    #[schema(value_type = Option<CountryCode>)]
    pub country: Option<Checked<CountryCode>>,
    /// Identifiers in external registers, each `{scheme, value}`; a scheme and value may belong
    /// to one party only. LEIs are checked by their ISO 17442 check digits; D-U-N-S numbers must
    /// have nine digits.
    #[serde(default)]
    pub identifiers: Vec<PartyIdentifierInput>,
}

/// An identifier of a party.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PartyIdentifierInput {
    /// `lei`, `duns`, `vat`, `national_registry` or `other`.
    #[schema(value_type = PartyIdentifierScheme)]
    pub scheme: Checked<PartyIdentifierScheme>,
    /// The identifier in that register.
    pub value: String,
}

/// Checks every field of `input`, naming each bad one.
pub fn validate(input: PartyInput) -> Result<NewParty, Invalid> {
    let mut errors = FieldErrors::new();
    let name = errors.check("/name", text::name(&input.name));
    let roles = checked_list(
        &mut errors,
        "/roles",
        input.roles,
        Some("must name at least one role"),
    );
    let country = input.country.and_then(|c| errors.take("/country", c));
    let given = input.identifiers.into_iter().map(|i| (i.scheme, i.value));
    let identifiers = checked_identifiers(
        &mut errors,
        given.collect(),
        identifiers::party_identifier,
        |scheme, value| PartyIdentifier { scheme, value },
    );
    match (name, errors.is_empty()) {
        (Some(name), true) => Ok(NewParty {
            name,
            roles,
            country,
            identifiers,
        }),
        _ => Err(Invalid(errors.into_vec())),
    }
}

/// Parses and checks one JSON value (a body or a row).
pub fn parse(value: serde_json::Value) -> Result<NewParty, Invalid> {
    validate(from_value(value)?)
}
