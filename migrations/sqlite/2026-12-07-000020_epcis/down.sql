DROP TABLE epcis_lot_identifiers;
DROP TABLE epcis_events;
DROP TABLE epcis_captures;
