-- Ledger lines written faster (issue 15 performance, docs/BENCHMARKS.md
-- "Ledger at scale"). On SQLite each line's two foreign-key checks (its
-- posting, its account: two b-tree seeks a line, a quarter of writing one)
-- go: the only writer of lines is internal/growth/ledger's Batch.Flush,
-- which writes a posting's row before its lines in the same transaction and
-- takes account ids from ledger_accounts (found or created in that
-- transaction); accounts and postings are never deleted. PostgreSQL keeps
-- its foreign keys (checked in the server). Same keys and order as 0024.
CREATE TABLE ledger_lines_nofk (
    posting_id INTEGER NOT NULL,
    account_id INTEGER NOT NULL,
    amount INTEGER NOT NULL,
    at INTEGER NOT NULL,
    PRIMARY KEY (account_id, at, posting_id),
    UNIQUE (posting_id, account_id)
) WITHOUT ROWID;
INSERT INTO ledger_lines_nofk (posting_id, account_id, amount, at) SELECT posting_id, account_id, amount, at FROM ledger_lines ORDER BY account_id, at, posting_id;
DROP TABLE ledger_lines;
ALTER TABLE ledger_lines_nofk RENAME TO ledger_lines;
