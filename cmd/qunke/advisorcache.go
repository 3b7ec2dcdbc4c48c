package main

import (
	"context"
	"log/slog"

	"github.com/qunke/qunke/internal/advisor"
	"github.com/qunke/qunke/internal/store"
	"github.com/qunke/qunke/internal/web"
)

// useAdvisorCache gives the server's advisor its snapshot file (issue 17):
// flag is --advisor-cache, "" for the default place (beside a SQLite file,
// in the user's cache directory for PostgreSQL), "off" for none.
func useAdvisorCache(ctx context.Context, deps *web.Deps, db *store.DB, flag string, log *slog.Logger) error {
	if flag == "off" {
		return nil
	}
	path := flag
	if path == "" {
		id, err := deps.Catalog.Identity(ctx)
		if err != nil {
			return err
		}
		if path, err = advisor.DefaultSnapshotPath(db.Path(), id); err != nil {
			log.Warn("advisor: no snapshot file (no cache directory; set --advisor-cache)", "err", err)
			return nil
		}
	}
	deps.Advisor.UseSnapshotFile(path, advisor.DefaultSnapshotEvery, log)
	return nil
}
