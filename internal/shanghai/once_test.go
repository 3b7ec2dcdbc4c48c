package shanghai

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// The zone is defined here only: no other Go file of the tree (tests
// aside) makes a UTC+8 zone or adds its offset by hand.
func TestDefinedOnce(t *testing.T) {
	copies := regexp.MustCompile(`FixedZone\(|LoadLocation\("Asia/Shanghai"\)|\b8 ?\* ?3600\b|\b8 ?\* ?60 ?\* ?60\b|\+ ?28800\b`)
	root := filepath.Join("..", "..")
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "shanghai" || strings.HasPrefix(d.Name(), ".")) && path != root {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for i, line := range strings.Split(string(b), "\n") {
			if code, _, _ := strings.Cut(line, "//"); copies.MatchString(code) {
				t.Errorf("%s:%d: a copy of the zone: %s (use internal/shanghai)", path, i+1, strings.TrimSpace(line))
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
