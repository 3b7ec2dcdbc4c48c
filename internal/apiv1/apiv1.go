// Package apiv1 holds the JSON bodies Qunke sends: those of the /api/v1 API
// and the same ones that the command line prints (qunke check --json, rank
// --json, report --format json), with the one encoder both use, so the two
// cannot drift. internal/web/openapi.json describes every body, and a test
// there checks real answers against it.
//
// The contract: field names are snake_case; money is integer fen (*_fen),
// rates integer basis points (*_bp, 1550 = 15.50%); platform ids (item_id,
// trade_id, adzone_id) are strings, Qunke's own row ids integers; times are
// RFC 3339 with their offset (instants in UTC, days and periods in
// Asia/Shanghai), null when there is none. Every field is always present:
// what is missing is null, never left out.
//
// Domain types carry JSON tags only where they are themselves this shape
// (orders' money views); the others are turned into the types below.
package apiv1

import (
	"encoding/json"
	"io"
	"time"
)

// Encode writes v as one JSON document followed by a newline; indent is for
// people reading the command line's output.
func Encode(w io.Writer, v any, indent bool) error {
	enc := json.NewEncoder(w)
	if indent {
		enc.SetIndent("", "  ")
	}
	return enc.Encode(v)
}

// Unix is a time given in unix seconds, in UTC.
func Unix(sec int64) time.Time { return time.Unix(sec, 0).UTC() }

// UnixOrNil is Unix, or nil for 0 (no time).
func UnixOrNil(sec int64) *time.Time {
	if sec == 0 {
		return nil
	}
	t := Unix(sec)
	return &t
}

// nonNil returns s, or an empty slice for nil: a list is [] when empty,
// never null.
func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
