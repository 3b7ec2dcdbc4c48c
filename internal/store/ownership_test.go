package store_test

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// owners says which package (folder under the module root) owns each
// table: only that folder's Go files may carry SQL naming the table; the
// others call the owner's methods (docs/ARCHITECTURE.md). A reader that
// needs a cross-owner join at scale gets it as an owner's method or keeps
// its own rollup table, filled through the owners' methods.
var owners = map[string]string{
	"items": "internal/catalog", "item_history": "internal/catalog", "pending_observations": "internal/catalog",
	"imports": "internal/catalog", "item_merges": "internal/catalog", "item_history_merged": "internal/catalog",
	"catalog_generation": "internal/catalog", "catalog_changes": "internal/catalog", "catalog_identity": "internal/catalog",
	"chat_groups": "internal/community", "group_tags": "internal/community",
	"members": "internal/community", "member_events": "internal/community", "memberships": "internal/community",
	"group_chats": "internal/community", "member_activity": "internal/community", "member_days": "internal/community",
	"member_ids":     "internal/community",
	"copy_templates": "internal/publish", "plans": "internal/publish", "plan_queue": "internal/publish",
	"deliveries": "internal/publish", "delivery_attempts": "internal/publish", "send_windows": "internal/publish",
	"link_conversions": "internal/publish",
	"orders":           "internal/orders", "order_days": "internal/orders", "order_settle_days": "internal/orders",
	"sync_cursors": "internal/orders", "order_changes": "internal/orders",
	"users": "internal/auth", "sessions": "internal/auth", "api_tokens": "internal/auth",
	"tg_updates_state": "internal/tgmembers", "tg_bot_chats": "internal/tgmembers",
	"acquisition_costs": "internal/insight", "boss_digests": "internal/insight", "boss_digest_settings": "internal/insight",
	"insight_cohort_cells": "internal/insight", "insight_member_rfm": "internal/insight", "insight_cohort_runs": "internal/insight",
	"leases": "internal/store", "schema_migrations": "internal/store",
	"group_days": "internal/health", "group_health": "internal/health", "health_alerts": "internal/health",
	"health_notify": "internal/health",
	"wecom_sync":    "internal/wecom", "wecom_sync_run": "internal/wecom",
	"wecom_inbox": "internal/wecom", "wecom_chat_versions": "internal/wecom",
	"growth_agents": "internal/growth", "growth_rules": "internal/growth", "growth_order_shares": "internal/growth",
	"ledger_accounts": "internal/growth/ledger", "ledger_postings": "internal/growth/ledger",
	"ledger_lines": "internal/growth/ledger", "ledger_payouts": "internal/growth/ledger",
	"ledger_payout_lines": "internal/growth/ledger", "ledger_account_months": "internal/growth/ledger",
	"join_codes": "internal/joincode", "join_code_groups": "internal/joincode", "join_qr": "internal/joincode",
	"join_links": "internal/joincode", "join_visits": "internal/joincode", "join_warnings": "internal/joincode",
	"campaigns": "internal/growth/campaign", "campaign_groups": "internal/growth/campaign",
	"campaign_tiers": "internal/growth/campaign", "campaign_participants": "internal/growth/campaign",
	"campaign_invites": "internal/growth/campaign", "campaign_rewards": "internal/growth/campaign",
	"campaign_state": "internal/growth/campaign", "campaign_recheck": "internal/growth/campaign",
}

// exempt are files that may name any table: the migration tests build a
// database as an older release left it, below every owner's methods
// (internal/store/storetest names no table).
var exempt = []string{
	"cmd/qunke/merge_test.go",
	"internal/store/merge_migration_test.go",
	"internal/store/group_keys_test.go",
	"internal/store/store_test.go",
	"internal/store/ownership_test.go",
}

// sqlTable finds the table a SQL keyword names. The keywords are matched in
// upper case only, as Qunke writes its SQL, so prose ("imported from
// orders") is not taken for SQL.
var sqlTable = regexp.MustCompile(`\b(?:FROM|JOIN|INTO|UPDATE|TABLE|EXISTS|ANALYZE|REFERENCES|ON)\s+([a-z_][a-z0-9_]*)`)

// sqlWrite finds the table a statement writes. Tests may read any table to
// assert what landed, but build their state through the owners' methods:
// in *_test.go files only writes count.
var sqlWrite = regexp.MustCompile(`\b(?:INSERT INTO|UPDATE|DELETE FROM|ALTER TABLE|DROP TABLE)\s+([a-z_][a-z0-9_]*)`)

// dialectSQL is SQL that differs between the engines and lives in store's
// helpers (LockTx, Growth, VacuumAnalyze).
var dialectSQL = regexp.MustCompile(`pg_advisory|\bANALYZE\b|reltuples|plan_cache_mode`)

// TestOwnership fails when a Go file outside a table's owner package has a
// string literal with SQL naming that table, and when dialect-specific SQL
// is written outside store.
func TestOwnership(t *testing.T) {
	bad := ownershipViolations(t, "../..")
	for _, v := range bad {
		t.Error(v)
	}
}

func ownershipViolations(t *testing.T, root string) []string {
	t.Helper()
	var bad []string
	fset := token.NewFileSet()
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		rel = filepath.ToSlash(rel)
		if d.IsDir() {
			if strings.HasPrefix(d.Name(), ".") && rel != "." || d.Name() == "testdata" || d.Name() == "vendor" {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || slices.Contains(exempt, rel) {
			return nil
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		f, err := parser.ParseFile(fset, rel, src, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		dir := filepath.ToSlash(filepath.Dir(rel))
		find := sqlTable
		if strings.HasSuffix(path, "_test.go") {
			find = sqlWrite
		}
		ast.Inspect(f, func(n ast.Node) bool {
			lit, ok := n.(*ast.BasicLit)
			if !ok || lit.Kind != token.STRING {
				return true
			}
			s, err := strconv.Unquote(lit.Value)
			if err != nil {
				return true
			}
			if dialectSQL.MatchString(s) && dir != "internal/store" {
				bad = append(bad, fmt.Sprintf("%s: dialect-specific SQL (%s) outside store: use its helpers",
					fset.Position(lit.Pos()), dialectSQL.FindString(s)))
			}
			for _, m := range find.FindAllStringSubmatch(s, -1) {
				owner, known := owners[m[1]]
				if known && dir != owner && !strings.HasPrefix(dir, owner+"/") {
					bad = append(bad, fset.Position(lit.Pos()).String()+": SQL names "+m[1]+", owned by "+owner)
				}
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return bad
}

// TestOwnershipCatches checks the check: a file outside publish naming
// deliveries in SQL is reported, one naming it in prose is not, and so is
// an advisory lock taken outside store.
func TestOwnershipCatches(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, "internal", "orders")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	src := "package orders\n\nconst q = `SELECT id FROM deliveries WHERE status = 'sent'`\n" +
		"const own = `SELECT id FROM orders`\nconst prose = \"posts taken from deliveries\"\n" +
		"const lock = `SELECT pg_advisory_xact_lock(7)`\n"
	if err := os.WriteFile(filepath.Join(dir, "x.go"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	bad := ownershipViolations(t, root)
	if len(bad) != 2 || !strings.Contains(bad[0], "deliveries, owned by internal/publish") || !strings.Contains(bad[1], "pg_advisory") {
		t.Fatalf("violations %q, want one on deliveries and one on a lock", bad)
	}
}
