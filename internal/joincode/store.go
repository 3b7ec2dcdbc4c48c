package joincode

import (
	"time"

	"github.com/qunke/qunke/internal/store"
)

// Store is the join codes' storage: the only code with SQL naming their
// tables (one file per entity: store_codes.go, store_qr.go, store_links.go,
// store_visits.go, store_warnings.go).
type Store struct {
	db  *store.DB
	Now func() time.Time
}

// NewStore returns the join codes' store over db.
func NewStore(db *store.DB) *Store { return &Store{db: db, Now: time.Now} }

func (s *Store) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

func unix(t int64) time.Time {
	if t == 0 {
		return time.Time{}
	}
	return time.Unix(t, 0).UTC()
}
