//! The OpenAPI document: collected from the registered routes (utoipa-actix-web), completed
//! with the security schemes and the error responses every operation shares.
//!
//! `oretrace openapi > openapi/openapi.json` regenerates the committed contract; a test fails
//! when it drifts.

use actix_web::App;
use utoipa::OpenApi;
use utoipa::openapi::header::HeaderBuilder;
use utoipa::openapi::path::{Operation, ParameterBuilder, ParameterIn};
use utoipa::openapi::security::{
    ClientCredentials, Flow, HttpAuthScheme, HttpBuilder, OAuth2, Scopes, SecurityScheme,
};
use utoipa::openapi::{Content, ObjectBuilder, Ref, RefOr, Required, ResponseBuilder, Type};
use utoipa_actix_web::AppExt;

use crate::api::error::{FieldError, Problem};

mod links;

use crate::auth::Scope;
use links::add_links;

const DESCRIPTION: &str = "\
Oretrace answers three questions for purchasers of minerals: is this mine, smelter or supplier \
certified (IRMA, Fairmined, CRAFT, RMAP…), what is our mix of artisanal and small-scale (ASM) \
versus large-scale (LSM) sourcing, and where did this material come from.

**Authentication.** Get a token with the OAuth 2.0 client-credentials grant at \
`POST /v1/auth/token` and send it as `Authorization: Bearer <token>`. Each operation names the \
scope it needs.

**Errors** are RFC 9457 `application/problem+json` with a stable `type` \
(`urn:oretrace:problem:<code>`), and for invalid input an `errors` list of `{pointer, detail}` \
or `{parameter, detail}`.

**Lists** are cursor-paginated: `limit` (1–500, default 50) and `cursor`; the body carries \
`next_cursor` and a `Link: <…>; rel=\"next\"` header is sent.

**Retries.** POST operations accept an `Idempotency-Key` header: the same key with the same \
request replays the first answer; with another request it is refused (409).

**Tenancy.** Purchases, lots, custody events, policies and reports belong to one organisation; \
another organisation's resource answers 404. The catalog is shared reference data.";

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Oretrace API",
        description = DESCRIPTION,
        license(name = "Apache-2.0", identifier = "Apache-2.0"),
    ),
    components(schemas(Problem, FieldError, crate::store::audit::EntityType)),
    tags(
        (name = "auth", description = "Tokens, keys and the caller"),
        (name = "organisations", description = "Organisations and their API clients (operator)"),
        (name = "schemes", description = "Certification schemes (standards) and their levels"),
        (name = "facilities", description = "Mines, smelters, refiners and other facilities of the shared catalog"),
        (name = "parties", description = "Companies and organisations of the shared catalog"),
        (name = "certifications", description = "Certificates, their history and their status on any date"),
        (name = "audit", description = "Who changed what, and when"),
        (name = "purchases", description = "The organisation's purchase lines from its ERP"),
        (name = "provenance", description = "Lots, custody events, tracing to mines of origin, and red flags"),
        (name = "health", description = "Probes and metrics"),
        (name = "reports", description = "The annual due-diligence report"),
        (name = "credentials", description = "UN Transparency Protocol verifiable credentials and their Bitstring Status Lists"),
        (name = "epcis", description = "GS1 EPCIS 2.0 capture and query (docs/EPCIS.md)"),
    )
)]
struct BaseDoc;

/// The complete OpenAPI document.
pub fn document() -> utoipa::openapi::OpenApi {
    let (_, mut doc) = App::new()
        .into_utoipa_app()
        .openapi(BaseDoc::openapi())
        .configure(crate::api::routes::configure)
        .split_for_parts();
    doc.info.version = env!("CARGO_PKG_VERSION").to_owned();
    add_security_schemes(&mut doc);
    add_shared_responses(&mut doc);
    add_links(&mut doc);
    forbid_nul_in_free_text_queries(&mut doc);
    crate::api::routes::epcis::document_error_behaviour(&mut doc);
    doc
}

/// A NUL character is refused in every query value (`ApiQuery`: 400); free-text query
/// parameters (strings with no format, enum or pattern of their own) say so with a pattern, so
/// that the document states every constraint the server applies.
pub const NO_NUL_PATTERN: &str = "^[^\\u0000]*$";

fn forbid_nul_in_free_text_queries(doc: &mut utoipa::openapi::OpenApi) {
    use utoipa::openapi::schema::{Schema, SchemaType};
    for item in doc.paths.paths.values_mut() {
        for operation in operations_of_mut(item).into_iter().flatten() {
            for parameter in operation.parameters.iter_mut().flatten() {
                let RefOr::T(parameter) = parameter else {
                    continue;
                };
                if parameter.parameter_in != ParameterIn::Query {
                    continue;
                }
                if let Some(RefOr::T(Schema::Object(object))) = parameter.schema.as_mut()
                    && object.schema_type == SchemaType::Type(Type::String)
                    && object.format.is_none()
                    && object.enum_values.is_none()
                    && object.pattern.is_none()
                {
                    object.pattern = Some(NO_NUL_PATTERN.to_owned());
                }
            }
        }
    }
}

pub(super) fn operations_of(item: &utoipa::openapi::PathItem) -> [Option<&Operation>; 5] {
    [
        item.get.as_ref(),
        item.post.as_ref(),
        item.put.as_ref(),
        item.patch.as_ref(),
        item.delete.as_ref(),
    ]
}

pub(super) fn operations_of_mut(
    item: &mut utoipa::openapi::PathItem,
) -> [Option<&mut Operation>; 5] {
    [
        item.get.as_mut(),
        item.post.as_mut(),
        item.put.as_mut(),
        item.patch.as_mut(),
        item.delete.as_mut(),
    ]
}

