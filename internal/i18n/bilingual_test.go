package i18n

import (
	"go/scanner"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// bilingual is a visible string written in Go as "中文 (English)" instead of
// a message key of the catalogs.
var bilingual = regexp.MustCompile(`\p{Han}[^\n]*\([^\n]*[A-Za-z]{3,}[^\n]*\)`)

// remainder lists the packages not yet converted to message keys and how
// many bilingual literals each still has: the numbers only go down, and a
// package reaching 0 leaves the list. Every package is converted now, so
// none may have any.
var remainder = map[string]int{}

// TestNoBilingualLiterals keeps visible strings in the catalogs: it counts
// the string literals (not comments) of the shape "中文 (English)" in each
// package's non-test Go files.
func TestNoBilingualLiterals(t *testing.T) {
	counts, where := map[string]int{}, map[string]string{}
	err := filepath.WalkDir("../..", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return err
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		pkg := filepath.ToSlash(filepath.Dir(strings.TrimPrefix(path, "../../")))
		for _, at := range bilingualLiterals(path, src) {
			counts[pkg]++
			if where[pkg] == "" {
				where[pkg] = at
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	pkgs := make([]string, 0, len(counts))
	for p := range counts {
		pkgs = append(pkgs, p)
	}
	sort.Strings(pkgs)
	for _, p := range pkgs {
		switch max, known := remainder[p]; {
		case !known:
			t.Errorf("%s: %d bilingual literals (first at %s): use message keys (internal/msg, internal/i18n)", p, counts[p], where[p])
		case counts[p] > max:
			t.Errorf("%s: %d bilingual literals, more than the %d left to convert (first at %s)", p, counts[p], max, where[p])
		case counts[p] < max:
			t.Errorf("%s: %d bilingual literals left: lower its remainder from %d", p, counts[p], max)
		}
	}
	for p := range remainder {
		if counts[p] == 0 {
			t.Errorf("%s has no bilingual literals left: remove it from the remainder", p)
		}
	}
}

// bilingualLiterals returns the places of the bilingual string literals in
// a Go file.
func bilingualLiterals(path string, src []byte) []string {
	fset := token.NewFileSet()
	file := fset.AddFile(path, -1, len(src))
	var s scanner.Scanner
	s.Init(file, src, nil, 0) // comments are skipped
	var out []string
	for {
		pos, tok, lit := s.Scan()
		if tok == token.EOF {
			return out
		}
		if tok != token.STRING {
			continue
		}
		if v, err := strconv.Unquote(lit); err == nil && bilingual.MatchString(v) {
			out = append(out, fset.Position(pos).String())
		}
	}
}

// The check finds literals, not comments.
func TestBilingualLiterals(t *testing.T) {
	src := []byte("package x\n// 中文 (English words)\nvar a = \"中文 (English words)\"\nvar b = `多行\n文字 (more words)`\nvar c = \"msg.key\"\n")
	if got := bilingualLiterals("x.go", src); len(got) != 2 || got[0] != "x.go:3:9" {
		t.Fatalf("%v", got)
	}
}
