package web

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/qunke/qunke/internal/apiv1"
	"github.com/qunke/qunke/internal/auth"
	"github.com/qunke/qunke/internal/demo"
)

func TestAPIEndpoints(t *testing.T) {
	s, srv := newTestServer(t)
	ctx := context.Background()
	m := demo.New(demo.Config{Seed: 4, Items: 200, Snapshots: 30, Interval: 24 * time.Hour, End: time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)})
	recs := m.AppendRecords(nil, 0, 200)
	if _, err := s.catalog.Ingest(ctx, recs); err != nil {
		t.Fatal(err)
	}
	sel, _ := s.auth.CreateUser(ctx, auth.NewUser{Name: "sel", Role: auth.Selector, Password: "a long password"})
	tok, _, _ := s.auth.IssueToken(ctx, sel.ID, "bot")
	viewer, _ := s.auth.CreateUser(ctx, auth.NewUser{Name: "v", Role: auth.Viewer, Password: "a long password"})
	vtok, _, _ := s.auth.IssueToken(ctx, viewer.ID, "dash")
	get := func(token, path string, out any) int {
		req, _ := http.NewRequest("GET", srv.URL+path, nil)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
			t.Fatalf("GET %s: content type %q", path, ct)
		}
		if out != nil {
			if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
				t.Fatalf("GET %s: %v", path, err)
			}
		}
		return resp.StatusCode
	}
	it := m.Item(3)
	word := string([]rune(it.Title)[2:4])
	var items struct {
		Total int          `json:"total"`
		Items []apiv1.Item `json:"items"`
	}
	if code := get(tok, "/api/v1/items?limit=5&q="+url.QueryEscape(word), &items); code != 200 || items.Total == 0 || len(items.Items) == 0 {
		t.Fatalf("items: %d %+v", code, items)
	}
	for _, x := range items.Items {
		if !strings.Contains(x.Title, word) || x.FinalPrice <= 0 {
			t.Fatalf("item %+v for %q", x, word)
		}
	}
	// Paging by "next": every item once, in order, then no next.
	seen, path := map[string]bool{}, "/api/v1/items?limit=30&sort=price"
	for pages := 0; path != ""; pages++ {
		var page struct {
			Items []apiv1.Item `json:"items"`
			Next  string       `json:"next"`
		}
		if code := get(tok, path, &page); code != 200 || pages > 10 {
			t.Fatalf("GET %s: %d after %d pages", path, code, pages)
		}
		for _, x := range page.Items {
			seen[x.Platform+":"+x.ItemID] = true
		}
		path = ""
		if page.Next != "" {
			path = "/api/v1/items?limit=30&sort=price&after=" + url.QueryEscape(page.Next)
		}
	}
	if len(seen) != 200 {
		t.Fatalf("paging by next read %d items, want 200", len(seen))
	}
	if code := get(tok, "/api/v1/items?after=x_1", nil); code != http.StatusBadRequest {
		t.Fatalf("a bad cursor: %d", code)
	}
	var card struct {
		Item struct {
			ItemID string `json:"item_id"`
		} `json:"item"`
		Score int `json:"score"`
	}
	if code := get(tok, "/api/v1/items/"+string(it.Platform)+"/"+it.ItemID, &card); code != 200 || card.Item.ItemID != it.ItemID {
		t.Fatalf("card: %d %+v", code, card)
	}
	var hist struct {
		Observations []map[string]any `json:"observations"`
	}
	to := time.Date(2026, 11, 20, 11, 0, 0, 0, time.UTC).Format(time.RFC3339)
	from := time.Date(2026, 11, 10, 10, 0, 0, 0, time.UTC).Format(time.RFC3339)
	if code := get(tok, "/api/v1/items/"+string(it.Platform)+"/"+it.ItemID+"/history?from="+from+"&to="+to, &hist); code != 200 || len(hist.Observations) != 11 {
		t.Fatalf("history: %d, %d observations, want 11 (10 days + the one in effect at the start)", code, len(hist.Observations))
	}
	var rank struct {
		Items []apiv1.Item `json:"items"`
	}
	if code := get(tok, "/api/v1/rankings/commission?limit=3", &rank); code != 200 || len(rank.Items) != 3 || *rank.Items[0].Rank != 1 || *rank.Items[0].Value < *rank.Items[2].Value {
		t.Fatalf("ranking: %d %+v", code, rank)
	}
	if code := get(tok, "/api/v1/imports", nil); code != 200 {
		t.Fatalf("imports: %d", code)
	}
	for path, want := range map[string]int{
		"/api/v1/items/jd/999":              404,
		"/api/v1/items/amazon/1":            400,
		"/api/v1/items?limit=-1":            400,
		"/api/v1/items?sort=random":         400,
		"/api/v1/rankings/best":             400,
		"/api/v1/items/jd/1/history?from=x": 400,
	} {
		if code := get(tok, path, nil); code != want {
			t.Errorf("GET %s: %d, want %d", path, code, want)
		}
	}
	if code := get(vtok, "/api/v1/items", nil); code != http.StatusForbidden {
		t.Errorf("viewer token: %d", code)
	}
	if code := get("", "/api/v1/rankings/hot", nil); code != http.StatusUnauthorized {
		t.Errorf("no token: %d", code)
	}
	// The OpenAPI document is served to a signed-in user and names every route.
	b := newClient(t, srv)
	signIn(t, s, b, "dev", auth.Selector)
	resp, body := b.do("GET", "/api/v1/openapi.json", nil)
	var doc struct {
		Paths map[string]any `json:"paths"`
	}
	if resp.StatusCode != 200 || json.Unmarshal([]byte(body), &doc) != nil {
		t.Fatalf("openapi: %d", resp.StatusCode)
	}
	for _, p := range []string{"/api/v1/check", "/api/v1/items", "/api/v1/items/{platform}/{id}", "/api/v1/items/{platform}/{id}/history", "/api/v1/rankings/{kind}", "/api/v1/imports"} {
		if doc.Paths[p] == nil {
			t.Errorf("openapi.json lacks %s", p)
		}
	}
}
