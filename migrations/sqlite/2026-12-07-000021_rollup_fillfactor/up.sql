-- PostgreSQL leaves room on the rollups' pages for in-place updates (fillfactor); SQLite has no
-- such setting. This migration keeps the two backends' histories aligned.
SELECT 1;
