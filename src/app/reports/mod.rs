//! Reports put together from the answers the API already gives: the annual due-diligence
//! report (`due_diligence`).

pub mod due_diligence;
