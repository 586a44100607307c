//! OpenAPI links: where a created resource's id feeds later operations.

use utoipa::openapi::RefOr;
use utoipa::openapi::link::LinkBuilder;

use super::{operations_of, operations_of_mut};

/// `(from operation, status, link name, to operation, [(parameter, expression)])`.
type LinkRow = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static [(&'static str, &'static str)],
);

/// OpenAPI links: where a created resource's id feeds later operations. Generated clients show
/// them, and schemathesis follows them in its stateful phase (create, then read, change,
/// delete). Each row: the operation and status that create, the link's name, the operation it
/// feeds, and its parameters as runtime expressions.
const LINKS: &[LinkRow] = &[
    (
        "capture_epcis",
        "202",
        "GetEpcisCapture",
        "get_epcis_capture",
        &[("captureID", "$response.body#/captureID")],
    ),
    // No link to `get_organisation`: any token may call it, but only for its own organisation
    // (or with `admin`), so a client following a link from an admin's creation with another
    // token would meet a correct 404.
    (
        "create_organisation",
        "201",
        "ListClients",
        "list_clients",
        &[("id", "$response.body#/id")],
    ),
    (
        "create_organisation",
        "201",
        "CreateClient",
        "create_client",
        &[("id", "$response.body#/id")],
    ),
    (
        "create_client",
        "201",
        "RevokeClient",
        "revoke_client",
        &[
            ("id", "$request.path.id"),
            ("client_id", "$response.body#/client_id"),
        ],
    ),
    (
        "create_facility",
        "201",
        "GetFacility",
        "get_facility",
        &[("id", "$response.body#/id")],
    ),
    (
        "create_facility",
        "201",
        "UpdateFacility",
        "update_facility",
        &[("id", "$response.body#/id")],
    ),
    (
        "create_facility",
        "201",
        "FacilityCertifications",
        "facility_certifications_as_of",
        &[("id", "$response.body#/id")],
    ),
    (
        "create_party",
        "201",
        "GetParty",
        "get_party",
        &[("id", "$response.body#/id")],
    ),
    (
        "create_party",
        "201",
        "UpdateParty",
        "update_party",
        &[("id", "$response.body#/id")],
    ),
    (
        "create_party",
        "201",
        "PartyCertifications",
        "party_certifications_as_of",
        &[("id", "$response.body#/id")],
    ),
    (
        "create_certification",
        "201",
        "GetCertification",
        "get_certification",
        &[("id", "$response.body#/id")],
    ),
    (
        "create_certification",
        "201",
        "UpdateCertification",
        "update_certification",
        &[("id", "$response.body#/id")],
    ),
    (
        "create_purchase",
        "201",
        "GetPurchase",
        "get_purchase",
        &[("id", "$response.body#/purchase/id")],
    ),
    (
        "create_purchase",
        "201",
        "DeletePurchase",
        "delete_purchase",
        &[("id", "$response.body#/purchase/id")],
    ),
    (
        "create_purchase",
        "200",
        "GetPurchase",
        "get_purchase",
        &[("id", "$response.body#/purchase/id")],
    ),
    (
        "create_purchase",
        "200",
        "DeletePurchase",
        "delete_purchase",
        &[("id", "$response.body#/purchase/id")],
    ),
    (
        "create_purchase",
        "201",
        "TracePurchase",
        "trace_purchase",
        &[("id", "$response.body#/purchase/id")],
    ),
    (
        "create_party",
        "201",
        "TraceParty",
        "trace_party",
        &[("id", "$response.body#/id")],
    ),
    (
        "create_lot",
        "201",
        "GetLot",
        "get_lot",
        &[("id", "$response.body#/id")],
    ),
    (
        "create_lot",
        "201",
        "TraceLot",
        "trace_lot",
        &[("id", "$response.body#/id")],
    ),
    (
        "list_schemes",
        "200",
        "GetScheme",
        "get_scheme",
        &[("id", "$response.body#/items/0/id")],
    ),
];

pub(super) fn add_links(doc: &mut utoipa::openapi::OpenApi) {
    let known: std::collections::HashSet<String> = doc
        .paths
        .paths
        .values()
        .flat_map(|item| operations_of(item).into_iter().flatten())
        .filter_map(|op| op.operation_id.clone())
        .collect();
    for item in doc.paths.paths.values_mut() {
        for operation in operations_of_mut(item).into_iter().flatten() {
            let Some(id) = operation.operation_id.clone() else {
                continue;
            };
            for (from, status, name, to, parameters) in LINKS {
                if *from != id || !known.contains(*to) {
                    continue;
                }
                if let Some(RefOr::T(response)) = operation.responses.responses.get_mut(*status) {
                    let mut link = LinkBuilder::new().operation_id(*to);
                    for (parameter, expression) in *parameters {
                        link = link.parameter(*parameter, *expression);
                    }
                    response
                        .links
                        .insert((*name).to_owned(), RefOr::T(link.build()));
                }
            }
        }
    }
}
