DROP TABLE custody_event_lots;
DROP TABLE custody_events;
DROP TABLE lots;
