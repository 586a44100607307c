DROP TABLE audit_events;
DROP TABLE idempotency_records;
DROP TABLE api_clients;
DROP TABLE organisations;
