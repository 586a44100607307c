//! The body of `POST /v1/parties` (and of each batch row), and how it becomes a [`NewParty`].

use serde::Deserialize;
use utoipa::ToSchema;

use crate::api::error::FieldError;
use crate::api::http::input::{Checked, FieldErrors};
use crate::api::routes::catalog::duplicates;
use crate::domain::country::CountryCode;
use crate::domain::identifiers;
use crate::domain::text;
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

/// Checks every field of `input`, naming each bad one under `prefix` (`""`, or `/17` for row
/// 17 of a batch).
pub fn validate(prefix: &str, input: PartyInput) -> Result<NewParty, Vec<FieldError>> {
    let mut errors = FieldErrors::with_prefix(prefix);
    let name = errors.check("/name", text::name(&input.name));
    if input.roles.is_empty() {
        errors.add("/roles", "must name at least one role");
    }
    let roles: Vec<Option<PartyRole>> = input
        .roles
        .into_iter()
        .enumerate()
        .map(|(i, r)| errors.take(format!("/roles/{i}"), r))
        .collect();
    duplicates(&mut errors, "/roles", &roles);
    let country = input.country.and_then(|c| errors.take("/country", c));
    let identifiers: Vec<Option<PartyIdentifier>> = input
        .identifiers
        .into_iter()
        .enumerate()
        .map(|(i, id)| {
            let scheme = errors.take(format!("/identifiers/{i}/scheme"), id.scheme)?;
            let value = errors.check(
                format!("/identifiers/{i}/value"),
                identifiers::party_identifier(scheme, &id.value),
            )?;
            Some(PartyIdentifier { scheme, value })
        })
        .collect();
    duplicates(&mut errors, "/identifiers", &identifiers);
    match (name, errors.is_empty()) {
        (Some(name), true) => Ok(NewParty {
            name,
            roles: roles.into_iter().flatten().collect(),
            country,
            identifiers: identifiers.into_iter().flatten().collect(),
        }),
        _ => Err(errors.into_vec()),
    }
}

/// Parses and checks one JSON value (a POST body or a batch row).
pub fn parse(prefix: &str, value: serde_json::Value) -> Result<NewParty, Vec<FieldError>> {
    let input: PartyInput =
        crate::api::http::input::from_value(prefix, value).map_err(|e| vec![e])?;
    validate(prefix, input)
}
