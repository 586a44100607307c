//! The filters of `GET /v1/facilities`.

use chrono::NaiveDate;
use serde::Deserialize;
use utoipa::IntoParams;

use crate::api::error::ApiError;
use crate::api::routes::catalog_handlers::search_text;
use crate::app::catalog::facilities::Certified;
use crate::app::catalog::today;
use crate::domain::country::CountryCode;
use crate::domain::facility::BoundingBox;
use crate::domain::identifiers;
use crate::domain::vocabulary::{FacilityKind, FacilityStatus, Mineral, MiningScale};
use crate::store::facility::{FacilityFilter, FacilityIdentifier};

/// Filters and paging of `GET /v1/facilities`; all given filters must match.
#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct FacilityListQuery {
    /// Page size, 1 to 500 (default 50).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
    /// The `next_cursor` of the previous page.
    #[param(pattern = "^ot1\\.[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")]
    pub cursor: Option<String>,
    /// Only facilities of this kind.
    pub kind: Option<FacilityKind>,
    /// Only mines of this scale (`asm` or `lsm`).
    pub mining_scale: Option<MiningScale>,
    /// Only facilities that handle this mineral.
    pub mineral: Option<Mineral>,
    /// Only facilities in this country (ISO 3166-1 alpha-2).
    #[param(value_type = Option<CountryCode>)]
    pub country: Option<CountryCode>,
    /// Only `operating` or only `closed` facilities.
    pub status: Option<FacilityStatus>,
    /// Only the facility with this identifier, as `scheme:value` (such as
    /// `rmi_cid:CID001234`).
    pub identifier: Option<String>,
    /// Only facilities whose name contains this text, ignoring case.
    #[param(min_length = 1, max_length = 200)]
    pub q: Option<String>,
    /// Only facilities located inside this box: `min_lon,min_lat,max_lon,max_lat` in WGS 84
    /// degrees (a `min_lon` greater than `max_lon` crosses the antimeridian). Facilities without
    /// a location never match.
    #[param(example = "-80,-20,-60,0")]
    pub bbox: Option<String>,
    /// Only facilities holding a certificate of this scheme (such as `irma`) that is `active`
    /// on `certified_on` under the as-of rules (see `GET /v1/facilities/{id}/certifications`).
    pub certified_scheme: Option<String>,
    /// The day `certified_scheme` is evaluated on (default today, UTC); needs
    /// `certified_scheme`.
    #[serde(
        default,
        deserialize_with = "crate::domain::time::strict_date::optional"
    )]
    pub certified_on: Option<NaiveDate>,
}

/// The parsed filters: what the database evaluates, and the certification test done in Rust.
pub struct Filters {
    pub database: FacilityFilter,
    pub certified: Option<Certified>,
}

pub fn parse(query: &FacilityListQuery) -> Result<Filters, ApiError> {
    if query.certified_on.is_some() && query.certified_scheme.is_none() {
        return Err(ApiError::invalid_parameter(
            "certified_on",
            "needs certified_scheme: the scheme whose certificates must be active on that day",
        ));
    }
    let search = search_text(query.q.as_deref())?;
    let identifier = query
        .identifier
        .as_deref()
        .map(|text| {
            identifiers::read_facility_identifier(text)
                .map(|(scheme, value)| FacilityIdentifier { scheme, value })
                .map_err(|why| {
                    ApiError::invalid_parameter(
                        "identifier",
                        why.message("the scheme must be one of"),
                    )
                })
        })
        .transpose()?;
    let bbox = query
        .bbox
        .as_deref()
        .map(|b| BoundingBox::parse(b).map_err(|e| ApiError::invalid_parameter("bbox", e)))
        .transpose()?;
    let certified = query.certified_scheme.clone().map(|scheme| Certified {
        scheme,
        on: query.certified_on.unwrap_or_else(today),
    });
    Ok(Filters {
        database: FacilityFilter {
            kind: query.kind,
            mining_scale: query.mining_scale,
            mineral: query.mineral,
            country: query.country,
            status: query.status,
            identifier,
            q: search,
            bbox,
            has_scheme: certified.as_ref().map(|c| c.scheme.clone()),
        },
        certified,
    })
}
