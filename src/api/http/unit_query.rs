//! `?unit=`: the unit a read writes its exact quantities in (docs/DATA-MODEL.md, "Exact
//! quantities").

use serde::Deserialize;
use utoipa::IntoParams;

use crate::domain::quantity::MassUnit;

/// The unit of a single resource's read.
#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct UnitQuery {
    /// Also write each quantity exactly in this unit (`quantity.converted`): exact in g, kg and
    /// t; in troy_oz exact for whole micro ounces, otherwise 12 decimals, half to even.
    pub unit: Option<MassUnit>,
}
