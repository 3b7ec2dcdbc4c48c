package pdd

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/qunke/qunke/internal/affiliate"
	"github.com/qunke/qunke/internal/affiliate/apicall"
)

// MaxCustomParameters is the platform's limit on custom_parameters.
const MaxCustomParameters = 64

// Platforms implements affiliate.Converter.
func (c *Client) Platforms() []string { return []string{"pdd"} }

// MaxBatch implements affiliate.Converter. goods_sign_list takes a list,
// but one p_id and custom_parameters cover the whole call and a refused
// item fails the call as a whole, so each call carries one item: an item
// gone then holds only its own post.
func (c *Client) MaxBatch() int { return 1 }

var errRequest = errors.New("pdd: bad request")

// Convert implements affiliate.Converter. Per-item answers (item gone, no
// permission, other platform errors, a bad request) come back in the
// Result; throttled, refused or unreachable calls as the error.
func (c *Client) Convert(ctx context.Context, reqs []affiliate.Request) ([]affiliate.Result, error) {
	return apicall.ConvertEach(ctx, reqs, c.MaxBatch(), c.HasCredentials(), c.Generate, func(err error) bool {
		var ae *APIError
		return errors.Is(err, errRequest) || (errors.As(err, &ae) && !errors.Is(err, affiliate.ErrAuth))
	})
}

// Generate converts one item (its goods_sign) for the request's p_id, with
// Request.Person as custom_parameters, and returns the mobile short link
// (short_url when the platform gives no mobile one).
func (c *Client) Generate(ctx context.Context, r affiliate.Request) (affiliate.Link, error) {
	switch {
	case r.ItemID == "":
		return affiliate.Link{}, fmt.Errorf("%w: no goods_sign", errRequest)
	case r.PID == "":
		return affiliate.Link{}, fmt.Errorf("%w: no p_id", errRequest)
	case len(r.Person) > MaxCustomParameters:
		return affiliate.Link{}, fmt.Errorf("%w: custom_parameters is %d bytes, at most %d", errRequest, len(r.Person), MaxCustomParameters)
	}
	list, _ := json.Marshal([]string{r.ItemID})
	biz := map[string]string{
		"p_id":               r.PID,
		"goods_sign_list":    string(list),
		"generate_short_url": "true",
		"custom_parameters":  r.Person,
	}
	var resp struct {
		List []struct {
			ShortURL       string `json:"short_url"`
			MobileShortURL string `json:"mobile_short_url"`
			URL            string `json:"url"`
			MobileURL      string `json:"mobile_url"`
		} `json:"goods_promotion_url_list"`
	}
	if err := c.call(ctx, MethodGenerate, "goods_promotion_url_generate_response", biz, &resp); err != nil {
		return affiliate.Link{}, err
	}
	if len(resp.List) != 1 {
		return affiliate.Link{}, fmt.Errorf("%w: %s: %d links for 1 item", ErrBadResponse, MethodGenerate, len(resp.List))
	}
	l := resp.List[0]
	for _, u := range []string{l.MobileShortURL, l.ShortURL, l.MobileURL, l.URL} {
		if u != "" {
			return affiliate.Link{URL: u}, nil
		}
	}
	return affiliate.Link{}, fmt.Errorf("%w: %s: no link in the answer", ErrBadResponse, MethodGenerate)
}
