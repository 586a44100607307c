-- Supplier declarations (issue 14, docs/DECLARATIONS.md).
--
-- A declaration is a supplier's filled RMI workbook (CMRT or EMRT) as read: the structured
-- declaration (`body`, JSON), what it lacks (`findings`, JSON) and the columns the lists filter
-- on. The same workbook sent again (same supplier, template and SHA-256) is the same row. A
-- newer declaration of the same supplier and template (later effective date, then later
-- receipt) supersedes the older, which is kept with `superseded_by`; an import takes an
-- advisory lock per organisation first, so two imports never both stay current.
--
-- The organisation's profile holds what its own outgoing CMRT/EMRT says of it.

CREATE TABLE organisation_profiles (
    organisation_id TEXT PRIMARY KEY REFERENCES organisations (id),
    legal_name TEXT,
    unique_id TEXT,
    unique_id_authority TEXT,
    address TEXT,
    contact_name TEXT,
    contact_email TEXT,
    contact_phone TEXT,
    authorizer TEXT,
    authorizer_title TEXT,
    authorizer_email TEXT,
    authorizer_phone TEXT,
    policy_url TEXT,
    updated_at TIMESTAMP NOT NULL
);

CREATE TABLE declarations (
    organisation_id TEXT NOT NULL REFERENCES organisations (id),
    id TEXT NOT NULL,
    supplier_party_id TEXT NOT NULL REFERENCES parties (id),
    template TEXT NOT NULL CHECK (template IN ('cmrt', 'emrt')),
    version TEXT NOT NULL,
    company_name TEXT NOT NULL,
    effective_date DATE,
    minerals TEXT NOT NULL,
    complete SMALLINT NOT NULL,
    content_sha256 TEXT NOT NULL,
    file_name TEXT,
    size_bytes BIGINT NOT NULL,
    body TEXT NOT NULL,
    findings TEXT NOT NULL,
    superseded_by TEXT,
    superseded_at TIMESTAMP,
    received_at TIMESTAMP NOT NULL,
    PRIMARY KEY (organisation_id, id),
    UNIQUE (organisation_id, supplier_party_id, template, content_sha256)
);
CREATE INDEX declarations_supplier_idx
    ON declarations (organisation_id, supplier_party_id, template);
