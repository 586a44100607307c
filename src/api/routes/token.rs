//! `POST /v1/auth/token`: the OAuth 2.0 client-credentials grant (RFC 6749 §4.4).

use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, post, web};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::api::error::{ApiError, OAuthError};
use crate::api::http::extract::{media_type, read_body};
use crate::api::state::AppState;
use crate::app::organisations;
use crate::auth::scopes::ScopeSet;

/// The token request, as `application/x-www-form-urlencoded`.
#[derive(Deserialize, ToSchema)]
pub struct TokenRequest {
    /// Always `client_credentials`.
    pub grant_type: String,
    /// The client id, unless sent with HTTP Basic authentication.
    pub client_id: Option<String>,
    /// The client secret, unless sent with HTTP Basic authentication.
    pub client_secret: Option<String>,
    /// Space-separated scopes to request; default: every scope the client holds.
    pub scope: Option<String>,
}

/// An access token (RFC 6749 §5.1).
#[derive(Serialize, ToSchema)]
pub struct TokenResponse {
    /// The JWT to send as `Authorization: Bearer <access_token>`.
    pub access_token: String,
    /// Always `Bearer`.
    pub token_type: String,
    /// Seconds until the token expires.
    pub expires_in: u64,
    /// The scopes granted, space-separated.
    pub scope: String,
}

const FORM: &str = "application/x-www-form-urlencoded";
const FORM_LIMIT: usize = 8 * 1024;

fn oauth(status: StatusCode, error: OAuthError, detail: &str) -> ApiError {
    ApiError::oauth(status, error, detail)
}

fn invalid_client(detail: &str) -> ApiError {
    oauth(StatusCode::UNAUTHORIZED, OAuthError::InvalidClient, detail)
        .with_challenge("Basic realm=\"oretrace\"")
}

/// Exchanges client credentials for an access token.
///
/// Send `grant_type=client_credentials` as a form, with the client id and secret either in the
/// form (`client_id`, `client_secret`) or as HTTP Basic authentication (RFC 6749 §2.3.1), not
/// both. Errors follow RFC 6749 §5.2: the problem carries the OAuth `error` code
/// (`invalid_request`, `invalid_client`, `unsupported_grant_type`, `invalid_scope`) beside the
/// RFC 9457 members. Token requests are rate limited per source address, per client id and
/// source address, and (for client ids that do not exist) all together; at most a few client
/// secrets are checked at once per replica, and beyond a short queue the answer is 503.
#[utoipa::path(
    tag = "auth",
    operation_id = "issue_token",
    request_body(content = TokenRequest, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 200, description = "The access token", body = TokenResponse),
        (status = 400, description = "invalid_request, unsupported_grant_type or invalid_scope",
         body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 401, description = "invalid_client: unknown client, wrong secret or revoked client",
         body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many token requests from this address \
         (`ORETRACE_TOKEN_RATE_LIMIT_PER_SOURCE_PER_MINUTE`), for this client id from this \
         address (`ORETRACE_TOKEN_RATE_LIMIT_PER_MINUTE`), or naming unknown client ids \
         (`ORETRACE_TOKEN_RATE_LIMIT_UNKNOWN_CLIENTS_PER_MINUTE`); retry after `Retry-After` seconds",
         body = crate::api::error::Problem, content_type = "application/problem+json",
         headers(("Retry-After" = u64, description = "Seconds to wait before retrying"))),
        (status = 503, description = "The database is unreachable or busy, or too many client \
         authentications are in progress on this replica (`ORETRACE_SECRET_CHECKS_IN_FLIGHT`, `ORETRACE_SECRET_CHECK_QUEUE`); retry after \
         `Retry-After` seconds",
         body = crate::api::error::Problem, content_type = "application/problem+json",
         headers(("Retry-After" = u64, description = "Seconds to wait before retrying"))),
    )
)]
#[post("/v1/auth/token")]
pub async fn issue_token(
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    match media_type(&req) {
        Some(media) if media == FORM => {}
        _ => {
            return Err(ApiError::unsupported_media_type(
                "send the token request as application/x-www-form-urlencoded (RFC 6749 §4.4.2)",
            ));
        }
    }
    let body = read_body(&req, &mut payload.into_inner(), FORM_LIMIT).await?;
    let form = parse_form(&body)?;
    let basic = basic_credentials(&req)?;

    let grant_type = form.get("grant_type").ok_or_else(|| {
        oauth(
            StatusCode::BAD_REQUEST,
            OAuthError::InvalidRequest,
            "grant_type is required",
        )
    })?;
    if grant_type != "client_credentials" {
        return Err(oauth(
            StatusCode::BAD_REQUEST,
            OAuthError::UnsupportedGrantType,
            "only the client_credentials grant is supported",
        ));
    }
    let from_form = (form.get("client_id"), form.get("client_secret"));
    let (client_id, client_secret) = match (basic, from_form) {
        (Some(_), (Some(_), _) | (_, Some(_))) => {
            return Err(oauth(
                StatusCode::BAD_REQUEST,
                OAuthError::InvalidRequest,
                "send the client credentials either with HTTP Basic or in the form, not both",
            ));
        }
        (Some(pair), _) => pair,
        (None, (Some(id), Some(secret))) => (id.clone(), secret.clone()),
        (None, _) => {
            return Err(invalid_client(
                "client authentication is required: client_id and client_secret, or HTTP Basic",
            ));
        }
    };
    if client_id.is_empty() || client_id.len() > 200 || client_secret.len() > 200 {
        return Err(invalid_client("client authentication failed"));
    }
    let requested = form
        .get("scope")
        .map(|s| ScopeSet::parse(s))
        .transpose()
        .map_err(|e| oauth(StatusCode::BAD_REQUEST, OAuthError::InvalidScope, &e))?;

    // Limits before any secret is checked: per source address whatever the client id, then
    // per (client id, source) for a known client or one shared bucket for unknown ids, so that
    // failed attempts from one address never lock the client out at another.
    let source = state.config.rate_limit.trusted_proxies.source_of(&req);
    state.token_source_limiter.check(&source)?;
    let lookup_id = client_id.clone();
    let found = state
        .db
        .read(move |conn| organisations::active_client(conn, &lookup_id))
        .await?;
    match &found {
        Some(_) => state
            .token_limiter
            .check(&format!("{client_id} {source}"))?,
        None => state.token_unknown_limiter.check("unknown")?,
    };
    // At most a few argon2 checks at once per replica, each as long for an unknown id (against
    // a dummy hash) as for a known one. Unknown ids wait in a lane of their own, so that a
    // flood of made-up ids fills only that lane and real clients still get their tokens.
    let lane = if found.is_some() {
        &state.secret_checks
    } else {
        &state.unknown_client_checks
    };
    let authenticated = lane
        .run(move |verifier| match found {
            Some((client, hash)) if verifier.verify(&client_secret, &hash) => Some(client),
            _ => {
                verifier.verify_against_dummy(&client_secret);
                None
            }
        })
        .await?;
    let client = authenticated.ok_or_else(|| invalid_client("client authentication failed"))?;

    let held: ScopeSet = client.scopes.iter().copied().collect();
    let granted = match requested {
        Some(requested) if requested.is_empty() => held,
        Some(requested) if requested.is_subset(&held) => requested,
        Some(_) => {
            return Err(oauth(
                StatusCode::BAD_REQUEST,
                OAuthError::InvalidScope,
                &format!("the client may only request: {held}"),
            ));
        }
        None => held,
    };
    let token = state
        .tokens
        .issue(&client.client_id, client.organisation_id, granted)
        .map_err(ApiError::internal)?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((header::PRAGMA, "no-cache"))
        .json(TokenResponse {
            access_token: token.access_token,
            token_type: "Bearer".into(),
            expires_in: token.expires_in,
            scope: token.scope.to_string(),
        }))
}

