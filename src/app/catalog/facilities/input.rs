//! A facility as a row: the body of `POST /v1/facilities`, of each row of
//! `POST /v1/facilities/batch` and of each row of `oretrace import catalog --kind facilities`
//! (two edges, one contract), and how it becomes a [`NewFacility`].

use serde::Deserialize;
use utoipa::ToSchema;

use crate::app::catalog::{checked_identifiers, checked_list, today};
use crate::domain::country::CountryCode;
use crate::domain::facility::{self as rules, Location};
use crate::domain::identifiers;
use crate::domain::ids::PartyId;
use crate::domain::text;
use crate::domain::time::IsoDate;
use crate::domain::validation::{Checked, FieldError, FieldErrors, Invalid, from_value};
use crate::domain::vocabulary::{
    CoexistenceStatus, FacilityIdentifierScheme, FacilityKind, FacilityStatus, Mineral, MiningScale,
};
use crate::store::facility::{CoexistenceAgreement, FacilityIdentifier, NewFacility};

/// A facility: a mine, concentrator, smelter, refiner, recycler, warehouse or manufacturing
/// site.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FacilityInput {
    /// Name, 1 to 200 characters (trimmed).
    #[schema(
        min_length = 1,
        max_length = 200,
        example = "Mina Esperanza (fictional)"
    )]
    pub name: String,
    /// What it does: `mine`, `concentrator`, `smelter`, `refiner`, `recycler`, `warehouse` or
    /// `manufacturer`.
    #[schema(value_type = FacilityKind)]
    pub kind: Checked<FacilityKind>,
    /// Required for mines and refused for other kinds: `asm` (artisanal and small-scale) or
    /// `lsm` (large-scale).
    #[serde(default)]
    #[schema(value_type = Option<MiningScale>)]
    pub mining_scale: Option<Checked<MiningScale>>,
    /// The minerals it produces or handles, at least one, each once.
    #[schema(value_type = Vec<Mineral>, min_items = 1)]
    pub minerals: Vec<Checked<Mineral>>,
    /// Country, ISO 3166-1 alpha-2 (such as `PE`), checked against the ISO list.
    #[schema(value_type = CountryCode)]
    pub country: Checked<CountryCode>,
    /// ISO 3166-2 subdivision code (such as `PE-MD`, whose prefix must be `country`) or a region
    /// name, 1 to 100 characters.
    #[serde(default)]
    pub subdivision: Option<String>,
    /// Where it is, in WGS 84 decimal degrees: `lat` -90 to 90, `lon` -180 to 180.
    #[serde(default)]
    pub location: Option<Location>,
    /// The party that operates it; must exist.
    #[serde(default)]
    #[schema(value_type = Option<String>, format = Uuid)]
    pub operator_party_id: Option<Checked<PartyId>>,
    /// Identifiers in external registers, each `{scheme, value}`: `rmi_cid` (CID and six
    /// digits), `irma_site`, `os_id`, `mining_title` or `other`. A scheme and value may belong
    /// to one facility only.
    #[serde(default)]
    pub identifiers: Vec<FacilityIdentifierInput>,
    /// Whether it lies in a conflict-affected or high-risk area (default false).
    #[serde(default)]
    pub cahra: bool,
    /// Why the area counts as conflict-affected or high-risk (the list or assessment relied
    /// on); required when `cahra` is true and refused otherwise. 1 to 2,000 characters.
    #[serde(default)]
    pub cahra_basis: Option<String>,
    /// LSM mines only: whether artisanal miners work on or near the concession (null: unknown).
    #[serde(default)]
    pub asm_presence: Option<bool>,
    /// LSM mines only: the coexistence agreement with the artisanal miners.
    #[serde(default)]
    pub coexistence_agreement: Option<CoexistenceAgreementInput>,
    /// `operating` (default) or `closed`.
    #[serde(default)]
    #[schema(value_type = Option<FacilityStatus>)]
    pub status: Option<Checked<FacilityStatus>>,
}

/// An identifier of a facility.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FacilityIdentifierInput {
    /// `rmi_cid`, `irma_site`, `os_id`, `mining_title` or `other`.
    #[schema(value_type = FacilityIdentifierScheme)]
    pub scheme: Checked<FacilityIdentifierScheme>,
    /// The identifier in that register (`CID001234` for `rmi_cid`).
    pub value: String,
}

/// The coexistence agreement of an LSM mine with the artisanal miners on or near it.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CoexistenceAgreementInput {
    /// `none`, `negotiating`, `signed`, `suspended` or `terminated`.
    #[schema(value_type = CoexistenceStatus)]
    pub status: Checked<CoexistenceStatus>,
    /// The day it was signed: allowed once signed (`signed`, `suspended`, `terminated`), not in
    /// the future.
    #[serde(default)]
    #[schema(value_type = Option<NaiveDate>)]
    pub signed_on: Option<Checked<IsoDate>>,
    /// The ASM organisations (parties) it was agreed with; each must exist.
    #[serde(default)]
    #[schema(value_type = Vec<String>)]
    pub asm_party_ids: Vec<Checked<PartyId>>,
    /// Where the agreement or a public summary can be read (http or https).
    #[serde(default)]
    pub reference_url: Option<String>,
}

