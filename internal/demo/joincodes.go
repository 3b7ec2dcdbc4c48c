package demo

import (
	"context"
	"fmt"
	"time"

	"github.com/qunke/qunke/internal/community"
	"github.com/qunke/qunke/internal/joincode"
	"github.com/qunke/qunke/internal/publish/poster"
	"github.com/qunke/qunke/internal/shanghai"
	"github.com/qunke/qunke/internal/store"
)

// JoinCodes adds the demo's join codes (群活码), once: 福利群活码 (fuli)
// rotating over the first manual groups, whose QR images were uploaded at
// different times (one expires within a day, so the warning job warns of
// it), and 新人群 (xinren) over two groups; each with two weeks of views,
// some by inviters' links. It returns how many codes it added (0 when the
// demo has them already or has too few groups).
func JoinCodes(ctx context.Context, db *store.DB, now time.Time) (int, error) {
	st := joincode.NewStore(db)
	if have, err := st.List(ctx); err != nil || len(have) > 0 {
		return 0, err
	}
	groups, err := community.NewStore(db).List(ctx, community.Filter{})
	if err != nil {
		return 0, err
	}
	var pool []*community.Group
	for _, g := range groups {
		if g.Active && g.Channel == community.Manual || g.Active && g.Channel == community.WeCom {
			pool = append(pool, g)
		}
	}
	if len(pool) < 3 {
		return 0, nil
	}
	codes := []*joincode.Code{
		{Code: "fuli", Name: "福利群活码", Campaign: "双12拉新", Active: true, Groups: ids(pool[:min(4, len(pool))])},
		{Code: "xinren", Name: "新人群", Campaign: "", Active: true, Groups: ids(pool[len(pool)-2:])},
	}
	// QR ages: 6 days 12 hours (expires within a day), 2 days, 1 hour;
	// the fourth group has none.
	ages := []time.Duration{6*24*time.Hour + 12*time.Hour, 2 * 24 * time.Hour, time.Hour}
	for i, g := range pool[:min(3, len(pool))] {
		img, err := poster.QRPNG(fmt.Sprintf("https://weixin.qq.com/g/demo-%d", g.ID), 6)
		if err != nil {
			return 0, err
		}
		if _, err := st.UploadQR(ctx, g.ID, img, "demo", now.Add(-ages[i])); err != nil {
			return 0, err
		}
	}
	for _, g := range pool[len(pool)-2:] {
		img, err := poster.QRPNG(fmt.Sprintf("https://weixin.qq.com/g/demo-new-%d", g.ID), 6)
		if err != nil {
			return 0, err
		}
		if _, err := st.UploadQR(ctx, g.ID, img, "demo", now.Add(-3*time.Hour)); err != nil {
			return 0, err
		}
	}
	inviters := []string{"", "xiaomei", "laowang", "ajie", "lily"}
	r := &rng{s: mix64(0x101c0de)}
	for k, c := range codes {
		if err := st.Save(ctx, c); err != nil {
			return 0, err
		}
		today := shanghai.Day(now.Unix())
		var counts []joincode.VisitCount
		for d := int64(0); d < 14; d++ {
			for i, inv := range inviters {
				n := int64(r.intn(40/(i+1)+1) + (14-int(d))*(2-k))
				if n > 0 {
					counts = append(counts, joincode.VisitCount{CodeID: c.ID, Day: today - d, Inviter: inv, N: n})
				}
			}
		}
		if err := st.AddVisits(ctx, counts); err != nil {
			return 0, err
		}
	}
	return len(codes), nil
}

func ids(gs []*community.Group) []int64 {
	out := make([]int64, len(gs))
	for i, g := range gs {
		out[i] = g.ID
	}
	return out
}
