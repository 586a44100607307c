// @generated automatically by Diesel CLI.

diesel::table! {
    api_clients (id) {
        id -> Text,
        organisation_id -> Text,
        name -> Text,
        secret_hash -> Text,
        scopes -> Text,
        created_at -> Timestamp,
        revoked_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    audit_events (id) {
        id -> Text,
        organisation_id -> Text,
        client_id -> Nullable<Text>,
        action -> Text,
        entity_type -> Text,
        entity_id -> Text,
        changes -> Text,
        occurred_at -> Timestamp,
    }
}

diesel::table! {
    idempotency_records (organisation_id, idempotency_key) {
        organisation_id -> Text,
        idempotency_key -> Text,
        request_method -> Text,
        request_path -> Text,
        request_hash -> Text,
        status -> Nullable<Int4>,
        response_content_type -> Nullable<Text>,
        response_location -> Nullable<Text>,
        response_body -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    organisations (id) {
        id -> Text,
        name -> Text,
        kind -> Text,
        created_at -> Timestamp,
    }
}

diesel::joinable!(api_clients -> organisations (organisation_id));
diesel::joinable!(idempotency_records -> organisations (organisation_id));

diesel::allow_tables_to_appear_in_same_query!(
    api_clients,
    audit_events,
    idempotency_records,
    organisations,
);
