ALTER TABLE custody_event_lots DROP COLUMN quantity_uozt;
ALTER TABLE lots DROP COLUMN quantity_uozt;