/// The form's parameters; a parameter sent twice is `invalid_request` (RFC 6749 §3.1).
fn parse_form(body: &[u8]) -> Result<std::collections::HashMap<String, String>, ApiError> {
    let mut form = std::collections::HashMap::new();
    if std::str::from_utf8(body).is_err() {
        return Err(oauth(
            StatusCode::BAD_REQUEST,
            OAuthError::InvalidRequest,
            "the form is not valid UTF-8",
        ));
    }
    for (name, value) in form_urlencoded::parse(body) {
        if form.insert(name.to_string(), value.to_string()).is_some() {
            return Err(oauth(
                StatusCode::BAD_REQUEST,
                OAuthError::InvalidRequest,
                &format!("the parameter {name} is sent more than once"),
            ));
        }
    }
    Ok(form)
}

/// `Authorization: Basic base64(urlencode(id):urlencode(secret))`, when present.
fn basic_credentials(req: &HttpRequest) -> Result<Option<(String, String)>, ApiError> {
    let Some(value) = req.headers().get(header::AUTHORIZATION) else {
        return Ok(None);
    };
    let text = value
        .to_str()
        .map_err(|_| invalid_client("malformed Authorization header"))?;
    let Some((scheme, encoded)) = text.trim().split_once(' ') else {
        return Err(invalid_client("malformed Authorization header"));
    };
    if !scheme.eq_ignore_ascii_case("basic") {
        return Err(invalid_client(
            "authenticate the client with HTTP Basic or with client_id and client_secret",
        ));
    }
    let decoded = STANDARD
        .decode(encoded.trim())
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .ok_or_else(|| invalid_client("malformed HTTP Basic credentials"))?;
    let (id, secret) = decoded
        .split_once(':')
        .ok_or_else(|| invalid_client("malformed HTTP Basic credentials"))?;
    let decode = |s: &str| {
        form_urlencoded::parse(format!("v={s}").as_bytes())
            .next()
            .map(|(_, v)| v.into_owned())
            .unwrap_or_default()
    };
    Ok(Some((decode(id), decode(secret))))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn duplicate_form_parameters_are_refused() {
        assert!(parse_form(b"grant_type=client_credentials&scope=a").is_ok());
        assert!(parse_form(b"grant_type=a&grant_type=b").is_err());
        assert!(parse_form(b"\xff=1").is_err());
    }
}
