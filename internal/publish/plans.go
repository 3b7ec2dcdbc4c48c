package publish

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/qunke/qunke/internal/catalog"
	"github.com/qunke/qunke/internal/cells"
	"github.com/qunke/qunke/internal/i18n"
	"github.com/qunke/qunke/internal/msg"
)

// ErrNotFound is returned for a plan, queue entry or delivery that does not exist.
var ErrNotFound = msg.New("publish.not_found")

// Plan says when and how much to post into one group or every group with a tag.
type Plan struct {
	ID         int64
	Name       string
	GroupID    int64  // one group, or
	Tag        string // every active group with this tag
	Slots      []int  // minutes after local midnight, ascending
	PerSlot    int    // items per slot
	DailyCap   int    // posts per group per day, all plans together
	RepeatDays int    // an item is not posted to a group again within this many days unless its price dropped
	QuietFrom  int    // minutes after midnight; QuietFrom == QuietTo means no quiet hours
	QuietTo    int
	Active     bool
}

// Quiet reports whether minute m of the day is in the plan's quiet hours
// (which may wrap midnight: 22:00-08:00).
func (p *Plan) Quiet(m int) bool {
	switch {
	case p.QuietFrom == p.QuietTo:
		return false
	case p.QuietFrom < p.QuietTo:
		return m >= p.QuietFrom && m < p.QuietTo
	default:
		return m >= p.QuietFrom || m < p.QuietTo
	}
}

// ParseSlots reads "08:00, 12:00 20:30" into minutes after midnight.
func ParseSlots(s string) ([]int, error) {
	var out []int
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == '，' || r == ' ' || r == ';' || r == '、' }) {
		m, err := ParseClock(f)
		if err != nil {
			return nil, err
		}
		if !slices.Contains(out, m) {
			out = append(out, m)
		}
	}
	if len(out) == 0 {
		return nil, msg.New("publish.slots_none")
	}
	if len(out) > 48 {
		return nil, msg.New("publish.slots_max", 48)
	}
	slices.Sort(out)
	return out, nil
}

// ParseClock reads "8:05" or "08:05" into minutes after midnight.
func ParseClock(s string) (int, error) {
	s = strings.TrimSpace(strings.ReplaceAll(s, "：", ":"))
	h, m, ok := strings.Cut(s, ":")
	hh, err1 := strconv.Atoi(h)
	mm, err2 := strconv.Atoi(m)
	if !ok || err1 != nil || err2 != nil || hh < 0 || hh > 23 || mm < 0 || mm > 59 || len(m) != 2 {
		return 0, msg.New("publish.bad_clock", s)
	}
	return hh*60 + mm, nil
}

// Clock prints minutes after midnight as "08:05".
func Clock(m int) string { return fmt.Sprintf("%02d:%02d", m/60, m%60) }

// SlotsText prints the plan's slots as "08:00,12:00".
func (p *Plan) SlotsText() string {
	parts := make([]string, len(p.Slots))
	for i, m := range p.Slots {
		parts[i] = Clock(m)
	}
	return strings.Join(parts, ",")
}

// Check validates a plan.
func (p *Plan) Check() error {
	p.Name = strings.TrimSpace(p.Name)
	p.Tag = strings.TrimSpace(p.Tag)
	switch {
	case p.Name == "":
		return msg.New("publish.plan.no_name")
	case (p.GroupID == 0) == (p.Tag == ""):
		return msg.New("publish.plan.group_or_tag")
	case len(p.Slots) == 0:
		return msg.New("publish.plan.no_slot")
	case p.PerSlot < 1 || p.PerSlot > 50:
		return msg.New("publish.plan.per_slot")
	case p.DailyCap < 1 || p.DailyCap > 500:
		return msg.New("publish.plan.daily_cap")
	case p.RepeatDays < 0 || p.RepeatDays > 365:
		return msg.New("publish.plan.repeat_days")
	case p.QuietFrom < 0 || p.QuietFrom >= 1440 || p.QuietTo < 0 || p.QuietTo >= 1440:
		return msg.New("publish.plan.quiet")
	}
	return nil
}

// ErrNoGroup is SavePlan's error for a plan whose group does not exist.
var ErrNoGroup = msg.New("plans.no_group")

// PlansFor returns the plans made for one group (not those by tag).
func (s *Store) PlansFor(ctx context.Context, groupID int64) ([]*Plan, error) {
	all, err := s.Plans(ctx)
	if err != nil {
		return nil, err
	}
	var out []*Plan
	for _, p := range all {
		if p.GroupID == groupID {
			out = append(out, p)
		}
	}
	return out, nil
}

// Queued is an item waiting in a plan's queue.
type Queued struct {
	ID          int64
	PlanID      int64
	Key         catalog.Key
	ChosenPrice int64 // fen: skip the item if its final price rises above this
	Reason      string
	Pos         int64
	AddedBy     string
	AddedAt     time.Time
}

// AlreadyQueued is Enqueue's error for an item already on the plan's
// queue: nothing changed, it keeps its place, its chosen price and its
// reason (Requeue changes them when asked to).
type AlreadyQueued struct{ Queued Queued }

func (e *AlreadyQueued) msg() *msg.Error {
	return msg.New("publish.already_queued", e.Queued.Key.String(), cells.Yuan(e.Queued.ChosenPrice))
}

func (e *AlreadyQueued) Error() string { return e.msg().Error() }

// Text is the error in lang.
func (e *AlreadyQueued) Text(lang i18n.Lang) string { return msg.In(lang, e.msg()) }

// ErrNotInCatalog is Enqueue's error for an item the catalog does not
// have (its argument is the item's key).
var ErrNotInCatalog = msg.New("post.not_in_catalog")

// Enqueue adds an item of the catalog (else ErrNotInCatalog) to the end of
// a plan's queue. An item already queued is left as it is, and the error
// is an *AlreadyQueued saying so.
func (s *Store) Enqueue(ctx context.Context, q Queued) error {
	return s.checkedEnqueue(ctx, q, false)
}

// Requeue is Enqueue that, for an item already queued, keeps its place
// and gives it the new chosen price and (when not empty) reason.
func (s *Store) Requeue(ctx context.Context, q Queued) error {
	return s.checkedEnqueue(ctx, q, true)
}

func (s *Store) checkedEnqueue(ctx context.Context, q Queued, replace bool) error {
	if _, err := s.cat.Find(ctx, q.Key); errors.Is(err, catalog.ErrNotFound) {
		return ErrNotInCatalog.With(q.Key.String())
	} else if err != nil {
		return err
	}
	return s.enqueue(ctx, q, replace)
}

// TemplateFor returns the copy template for a group with these tags: the
// first tag (in sorted order) that has a template, else the team default,
// else DefaultBody.
func (s *Store) TemplateFor(ctx context.Context, tags []string) (*Template, error) {
	all, err := s.Templates(ctx)
	if err != nil {
		return nil, err
	}
	return pickTemplate(all, tags)
}

func pickTemplate(all map[string]string, tags []string) (*Template, error) {
	for _, t := range tags {
		if body, ok := all[t]; ok {
			return ParseTemplate(body)
		}
	}
	if body, ok := all[""]; ok {
		return ParseTemplate(body)
	}
	return ParseTemplate(DefaultBody)
}
