package alimama

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/qunke/qunke/internal/msg"
	"os"
	"strings"

	"github.com/qunke/qunke/internal/affiliate"
	"github.com/qunke/qunke/internal/cells"
)

// TOP methods the Converter calls.
const (
	MethodLinkConvert = "taobao.tbk.dg.general.link.convert"
	MethodTpwdCreate  = "taobao.tbk.tpwd.create"
)

// MaxItems is how many ids one taobao.tbk.dg.general.link.convert call
// carries in item_id_list.
const MaxItems = 20

// Defaults for the convert call's business parameters.
const (
	DefaultBizSceneID    = "1" // 动态ID转链场景
	DefaultPromotionType = "2" // 推广赚 (the promoter earns the commission)
)

// Person parameters: which TOP parameter carries Request.Person.
const (
	PersonRelationID = "relation_id" // 渠道关系ID
	PersonSpecialID  = "special_id"  // 会员运营ID
)

// Per-entry and system codes the Converter maps onto affiliate errors.
const (
	entryNoPermission = "1001" // 无权限
	codeThrottled     = 7
	codeBadParam      = 15
	codeSignature     = 25
	codeSession       = 27
	codeAppKey        = 29
	subItemGone       = "isv.item-not-exist"
)

// Converter converts Taobao/Tmall item links with the TOP 万能转链 method
// and, when a 淘口令 is asked for and the answer carries none, makes one
// with taobao.tbk.tpwd.create. It implements affiliate.Converter.
type Converter struct {
	API           *Client
	BizSceneID    string // biz_scene_id; DefaultBizSceneID when empty
	PromotionType string // promotion_type; DefaultPromotionType when empty
	// PersonParam names the parameter that carries Request.Person:
	// PersonRelationID (default) or PersonSpecialID. Request.SpecialID
	// always goes as special_id.
	PersonParam string
}

// NewConverter returns a Converter over api with the default parameters.
func NewConverter(api *Client) *Converter { return &Converter{API: api} }

// FromEnv builds the Converter from QUNKE_ALIMAMA_APP_KEY,
// QUNKE_ALIMAMA_APP_SECRET, QUNKE_ALIMAMA_SESSION and QUNKE_ALIMAMA_API (the
// router URL, default DefaultBaseURL). configured is false when the key or
// the secret is missing; the Converter then answers every call with
// affiliate.ErrNoCredentials.
func FromEnv() (conv *Converter, configured bool) { return fromEnv(os.Getenv) }

func fromEnv(getenv func(string) string) (*Converter, bool) {
	cfg := Config{
		AppKey:    strings.TrimSpace(getenv("QUNKE_ALIMAMA_APP_KEY")),
		AppSecret: strings.TrimSpace(getenv("QUNKE_ALIMAMA_APP_SECRET")),
		Session:   strings.TrimSpace(getenv("QUNKE_ALIMAMA_SESSION")),
		BaseURL:   strings.TrimSpace(getenv("QUNKE_ALIMAMA_API")),
	}
	return NewConverter(NewClient(cfg)), cfg.HasCredentials()
}

// Platforms implements affiliate.Converter.
func (c *Converter) Platforms() []string { return []string{"taobao", "tmall"} }

// MaxBatch implements affiliate.Converter.
func (c *Converter) MaxBatch() int { return MaxItems }

// Adzone returns the adzone id, the third part of an Alimama PID
// mm_member_site_adzone, or an error naming the malformed PID.
func Adzone(pid string) (string, error) {
	parts := strings.Split(pid, "_")
	if len(parts) != 4 || parts[0] != "mm" || !digits(parts[1]) || !digits(parts[2]) || !digits(parts[3]) {
		return "", msg.New("alimama.bad_pid", pid)
	}
	return parts[3], nil
}

