package joincode

import (
	"context"
	"strconv"
	"time"

	"github.com/qunke/qunke/internal/i18n"
	"github.com/qunke/qunke/internal/msg"
	"github.com/qunke/qunke/internal/shanghai"
	"github.com/qunke/qunke/internal/store"
)

// Notifier delivers a warning to an operator's alert channel: the one set
// for owner, else the installation's default (health.Service.Deliver, the
// group health alerts' delivery). status is sent, failed or none (no
// channel set).
type Notifier interface {
	Deliver(ctx context.Context, owner, key, text string) (status string, err error)
}

// WarnLease is the lease the warning job runs under: one server at a time.
const WarnLease = "joincode.warn"

// WarnStats says what a warning run did.
type WarnStats struct {
	Codes, Warned int
}

// Warn warns, once per condition, of each QR of an active code's pool that
// expires within WarnAt (or has expired) and of each active code whose pool
// has no group that admits. A condition is claimed in the database before
// it is sent (two servers never both send it); a pool that has room again
// is forgotten, so that it is warned of when it fills again.
func (s *Service) Warn(ctx context.Context) (WarnStats, error) {
	var st WarnStats
	codes, err := s.Store.List(ctx)
	if err != nil {
		return st, err
	}
	warnAt := s.WarnAt
	if warnAt <= 0 {
		warnAt = DefaultWarnAt
	}
	now := s.now()
	for _, c := range codes {
		if !c.Active {
			continue
		}
		st.Codes++
		cands, err := s.Candidates(ctx, c)
		if err != nil {
			return st, err
		}
		for _, cand := range cands {
			if cand.Group == nil || cand.QR == nil || cand.Kind() != KindQR || now.Add(warnAt).Before(cand.QR.Expires) {
				continue
			}
			text := msg.In(i18n.ZH, msg.New("join.warn_qr", c.Name, cand.Group.Name, cand.QR.Expires.In(shanghai.Zone).Format("2006-01-02 15:04")))
			sent, err := s.warn(ctx, "qr:"+strconv.FormatInt(cand.QR.ID, 10), c, text)
			if err != nil {
				return st, err
			}
			st.Warned += sent
		}
		cond := "full:" + strconv.FormatInt(c.ID, 10)
		if i, _ := Pick(now, s.margin(), cands); i >= 0 {
			if err := s.Store.clearWarning(ctx, cond); err != nil {
				return st, err
			}
			continue
		}
		sent, err := s.warn(ctx, cond, c, msg.In(i18n.ZH, msg.New("join.warn_full", c.Name, c.Code)))
		if err != nil {
			return st, err
		}
		st.Warned += sent
	}
	return st, nil
}

// warn claims cond and sends text; 1 when it was sent now.
func (s *Service) warn(ctx context.Context, cond string, c *Code, text string) (int, error) {
	ok, err := s.Store.claimWarning(ctx, cond, c.ID, text)
	if err != nil || !ok {
		return 0, err
	}
	status := "none"
	if s.Notify != nil {
		var serr error
		status, serr = s.Notify.Deliver(ctx, c.Owner, "join-"+cond, text)
		if serr != nil {
			s.log().Warn("join code warning not sent", "code", c.Code, "cond", cond, "err", serr)
		}
	}
	if err := s.Store.finishWarning(ctx, cond, status); err != nil {
		return 0, err
	}
	if status == "sent" {
		return 1, nil
	}
	return 0, nil
}

// RunWarnings runs Warn at start and every every, under WarnLease, until
// ctx ends.
func (s *Service) RunWarnings(ctx context.Context, db *store.DB, holder string, every time.Duration) {
	db.RunLeased(ctx, WarnLease, holder, max(2*time.Minute, every/10), func(c context.Context) {
		for {
			if st, err := s.Warn(c); err != nil && c.Err() == nil {
				s.log().Error("join code warnings", "err", err)
			} else if st.Warned > 0 {
				s.log().Info("join code warnings", "codes", st.Codes, "sent", st.Warned)
			}
			select {
			case <-c.Done():
				return
			case <-time.After(every):
			}
		}
	})
}
