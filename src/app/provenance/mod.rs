//! Provenance: the organisation's lots, the custody events between them (checked against what is
//! recorded, written all or none), traces back to the mines of origin, the red flags of its
//! purchases traced through their lots, and the organisation's cases of those flags.

pub mod custody_events;
pub mod lots;
pub mod red_flag_cases;
pub mod red_flags;
pub mod trace;
