package extract

import (
	"context"
	"fmt"

	"github.com/qunke/qunke/internal/msg"
)

// Resolver turns references that need resolving — share codes, short links,
// coupon pages without an item id, ids of unknown platform — into item
// references (Platform and ItemID set, NeedsResolve false). Implementations
// are backed by the Alimama / JD union / PDD APIs or third-party parse
// services; references that need no resolving are returned unchanged.
type Resolver interface {
	Resolve(ctx context.Context, ref Ref) (Ref, error)
}

// ErrNoResolver is the error NoResolver returns for a reference that needs
// resolving.
var ErrNoResolver = msg.New("advisor.needs_resolving")

// NoResolver is the Resolver used while no parse API is configured: it
// passes resolved references through and refuses the rest with an error
// wrapping ErrNoResolver.
type NoResolver struct{}

func (NoResolver) Resolve(ctx context.Context, ref Ref) (Ref, error) {
	if err := ctx.Err(); err != nil {
		return ref, err
	}
	if !ref.NeedsResolve {
		return ref, nil
	}
	return ref, fmt.Errorf("%s %q: %w", ref.Kind, ref.Raw, ErrNoResolver)
}
