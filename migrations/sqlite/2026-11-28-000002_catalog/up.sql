-- The certification catalog: shared reference data every organisation reads.
-- Lists (minerals, roles) and identifiers live in child tables so that they can be filtered with
-- an index; `search_name` is the lower-cased name for case-insensitive search on both backends.

CREATE TABLE schemes (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    owner TEXT NOT NULL,
    url TEXT NOT NULL,
    description TEXT NOT NULL,
    -- JSON arrays: the subjects it applies to (asm_mine, lsm_mine, smelter_refiner, company) and
    -- its levels, lowest first (empty when the scheme has none).
    subjects TEXT NOT NULL,
    levels TEXT NOT NULL,
    -- JSON array of minerals it covers (empty: any).
    minerals TEXT NOT NULL
);

CREATE TABLE parties (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    search_name TEXT NOT NULL,
    country TEXT,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX parties_search_name_idx ON parties (search_name);

CREATE TABLE party_roles (
    party_id TEXT NOT NULL REFERENCES parties (id) ON DELETE CASCADE,
    role TEXT NOT NULL,
    PRIMARY KEY (party_id, role)
);
CREATE INDEX party_roles_role_idx ON party_roles (role, party_id);

CREATE TABLE party_identifiers (
    scheme TEXT NOT NULL,
    value TEXT NOT NULL,
    party_id TEXT NOT NULL REFERENCES parties (id) ON DELETE CASCADE,
    PRIMARY KEY (scheme, value)
);
CREATE INDEX party_identifiers_party_idx ON party_identifiers (party_id);

CREATE TABLE facilities (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    search_name TEXT NOT NULL,
    kind TEXT NOT NULL,
    mining_scale TEXT,
    country TEXT NOT NULL,
    subdivision TEXT,
    latitude DOUBLE,
    longitude DOUBLE,
    operator_party_id TEXT REFERENCES parties (id),
    cahra SMALLINT NOT NULL DEFAULT 0,
    cahra_basis TEXT,
    asm_presence SMALLINT,
    -- The coexistence agreement between an LSM mine and the artisanal miners on or near it,
    -- as JSON {status, signed_on, asm_party_ids, reference_url}; NULL when none is recorded.
    coexistence_agreement TEXT,
    status TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    CHECK ((kind = 'mine') = (mining_scale IS NOT NULL))
);
CREATE INDEX facilities_kind_idx ON facilities (kind, id);
CREATE INDEX facilities_country_idx ON facilities (country, id);
CREATE INDEX facilities_search_name_idx ON facilities (search_name);
CREATE INDEX facilities_location_idx ON facilities (latitude, longitude);

CREATE TABLE facility_minerals (
    facility_id TEXT NOT NULL REFERENCES facilities (id) ON DELETE CASCADE,
    mineral TEXT NOT NULL,
    PRIMARY KEY (facility_id, mineral)
);
CREATE INDEX facility_minerals_mineral_idx ON facility_minerals (mineral, facility_id);

CREATE TABLE facility_identifiers (
    scheme TEXT NOT NULL,
    value TEXT NOT NULL,
    facility_id TEXT NOT NULL REFERENCES facilities (id) ON DELETE CASCADE,
    PRIMARY KEY (scheme, value)
);
CREATE INDEX facility_identifiers_facility_idx ON facility_identifiers (facility_id);

-- A certificate of a facility or a party under a scheme. The columns hold the latest recorded
-- state; `certification_history` holds every state with the date it took effect.
CREATE TABLE certifications (
    id TEXT PRIMARY KEY,
    scheme_id TEXT NOT NULL REFERENCES schemes (id),
    facility_id TEXT REFERENCES facilities (id),
    party_id TEXT REFERENCES parties (id),
    level TEXT,
    status TEXT NOT NULL,
    valid_from DATE NOT NULL,
    valid_until DATE,
    certificate_number TEXT,
    assurance_body TEXT,
    evidence_url TEXT,
    evidence_sha256 TEXT,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    CHECK ((facility_id IS NULL) <> (party_id IS NULL)),
    CHECK (valid_until IS NULL OR valid_until > valid_from)
);
CREATE INDEX certifications_facility_idx ON certifications (facility_id, id);
CREATE INDEX certifications_party_idx ON certifications (party_id, id);
CREATE INDEX certifications_scheme_idx ON certifications (scheme_id, status, id);
CREATE INDEX certifications_valid_until_idx ON certifications (valid_until);
CREATE UNIQUE INDEX certifications_number_idx ON certifications (scheme_id, certificate_number);

CREATE TABLE certification_minerals (
    certification_id TEXT NOT NULL REFERENCES certifications (id) ON DELETE CASCADE,
    mineral TEXT NOT NULL,
    PRIMARY KEY (certification_id, mineral)
);
CREATE INDEX certification_minerals_mineral_idx ON certification_minerals (mineral, certification_id);

CREATE TABLE certification_history (
    id TEXT PRIMARY KEY,
    certification_id TEXT NOT NULL REFERENCES certifications (id) ON DELETE CASCADE,
    effective_on DATE NOT NULL,
    status TEXT NOT NULL,
    level TEXT,
    valid_from DATE NOT NULL,
    valid_until DATE,
    reason TEXT,
    recorded_by_organisation_id TEXT NOT NULL,
    recorded_by_client_id TEXT,
    recorded_at TIMESTAMP NOT NULL
);
CREATE INDEX certification_history_certification_idx
    ON certification_history (certification_id, effective_on, recorded_at);

INSERT INTO schemes (id, name, owner, url, description, subjects, levels, minerals) VALUES
('irma', 'IRMA Standard for Responsible Mining', 'Initiative for Responsible Mining Assurance', 'https://responsiblemining.net',
 'Independent third-party assessment of industrial-scale mine sites against the IRMA Standard; achievement levels IRMA Transparency, IRMA 50, IRMA 75 and IRMA 100.',
 '["lsm_mine"]', '["transparency","irma_50","irma_75","irma_100"]', '[]'),
('fairmined', 'Fairmined Standard', 'Alliance for Responsible Mining', 'https://fairmined.org',
 'Certification of artisanal and small-scale mining organisations for gold, silver and associated platinum; Fairmined Ecological adds mercury- and cyanide-free extraction.',
 '["asm_mine"]', '["fairmined","fairmined_ecological"]', '["gold","silver","platinum"]'),
('craft', 'CRAFT Code', 'Alliance for Responsible Mining and RESOLVE', 'https://www.craftmines.org',
 'Code of Risk-mitigation for ASM engaging in Formal Trade: a progressive, OECD-aligned entry standard for artisanal and small-scale producers.',
 '["asm_mine"]', '[]', '[]'),
('fairtrade_gold', 'Fairtrade Gold Standard', 'Fairtrade International', 'https://www.fairtrade.net',
 'Certification of artisanal and small-scale gold mining organisations under the Fairtrade Standard for Gold and Associated Precious Metals.',
 '["asm_mine"]', '[]', '["gold","silver","platinum"]'),
('rmi_rmap', 'RMI Responsible Minerals Assurance Process', 'Responsible Minerals Initiative', 'https://www.responsiblemineralsinitiative.org',
 'Independent assessment of smelters and refiners'' management systems and sourcing practices; a facility is Active while its assessment is under way and Conformant once it passes.',
 '["smelter_refiner"]', '["active","conformant"]', '[]'),
('lbma_rgg', 'LBMA Responsible Gold Guidance', 'London Bullion Market Association', 'https://www.lbma.org.uk',
 'Independently audited responsible-sourcing programme required of refiners on the LBMA Good Delivery List.',
 '["smelter_refiner"]', '[]', '["gold","silver"]'),
('rjc_cop', 'RJC Code of Practices', 'Responsible Jewellery Council', 'https://www.responsiblejewellery.com',
 'Certification of businesses in the jewellery and watch supply chain against responsible business practices.',
 '["company","smelter_refiner"]', '[]', '["gold","silver","platinum","palladium"]'),
('rjc_coc', 'RJC Chain of Custody', 'Responsible Jewellery Council', 'https://www.responsiblejewellery.com',
 'Chain-of-custody certification for responsibly produced, traceable precious metals.',
 '["company","smelter_refiner"]', '[]', '["gold","silver","platinum","palladium"]'),
('copper_mark', 'The Copper Mark', 'The Copper Mark', 'https://coppermark.org',
 'Assurance framework for responsible production at copper, molybdenum, nickel and zinc sites, mines, smelters and refiners.',
 '["lsm_mine","smelter_refiner"]', '[]', '["copper","nickel","zinc"]'),
('asi_performance', 'ASI Performance Standard', 'Aluminium Stewardship Initiative', 'https://aluminium-stewardship.org',
 'Certification of aluminium value-chain sites, from bauxite mining to conversion, against environmental, social and governance principles.',
 '["lsm_mine","smelter_refiner","company"]', '[]', '["aluminium"]'),
('asi_coc', 'ASI Chain of Custody Standard', 'Aluminium Stewardship Initiative', 'https://aluminium-stewardship.org',
 'Chain-of-custody certification for ASI-certified aluminium through the supply chain.',
 '["smelter_refiner","company"]', '[]', '["aluminium"]');
