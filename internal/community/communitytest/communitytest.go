// Package communitytest builds community state for other packages' tests,
// through the registry's own methods (as storetest opens databases).
package communitytest

import (
	"context"
	"testing"
	"time"

	"github.com/qunke/qunke/internal/community"
	"github.com/qunke/qunke/internal/store"
)

// NewMember registers a member (a WeCom member with external id name,
// joined to a group of its own) through the registry and returns its id.
func NewMember(t testing.TB, db *store.DB, name string) int64 {
	t.Helper()
	ctx := context.Background()
	gs := community.NewStore(db)
	g := &community.Group{Name: "成员-" + name, Channel: community.Manual}
	if err := gs.Save(ctx, g); err != nil {
		t.Fatal(err)
	}
	if _, err := gs.ApplyEvents(ctx, []community.MemberEvent{{Key: "test:" + name, Source: community.SourceWeCom, GroupID: g.ID,
		Kind: community.Join, At: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), ExternalID: name}}); err != nil {
		t.Fatal(err)
	}
	rows, _, err := gs.Members(ctx, community.MemberFilter{GroupID: g.ID})
	if err != nil || len(rows) != 1 {
		t.Fatalf("member %s: %v %v", name, rows, err)
	}
	return rows[0].ID
}
