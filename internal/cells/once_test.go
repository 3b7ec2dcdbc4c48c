package cells

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// Fen and basis points are printed by Yuan only: no other Go file of the
// tree (tests aside) formats hundredths by hand, the way "0.-5" came about.
func TestYuanDefinedOnce(t *testing.T) {
	copies := regexp.MustCompile(`%d\.%02d|/ ?100, [a-zA-Z.]+ ?% ?100\)`)
	root := filepath.Join("..", "..")
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && strings.HasPrefix(d.Name(), ".") && path != root {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") || filepath.Base(path) == "yuan.go" {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for i, line := range strings.Split(string(b), "\n") {
			if copies.MatchString(line) {
				t.Errorf("%s:%d: fen formatted by hand: %s (use cells.Yuan)", path, i+1, strings.TrimSpace(line))
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