func digits(s string) bool {
	if s == "" || len(s) > 20 {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// itemID reports whether s is a Taobao item id: numeric, or the string id
// (letters, digits, - and _) Taobao now issues; never a comma, which
// separates item_id_list.
func itemID(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for _, r := range s {
		if !(r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r == '-' || r == '_') {
			return false
		}
	}
	return true
}

// Convert implements affiliate.Converter. Requests for the same adzone and
// person go in one call; a malformed PID or item id fails that request
// only. A system error on a call fails the whole Convert, except "item
// gone", which is narrowed down to its item by halving the call.
func (c *Converter) Convert(ctx context.Context, reqs []affiliate.Request) ([]affiliate.Result, error) {
	if len(reqs) > MaxItems {
		return nil, fmt.Errorf("alimama: %d requests in one call, at most %d", len(reqs), MaxItems)
	}
	if !c.API.HasCredentials() {
		return nil, affiliate.ErrNoCredentials
	}
	res := make([]affiliate.Result, len(reqs))
	groups, order := c.group(reqs, res)
	for _, key := range order {
		if err := c.convertGroup(ctx, key, groups[key], reqs, res); err != nil {
			return nil, err
		}
	}
	return res, nil
}

// groupKey is what one call shares: the adzone and the person's ids.
type groupKey struct{ adzone, person, special string }

// group sorts the well-formed requests into calls, recording a per-request
// error for the others.
func (c *Converter) group(reqs []affiliate.Request, res []affiliate.Result) (map[groupKey][]int, []groupKey) {
	groups := map[groupKey][]int{}
	var order []groupKey
	for i, r := range reqs {
		adzone, err := Adzone(r.PID)
		if err == nil && !itemID(r.ItemID) {
			err = msg.New("alimama.bad_item_id", r.ItemID)
		}
		if err == nil && r.Platform != "taobao" && r.Platform != "tmall" {
			err = fmt.Errorf("alimama: platform %q is not Taobao/Tmall", r.Platform)
		}
		if err == nil && r.SpecialID != "" && !digits(r.SpecialID) {
			err = fmt.Errorf("alimama: special_id %q is not a number", r.SpecialID)
		}
		if err != nil {
			res[i].Err = err
			continue
		}
		k := groupKey{adzone, r.Person, r.SpecialID}
		if _, ok := groups[k]; !ok {
			order = append(order, k)
		}
		groups[k] = append(groups[k], i)
	}
	return groups, order
}

// convertGroup converts the requests idx (one adzone and person), filling
// res; it returns a call-wide error.
func (c *Converter) convertGroup(ctx context.Context, key groupKey, idx []int, reqs []affiliate.Request, res []affiliate.Result) error {
	entries, err := c.linkConvert(ctx, key, idx, reqs)
	if errors.Is(err, affiliate.ErrItemGone) {
		if len(idx) == 1 {
			res[idx[0]].Err = err
			return nil
		}
		// The answer does not say which item is gone: halve the call
		// until it does (a few calls, not one per item).
		half := len(idx) / 2
		if err := c.convertGroup(ctx, key, idx[:half], reqs, res); err != nil {
			return err
		}
		return c.convertGroup(ctx, key, idx[half:], reqs, res)
	}
	if err != nil {
		return err
	}
	for _, i := range idx {
		res[i] = entryResult(entries, reqs[i].ItemID)
		if res[i].Err == nil && reqs[i].ShareCode && res[i].Link.ShareCode == "" {
			code, err := c.ShareCode(ctx, res[i].Link.URL)
			if err != nil && !isItemErr(err) {
				return err
			}
			res[i].Link.ShareCode, res[i].Err = code, err
		}
	}
	return nil
}

func isItemErr(err error) bool {
	var ae *APIError
	return errors.As(err, &ae) && !errors.Is(err, affiliate.ErrThrottled) && !errors.Is(err, affiliate.ErrAuth)
}

// linkEntry is one material_url_list / item_url_list entry.
type linkEntry struct {
	InputItemID flexString `json:"input_item_id"`
	MaterialID  flexString `json:"material_id"`
	ItemID      flexString `json:"item_id"`
	Code        flexString `json:"code"`
	Msg         string     `json:"msg"`
	LinkInfo    struct {
		CPSShortURL    string `json:"cps_short_url"`
		CPSLongURL     string `json:"cps_long_url"`
		CouponShortURL string `json:"coupon_short_url"`
		CouponLongURL  string `json:"coupon_long_url"`
		CPSShortTpwd   string `json:"cps_short_tpwd"`
	} `json:"link_info_dto"`
	CouponInfo struct {
		CouponEndTime string `json:"coupon_end_time"`
	} `json:"coupon_info_dto"`
	PromotionInfo struct {
		CommissionRate flexString `json:"commission_rate"`
	} `json:"promotion_info_dto"`
}

// linkList is a TOP list: {"x":[…]} wrapped in its own name, or a bare
// array.
type linkList []linkEntry

func (l *linkList) UnmarshalJSON(b []byte) error {
	var arr []linkEntry
	if err := json.Unmarshal(b, &arr); err == nil {
		*l = arr
		return nil
	}
	var obj map[string][]linkEntry
	if err := json.Unmarshal(b, &obj); err != nil {
		return err
	}
	for _, v := range obj {
		*l = append(*l, v...)
	}
	return nil
}

// flexString decodes a JSON string or number.
type flexString string

func (f *flexString) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		*f = flexString(s)
		return nil
	}
	var n json.Number
	if err := json.Unmarshal(b, &n); err != nil {
		return err
	}
	*f = flexString(n.String())
	return nil
}

