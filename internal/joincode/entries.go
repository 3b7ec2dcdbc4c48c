package joincode

import (
	"context"
	"time"

	"github.com/qunke/qunke/internal/community"
)

// MakesTelegramLinks reports whether the service can ask Telegram for
// invite links (a bot is configured).
func (s *Service) MakesTelegramLinks() bool { return s != nil && s.Telegram != nil }

// Entry is how a visitor joins one group outside any code's rotation (a
// campaign's target group on its invite page): a Telegram link named for
// the inviter, else the group's uploaded QR, else none.
type Entry struct {
	Group      *community.Group
	Kind       Kind   // KindTelegram, KindQR or KindNone
	URL        string // the Telegram link ("" for a QR: the caller serves QR.ID)
	QR         *QR
	Attributed bool   // a join through it names the inviter
	Reason     Reason // why the group admits no one now (KindNone)
	HandRun    bool   // a hand-run group: its joins cannot be attributed
}

// Entries returns how to join each of groups now: a Telegram group gets
// an invite link named linkName (expiring at expire, zero never) when a
// bot is configured; any group its latest uploaded QR while it lives
// (margin) and admits. A group that cannot be read or admits no one is
// KindNone with its reason; a deleted one is left out.
func (s *Service) Entries(ctx context.Context, groups []int64, linkName string, expire time.Time) ([]Entry, error) {
	c := &Code{Groups: groups}
	cands, err := s.Candidates(ctx, c)
	if err != nil {
		return nil, err
	}
	now := s.now()
	out := make([]Entry, 0, len(cands))
	for _, cand := range cands {
		if cand.Group == nil {
			continue
		}
		e := Entry{Group: cand.Group, Kind: KindNone, HandRun: cand.HandRun()}
		cand.Way = false // a join way belongs to a code
		if r := cand.why(now, s.margin()); r != "" {
			e.Reason = r
			out = append(out, e)
			continue
		}
		if cand.Telegram {
			if expire.IsZero() || expire.After(now) {
				link, lerr := s.telegramLink(ctx, cand.Group, trimRunes(linkName, MaxLinkName), 0, expire)
				if lerr == nil {
					e.Kind, e.URL, e.Attributed = KindTelegram, link, true
					out = append(out, e)
					continue
				}
				s.log().Warn("invite page: no Telegram link", "group", cand.GroupID, "err", lerr)
			}
			cand.Telegram = false
			if r := cand.why(now, s.margin()); r != "" {
				e.Reason = r
				out = append(out, e)
				continue
			}
		}
		e.Kind, e.QR = KindQR, cand.QR
		out = append(out, e)
	}
	return out, nil
}
