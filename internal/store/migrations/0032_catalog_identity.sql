-- catalog: an identity of its own, a random id no other (or re-created)
-- database shares. The advisor writes what it built from the catalog to a
-- snapshot file and, at the next start, uses that file only for the catalog
-- it was built from (internal/catalog/identity.go, internal/advisor/snapfile.go).
-- The catalog writes the one row on first use, so that the id is random per
-- database in portable SQL.
CREATE TABLE catalog_identity (
    id INTEGER PRIMARY KEY,
    ident TEXT NOT NULL
);
