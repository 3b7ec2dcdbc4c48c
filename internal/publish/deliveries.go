package publish

import (
	"context"

	"github.com/qunke/qunke/internal/catalog"
	"github.com/qunke/qunke/internal/community"
	"github.com/qunke/qunke/internal/msg"
)

// Status is where a delivery is in its life.
type Status string

const (
	Planned     Status = "planned"     // waiting for its time (or a retry)
	Held        Status = "held"        // an operator stopped it for now
	Sending     Status = "sending"     // claimed by a worker, outcome not yet known
	Sent        Status = "sent"        // the platform confirmed it (or an operator did, for manual groups)
	Failed      Status = "failed"      // will not succeed as is (bad target, ...)
	Skipped     Status = "skipped"     // a rule stopped it at sending time (price rose, coupon expired, group paused)
	Unconfirmed Status = "unconfirmed" // sent, but the platform never confirmed it, even after the one resend: check the group
)

// Label is the status's Chinese name.
func (s Status) Label() string {
	return map[Status]string{Planned: "待发送", Held: "已暂停", Sending: "发送中", Sent: "已发送", Failed: "失败",
		Skipped: "已跳过", Unconfirmed: "未确认"}[s]
}

// Delivery is one post of one item to one group at one slot.
type Delivery struct {
	ID          int64
	Key         string // idempotency key
	GroupID     int64
	PlanID      int64
	Item        catalog.Key
	SlotAt      int64
	Seq         int64
	Status      Status
	Body        string // the copy
	Link        string
	Title       string
	ImageURL    string
	ListPrice   int64
	Coupon      int64
	FinalPrice  int64
	ChosenPrice int64
	Badges      []string
	Attempts    int64
	NextAt      int64
	PartsSent   int64
	Resent      bool
	MessageIDs  string
	LastError   string
	SentAt      int64
	SentBy      string
	Version     int64 // bumped by every change of state: a worker changes the row only at the version it read
}

// Hold stops a planned delivery until Release.
func (s *Store) Hold(ctx context.Context, id int64) error {
	return s.setStatus(ctx, id, Planned, Held, "")
}

// Release lets a held delivery go again.
func (s *Store) Release(ctx context.Context, id int64) error {
	return s.setStatus(ctx, id, Held, Planned, "")
}

// ErrState is returned when a delivery is not in a state the action needs.
var ErrState = msg.New("publish.state_changed")

// ErrNotManual is MarkSent's error for a post to a group the worker posts
// to: only manual groups' posts are marked sent by hand.
var ErrNotManual = msg.New("manual.not_manual")

// checkManual returns ErrNotManual unless delivery id is to a manual group
// (ErrNotFound when there is no such delivery).
func (s *Store) checkManual(ctx context.Context, id int64) error {
	d, err := s.Delivery(ctx, id)
	if err != nil {
		return err
	}
	g, err := s.groups.Get(ctx, d.GroupID)
	if err != nil || g.Channel != community.Manual {
		return ErrNotManual
	}
	return nil
}

// MarkSent records that an operator posted a manual group's delivery by
// hand; other groups' deliveries give ErrNotManual, a delivery no longer
// planned ErrState.
func (s *Store) MarkSent(ctx context.Context, id int64, by string) error {
	return s.setStatus(ctx, id, Planned, Sent, by)
}

// Attempt is one try at sending a delivery.
type Attempt struct {
	ID         int64
	DeliveryID int64
	GroupID    int64
	Item       catalog.Key
	Title      string
	Started    int64
	Finished   int64
	Outcome    string
	Detail     string
}
