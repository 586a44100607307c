//! The HTTP routes, one module per resource. Handlers are thin: extract, authorise, call one
//! model or domain function inside `Db::read`/`Db::write`, map to a view.

pub mod audit_events;
pub mod catalog_handlers;
pub mod certifications;
pub mod console;
pub mod credentials;
pub mod custody_events;
pub mod declarations;
pub mod docs;
pub mod epcis;
pub mod events;
pub mod facilities;
pub mod health;
pub mod jwks;
pub mod lots;
pub mod me;
pub mod metrics;
pub mod organisations;
pub mod parties;
pub mod policy;
pub mod provenance;
pub mod purchases;
pub mod red_flags;
pub mod reports;
pub mod schemes;
pub mod sourcing_mix;
pub mod token;
pub mod webhooks;

use utoipa_actix_web::service_config::ServiceConfig;

/// Registers every documented route (the OpenAPI document is collected from here).
pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(health::live)
        .service(health::ready)
        .service(metrics::metrics)
        .service(jwks::jwks)
        .service(token::issue_token)
        .service(me::me)
        .service(organisations::create_organisation)
        .service(organisations::list_organisations)
        .service(organisations::get_organisation)
        .service(organisations::create_client)
        .service(organisations::list_clients)
        .service(organisations::revoke_client)
        .service(organisations::get_profile)
        .service(organisations::update_profile)
        .service(schemes::list_schemes)
        .service(schemes::get_scheme)
        .service(facilities::batch_facilities)
        .service(facilities::list_facilities)
        .service(facilities::create_facility)
        .service(facilities::get_facility)
        .service(facilities::update_facility)
        .service(parties::batch_parties)
        .service(parties::list_parties)
        .service(parties::create_party)
        .service(parties::get_party)
        .service(parties::update_party)
        .service(certifications::as_of::facility_certifications)
        .service(certifications::as_of::party_certifications)
        .service(certifications::batch_certifications)
        .service(certifications::list_certifications)
        .service(certifications::create_certification)
        .service(certifications::get_certification)
        .service(certifications::update_certification)
        .service(audit_events::list_audit_events)
        .service(purchases::create_purchases_batch)
        .service(purchases::create_purchases_batch_csv)
        .service(purchases::create_purchases_batch_ndjson)
        .service(purchases::create_purchase)
        .service(purchases::list_purchases)
        .service(purchases::get_purchase)
        .service(purchases::delete_purchase)
        .service(policy::get_policy)
        .service(policy::put_policy)
        .service(sourcing_mix::get_sourcing_mix)
        .service(sourcing_mix::get_sourcing_mix_csv)
        .service(declarations::import_declaration)
        .service(declarations::list_declarations)
        .service(declarations::get_declared_smelters)
        .service(declarations::get_declared_smelters_csv)
        .service(declarations::get_declaration_coverage)
        .service(declarations::get_declaration_coverage_csv)
        .service(declarations::get_outgoing_declaration)
        .service(declarations::get_declaration)
        .service(lots::list_lots)
        .service(lots::create_lot)
        .service(lots::get_lot)
        .service(custody_events::create_custody_events)
        .service(custody_events::list_custody_events)
        .service(provenance::trace_lot)
        .service(provenance::trace_purchase)
        .service(provenance::trace_party)
        .service(red_flags::list_red_flags)
        .service(red_flags::get_red_flag)
        .service(red_flags::update_red_flag)
        .service(reports::get_due_diligence_report)
        .service(webhooks::create_webhook)
        .service(webhooks::list_webhooks)
        .service(webhooks::get_webhook)
        .service(webhooks::update_webhook)
        .service(webhooks::delete_webhook)
        .service(webhooks::rotate_webhook_secret)
        .service(webhooks::ping_webhook)
        .service(webhooks::list_webhook_deliveries)
        .service(webhooks::get_webhook_delivery)
        .service(webhooks::redeliver_webhook_delivery)
        .service(events::list_events)
        // UNTP credentials and their status lists (docs/CREDENTIALS.md).
        .service(credentials::get_certification_credential)
        .service(credentials::get_facility_credential)
        .service(credentials::get_custody_event_credential)
        .service(credentials::get_status_list)
        .service(epcis::capture_epcis)
        .service(epcis::get_epcis_capture)
        .service(epcis::list_epcis_events)
        .service(epcis::get_epcis_event);
}
