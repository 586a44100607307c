//! Organisation profiles: the company information of an organisation's own declarations.

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;

use crate::db::DbConn;
use crate::db::schema::organisation_profiles as profiles;
use crate::domain::ids::OrganisationId;
use crate::domain::organisation::CompanyProfile;
use crate::domain::time;
use crate::store::StoreError;

#[derive(Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = profiles, treat_none_as_null = true)]
struct Row {
    organisation_id: OrganisationId,
    legal_name: Option<String>,
    unique_id: Option<String>,
    unique_id_authority: Option<String>,
    address: Option<String>,
    contact_name: Option<String>,
    contact_email: Option<String>,
    contact_phone: Option<String>,
    authorizer: Option<String>,
    authorizer_title: Option<String>,
    authorizer_email: Option<String>,
    authorizer_phone: Option<String>,
    policy_url: Option<String>,
    updated_at: NaiveDateTime,
}

/// The organisation's profile and when it last changed (`None`: never set, all empty).
pub fn get(
    conn: &mut DbConn,
    organisation: OrganisationId,
) -> Result<(CompanyProfile, Option<DateTime<Utc>>), StoreError> {
    let row: Option<Row> = profiles::table
        .filter(profiles::organisation_id.eq(organisation))
        .select(Row::as_select())
        .first(conn)
        .optional()?;
    Ok(match row {
        None => (CompanyProfile::default(), None),
        Some(r) => (
            CompanyProfile {
                legal_name: r.legal_name,
                unique_id: r.unique_id,
                unique_id_authority: r.unique_id_authority,
                address: r.address,
                contact_name: r.contact_name,
                contact_email: r.contact_email,
                contact_phone: r.contact_phone,
                authorizer: r.authorizer,
                authorizer_title: r.authorizer_title,
                authorizer_email: r.authorizer_email,
                authorizer_phone: r.authorizer_phone,
                policy_url: r.policy_url,
            },
            Some(time::from_db(r.updated_at)),
        ),
    })
}

/// Writes the whole profile.
pub fn put(
    conn: &mut DbConn,
    organisation: OrganisationId,
    profile: &CompanyProfile,
    at: DateTime<Utc>,
) -> Result<(), StoreError> {
    let row = Row {
        organisation_id: organisation,
        legal_name: profile.legal_name.clone(),
        unique_id: profile.unique_id.clone(),
        unique_id_authority: profile.unique_id_authority.clone(),
        address: profile.address.clone(),
        contact_name: profile.contact_name.clone(),
        contact_email: profile.contact_email.clone(),
        contact_phone: profile.contact_phone.clone(),
        authorizer: profile.authorizer.clone(),
        authorizer_title: profile.authorizer_title.clone(),
        authorizer_email: profile.authorizer_email.clone(),
        authorizer_phone: profile.authorizer_phone.clone(),
        policy_url: profile.policy_url.clone(),
        updated_at: time::to_db(at),
    };
    let updated =
        diesel::update(profiles::table.filter(profiles::organisation_id.eq(organisation)))
            .set(&row)
            .execute(conn)?;
    if updated == 0 {
        diesel::insert_into(profiles::table)
            .values(&row)
            .execute(conn)?;
    }
    Ok(())
}
