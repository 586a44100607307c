//! UN Transparency Protocol credentials (docs/CREDENTIALS.md): a certificate as a Digital
//! Conformity Credential, a facility as a Digital Facility Record, a custody event as a Digital
//! Traceability Event, each a W3C Verifiable Credential 2.0 secured as `application/vc+jwt`
//! with the service's Ed25519 key; and the Bitstring Status Lists their status entries point
//! to, public like the JWKS so that any verifier can read them.

use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, get, web};
use serde_json::Value;

use crate::api::error::{ApiError, ProblemType};
use crate::api::http::caller::Caller;
use crate::api::http::negotiate::{CredentialMedia, credential_media};
use crate::api::state::AppState;
use crate::app::credentials::{self, Issuer, status};
use crate::auth::Scope;
use crate::auth::vc_jwt::{self, SignError};
use crate::domain::credential_status::ListName;
use crate::domain::ids::{CertificationId, CustodyEventId, FacilityId};

fn issuer(state: &AppState) -> Issuer {
    Issuer {
        base: state.config.public_base_url.clone(),
    }
}

/// The credential in the representation `media` names: signed (`application/vc+jwt`), or as
/// JSON (`application/vc`).
fn respond(
    state: &AppState,
    media: CredentialMedia,
    credential: &Value,
    cache: &'static str,
) -> Result<HttpResponse, ApiError> {
    let mut response = HttpResponse::Ok();
    response
        .insert_header((header::CACHE_CONTROL, cache))
        .insert_header((header::VARY, "Accept"));
    match media {
        CredentialMedia::Unsecured => Ok(response
            .content_type("application/vc")
            .body(credential.to_string())),
        CredentialMedia::Secured => match vc_jwt::sign(state.tokens.keys(), credential) {
            Ok(jws) => Ok(response.content_type("application/vc+jwt").body(jws)),
            Err(SignError::NotPublicKey) => Err(ApiError::new(
                StatusCode::CONFLICT,
                ProblemType::Conflict,
                "this service signs with HS256, a shared secret no verifier can hold, so it \
                 cannot secure credentials; configure an Ed25519 key (ORETRACE_SIGNING_KEY_FILE) \
                 or ask for the unsecured credential with `Accept: application/vc`",
            )),
            Err(SignError::Failed(e)) => Err(ApiError::from(crate::app::AppError::internal(e))),
        },
    }
}

/// A certificate as a UNTP Digital Conformity Credential (DCC 0.6.1).
///
/// Scheme and level (`assessment[0].referenceStandard`, `name`), status (`conformance`, true
/// only while `active`, and the status on the day in `description`), validity (the
/// credential's `validFrom` and `validUntil`: the start of the first valid day and the end of
/// the last), assurance body (`auditor`), the certified facility or party (`assessedFacility`
/// / `assessedOrganisation`, and `issuedToParty`: the party, or the facility's operator) and
/// the minerals in scope (`assessedProduct`). `credentialStatus` names the certificate's bits
/// in the `suspension` and `revocation` Bitstring Status Lists
/// (`GET /v1/credentials/status/{list}`), so that a verifier learns of a suspension the day it
/// takes effect.
///
/// `application/vc+jwt` (the default): a compact JWS whose payload is the credential, header
/// `alg: EdDSA`, `kid` (in `/.well-known/jwks.json`), `typ: vc+jwt`, `cty: vc`.
/// `Accept: application/vc` (or `application/json`): the unsecured credential, to read. A
/// service configured with HS256 cannot sign credentials: 409 for the secured form.
///
/// The first request for a certificate allocates its status index (once, whoever asks).
#[utoipa::path(
    tag = "credentials",
    operation_id = "get_certification_credential",
    params(("id" = CertificationId, Path, description = "The certificate's id")),
    responses(
        (status = 200, description = "The credential", content(
            (String = "application/vc+jwt"),
            (Object = "application/vc"),
        )),
        (status = 400, description = "A malformed id",
         body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such certificate",
         body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 406, description = "`Accept` names neither form",
         body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 409, description = "The service signs with HS256 and cannot secure credentials",
         body = crate::api::error::Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = ["catalog:read"]), ("oauth2" = ["catalog:read"]))
)]
#[get("/v1/certifications/{id}/credential")]
pub async fn get_certification_credential(
    req: HttpRequest,
    caller: Caller,
    id: web::Path<CertificationId>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Scope::CatalogRead)?;
    let media = credential_media(&req)?;
    let id = id.into_inner();
    let today = crate::app::catalog::today();
    let found = {
        let issuer = issuer(&state);
        state
            .db
            .read(move |conn| credentials::conformity::issue(conn, &issuer, id, today))
            .await?
    };
    let credential = match found {
        Some(credential) => credential,
        None => {
            let issuer = issuer(&state);
            state
                .db
                .write_upsert(move |conn| {
                    credentials::conformity::issue_allocating(conn, &issuer, id, today)
                })
                .await?
        }
    };
    respond(&state, media, &credential, "private, no-cache")
}

