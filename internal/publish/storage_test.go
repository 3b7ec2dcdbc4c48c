package publish

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// sqlText is a string that reads or writes a table.
var sqlText = regexp.MustCompile(`(?is)\b(SELECT\b.*\bFROM|INSERT\s+INTO|UPDATE\s+\w+\s+SET|DELETE\s+FROM)\b`)

// Each table's SQL lives in its storage file (store*.go): the planner, the
// worker and the rest of the package call the Store's methods, and never
// reach its database handle.
func TestSQLOnlyInStorageFiles(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") || strings.HasPrefix(f, "store") {
			continue
		}
		checked++
		for _, at := range storageUses(t, f, nil) {
			t.Errorf("%s: SQL or the database handle outside the storage files (store*.go)", at)
		}
	}
	if checked < 8 {
		t.Fatalf("checked only %d files", checked)
	}
}

// The check finds SQL literals and uses of the handle, not comments.
func TestStorageUses(t *testing.T) {
	src := []byte("package x\n// SELECT a FROM b\nfunc f(s *Store) {\n\ts.db.QueryContext(nil, `SELECT id\n FROM plans`)\n\t_ = \"UPDATE deliveries SET x = 1\"\n\t_ = \"selected from the list\"\n}\n")
	got := storageUses(t, "x.go", src)
	if len(got) != 3 || got[0] != "x.go:4:2" {
		t.Fatalf("%v", got)
	}
}

// storageUses lists where a Go file has SQL text or selects a field named
// db.
func storageUses(t *testing.T, path string, src []byte) []string {
	t.Helper()
	fset := token.NewFileSet()
	var text any
	if src != nil {
		text = src
	}
	af, err := parser.ParseFile(fset, path, text, 0)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	ast.Inspect(af, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.SelectorExpr:
			if n.Sel.Name == "db" {
				out = append(out, fset.Position(n.Pos()).String())
			}
		case *ast.BasicLit:
			if n.Kind != token.STRING {
				break
			}
			if v, err := strconv.Unquote(n.Value); err == nil && sqlText.MatchString(v) && strings.ToUpper(v[:1]) == v[:1] {
				out = append(out, fset.Position(n.Pos()).String())
			}
		}
		return true
	})
	return out
}
