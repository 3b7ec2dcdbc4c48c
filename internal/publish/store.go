package publish

// Storage: publish's tables are read and written only by the methods in
// the store*.go files, one file per table (or per table and the one it
// logs to): store_plans.go (plans), store_queue.go (plan_queue),
// store_templates.go (copy_templates), store_deliveries.go (deliveries,
// delivery_attempts), store_limits.go (send_windows), store_conversions.go
// (link_conversions), store_text.go (text posts, into deliveries). The
// planner and the worker call these methods; no other file has SQL
// (storage_test.go checks it).

import (
	"time"

	"github.com/qunke/qunke/internal/catalog"
	"github.com/qunke/qunke/internal/community"
	"github.com/qunke/qunke/internal/store"
)

// Store keeps templates, plans, queues and deliveries.
type Store struct {
	db     *store.DB
	cat    *catalog.Store   // only catalog items are queued
	groups *community.Store // which groups are manual
	now    func() time.Time
}

// NewStore returns a Store on a migrated database.
func NewStore(db *store.DB) *Store {
	return &Store{db: db, cat: catalog.NewStore(db), groups: community.NewStore(db), now: time.Now}
}
