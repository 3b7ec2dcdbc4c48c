package auth

import (
	"errors"
	"os"
	"strings"
	"testing"
)

func TestRoleMatrix(t *testing.T) {
	want := map[Role][]Permission{
		Admin:    {ManageUsers, ManageTokens, ImportFeeds, UseAdvisor, ViewOrders, ManageOrders, ManagePosting, ViewDashboard, ViewAgents, ManageAgents},
		Selector: {ImportFeeds, UseAdvisor, ViewDashboard},
		Operator: {UseAdvisor, ManagePosting, ViewDashboard},
		Finance:  {ViewOrders, ManageOrders, ViewDashboard, ViewAgents, ManageAgents},
		Viewer:   {ViewDashboard},
		Agent:    {ViewAgents},
	}
	for _, r := range Roles {
		has := map[Permission]bool{}
		for _, p := range want[r] {
			has[p] = true
		}
		for _, p := range Permissions {
			if r.Can(p) != has[p] {
				t.Errorf("%s.Can(%s) = %v, want %v", r, p, r.Can(p), has[p])
			}
		}
	}
	for _, p := range Permissions {
		if Role("root").Can(p) || Role("").Can(p) {
			t.Errorf("unknown role can %s", p)
		}
	}
}

// TestDocMatrix keeps the table in doc.go in step with Role.Can.
func TestDocMatrix(t *testing.T) {
	src, err := os.ReadFile("doc.go")
	if err != nil {
		t.Fatal(err)
	}
	var header []Role
	rows := 0
	for _, line := range strings.Split(string(src), "\n") {
		line = strings.TrimSpace(strings.TrimPrefix(line, "//"))
		if !strings.HasPrefix(line, "|") || strings.HasPrefix(line, "|-") {
			continue
		}
		cells := strings.Split(strings.Trim(line, "|"), "|")
		for i := range cells {
			cells[i] = strings.TrimSpace(cells[i])
		}
		if cells[0] == "permission" {
			for _, c := range cells[1:] {
				header = append(header, Role(c))
			}
			continue
		}
		rows++
		p := Permission(cells[0])
		for i, r := range header {
			if got, want := cells[i+1] == "yes", r.Can(p); got != want {
				t.Errorf("doc.go says %s can %s: %v; Role.Can says %v", r, p, got, want)
			}
		}
	}
	if len(header) != len(Roles) || rows != len(Permissions) {
		t.Fatalf("doc.go table has %d roles and %d permissions, want %d and %d", len(header), rows, len(Roles), len(Permissions))
	}
}

func TestParseRole(t *testing.T) {
	for _, r := range Roles {
		got, err := ParseRole(" " + strings.ToUpper(string(r)) + " ")
		if err != nil || got != r {
			t.Errorf("ParseRole(%s) = %v, %v", r, got, err)
		}
		if r.Label() == string(r) {
			t.Errorf("%s has no label", r)
		}
	}
	if _, err := ParseRole("root"); !errors.Is(err, ErrBadRole) {
		t.Errorf("ParseRole(root) error %v", err)
	}
}
