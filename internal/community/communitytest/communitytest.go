// Package communitytest gives other packages' tests a registered member in
// one call, through the registry's own methods.
package communitytest

import (
	"context"
	"testing"
	"time"

	"github.com/qunke/qunke/internal/community"
	"github.com/qunke/qunke/internal/store"
)

// Member registers a member (WeCom external id name) in a hand-run group of
// its own, by community.Store.AddMember, and returns its id.
func Member(t testing.TB, db *store.DB, name string) int64 {
	t.Helper()
	ctx := context.Background()
	gs := community.NewStore(db)
	g := &community.Group{Name: "成员-" + name, Channel: community.Manual}
	err := gs.Save(ctx, g)
	var id int64
	if err == nil {
		id, err = gs.AddMember(ctx, g.ID, community.SourceWeCom, name, "", time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	}
	if err != nil {
		t.Fatalf("member %s: %v", name, err)
	}
	return id
}
