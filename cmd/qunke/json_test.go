package main

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/qunke/qunke/internal/auth"
	"github.com/qunke/qunke/internal/store"
	"github.com/qunke/qunke/internal/web"
)

// TestCLIJSONIsTheAPIs: what check --json, rank --json, report --format
// json and groups list --json print is the body the API sends for the same question
// (the shapes come from one package, internal/apiv1, which the API's
// contract test checks against openapi.json).
func TestCLIJSONIsTheAPIs(t *testing.T) {
	ctx := context.Background()
	dbPath := filepath.Join(t.TempDir(), "q.db")
	if _, _, err := runCLI(t, "--db", dbPath, "demo", "--items", "300", "--days", "30"); err != nil {
		t.Fatal(err)
	}
	db, err := store.Open(ctx, dbPath)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	srv := httptest.NewServer(web.New(db, slog.New(slog.DiscardHandler)))
	defer srv.Close()
	a := auth.New(db)
	u, err := a.CreateUser(ctx, auth.NewUser{Name: "cli", Role: auth.Admin, Password: "a long password"})
	if err != nil {
		t.Fatal(err)
	}
	tok, _, err := a.IssueToken(ctx, u.ID, "test")
	if err != nil {
		t.Fatal(err)
	}
	api := func(method, path, body string) any {
		req, _ := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+tok)
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var b bytes.Buffer
		b.ReadFrom(resp.Body)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("%s %s: %d %s", method, path, resp.StatusCode, b.String())
		}
		return decodeJSON(t, b.String())
	}
	cli := func(args ...string) any {
		out, _, err := runCLI(t, append([]string{"--db", dbPath}, args...)...)
		if err != nil {
			t.Fatalf("%v: %v", args, err)
		}
		return decodeJSON(t, out)
	}
	ranking := cli("rank", "commission", "--limit", "5", "--json")
	if want := api("GET", "/api/v1/rankings/commission?limit=5", ""); !reflect.DeepEqual(ranking, want) {
		t.Errorf("rank --json:\n%v\nthe API:\n%v", ranking, want)
	}
	top := ranking.(map[string]any)["items"].([]any)[0].(map[string]any)["item_id"].(string)
	msg := "今日推荐 商品ID：" + top + " 券后价59.9\n￥AbCdEfGh123￥"
	body, _ := json.Marshal(map[string]string{"text": msg})
	for _, c := range []struct {
		args         []string
		method, path string
		body         string
	}{
		{[]string{"check", "--json", msg}, "POST", "/api/v1/check", string(body)},
		{[]string{"report", "income", "--format", "json"}, "GET", "/api/v1/income", ""},
		{[]string{"report", "income", "--by", "day", "--from", "2026-11-01", "--to", "2026-11-03", "--format", "json"}, "GET", "/api/v1/income?by=day&from=2026-11-01&to=2026-11-03", ""},
		{[]string{"report", "income", "--forecast", "--format", "json"}, "GET", "/api/v1/income/forecast", ""},
		{[]string{"report", "unattributed", "--format", "json"}, "GET", "/api/v1/orders/unattributed", ""},
		{[]string{"groups", "list", "--json"}, "GET", "/api/v1/groups", ""},
	} {
		if got, want := cli(c.args...), api(c.method, c.path, c.body); !reflect.DeepEqual(got, want) {
			t.Errorf("%v:\n%v\nthe API:\n%v", c.args, got, want)
		}
	}
}

func decodeJSON(t *testing.T, s string) any {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("%v in %.300s", err, s)
	}
	return v
}
