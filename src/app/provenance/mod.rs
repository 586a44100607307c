//! Provenance: the organisation's lots, the custody events between them (checked against what is
//! recorded, written all or none), traces back to the mines of origin, and the red flags of its
//! purchases traced through their lots.

pub mod custody_events;
pub mod lots;
pub mod red_flags;
pub mod trace;
