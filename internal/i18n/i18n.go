// Package i18n holds Qunke's message catalogs: Simplified Chinese by
// default, English on request. Every string a person reads (console pages,
// domain errors through internal/msg, CLI output) comes from here.
package i18n

import (
	"embed"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"sync"
	"unicode"
)

// Lang is a catalog's language.
type Lang string

const (
	ZH Lang = "zh"
	EN Lang = "en"
)

// Langs lists the languages, default first.
var Langs = []Lang{ZH, EN}

// Parse returns the language named by s, or the default.
func Parse(s string) Lang {
	if s == string(EN) || len(s) >= 2 && s[:2] == "en" {
		return EN
	}
	return ZH
}

//go:embed zh.json en.json
var files embed.FS

// Catalog maps message keys to text per language.
type Catalog struct {
	msgs map[Lang]map[string]string
}

// Load reads the embedded catalogs and checks they have the same keys.
func Load() (*Catalog, error) {
	c := &Catalog{msgs: map[Lang]map[string]string{}}
	for _, l := range Langs {
		b, err := files.ReadFile(string(l) + ".json")
		if err != nil {
			return nil, err
		}
		m := map[string]string{}
		if err := json.Unmarshal(b, &m); err != nil {
			return nil, fmt.Errorf("i18n %s.json: %w", l, err)
		}
		c.msgs[l] = m
	}
	if missing := c.Missing(); len(missing) > 0 {
		return nil, fmt.Errorf("i18n: keys missing from a catalog: %v", missing)
	}
	return c, nil
}

// Embedded is the embedded catalogs, loaded once.
var Embedded = sync.OnceValues(Load)

// Missing lists keys present in one catalog but not in another.
func (c *Catalog) Missing() []string {
	var out []string
	for _, a := range Langs {
		for k := range c.msgs[a] {
			for _, b := range Langs {
				if _, ok := c.msgs[b][k]; !ok {
					out = append(out, string(b)+":"+k)
				}
			}
		}
	}
	sort.Strings(out)
	return out
}

// T returns the message key in lang, formatted with args (fmt verbs). An
// unknown key is returned as itself, so a missing message is visible.
func (c *Catalog) T(lang Lang, key string, args ...any) string {
	s, ok := c.msgs[lang][key]
	if !ok {
		if s, ok = c.msgs[ZH][key]; !ok {
			return key
		}
	}
	if len(args) > 0 {
		return fmt.Sprintf(s, args...)
	}
	return s
}

// Pick is lang's half of a text a domain package gives in both languages
// at once, "中文 (english)" (a skip reason, a platform's label). Any other
// text is returned as given.
func Pick(lang Lang, s string) string {
	i := strings.LastIndex(s, " (")
	if i < 0 || !strings.HasSuffix(s, ")") || !hasHan(s[:i]) || hasHan(s[i:]) {
		return s
	}
	if lang == EN {
		return s[i+2 : len(s)-1]
	}
	return s[:i]
}

// hasHan reports whether s has a Chinese character.
func hasHan(s string) bool {
	return strings.ContainsFunc(s, func(r rune) bool { return unicode.Is(unicode.Han, r) })
}
