DROP TABLE red_flag_case_entries;
DROP TABLE red_flag_cases;
