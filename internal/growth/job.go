package growth

import (
	"context"
	"log/slog"
	"time"

	"github.com/qunke/qunke/internal/store"
)

// LeaseName is the store lease the posting job runs under.
const LeaseName = "ledger.post"

// Job posts the members' orders every Every (qunke serve --ledger-every).
// Of several servers on one database one posts at a time, under the store
// lease LeaseName: the lease saves repeated work; correctness does not rest
// on it (Run posts differences under the ledger's lock).
type Job struct {
	Poster *Poster
	DB     *store.DB
	Holder string // store.Holder() of this server
	Every  time.Duration
	Log    *slog.Logger
}

// Run posts at once and then every Every until ctx ends.
func (j *Job) Run(ctx context.Context) {
	warn := func(err error) { j.Log.Warn("ledger post: lease", "err", err) }
	j.DB.RunEvery(ctx, LeaseName, j.Holder, j.Every, max(2*j.Every, 10*time.Minute), warn, j.once)
}

func (j *Job) once(ctx context.Context) {
	st, err := j.Poster.Run(ctx)
	if err != nil {
		if ctx.Err() == nil {
			j.Log.Error("ledger post", "err", err)
		}
		return
	}
	if st.Postings > 0 {
		j.Log.Info("ledger post", "orders", st.Orders, "postings", st.Postings, "held", st.Held, "released", st.Released,
			"adjusted", st.Adjusted, "reversed", st.Reversed)
	}
}
