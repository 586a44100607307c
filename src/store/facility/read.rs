//! Reading facilities: by id, by identifier, by name, and filtered lists.

use std::collections::HashMap;

use diesel::prelude::*;

use super::rows::*;
use super::*;
use crate::db::DbConn;
use crate::db::schema::{certifications, facilities, facility_identifiers, facility_minerals};
use crate::domain::ids::FacilityId;
use crate::domain::text;
use crate::domain::vocabulary::{FacilityKind, MiningScale};
use crate::store::StoreError;
use crate::store::catalog::{chunked, contains_pattern, distinct, owners};

pub fn find(conn: &mut DbConn, id: FacilityId) -> Result<Option<Facility>, StoreError> {
    Ok(find_many(conn, &[id])?.pop())
}

/// The facilities with these ids (those that exist), in id order.
pub fn find_many(conn: &mut DbConn, ids: &[FacilityId]) -> Result<Vec<Facility>, StoreError> {
    let mut rows = chunked(ids, |chunk| {
        Ok(facilities::table
            .filter(facilities::id.eq_any(chunk))
            .select(FacilityRow::as_select())
            .load(conn)?)
    })?;
    rows.sort_by_key(|row| row.id);
    assemble(conn, rows)
}

/// The kind and mining scale of each of `ids` that exists (to check what may certify it).
pub fn kinds(
    conn: &mut DbConn,
    ids: &[FacilityId],
) -> Result<HashMap<FacilityId, (FacilityKind, Option<MiningScale>)>, StoreError> {
    let found = chunked(&distinct(ids.iter().copied()), |chunk| {
        Ok(facilities::table
            .filter(facilities::id.eq_any(chunk))
            .select((facilities::id, facilities::kind, facilities::mining_scale))
            .load::<(FacilityId, FacilityKind, Option<MiningScale>)>(conn)?)
    })?;
    Ok(found
        .into_iter()
        .map(|(id, kind, scale)| (id, (kind, scale)))
        .collect())
}

/// The facilities that own any of `identifiers` (one query per chunk of values).
pub fn owners_of(
    conn: &mut DbConn,
    identifiers: &[FacilityIdentifier],
) -> Result<HashMap<FacilityIdentifier, FacilityId>, StoreError> {
    owners(
        identifiers,
        |i| i.value.clone(),
        |values| {
            let rows = facility_identifiers::table
                .filter(facility_identifiers::value.eq_any(values))
                .select((
                    facility_identifiers::scheme,
                    facility_identifiers::value,
                    facility_identifiers::facility_id,
                ))
                .load::<(FacilityIdentifierScheme, String, FacilityId)>(conn)?;
            Ok(rows
                .into_iter()
                .map(|(scheme, value, id)| (FacilityIdentifier { scheme, value }, id))
                .collect())
        },
    )
}

/// Up to `limit` facilities after `after` (by id) matching `filter`, in id order.
pub fn list(
    conn: &mut DbConn,
    filter: &FacilityFilter,
    after: Option<&str>,
    limit: i64,
) -> Result<Vec<Facility>, StoreError> {
    let mut query = facilities::table
        .select(FacilityRow::as_select())
        .order(facilities::id.asc())
        .limit(limit)
        .into_boxed();
    if let Some(after) = after {
        query = query.filter(facilities::id.gt(after.to_owned()));
    }
    if let Some(kind) = filter.kind {
        query = query.filter(facilities::kind.eq(kind));
    }
    if let Some(scale) = filter.mining_scale {
        query = query.filter(facilities::mining_scale.eq(scale));
    }
    if let Some(country) = filter.country {
        query = query.filter(facilities::country.eq(country));
    }
    if let Some(status) = filter.status {
        query = query.filter(facilities::status.eq(status));
    }
    if let Some(mineral) = filter.mineral {
        query = query.filter(
            facilities::id.eq_any(
                facility_minerals::table
                    .filter(facility_minerals::mineral.eq(mineral))
                    .select(facility_minerals::facility_id),
            ),
        );
    }
    if let Some(identifier) = &filter.identifier {
        query = query.filter(
            facilities::id.eq_any(
                facility_identifiers::table
                    .filter(facility_identifiers::scheme.eq(identifier.scheme))
                    .filter(facility_identifiers::value.eq(identifier.value.clone()))
                    .select(facility_identifiers::facility_id),
            ),
        );
    }
    if let Some(scheme) = &filter.has_scheme {
        query = query.filter(
            facilities::id.eq_any(
                certifications::table
                    .filter(certifications::scheme_id.eq(scheme.clone()))
                    .filter(certifications::facility_id.is_not_null())
                    .select(certifications::facility_id.assume_not_null()),
            ),
        );
    }
    if let Some(q) = &filter.q {
        query = query.filter(
            facilities::search_name
                .like(contains_pattern(&text::search_key(q)))
                .escape('\\'),
        );
    }
    if let Some(b) = filter.bbox {
        query = query
            .filter(facilities::latitude.ge(b.min_lat))
            .filter(facilities::latitude.le(b.max_lat));
        query = if b.wraps() {
            query.filter(
                facilities::longitude
                    .ge(b.min_lon)
                    .or(facilities::longitude.le(b.max_lon)),
            )
        } else {
            query
                .filter(facilities::longitude.ge(b.min_lon))
                .filter(facilities::longitude.le(b.max_lon))
        };
    }
    let rows = query.load(conn)?;
    assemble(conn, rows)
}

/// The id of the facility with exactly this name (the oldest, if several share it).
pub fn id_by_name(conn: &mut DbConn, name: &str) -> Result<Option<FacilityId>, StoreError> {
    facilities::table
        .filter(facilities::search_name.eq(text::search_key(name)))
        .filter(facilities::name.eq(name))
        .select(facilities::id)
        .order(facilities::id.asc())
        .first::<FacilityId>(conn)
        .optional()
        .map_err(StoreError::from)
}