/// The document as the committed `openapi/openapi.json` holds it.
pub fn to_json(doc: &utoipa::openapi::OpenApi) -> String {
    let mut json = doc.to_pretty_json().unwrap_or_else(|_| String::from("{}"));
    json.push('\n');
    json
}

fn add_security_schemes(doc: &mut utoipa::openapi::OpenApi) {
    let components = doc.components.get_or_insert_with(Default::default);
    components.add_security_scheme(
        "bearer",
        SecurityScheme::Http(
            HttpBuilder::new()
                .scheme(HttpAuthScheme::Bearer)
                .bearer_format("JWT")
                .description(Some(
                    "An access token from POST /v1/auth/token (or a trusted external issuer)",
                ))
                .build(),
        ),
    );
    let scopes = Scopes::from_iter(Scope::ALL.into_iter().map(|s| {
        let description = match s {
            Scope::CatalogRead => "Read the shared certification catalog",
            Scope::CatalogWrite => "Change the shared certification catalog (operators)",
            Scope::PurchasesRead => "Read purchases, policy and sourcing mix",
            Scope::PurchasesWrite => "Record purchases and set the sourcing policy",
            Scope::ProvenanceRead => "Read lots, custody events, provenance and red flags",
            Scope::ProvenanceWrite => "Record lots and custody events",
            Scope::WebhooksManage => "Manage webhook subscriptions and their deliveries",
            Scope::EventsRead => "Read the event feed",
            Scope::Admin => "Register organisations and API clients (operators)",
        };
        (s.as_str().to_owned(), description.to_owned())
    }));
    components.add_security_scheme(
        "oauth2",
        SecurityScheme::OAuth2(OAuth2::new([Flow::ClientCredentials(
            ClientCredentials::new("/v1/auth/token", scopes),
        )])),
    );
}

fn problem_response(description: &str, retry_after: bool) -> utoipa::openapi::Response {
    let mut builder = ResponseBuilder::new().description(description).content(
        crate::api::error::PROBLEM_JSON,
        Content::new(Some(Ref::from_schema_name("Problem"))),
    );
    if retry_after {
        builder = builder.header(
            "Retry-After",
            HeaderBuilder::new()
                .schema(Some(ObjectBuilder::new().schema_type(Type::Integer)))
                .description(Some("Seconds to wait before retrying"))
                .build(),
        );
    }
    builder.build()
}

/// Adds the error responses that follow from an operation's shape, so that every status code
/// the conventions can produce is documented once and the same way everywhere.
fn add_shared_responses(doc: &mut utoipa::openapi::OpenApi) {
    for (path, item) in doc.paths.paths.iter_mut() {
        let has_path_params = path.contains('{');
        let operations: [(&str, &mut Option<Operation>); 5] = [
            ("GET", &mut item.get),
            ("POST", &mut item.post),
            ("PUT", &mut item.put),
            ("PATCH", &mut item.patch),
            ("DELETE", &mut item.delete),
        ];
        for (method, operation) in operations {
            let Some(operation) = operation.as_mut() else {
                continue;
            };
            let secured = operation
                .security
                .as_ref()
                .is_some_and(|requirements| !requirements.is_empty());
            let has_body = operation.request_body.is_some();
            let has_query = operation.parameters.as_ref().is_some_and(|params| {
                params
                    .iter()
                    .any(|p| matches!(p, RefOr::T(p) if p.parameter_in == ParameterIn::Query))
            });
            let mut add = |status: &str, response: utoipa::openapi::Response| {
                operation
                    .responses
                    .responses
                    .entry(status.to_owned())
                    .or_insert_with(|| response.into());
            };
            if has_body || has_query || has_path_params {
                add(
                    "400",
                    problem_response(
                        "Malformed body, or an invalid path or query parameter",
                        false,
                    ),
                );
            }
            if secured {
                add(
                    "401",
                    problem_response("Missing, expired or invalid bearer token", false),
                );
                add(
                    "403",
                    problem_response("The token lacks the scope this operation needs", false),
                );
                add(
                    "429",
                    problem_response("The organisation's rate limit is exceeded", true),
                );
            }
            if has_path_params {
                add("404", problem_response("No such resource", false));
            }
            if has_body {
                add("413", problem_response("The body is too large", false));
                add(
                    "415",
                    problem_response("The Content-Type is not one this operation accepts", false),
                );
                add(
                    "422",
                    problem_response("The body is well-formed but a value is invalid", false),
                );
            }
            if method == "POST" && secured {
                add(
                    "409",
                    problem_response(
                        "A request with the same Idempotency-Key is still in progress, or the \
                         key was used for another request",
                        true,
                    ),
                );
                let parameters = operation.parameters.get_or_insert_with(Vec::new);
                if !parameters
                    .iter()
                    .any(|p| matches!(p, RefOr::T(p) if p.name == "Idempotency-Key"))
                {
                    parameters.push(
                        ParameterBuilder::new()
                            .name("Idempotency-Key")
                            .parameter_in(ParameterIn::Header)
                            .required(Required::False)
                            .description(Some(
                                "Makes the POST safe to retry: the same key with the same \
                                 request replays the first answer for 24 hours",
                            ))
                            .schema(Some(
                                ObjectBuilder::new()
                                    .schema_type(Type::String)
                                    .min_length(Some(1))
                                    .max_length(Some(255))
                                    .pattern(Some("^[\\x21-\\x7E]+$")),
                            ))
                            .build()
                            .into(),
                    );
                }
            }
            add(
                "503",
                problem_response("The database is unreachable or busy; retry", true),
            );
        }
    }
}