// linkConvert makes one 万能转链 call and returns its entries by item id.
func (c *Converter) linkConvert(ctx context.Context, key groupKey, idx []int, reqs []affiliate.Request) (map[string]linkEntry, error) {
	ids := make([]string, len(idx))
	for j, i := range idx {
		ids[j] = reqs[i].ItemID
	}
	biz := map[string]string{
		"adzone_id":      key.adzone,
		"item_id_list":   strings.Join(ids, ","),
		"biz_scene_id":   or(c.BizSceneID, DefaultBizSceneID),
		"promotion_type": or(c.PromotionType, DefaultPromotionType),
	}
	if key.person != "" {
		biz[or(c.PersonParam, PersonRelationID)] = key.person
	}
	if key.special != "" {
		biz[PersonSpecialID] = key.special
	}
	var out struct {
		Data struct {
			Material linkList `json:"material_url_list"`
			Item     linkList `json:"item_url_list"`
		} `json:"data"`
	}
	if err := c.API.Call(ctx, MethodLinkConvert, biz, &out); err != nil {
		return nil, mapError(err)
	}
	byID := map[string]linkEntry{}
	for _, e := range append(out.Data.Material, out.Data.Item...) {
		byID[first(string(e.InputItemID), string(e.ItemID), string(e.MaterialID))] = e
	}
	if len(byID) == 0 && len(ids) == 1 {
		for _, e := range append(out.Data.Material, out.Data.Item...) {
			byID[ids[0]] = e
		}
	}
	return byID, nil
}

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// entryResult turns the answer's entry for item into a Result.
func entryResult(entries map[string]linkEntry, item string) affiliate.Result {
	e, ok := entries[item]
	if !ok {
		return affiliate.Result{Err: fmt.Errorf("alimama: %s: no entry for item %s in the answer", MethodLinkConvert, item)}
	}
	if code := string(e.Code); code != "" && code != "0" && code != "200" {
		err := fmt.Errorf("alimama: item %s: code %s %s", item, code, e.Msg)
		if code == entryNoPermission {
			err = fmt.Errorf("%w: item %s: code %s %s", affiliate.ErrNoPermission, item, code, e.Msg)
		}
		return affiliate.Result{Err: err}
	}
	li := e.LinkInfo
	url := first(li.CPSShortURL, li.CouponShortURL, li.CPSLongURL, li.CouponLongURL)
	if url == "" {
		return affiliate.Result{Err: fmt.Errorf("alimama: item %s: the answer carries no link", item)}
	}
	link := affiliate.Link{
		URL:       url,
		CouponURL: first(li.CouponShortURL, li.CouponLongURL),
		ShareCode: li.CPSShortTpwd,
	}
	if bp, why := cells.Percent(string(e.PromotionInfo.CommissionRate)); why == "" {
		link.CommissionBP = bp
	}
	return affiliate.Result{Link: link}
}

func first(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}

// ShareCode makes a 淘口令 for link with taobao.tbk.tpwd.create (the
// method takes https links only; an http link is asked for as https).
func (c *Converter) ShareCode(ctx context.Context, link string) (string, error) {
	if rest, ok := strings.CutPrefix(link, "http://"); ok {
		link = "https://" + rest
	}
	if !strings.HasPrefix(link, "https://") {
		return "", msg.New("alimama.share_code_https", link)
	}
	var out struct {
		Data struct {
			Model          string `json:"model"`
			PasswordSimple string `json:"password_simple"`
		} `json:"data"`
	}
	if err := c.API.Call(ctx, MethodTpwdCreate, map[string]string{"url": link}, &out); err != nil {
		return "", mapError(err)
	}
	if code := first(out.Data.PasswordSimple, out.Data.Model); code != "" {
		return code, nil
	}
	return "", fmt.Errorf("%w: %s: no password_simple in the answer", ErrBadResponse, MethodTpwdCreate)
}

// topError is a client error seen as an affiliate error: errors.Is matches
// the affiliate kind, errors.As still finds the *APIError; the message is
// the platform's (code and message, never a credential).
type topError struct {
	kind error
	err  error
}

func (e *topError) Error() string   { return e.err.Error() }
func (e *topError) Unwrap() []error { return []error{e.kind, e.err} }

// mapError maps a client error onto the affiliate errors.
func mapError(err error) error {
	var ae *APIError
	switch {
	case errors.As(err, &ae) && ae.Throttled():
		return &topError{&affiliate.Throttled{Platform: "taobao", After: ae.RetryAfter(), Detail: ae.Error()}, err}
	case errors.As(err, &ae) && ae.Code == codeBadParam && ae.SubCode == subItemGone:
		return &topError{affiliate.ErrItemGone, err}
	case errors.As(err, &ae) && (ae.Code == codeSession || ae.Code == codeSignature || ae.Code == codeAppKey):
		return &topError{affiliate.ErrAuth, err}
	case errors.Is(err, ErrUnreachable):
		return &topError{affiliate.ErrUnreachable, err}
	case errors.Is(err, ErrNoCredentials):
		return &topError{affiliate.ErrNoCredentials, err}
	}
	return err
}