/// A facility as a UNTP Digital Facility Record (DFR 0.6.1).
///
/// The facility (name, kind as `processCategory`, country, subdivision, location, operator,
/// identifiers) and one conformity claim per certificate, linking to the certificate's Digital
/// Conformity Credential (which carries its live status). Issued when read (`validFrom`: now).
/// Representations as for `GET /v1/certifications/{id}/credential`.
#[utoipa::path(
    tag = "credentials",
    operation_id = "get_facility_credential",
    params(("id" = FacilityId, Path, description = "The facility's id")),
    responses(
        (status = 200, description = "The credential", content(
            (String = "application/vc+jwt"),
            (Object = "application/vc"),
        )),
        (status = 400, description = "A malformed id",
         body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such facility",
         body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 406, description = "`Accept` names neither form",
         body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 409, description = "The service signs with HS256 and cannot secure credentials",
         body = crate::api::error::Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = ["catalog:read"]), ("oauth2" = ["catalog:read"]))
)]
#[get("/v1/facilities/{id}/credential")]
pub async fn get_facility_credential(
    req: HttpRequest,
    caller: Caller,
    id: web::Path<FacilityId>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Scope::CatalogRead)?;
    let media = credential_media(&req)?;
    let id = id.into_inner();
    let issuer = issuer(&state);
    let now = crate::domain::time::now();
    let credential = state
        .db
        .read(move |conn| credentials::facility::issue(conn, &issuer, id, now))
        .await?;
    respond(&state, media, &credential, "private, no-cache")
}

/// One of the organisation's custody events as a UNTP Digital Traceability Event (DTE 0.6.1).
///
/// Extraction as an `ObjectEvent` (action `add`, the mine as `bizLocation`), transfer as a
/// `TransactionEvent` (`sourceParty`, `destinationParty`, the first document as
/// `bizTransaction`), transformation as a `TransformationEvent` (inputs and outputs); lots are
/// items, quantities in kilograms (`KGM`). Issued when read. Another organisation's event is
/// 404. Representations as for `GET /v1/certifications/{id}/credential`.
#[utoipa::path(
    tag = "credentials",
    operation_id = "get_custody_event_credential",
    params(("id" = CustodyEventId, Path, description = "The event's id")),
    responses(
        (status = 200, description = "The credential", content(
            (String = "application/vc+jwt"),
            (Object = "application/vc"),
        )),
        (status = 400, description = "A malformed id",
         body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such event of the organisation",
         body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 406, description = "`Accept` names neither form",
         body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 409, description = "The service signs with HS256 and cannot secure credentials",
         body = crate::api::error::Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = ["provenance:read"]), ("oauth2" = ["provenance:read"]))
)]
#[get("/v1/custody-events/{id}/credential")]
pub async fn get_custody_event_credential(
    req: HttpRequest,
    caller: Caller,
    id: web::Path<CustodyEventId>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Scope::ProvenanceRead)?;
    let media = credential_media(&req)?;
    let id = id.into_inner();
    let issuer = issuer(&state);
    let organisation = caller.organisation_id;
    let now = crate::domain::time::now();
    let credential = state
        .db
        .read(move |conn| credentials::traceability::issue(conn, &issuer, organisation, id, now))
        .await?;
    respond(&state, media, &credential, "private, no-cache")
}

/// A Bitstring Status List (W3C v1.0) as a signed `BitstringStatusListCredential`. Public: a
/// verifier holding a credential has no Oretrace token (docs/SECURITY.md).
///
/// `{list}` is `revocation-N` or `suspension-N`; list N holds status indexes 131,072 × N to
/// 131,072 × (N + 1) − 1. `encodedList` is the multibase (`u`, base64url without padding) of
/// the GZIP of the 131,072-bit list, index 0 the most significant bit of the first byte. The
/// bits are computed from the certificates' histories when the list is read: a `suspension`
/// bit is set while the certificate is suspended and cleared when it is reinstated; a
/// `revocation` bit is set, for good, once the certificate has been withdrawn or has expired.
/// Cached for at most 5 minutes (`Cache-Control`, and `ttl` in the list).
#[utoipa::path(
    tag = "credentials",
    operation_id = "get_status_list",
    params(("list" = String, Path, description = "`revocation-N` or `suspension-N`",
            pattern = "^(revocation|suspension)-(0|[1-9][0-9]{0,11})$")),
    responses(
        (status = 200, description = "The status list credential", content(
            (String = "application/vc+jwt"),
            (Object = "application/vc"),
        )),
        (status = 404, description = "No such list",
         body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 406, description = "`Accept` names neither form",
         body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 409, description = "The service signs with HS256 and cannot secure credentials",
         body = crate::api::error::Problem, content_type = "application/problem+json"),
    )
)]
#[get("/v1/credentials/status/{list}")]
pub async fn get_status_list(
    req: HttpRequest,
    list: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let Some(list) = ListName::parse(&list) else {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            ProblemType::NotFound,
            "no such status list: lists are named revocation-N or suspension-N",
        ));
    };
    let media = credential_media(&req)?;
    let issuer = issuer(&state);
    let now = crate::domain::time::now();
    let credential = state
        .db
        .read(move |conn| status::list_credential(conn, &issuer, list, now))
        .await?;
    respond(&state, media, &credential, "public, max-age=300")
}
