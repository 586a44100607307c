//! `GET /v1/facilities/{id}/certifications` and `GET /v1/parties/{id}/certifications`: each
//! certificate of a facility or party with its effective status on a date.

use actix_web::{HttpRequest, HttpResponse, get, web};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::api::error::ApiError;
use crate::api::http::caller::Caller;
use crate::api::http::extract::ApiQuery;
use crate::api::http::pagination::{self, Page, PageRequest};
use crate::api::state::AppState;
use crate::app::catalog::{certifications, today};
use crate::auth::Scope;
use crate::domain::certification::EffectiveStatus;
use crate::domain::ids::{FacilityId, PartyId};
use crate::domain::vocabulary::SubjectType;
use crate::store::certification::{Certification, CertificationSubject};

crate::page_type!(StandingList, CertificationStanding);

/// The day to evaluate, and paging.
#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AsOfQuery {
    /// The day (ISO 8601 date) the status is evaluated on; default today (UTC).
    #[serde(
        default,
        deserialize_with = "crate::domain::time::strict_date::optional"
    )]
    pub as_of: Option<NaiveDate>,
    /// Only certificates of this scheme.
    pub scheme: Option<String>,
    /// Page size, 1 to 500 (default 50).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
    /// The `next_cursor` of the previous page.
    #[param(pattern = "^ot1\\.[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")]
    pub cursor: Option<String>,
}

/// A certificate and where it stood on a day.
#[derive(Serialize, ToSchema)]
pub struct CertificationStanding {
    /// The day evaluated.
    pub as_of: NaiveDate,
    /// `not_yet_valid`, `in_assessment`, `active`, `suspended`, `expired` or `withdrawn` on the
    /// `as_of` day, under the as-of rules (the nested `certification.effective_status` is for
    /// `certification.effective_on`, today).
    pub effective_status: EffectiveStatus,
    /// The level in force on that day (null for schemes without levels, or before the first
    /// entry).
    pub level: Option<String>,
    /// The validity window in force on that day.
    pub valid_from: Option<NaiveDate>,
    pub valid_until: Option<NaiveDate>,
    /// The certificate as recorded now, with its whole history.
    pub certification: Certification,
}

async fn standings(
    req: HttpRequest,
    caller: Caller,
    subject: CertificationSubject,
    query: AsOfQuery,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Scope::CatalogRead)?;
    let page = PageRequest::new(query.limit, query.cursor.as_deref())?;
    let as_of = query.as_of.unwrap_or_else(today);
    let request = page.clone();
    let scheme = query.scheme;
    let rows = state
        .db
        .read(move |conn| certifications::of_subject(conn, subject, scheme, &request))
        .await?;
    let viewer = caller.organisation_id;
    let page = Page::from_rows(rows, &page, |c| c.id.to_string()).map(|c| {
        let standing = c.standing_on(as_of);
        CertificationStanding {
            as_of,
            effective_status: standing.status,
            level: standing.level,
            valid_from: standing.valid_from,
            valid_until: standing.valid_until,
            certification: c.seen_by(viewer),
        }
    });
    Ok(pagination::respond(&req, &page))
}

/// Declares the route that lists the certificates of one kind of subject with their standing
/// on a day; both share the as-of rules, stated once here.
macro_rules! standings_of {
    (
        $(#[doc = $summary:literal])+
        $name:ident: $subject_type:ident, $id:ident, $path:literal, $operation:literal,
        $id_description:literal
    ) => {
        $(#[doc = $summary])+
        ///
        /// The effective status on a day D follows from the certificate's history: (1) every change of
        /// status, level or validity is a history entry that takes effect on its `effective_on` day,
        /// and the first entry takes effect on `valid_from`; (2) the governing entry is the one with
        /// the latest `effective_on` on or before D (among entries of the same day, the one recorded
        /// last); with none, the status is `not_yet_valid`; (3) before the governing entry's
        /// `valid_from` the status is `not_yet_valid`; (4) after its `valid_until` (the last valid day)
        /// an `active` certificate is `expired`; (5) otherwise it is the governing entry's status: a
        /// suspension effective on a day applies from that day, inclusive, until a later entry says
        /// otherwise.
        #[utoipa::path(
            tag = "certifications",
            operation_id = $operation,
            params(("id" = $id, Path, description = $id_description), AsOfQuery),
            responses((status = 200, description = "Each certificate and its standing on that day", body = StandingList)),
            security(("bearer" = ["catalog:read"]), ("oauth2" = ["catalog:read"]))
        )]
        #[get($path)]
        pub async fn $name(
            req: HttpRequest,
            caller: Caller,
            id: web::Path<$id>,
            query: ApiQuery<AsOfQuery>,
            state: web::Data<AppState>,
        ) -> Result<HttpResponse, ApiError> {
            let subject = CertificationSubject {
                subject_type: SubjectType::$subject_type,
                id: id.into_inner().0,
            };
            standings(req, caller, subject, query.0, state).await
        }
    };
}

standings_of! {
    /// Each certificate of a facility with its effective status on `as_of` (default today, UTC;
    /// scope `catalog:read`).
    facility_certifications: Facility, FacilityId, "/v1/facilities/{id}/certifications",
    "facility_certifications_as_of", "Facility id"
}

standings_of! {
    /// Each certificate of a party with its effective status on `as_of` (default today, UTC;
    /// scope `catalog:read`), under the same as-of rules as
    /// `GET /v1/facilities/{id}/certifications`.
    party_certifications: Party, PartyId, "/v1/parties/{id}/certifications",
    "party_certifications_as_of", "Party id"
}