/// Checks every field of `input` that needs no database, naming each bad one. Party references
/// are checked against the database ([`missing_parties`]).
pub fn validate(input: FacilityInput) -> Result<NewFacility, Invalid> {
    let mut e = FieldErrors::new();
    let name = e.check("/name", text::name(&input.name));
    let kind = e.take("/kind", input.kind);
    let scale_given = input.mining_scale.is_some();
    let scale = input.mining_scale.and_then(|s| e.take("/mining_scale", s));
    match (kind, scale) {
        (Some(FacilityKind::Mine), None) if !scale_given => {
            e.add("/mining_scale", "is required for a mine: asm or lsm")
        }
        (Some(k), Some(_)) if k != FacilityKind::Mine => e.add(
            "/mining_scale",
            format!("applies to mines only; a {k} has none"),
        ),
        _ => {}
    }
    let minerals = checked_list(
        &mut e,
        "/minerals",
        input.minerals,
        Some("must name at least one mineral"),
    );
    let country = e.take("/country", input.country);
    let subdivision = input
        .subdivision
        .and_then(|s| e.check("/subdivision", rules::subdivision(country, &s)));
    if let Some(location) = &input.location {
        for (member, reason) in location.problems() {
            e.add(format!("/location/{member}"), reason);
        }
    }
    let operator_party_id = input
        .operator_party_id
        .and_then(|p| e.take("/operator_party_id", p));
    let given = input.identifiers.into_iter().map(|i| (i.scheme, i.value));
    let identifiers = checked_identifiers(
        &mut e,
        given.collect(),
        identifiers::facility_identifier,
        |scheme, value| FacilityIdentifier { scheme, value },
    );
    let cahra_basis = match (input.cahra, input.cahra_basis) {
        (true, Some(basis)) => e.check("/cahra_basis", text::explanation(&basis)),
        (true, None) => {
            e.add(
                "/cahra_basis",
                "is required when cahra is true: say which list or assessment designates the area",
            );
            None
        }
        (false, Some(_)) => {
            e.add("/cahra_basis", "applies only when cahra is true");
            None
        }
        (false, None) => None,
    };
    let lsm_mine = kind == Some(FacilityKind::Mine) && scale == Some(MiningScale::Lsm);
    // Whether the kind and scale are known well enough to refuse LSM-only members (a mine
    // whose scale is missing or invalid has that error reported already).
    let judged = match kind {
        Some(FacilityKind::Mine) => scale.is_some(),
        Some(_) => true,
        None => false,
    };
    let lsm_only = |e: &mut FieldErrors, member: &str| {
        e.add(
            member,
            "applies to large-scale (lsm) mines only: it records artisanal miners on or near a concession",
        )
    };
    if input.asm_presence.is_some() && !lsm_mine && judged {
        lsm_only(&mut e, "/asm_presence");
    }
    let coexistence_agreement = match input.coexistence_agreement {
        Some(_) if !lsm_mine && judged => {
            lsm_only(&mut e, "/coexistence_agreement");
            None
        }
        Some(agreement) => coexistence(&mut e, agreement),
        None => None,
    };
    let status = input
        .status
        .and_then(|s| e.take("/status", s))
        .unwrap_or(FacilityStatus::Operating);
    match (name, kind, country, e.is_empty()) {
        (Some(name), Some(kind), Some(country), true) => Ok(NewFacility {
            name,
            kind,
            mining_scale: scale,
            minerals,
            country,
            subdivision,
            location: input.location,
            operator_party_id,
            identifiers,
            cahra: input.cahra,
            cahra_basis,
            asm_presence: input.asm_presence,
            coexistence_agreement,
            status,
        }),
        _ => Err(Invalid(e.into_vec())),
    }
}

fn coexistence(
    e: &mut FieldErrors,
    input: CoexistenceAgreementInput,
) -> Option<CoexistenceAgreement> {
    let status = e.take("/coexistence_agreement/status", input.status);
    let signed_on = input
        .signed_on
        .and_then(|d| e.take("/coexistence_agreement/signed_on", d))
        .map(|d| d.0);
    if let (Some(status), Some(day)) = (status, signed_on) {
        if matches!(
            status,
            CoexistenceStatus::None | CoexistenceStatus::Negotiating
        ) {
            e.add(
                "/coexistence_agreement/signed_on",
                format!("an agreement whose status is {status} has not been signed"),
            );
        } else if day > today() {
            e.add(
                "/coexistence_agreement/signed_on",
                "must not be in the future",
            );
        }
    }
    let parties = checked_list(
        e,
        "/coexistence_agreement/asm_party_ids",
        input.asm_party_ids,
        None,
    );
    let reference_url = input
        .reference_url
        .and_then(|u| e.check("/coexistence_agreement/reference_url", text::http_url(&u)));
    Some(CoexistenceAgreement {
        status: status?,
        signed_on,
        asm_party_ids: parties,
        reference_url,
    })
}

/// Parses and checks one JSON value (a body or a row).
pub fn parse(value: serde_json::Value) -> Result<NewFacility, Invalid> {
    validate(from_value(value)?)
}

/// The errors for party references of `facility` that are not in `known`.
pub fn missing_parties(
    facility: &NewFacility,
    known: &std::collections::HashSet<PartyId>,
) -> Vec<FieldError> {
    let mut e = FieldErrors::new();
    if let Some(id) = facility.operator_party_id
        && !known.contains(&id)
    {
        e.add("/operator_party_id", format!("no party {id}"));
    }
    if let Some(agreement) = &facility.coexistence_agreement {
        for (i, id) in agreement.asm_party_ids.iter().enumerate() {
            if !known.contains(id) {
                e.add(
                    format!("/coexistence_agreement/asm_party_ids/{i}"),
                    format!("no party {id}"),
                );
            }
        }
    }
    e.into_vec()
}
