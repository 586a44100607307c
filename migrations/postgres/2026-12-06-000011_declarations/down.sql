DROP TABLE declarations;
DROP TABLE organisation_profiles;
