//! GS1 EPCIS 2.0 documents as Oretrace reads them (docs/EPCIS.md has the whole mapping): the
//! GS1 keys of lots, locations and parties ([`gs1`]) and the events of an `EPCISDocument` read
//! into the custody events they become ([`document`]), each refusal pointing into the document.
//! Pure: what needs the database (is the location a known mine, is the lot known) is resolved by
//! `app::epcis`.

pub mod document;
pub mod gs1;

/// The JSON-LD context of EPCIS 2.0 documents.
pub const EPCIS_CONTEXT: &str = "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld";
/// The namespace of Oretrace's extension terms (`oretrace:mineral`, `oretrace:chainOfCustody`…),
/// declared in a document's `@context` as `{"oretrace": NAMESPACE}`.
pub const NAMESPACE: &str = "https://oretrace.org/ns/epcis/";
/// The prefix Oretrace declares for [`NAMESPACE`] in the documents it writes.
pub const PREFIX: &str = "oretrace";
/// The EPCIS and CBV versions followed (the REST binding's `GS1-EPCIS-Version`,
/// `GS1-CBV-Version`).
pub const EPCIS_VERSION: &str = "2.0.0";
pub const CBV_VERSION: &str = "2.0.0";

/// How a capture treats refused events (the binding's `GS1-Capture-Error-Behaviour`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorBehaviour {
    /// All or none: one refused event refuses the capture, nothing is written.
    Rollback,
    /// The good events are written, the refused ones reported.
    Proceed,
}

impl ErrorBehaviour {
    pub fn parse(text: &str) -> Option<ErrorBehaviour> {
        match text.trim() {
            "rollback" => Some(ErrorBehaviour::Rollback),
            "proceed" => Some(ErrorBehaviour::Proceed),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ErrorBehaviour::Rollback => "rollback",
            ErrorBehaviour::Proceed => "proceed",
        }
    }
}
