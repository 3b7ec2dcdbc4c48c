package auth

import (
	"fmt"
	"strings"
)

// Role is a console user's role. The set is fixed; see the matrix in doc.go.
type Role string

const (
	Admin    Role = "admin"    // 管理员: everything
	Selector Role = "selector" // 选品: imports feeds, uses the advisor
	Operator Role = "operator" // 运营: posts deals, uses the advisor
	Finance  Role = "finance"  // 财务: orders and commissions
	Viewer   Role = "viewer"   // 只读: dashboard only
	// Agent (代理) is an agent of the team's agent tree: bound to one agent
	// (User.AgentID), it sees that agent's subtree only (the agent and the
	// agents under it, their orders and ledger), nothing of the team's.
	Agent Role = "agent"
)

// Roles lists every role, most powerful first.
var Roles = []Role{Admin, Selector, Operator, Finance, Viewer, Agent}

// Permission is one thing a role may do in the console or API.
type Permission string

const (
	ManageUsers   Permission = "manage_users"   // create, disable, re-role users; reset passwords
	ManageTokens  Permission = "manage_tokens"  // issue and revoke API tokens
	ImportFeeds   Permission = "import_feeds"   // import product feeds and files
	UseAdvisor    Permission = "use_advisor"    // price check, rankings, library
	ViewOrders    Permission = "view_orders"    // see orders and commissions
	ManageOrders  Permission = "manage_orders"  // reconcile, settle, edit orders
	ManagePosting Permission = "manage_posting" // schedule and publish deal posts
	ViewDashboard Permission = "view_dashboard" // the overview pages
	// ViewAgents sees the agents' tree, their orders, statements and
	// ledger: every agent and member, or, for the agent role, the user's
	// own subtree only (the web layer scopes it by User.AgentID).
	ViewAgents   Permission = "view_agents"
	ManageAgents Permission = "manage_agents" // edit share rules, create and mark payout batches
)

// Permissions lists every permission in the order of the doc.go table.
var Permissions = []Permission{
	ManageUsers, ManageTokens, ImportFeeds, UseAdvisor,
	ViewOrders, ManageOrders, ManagePosting, ViewDashboard,
	ViewAgents, ManageAgents,
}

// grants is the role matrix. Keep it in step with the table in doc.go
// (TestRoleMatrix checks both agree).
var grants = map[Role][]Permission{
	Admin:    Permissions,
	Selector: {ImportFeeds, UseAdvisor, ViewDashboard},
	Operator: {UseAdvisor, ManagePosting, ViewDashboard},
	Finance:  {ViewOrders, ManageOrders, ViewDashboard, ViewAgents, ManageAgents},
	Viewer:   {ViewDashboard},
	Agent:    {ViewAgents},
}

// Can reports whether the role grants p. Unknown roles grant nothing.
func (r Role) Can(p Permission) bool {
	for _, g := range grants[r] {
		if g == p {
			return true
		}
	}
	return false
}

// Valid reports whether r is one of Roles.
func (r Role) Valid() bool {
	_, ok := grants[r]
	return ok
}

// Label is the role's Chinese name for the console.
func (r Role) Label() string {
	switch r {
	case Admin:
		return "管理员"
	case Selector:
		return "选品"
	case Operator:
		return "运营"
	case Finance:
		return "财务"
	case Viewer:
		return "只读"
	case Agent:
		return "代理"
	}
	return string(r)
}

// ParseRole reads a role name (case and surrounding space ignored).
func ParseRole(s string) (Role, error) {
	r := Role(strings.ToLower(strings.TrimSpace(s)))
	if !r.Valid() {
		return "", fmt.Errorf("未知角色 %q，可选 admin/selector/operator/finance/viewer/agent / unknown role %q: %w", s, s, ErrBadRole)
	}
	return r, nil
}
