package jd

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/qunke/qunke/internal/affiliate"
	"github.com/qunke/qunke/internal/affiliate/apicall"
)

// ChainType asked of JD: 3 gives both the long clickURL and the shortURL.
const ChainType = 3

// PromotionCodeReq is the promotionCodeReq of MethodPromotion.
type PromotionCodeReq struct {
	MaterialID string `json:"materialId"`           // item URL (or sku id turned into its URL)
	PositionID int64  `json:"positionId,omitempty"` // third part of the group's JD PID
	SubUnionID string `json:"subUnionId,omitempty"` // person-level id
	ChainType  int    `json:"chainType"`
}

// PositionID returns the positionId of a JD PID unionId_siteId_positionId.
func PositionID(pid string) (int64, error) {
	parts := strings.Split(pid, "_")
	if len(parts) != 3 {
		return 0, fmt.Errorf("jd: PID %q is not unionId_siteId_positionId", pid)
	}
	var n int64
	for _, p := range parts {
		if p == "" || len(p) > 18 || strings.Trim(p, "0123456789") != "" {
			return 0, fmt.Errorf("jd: PID %q is not unionId_siteId_positionId", pid)
		}
	}
	fmt.Sscan(parts[2], &n)
	return n, nil
}

// MaterialURL is the item link JD converts: the item URL as given, or
// https://item.jd.com/<sku>.html for a bare sku id.
func MaterialURL(item string) string {
	if item != "" && strings.Trim(item, "0123456789") == "" {
		return "https://item.jd.com/" + item + ".html"
	}
	return item
}

// Platforms implements affiliate.Converter.
func (c *Client) Platforms() []string { return []string{"jd"} }

// MaxBatch implements affiliate.Converter: the method converts one item.
func (c *Client) MaxBatch() int { return 1 }

// Convert implements affiliate.Converter. Per-item answers (item gone, no
// permission, other union codes, a bad PID) come back in the Result; a
// throttled, refused or unreachable call as the error.
func (c *Client) Convert(ctx context.Context, reqs []affiliate.Request) ([]affiliate.Result, error) {
	return apicall.ConvertEach(ctx, reqs, c.MaxBatch(), c.HasCredentials(), c.Promote, func(err error) bool {
		var ae *APIError
		return errors.Is(err, errRequest) || (errors.As(err, &ae) && ae.Business && !errors.Is(err, affiliate.ErrAuth))
	})
}

var errRequest = errors.New("jd: bad request")

// Promote converts one item for the request's placement (PID) and person
// (subUnionId) and returns the short link (URL) with its long form.
func (c *Client) Promote(ctx context.Context, r affiliate.Request) (affiliate.Link, error) {
	pos, err := PositionID(r.PID)
	if err != nil {
		return affiliate.Link{}, fmt.Errorf("%w: %w", errRequest, err)
	}
	if r.ItemID == "" {
		return affiliate.Link{}, fmt.Errorf("%w: no item", errRequest)
	}
	req := map[string]PromotionCodeReq{"promotionCodeReq": {
		MaterialID: MaterialURL(r.ItemID), PositionID: pos, SubUnionID: r.Person, ChainType: ChainType,
	}}
	env, err := c.call(ctx, MethodPromotion, "getResult", req)
	if err != nil {
		return affiliate.Link{}, err
	}
	var d struct {
		ShortURL string `json:"shortURL"`
		ClickURL string `json:"clickURL"`
	}
	if err := json.Unmarshal(env.Data, &d); err != nil || (d.ShortURL == "" && d.ClickURL == "") {
		return affiliate.Link{}, fmt.Errorf("%w: %s: no shortURL/clickURL", ErrBadResponse, MethodPromotion)
	}
	link := affiliate.Link{URL: d.ShortURL}
	if link.URL == "" {
		link.URL = d.ClickURL
	}
	return link, nil
}
