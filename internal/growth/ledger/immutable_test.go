package ledger

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// Postings and their lines are written once: no statement in the package
// (the only one with SQL naming them) updates or deletes them.
func TestPostingsAreNeverChanged(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	change := regexp.MustCompile(`(?i)(UPDATE\s+ledger_(postings|lines)\b|DELETE\s+FROM\s+ledger_(postings|lines)\b)`)
	n := 0
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(src), "INSERT INTO ledger_lines") {
			n++
		}
		if m := change.Find(src); m != nil {
			t.Errorf("%s: %s", f, m)
		}
	}
	if n == 0 {
		t.Fatal("no file inserts ledger lines: is the scan looking in the right place?")
	}
}
