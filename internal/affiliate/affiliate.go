// Package affiliate is the contract between Qunke and the affiliate
// platforms' open APIs (Alimama TOP, JD Union, Pinduoduo 多多进宝, and
// dataoke as a Taobao route for teams without their own Alimama app). Each
// platform has its own client package below this one (alimama, jd, pdd,
// dataoke) that signs as the platform documents and implements Converter;
// publish converts a post's link (转链) through it, and the order sync reads
// orders through the clients' own order methods.
//
// The package owns no tables. Credentials come from the environment only
// and never reach a log or an error.
package affiliate

import (
	"context"
	"errors"
	"time"
)

// Request asks for one item's promotion link for one placement.
type Request struct {
	Platform string // "taobao", "tmall", "jd" or "pdd"
	ItemID   string // Taobao/Tmall numeric id, JD sku id, PDD goods_sign (or goods id)
	// PID is the group's placement: the Alimama PID mm_member_site_adzone,
	// the JD PID unionId_siteId_positionId, or the PDD p_id as given.
	PID string
	// Person is a person-level id, optional: Alimama relation_id, JD
	// subUnionId, PDD custom_parameters (≤ 64 bytes).
	Person string
	// SpecialID is Alimama's other person-level id, the 会员运营ID
	// (special_id), optional; Taobao/Tmall only. With Person it sends both.
	SpecialID string
	// ShareCode asks for a 淘口令 as well (Taobao/Tmall only).
	ShareCode bool
}

// Link is a converted, commission-earning link.
type Link struct {
	URL       string    // the short link to post (s.click.taobao.com, u.jd.com, p.pinduoduo.com …)
	CouponURL string    // the coupon's link where the platform gives one apart, else ""
	ShareCode string    // 淘口令 such as ￥SIH6XbwRfyt￥ when asked for, else ""
	Expires   time.Time // when the platform says the link stops working; zero: not said
	// CommissionBP is the commission rate the platform quoted, in basis
	// points; 0 when it did not say.
	CommissionBP int64
}

// Result is one request's outcome: a Link or a per-item error (ErrItemGone,
// ErrNoPermission, or another error saying what the platform answered).
type Result struct {
	Link Link
	Err  error
}

// Converter converts item links for one or more platforms.
type Converter interface {
	// Platforms lists the platforms it converts ("taobao", "tmall", "jd", "pdd").
	Platforms() []string
	// MaxBatch is how many requests one call of Convert may carry (the
	// platform's list size; 1 where its method takes one item).
	MaxBatch() int
	// Convert converts up to MaxBatch requests, returning one Result per
	// request, in order. The error is for the call as a whole (ErrThrottled,
	// ErrAuth, ErrUnreachable, a malformed answer): then no Result counts.
	Convert(ctx context.Context, reqs []Request) ([]Result, error)
}

// Errors a Converter returns; test them with errors.Is. Clients wrap them
// with what the platform said (its code and message, never a credential).
var (
	// ErrThrottled: the platform limits calls; retry after RetryAfter(err).
	ErrThrottled = errors.New("affiliate: throttled")
	// ErrAuth: credentials or session invalid or expired (TOP code 27…).
	ErrAuth = errors.New("affiliate: credentials refused")
	// ErrUnreachable: no HTTP answer (DNS, connect, TLS, timeout).
	ErrUnreachable = errors.New("affiliate: platform unreachable")
	// ErrItemGone: the item is not promoted any more (TOP isv.item-not-exist).
	ErrItemGone = errors.New("affiliate: item gone")
	// ErrNoPermission: this placement may not promote this item (TOP 1001 无权限).
	ErrNoPermission = errors.New("affiliate: no permission for the item")
	// ErrNoCredentials: the platform's credentials are not configured.
	ErrNoCredentials = errors.New("affiliate: no credentials configured")
)

// Throttled is an ErrThrottled carrying how long to wait, when the platform
// said so.
type Throttled struct {
	Platform string
	After    time.Duration // 0: not said; back off as you see fit
	Detail   string        // the platform's code and message
}

func (e *Throttled) Error() string {
	return "affiliate: " + e.Platform + " throttled: " + e.Detail
}

// Is makes errors.Is(err, ErrThrottled) true.
func (e *Throttled) Is(target error) bool { return target == ErrThrottled }

// RetryAfter returns how long a throttled platform asked to wait (0 when it
// did not say, or err is not a *Throttled).
func RetryAfter(err error) time.Duration {
	var t *Throttled
	if errors.As(err, &t) {
		return t.After
	}
	return 0
}
