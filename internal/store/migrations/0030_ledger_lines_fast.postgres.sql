-- Ledger lines written faster (issue 15 performance): SQLite drops the
-- lines' foreign-key checks (see 0030_ledger_lines_fast.sqlite.sql);
-- PostgreSQL keeps its foreign keys, checked in the server, and changes
-- nothing.
SELECT 1;
