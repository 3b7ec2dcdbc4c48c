package web

import (
	"log/slog"

	"github.com/qunke/qunke/internal/affiliate/standin"
	"github.com/qunke/qunke/internal/publish"
	"github.com/qunke/qunke/internal/store"
)

// newConverting is New with the planner converting links through the
// in-process stand-in, as serve --demo does.
func newConverting(db *store.DB, log *slog.Logger) *Server {
	d := NewDeps(db, log)
	d.Planner.Links.Conv = publish.NewConverters(&standin.Converter{})
	return NewServer(d)
}
