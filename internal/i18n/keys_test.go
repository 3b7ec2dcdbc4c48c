package i18n

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// usedKey finds message keys named literally in Go code (msg.New("k"),
// T("k")) and templates ({{.T "k"}}, {{$p.T "k"}}).
var usedKey = regexp.MustCompile(`(?:msg\.New\(|\bT\(|\.T |\bt )"([a-z0-9_]+(?:\.[a-z0-9_]+)+)"`)

// keysUsed scans the module's Go files and templates for keys.
func keysUsed(t *testing.T) map[string]string {
	t.Helper()
	used := map[string]string{}
	err := filepath.WalkDir("../..", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if d.Name() == ".git" || d.Name() == "node_modules" {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") && !strings.HasSuffix(path, ".html") {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, m := range usedKey.FindAllStringSubmatch(string(b), -1) {
			used[m[1]] = path
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return used
}

func TestKeysUsedExistInBothCatalogs(t *testing.T) {
	c, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	used := keysUsed(t)
	if len(used) < 100 {
		t.Fatalf("found only %d keys in use: is the scan broken?", len(used))
	}
	for k, path := range used {
		for _, l := range Langs {
			if _, ok := c.msgs[l][k]; !ok {
				t.Errorf("%s: key %q missing from %s.json", path, k, l)
			}
		}
	}
}

// verb matches a fmt verb with an optional explicit argument index.
var verb = regexp.MustCompile(`%(?:\[\d+\])?[-+# 0]*\d*(?:\.\d+)?[a-zA-Z%]`)

func TestPlaceholdersMatch(t *testing.T) {
	c, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	for k, zh := range c.msgs[ZH] {
		z, e := verbs(zh), verbs(c.msgs[EN][k])
		if !slices.Equal(z, e) {
			t.Errorf("%s: zh has %v, en has %v", k, z, e)
		}
	}
}

// verbs lists s's fmt verbs in argument order; sorted when explicit indexes
// (%[n]s) let a language put the arguments in another order.
func verbs(s string) []string {
	v := verb.FindAllString(s, -1)
	v = slices.DeleteFunc(v, func(x string) bool { return x == "%%" })
	if strings.Contains(s, "%[") {
		slices.Sort(v)
	}
	return v
}
