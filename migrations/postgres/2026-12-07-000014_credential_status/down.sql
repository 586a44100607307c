DROP TABLE credential_status_indexes;
