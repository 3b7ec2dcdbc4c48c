// Package ops holds the changes that span owners. Each composes the
// owners' methods in one transaction (store.Tx): the owners keep their SQL,
// the change is all or nothing, and a handler makes one call.
package ops

import (
	"context"

	"github.com/qunke/qunke/internal/community"
	"github.com/qunke/qunke/internal/health"
	"github.com/qunke/qunke/internal/msg"
	"github.com/qunke/qunke/internal/orders"
	"github.com/qunke/qunke/internal/publish"
	"github.com/qunke/qunke/internal/store"
)

// ErrGroupHasOrders keeps a group whose orders are on record.
var ErrGroupHasOrders = msg.New("groups.has_orders")

// Groups changes a group together with what refers to it.
type Groups struct {
	DB      *store.DB
	Groups  *community.Store
	Publish *publish.Store
	Orders  *orders.Store
	Health  *health.Store // nil: no health figures to remove
}

// Delete removes a group added by mistake, with the plans made for it
// alone and its health figures, in one transaction. A group with orders (ErrGroupHasOrders) or
// posts (community.ErrInUse) on record is kept, and so are its plans.
func (g *Groups) Delete(ctx context.Context, id int64) error {
	return g.DB.Atomic(ctx, func(tx *store.Tx) error {
		n, err := g.Orders.GroupOrders(ctx, tx, id)
		if err != nil {
			return err
		}
		if n > 0 {
			return ErrGroupHasOrders
		}
		if _, err := g.Publish.DeleteGroupPlans(ctx, tx, id); err != nil {
			return err
		}
		if err := g.Groups.Delete(ctx, tx, id); err != nil {
			return err
		}
		if g.Health != nil {
			return g.Health.DeleteGroup(ctx, tx, id)
		}
		return nil
	})
}
