package web

import (
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"
)

// A small validator for the part of JSON Schema that openapi.json uses:
// type (one or a list, "null" among them), properties, required,
// additionalProperties (false: an undocumented field fails), items, enum,
// anyOf, $ref into the document, and format date-time (RFC 3339 with its
// offset). A schema using any other keyword fails, so the document cannot
// promise what this does not check.

var schemaKeywords = []string{"type", "properties", "required", "additionalProperties", "items", "enum", "anyOf",
	"$ref", "format", "description", "default"}

type apiDoc struct {
	root map[string]any
}

func parseAPIDoc(b []byte) (*apiDoc, error) {
	var root map[string]any
	if err := json.Unmarshal(b, &root); err != nil {
		return nil, err
	}
	return &apiDoc{root}, nil
}

// resolve follows a $ref ("#/components/schemas/Item").
func (d *apiDoc) resolve(schema map[string]any) (map[string]any, error) {
	ref, ok := schema["$ref"].(string)
	if !ok {
		return schema, nil
	}
	var cur any = d.root
	for _, part := range strings.Split(strings.TrimPrefix(ref, "#/"), "/") {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("bad $ref %s", ref)
		}
		cur = m[part]
	}
	m, ok := cur.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("$ref %s leads nowhere", ref)
	}
	return d.resolve(m)
}

// validate returns what is wrong with v (decoded with UseNumber) against
// schema; at names the place in the body ("$.items[0].title").
func (d *apiDoc) validate(schema map[string]any, v any, at string) []string {
	s, err := d.resolve(schema)
	if err != nil {
		return []string{at + ": " + err.Error()}
	}
	for k := range s {
		if !slices.Contains(schemaKeywords, k) {
			return []string{fmt.Sprintf("%s: the schema uses %q, which the validator does not check", at, k)}
		}
	}
	if alts, ok := s["anyOf"].([]any); ok {
		var all []string
		for _, a := range alts {
			errs := d.validate(a.(map[string]any), v, at)
			if len(errs) == 0 {
				return nil
			}
			all = append(all, errs...)
		}
		return []string{fmt.Sprintf("%s: matches none of anyOf: %s", at, strings.Join(all, "; "))}
	}
	if t, ok := s["type"]; ok {
		var types []string
		switch t := t.(type) {
		case string:
			types = []string{t}
		case []any:
			for _, x := range t {
				types = append(types, x.(string))
			}
		}
		if got := jsonType(v); !slices.Contains(types, got) && !(got == "integer" && slices.Contains(types, "number")) {
			return []string{fmt.Sprintf("%s: %s, want %s", at, got, strings.Join(types, " or "))}
		}
	}
	if v == nil {
		return nil // null, and null is allowed
	}
	var errs []string
	if enum, ok := s["enum"].([]any); ok && !slices.ContainsFunc(enum, func(e any) bool { return fmt.Sprint(e) == fmt.Sprint(v) }) {
		errs = append(errs, fmt.Sprintf("%s: %v is not one of %v", at, v, enum))
	}
	if s["format"] == "date-time" {
		if str, _ := v.(string); !isRFC3339(str) {
			errs = append(errs, fmt.Sprintf("%s: %q is not an RFC 3339 time with its offset", at, str))
		}
	}
	switch v := v.(type) {
	case []any:
		if items, ok := s["items"].(map[string]any); ok {
			for i, e := range v {
				errs = append(errs, d.validate(items, e, fmt.Sprintf("%s[%d]", at, i))...)
			}
		}
	case map[string]any:
		errs = append(errs, d.validateObject(s, v, at)...)
	}
	return errs
}

func (d *apiDoc) validateObject(s map[string]any, v map[string]any, at string) []string {
	var errs []string
	props, _ := s["properties"].(map[string]any)
	required, _ := s["required"].([]any)
	for _, r := range required {
		if _, ok := v[r.(string)]; !ok {
			errs = append(errs, fmt.Sprintf("%s: %s is missing", at, r))
		}
	}
	keys := make([]string, 0, len(v))
	for k := range v {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if p, ok := props[k].(map[string]any); ok {
			errs = append(errs, d.validate(p, v[k], at+"."+k)...)
			continue
		}
		switch extra := s["additionalProperties"].(type) {
		case bool:
			if !extra {
				errs = append(errs, fmt.Sprintf("%s: %s is not documented", at, k))
			}
		case map[string]any:
			errs = append(errs, d.validate(extra, v[k], at+"."+k)...)
		}
	}
	return errs
}

// jsonType is v's JSON Schema type; numbers must have been decoded as
// json.Number.
func jsonType(v any) string {
	switch v := v.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case string:
		return "string"
	case json.Number:
		if strings.ContainsAny(string(v), ".eE") {
			return "number"
		}
		return "integer"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	}
	return fmt.Sprintf("%T", v)
}

// isRFC3339 accepts "2026-11-20T10:00:00Z" and "2026-11-20T18:00:00+08:00"
// (fractions of a second allowed), not a bare date or unix seconds.
func isRFC3339(s string) bool {
	_, err := time.Parse(time.RFC3339Nano, s)
	return err == nil
}
