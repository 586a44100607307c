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
    certification_expiry_notices (organisation_id, certification_id, valid_until, notice_days) {
        organisation_id -> Text,
        certification_id -> Text,
        valid_until -> Date,
        notice_days -> Int4,
    }
}

diesel::table! {
    certification_history (id) {
        id -> Text,
        certification_id -> Text,
        effective_on -> Date,
        status -> Text,
        level -> Nullable<Text>,
        valid_from -> Date,
        valid_until -> Nullable<Date>,
        reason -> Nullable<Text>,
        recorded_by_organisation_id -> Text,
        recorded_by_client_id -> Nullable<Text>,
        recorded_at -> Timestamp,
    }
}

diesel::table! {
    certification_minerals (certification_id, mineral) {
        certification_id -> Text,
        mineral -> Text,
    }
}

diesel::table! {
    certification_states (organisation_id, certification_id) {
        organisation_id -> Text,
        certification_id -> Text,
        status -> Text,
        level -> Nullable<Text>,
    }
}

diesel::table! {
    certifications (id) {
        id -> Text,
        scheme_id -> Text,
        facility_id -> Nullable<Text>,
        party_id -> Nullable<Text>,
        level -> Nullable<Text>,
        status -> Text,
        valid_from -> Date,
        valid_until -> Nullable<Date>,
        certificate_number -> Nullable<Text>,
        assurance_body -> Nullable<Text>,
        evidence_url -> Nullable<Text>,
        evidence_sha256 -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    credential_status_indexes (status_index) {
        status_index -> Int8,
        certification_id -> Text,
        generation -> Int4,
        allocated_on -> Date,
        allocated_at -> Timestamp,
    }
}

diesel::table! {
    custody_event_lots (organisation_id, event_id, direction, lot_id) {
        organisation_id -> Text,
        event_id -> Text,
        lot_id -> Text,
        direction -> Text,
        quantity_mg -> Int8,
        quantity_uozt -> Int8,
    }
}

diesel::table! {
    custody_events (organisation_id, id) {
        organisation_id -> Text,
        id -> Text,
        event_type -> Text,
        occurred_on -> Date,
        facility_id -> Nullable<Text>,
        from_party_id -> Nullable<Text>,
        to_party_id -> Nullable<Text>,
        chain_of_custody -> Nullable<Text>,
        documents -> Text,
        external_ref -> Nullable<Text>,
        recorded_at -> Timestamp,
    }
}

diesel::table! {
    declarations (organisation_id, id) {
        organisation_id -> Text,
        id -> Text,
        supplier_party_id -> Text,
        template -> Text,
        version -> Text,
        company_name -> Text,
        effective_date -> Nullable<Date>,
        minerals -> Text,
        complete -> Int2,
        content_sha256 -> Text,
        file_name -> Nullable<Text>,
        size_bytes -> Int8,
        body -> Text,
        findings -> Text,
        superseded_by -> Nullable<Text>,
        superseded_at -> Nullable<Timestamp>,
        received_at -> Timestamp,
    }
}

diesel::table! {
    epcis_captures (organisation_id, id) {
        organisation_id -> Text,
        id -> Text,
        error_behaviour -> Text,
        running -> Int2,
        success -> Int2,
        event_count -> Int4,
        captured_count -> Int4,
        duplicate_count -> Int4,
        errors -> Text,
        created_at -> Timestamp,
        finished_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    epcis_events (organisation_id, event_id) {
        organisation_id -> Text,
        event_id -> Text,
        custody_event_id -> Text,
        capture_id -> Text,
        event_type -> Text,
        event_time -> Timestamp,
        document -> Text,
        context -> Text,
        recorded_at -> Timestamp,
    }
}

diesel::table! {
    epcis_lot_identifiers (organisation_id, identifier) {
        organisation_id -> Text,
        identifier -> Text,
        lot_id -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    event_counters (organisation_id) {
        organisation_id -> Text,
        last_seq -> Int8,
    }
}

diesel::table! {
    events (organisation_id, seq) {
        organisation_id -> Text,
        seq -> Int8,
        id -> Text,
        event_type -> Text,
        occurred_at -> Timestamp,
        data -> Text,
    }
}

diesel::table! {
    facilities (id) {
        id -> Text,
        name -> Text,
        search_name -> Text,
        kind -> Text,
        mining_scale -> Nullable<Text>,
        country -> Text,
        subdivision -> Nullable<Text>,
        latitude -> Nullable<Float8>,
        longitude -> Nullable<Float8>,
        operator_party_id -> Nullable<Text>,
        cahra -> Int2,
        cahra_basis -> Nullable<Text>,
        asm_presence -> Nullable<Int2>,
        coexistence_agreement -> Nullable<Text>,
        status -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    facility_identifiers (scheme, value) {
        scheme -> Text,
        value -> Text,
        facility_id -> Text,
    }
}

diesel::table! {
    facility_minerals (facility_id, mineral) {
        facility_id -> Text,
        mineral -> Text,
    }
}

diesel::table! {
    idempotency_records (organisation_id, client_id, idempotency_key) {
        organisation_id -> Text,
        client_id -> Text,
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
    lots (organisation_id, id) {
        organisation_id -> Text,
        id -> Text,
        external_ref -> Text,
        mineral -> Text,
        form -> Text,
        quantity_mg -> Int8,
        quantity_uozt -> Int8,
        quantity_value -> Text,
        quantity_unit -> Text,
        holder_party_id -> Nullable<Text>,
        recycled -> Int2,
        origin_event_id -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    organisation_profiles (organisation_id) {
        organisation_id -> Text,
        legal_name -> Nullable<Text>,
        unique_id -> Nullable<Text>,
        unique_id_authority -> Nullable<Text>,
        address -> Nullable<Text>,
        contact_name -> Nullable<Text>,
        contact_email -> Nullable<Text>,
        contact_phone -> Nullable<Text>,
        authorizer -> Nullable<Text>,
        authorizer_title -> Nullable<Text>,
        authorizer_email -> Nullable<Text>,
        authorizer_phone -> Nullable<Text>,
        policy_url -> Nullable<Text>,
        updated_at -> Timestamp,
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

diesel::table! {
    parties (id) {
        id -> Text,
        name -> Text,
        search_name -> Text,
        country -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    party_identifiers (scheme, value) {
        scheme -> Text,
        value -> Text,
        party_id -> Text,
    }
}

diesel::table! {
    party_roles (party_id, role) {
        party_id -> Text,
        role -> Text,
    }
}

diesel::table! {
    purchase_mix_daily (organisation_id, purchased_on, mineral, supplier_party_id, facility_key, origin_class, country_key, declared, has_lot) {
        organisation_id -> Text,
        purchased_on -> Date,
        mineral -> Text,
        supplier_party_id -> Text,
        facility_key -> Text,
        origin_class -> Text,
        country_key -> Text,
        declared -> Int2,
        has_lot -> Int2,
        quantity_mg -> Int8,
        quantity_uozt -> Int8,
    }
}

diesel::table! {
    purchase_mix_monthly (organisation_id, month_start, mineral, supplier_party_id, facility_key, origin_class, country_key, declared, has_lot) {
        organisation_id -> Text,
        month_start -> Date,
        mineral -> Text,
        supplier_party_id -> Text,
        facility_key -> Text,
        origin_class -> Text,
        country_key -> Text,
        declared -> Int2,
        has_lot -> Int2,
        quantity_mg -> Int8,
        quantity_uozt -> Int8,
    }
}

diesel::table! {
    purchase_mix_monthly_by_origin (organisation_id, month_start, mineral, facility_key, origin_class, country_key, declared, has_lot) {
        organisation_id -> Text,
        month_start -> Date,
        mineral -> Text,
        facility_key -> Text,
        origin_class -> Text,
        country_key -> Text,
        declared -> Int2,
        has_lot -> Int2,
        quantity_mg -> Int8,
        quantity_uozt -> Int8,
    }
}

diesel::table! {
    purchase_origins (organisation_id, purchase_id, position) {
        organisation_id -> Text,
        purchase_id -> Text,
        position -> Int4,
        facility_id -> Nullable<Text>,
        origin_class -> Text,
        country -> Nullable<Text>,
        declared -> Int2,
        share_ppb -> Int8,
        quantity_mg -> Int8,
        quantity_uozt -> Int8,
        purchased_on -> Date,
        mineral -> Text,
        supplier_party_id -> Text,
    }
}

diesel::table! {
    purchases (organisation_id, id) {
        organisation_id -> Text,
        id -> Text,
        external_ref -> Text,
        supplier_party_id -> Text,
        mineral -> Text,
        quantity_mg -> Int8,
        quantity_uozt -> Int8,
        quantity_value -> Text,
        quantity_unit -> Text,
        purchased_on -> Date,
        lot_id -> Nullable<Text>,
        content_hash -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    red_flag_case_entries (organisation_id, case_id, seq) {
        organisation_id -> Text,
        case_id -> Text,
        seq -> Integer,
        at -> Timestamp,
        client_id -> Nullable<Text>,
        kind -> Text,
        text -> Text,
    }
}

diesel::table! {
    red_flag_cases (organisation_id, id) {
        organisation_id -> Text,
        id -> Text,
        purchase_id -> Text,
        fingerprint -> Text,
        kind -> Text,
        severity -> Text,
        message -> Text,
        evidence -> Text,
        status -> Text,
        assignee -> Nullable<Text>,
        due_date -> Nullable<Date>,
        mitigation_plan -> Nullable<Text>,
        cleared_reason -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    red_flag_states (organisation_id, purchase_id, fingerprint) {
        organisation_id -> Text,
        purchase_id -> Text,
        fingerprint -> Text,
        flag -> Text,
        raised_at -> Timestamp,
    }
}

diesel::table! {
    sourcing_target_states (organisation_id, target_key, period_start) {
        organisation_id -> Text,
        target_key -> Text,
        period_start -> Date,
        met -> Int2,
    }
}

diesel::table! {
    supply_sweeps (organisation_id) {
        organisation_id -> Text,
        requested_at -> Timestamp,
        swept_at -> Nullable<Timestamp>,
        lease_until -> Nullable<Timestamp>,
        quiet -> Int2,
    }
}

diesel::table! {
    schemes (id) {
        id -> Text,
        name -> Text,
        owner -> Text,
        url -> Text,
        description -> Text,
        subjects -> Text,
        levels -> Text,
        minerals -> Text,
    }
}

diesel::table! {
    sourcing_policies (organisation_id) {
        organisation_id -> Text,
        document -> Text,
        updated_at -> Timestamp,
        updated_by_client_id -> Nullable<Text>,
    }
}

diesel::table! {
    webhook_attempts (organisation_id, delivery_id, attempt) {
        organisation_id -> Text,
        delivery_id -> Text,
        attempt -> Int4,
        attempted_at -> Timestamp,
        status_code -> Nullable<Int4>,
        latency_ms -> Int8,
        error -> Nullable<Text>,
    }
}

diesel::table! {
    webhook_deliveries (organisation_id, id) {
        organisation_id -> Text,
        id -> Text,
        subscription_id -> Text,
        event_seq -> Int8,
        status -> Text,
        attempts -> Int4,
        next_attempt_at -> Nullable<Timestamp>,
        lease_until -> Nullable<Timestamp>,
        retry_since -> Timestamp,
        created_at -> Timestamp,
        completed_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    webhook_subscriptions (organisation_id, id) {
        organisation_id -> Text,
        id -> Text,
        url -> Text,
        description -> Text,
        event_types -> Text,
        enabled -> Int2,
        expiring_days -> Int4,
        secret -> Text,
        previous_secret -> Nullable<Text>,
        previous_secret_until -> Nullable<Timestamp>,
        failing_since -> Nullable<Timestamp>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::joinable!(api_clients -> organisations (organisation_id));
diesel::joinable!(certification_expiry_notices -> organisations (organisation_id));
diesel::joinable!(certification_history -> certifications (certification_id));
diesel::joinable!(certification_minerals -> certifications (certification_id));
diesel::joinable!(certification_states -> organisations (organisation_id));
diesel::joinable!(credential_status_indexes -> certifications (certification_id));
diesel::joinable!(certifications -> facilities (facility_id));
diesel::joinable!(certifications -> parties (party_id));
diesel::joinable!(certifications -> schemes (scheme_id));
diesel::joinable!(custody_events -> facilities (facility_id));
diesel::joinable!(declarations -> organisations (organisation_id));
diesel::joinable!(declarations -> parties (supplier_party_id));
diesel::joinable!(custody_events -> organisations (organisation_id));
diesel::joinable!(epcis_captures -> organisations (organisation_id));
diesel::joinable!(event_counters -> organisations (organisation_id));
diesel::joinable!(events -> organisations (organisation_id));
diesel::joinable!(facilities -> parties (operator_party_id));
diesel::joinable!(facility_identifiers -> facilities (facility_id));
diesel::joinable!(facility_minerals -> facilities (facility_id));
diesel::joinable!(idempotency_records -> organisations (organisation_id));
diesel::joinable!(lots -> organisations (organisation_id));
diesel::joinable!(lots -> parties (holder_party_id));
diesel::joinable!(organisation_profiles -> organisations (organisation_id));
diesel::joinable!(party_identifiers -> parties (party_id));
diesel::joinable!(party_roles -> parties (party_id));
diesel::joinable!(purchase_origins -> facilities (facility_id));
diesel::joinable!(purchases -> organisations (organisation_id));
diesel::joinable!(purchases -> parties (supplier_party_id));
diesel::joinable!(red_flag_cases -> organisations (organisation_id));
diesel::joinable!(red_flag_states -> organisations (organisation_id));
diesel::joinable!(sourcing_target_states -> organisations (organisation_id));
diesel::joinable!(supply_sweeps -> organisations (organisation_id));
diesel::joinable!(sourcing_policies -> organisations (organisation_id));
diesel::joinable!(webhook_subscriptions -> organisations (organisation_id));

diesel::allow_tables_to_appear_in_same_query!(
    api_clients,
    audit_events,
    certification_expiry_notices,
    certification_history,
    certification_minerals,
    certification_states,
    certifications,
    credential_status_indexes,
    custody_event_lots,
    custody_events,
    declarations,
    epcis_captures,
    epcis_events,
    epcis_lot_identifiers,
    event_counters,
    events,
    facilities,
    facility_identifiers,
    facility_minerals,
    idempotency_records,
    lots,
    organisation_profiles,
    organisations,
    parties,
    party_identifiers,
    party_roles,
    purchase_mix_daily,
    purchase_mix_monthly,
    purchase_mix_monthly_by_origin,
    purchase_origins,
    purchases,
    red_flag_case_entries,
    red_flag_cases,
    red_flag_states,
    sourcing_target_states,
    supply_sweeps,
    schemes,
    sourcing_policies,
    webhook_attempts,
    webhook_deliveries,
    webhook_subscriptions,
);
