-- Credential status (issue 13, part 4: UNTP credentials with a W3C Bitstring Status List;
-- docs/CREDENTIALS.md).
--
-- One row per status index handed to a certificate's credentials. The index is global: list
-- `status_index / 131072`, bit `status_index % 131072` of that list. The bits themselves are
-- not stored: they are computed when a list is read, from the certificate's history (so a
-- suspension shows the day it takes effect). A certificate has one current row, its highest
-- `generation`; a new generation is allocated only when the certificate is valid again after
-- its revocation bit was set (revocation is irreversible in the Bitstring Status List, so a
-- reinstated certificate's new credentials need a fresh bit). `allocated_on` is the first day
-- the index speaks for: the revocation bit is set when the certificate has been withdrawn or
-- expired on any day from then on.
--
-- Shared reference data like the catalog it points into: no organisation_id.

CREATE TABLE credential_status_indexes (
    status_index BIGINT PRIMARY KEY CHECK (status_index >= 0),
    certification_id TEXT NOT NULL REFERENCES certifications (id),
    generation INTEGER NOT NULL CHECK (generation >= 0),
    allocated_on DATE NOT NULL,
    allocated_at TIMESTAMP NOT NULL,
    UNIQUE (certification_id, generation)
);
