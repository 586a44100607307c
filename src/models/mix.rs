//! The one aggregate query behind the sourcing mix: the organisation's purchase origin rows in a
//! period, summed per day, mineral, supplier, origin facility, class, country and basis. It
//! reads only `purchase_origins` through its (organisation, date, mineral) index.

use chrono::NaiveDate;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Date, Nullable, SmallInt, Text};

use crate::db::DbConn;
use crate::domain::ids::OrganisationId;
use crate::domain::vocabulary::Mineral;
use crate::error::ApiError;

/// One aggregated slice of purchases.
#[derive(QueryableByName, Debug)]
pub struct OriginAggregate {
    #[diesel(sql_type = Date)]
    pub purchased_on: NaiveDate,
    #[diesel(sql_type = Text)]
    pub mineral: String,
    #[diesel(sql_type = Text)]
    pub supplier_party_id: String,
    #[diesel(sql_type = Nullable<Text>)]
    pub facility_id: Option<String>,
    #[diesel(sql_type = Text)]
    pub origin_class: String,
    #[diesel(sql_type = Nullable<Text>)]
    pub country: Option<String>,
    #[diesel(sql_type = SmallInt)]
    pub declared: i16,
    #[diesel(sql_type = BigInt)]
    pub quantity_mg: i64,
}

const AGGREGATE: &str = "\
SELECT purchased_on, mineral, supplier_party_id, facility_id, origin_class, country, declared,
       CAST(SUM(quantity_mg) AS BIGINT) AS quantity_mg
FROM purchase_origins
WHERE organisation_id = $1 AND purchased_on >= $2 AND purchased_on <= $3
  AND ($4 IS NULL OR mineral = $4)
GROUP BY purchased_on, mineral, supplier_party_id, facility_id, origin_class, country, declared";

/// The organisation's origin rows between `from` and `to` (inclusive), aggregated.
pub fn aggregate(
    conn: &mut DbConn,
    organisation: OrganisationId,
    from: NaiveDate,
    to: NaiveDate,
    mineral: Option<Mineral>,
) -> Result<Vec<OriginAggregate>, ApiError> {
    Ok(diesel::sql_query(AGGREGATE)
        .bind::<Text, _>(organisation.to_string())
        .bind::<Date, _>(from)
        .bind::<Date, _>(to)
        .bind::<Nullable<Text>, _>(mineral.map(|m| m.as_str()))
        .load(conn)?)
}
