// Package ordersync pulls orders incrementally from the affiliate
// platforms into the orders store: Alimama (taobao.tbk.order.details.get,
// this file), JD Union (jd.go) and Pinduoduo (pdd.go), each with its cursor,
// and runs them as jobs under the store's named lease (job.go).
//
// For Alimama, the API answers one time window at a time (at most three hours; this
// package uses 20-minute windows inside big promotions, when order volume
// explodes) and pages each window with an opaque position_index. Sync walks
// the windows in order, imports each page with orders.Store.Import (an
// idempotent upsert) and, once a window is complete, records its end as the
// cursor in sync_cursors. A crash or an error therefore loses at most the
// window in progress, which the next run fetches again: orders already
// stored from it come back as unchanged, never as duplicates.
//
// The window's last page and the cursor commit in one transaction
// (orders.Store.ImportTx), so the cursor never runs ahead of the stored
// orders, and a crash repeats at most the (idempotent) window in progress.
//
// Orders are mapped through orders.Parse (the report parser), so API orders
// and report rows get exactly the same validation and exact decimal
// handling: money in fen, rates in basis points, ids as strings.
package ordersync

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/qunke/qunke/internal/catalog"
	"github.com/qunke/qunke/internal/orders"
	"github.com/qunke/qunke/internal/shanghai"
	"github.com/qunke/qunke/internal/store"
)

// Method is the TOP method this package calls.
const Method = "taobao.tbk.order.details.get"

// Query types (query_type): which order time the window filters on.
const (
	ByCreateTime  = 1 // 按照订单淘客创建时间查询
	ByPaidTime    = 2 // 按照订单淘客付款时间查询
	BySettledTime = 3 // 按照订单淘客结算时间查询
	ByUpdateTime  = 4 // 按照订单更新时间查询 (incremental)
)

// Order scenes (order_scene).
const (
	SceneNormal  = 1 // 常规订单
	SceneChannel = 2 // 渠道订单
	SceneMember  = 3 // 会员运营订单
)

// Window and page limits.
const (
	MaxWindow   = 3 * time.Hour    // the API's limit per query
	PromoWindow = 20 * time.Minute // used while a big promotion runs
	MaxPageSize = 100
)

// TimeLayout is the API's time format, Asia/Shanghai wall time.
const TimeLayout = "2006-01-02 15:04:05"

// Caller makes one TOP call; *alimama.Client implements it (signing,
// throttling retries and keeping credentials out of logs are its job).
type Caller interface {
	Call(ctx context.Context, method string, biz map[string]string, out any) error
}

// Syncer pulls one query type / order scene. Set options before the first
// call; a Syncer must not run two syncs at once.
type Syncer struct {
	windowed
	client Caller

	// QueryType is ByUpdateTime unless set.
	QueryType int
	// OrderScene is SceneNormal unless set.
	OrderScene int
	// MemberType (member_type) and TkStatus (tk_status) are sent when > 0.
	MemberType int
	TkStatus   int
	// PageSize is MaxPageSize unless set (values above it are capped).
	PageSize int
	// SkipBad imports a page's good orders when some orders do not parse;
	// otherwise the window fails (and the cursor stays) on a bad order.
	SkipBad bool
	// Name is the cursor's key in sync_cursors; CursorName() when empty.
	Name string
}

// New returns a Syncer importing into db (migrated) through client.
func New(client Caller, db *store.DB) *Syncer {
	return &Syncer{windowed: newWindowed(db), client: client}
}

func (s *Syncer) queryType() int  { return cmp0(s.QueryType, ByUpdateTime) }
func (s *Syncer) orderScene() int { return cmp0(s.OrderScene, SceneNormal) }
func (s *Syncer) pageSize() int   { return min(cmp0(s.PageSize, MaxPageSize), MaxPageSize) }

func cmp0(v, def int) int {
	if v <= 0 {
		return def
	}
	return v
}

// CursorName is the sync_cursors key: one cursor per query type and scene.
func (s *Syncer) CursorName() string {
	if s.Name != "" {
		return s.Name
	}
	return fmt.Sprintf("alimama.order_details.q%d.s%d", s.queryType(), s.orderScene())
}

// Result says what a sync did.
type Result struct {
	Windows  int          // windows completed
	Pages    int          // pages fetched (in completed and failed windows)
	Orders   int          // orders received
	Rejected int          // orders that did not parse (SkipBad only)
	Stats    orders.Stats // what Import did with them
	// Cursor is the stored cursor after the sync (zero when none).
	Cursor time.Time
}

// Window is one query window [Start, End).
type Window struct{ Start, End time.Time }

// Windows splits [from, to) into query windows: MaxWindow long, PromoWindow
// while a big promotion (catalog.PromotionAt) runs, and cut at a
// promotion's start so that no long window reaches into one. Times are
// truncated to seconds, the API's resolution.
func Windows(from, to time.Time) []Window {
	from, to = from.Truncate(time.Second), to.Truncate(time.Second)
	var ws []Window
	for t := from; t.Before(to); {
		end := t.Add(MaxWindow)
		if _, in := catalog.PromotionAt(t.Unix()); in {
			end = t.Add(PromoWindow)
		} else if ps := catalog.Promotions(t.Unix(), end.Unix()); len(ps) > 0 {
			end = time.Unix(ps[0].Start.Unix(), 0)
		}
		if end.After(to) {
			end = to
		}
		ws = append(ws, Window{t, end})
		t = end
	}
	return ws
}

// Sync fetches and imports every order of [from, to) window by window,
// advancing the cursor after each complete window (see walk). On an error
// (ErrThrottled after the client's retries, a hard API error, ctx done) it
// returns it with the result so far.
func (s *Syncer) Sync(ctx context.Context, from, to time.Time) (Result, error) {
	return s.walk(ctx, s.CursorName(), Windows(from, to), s.window)
}

// Resume syncs from the stored cursor (or until-MaxWindow when there is
// none) to until. With the default query type (update time) this picks up
// new orders and status changes alike.
func (s *Syncer) Resume(ctx context.Context, until time.Time) (Result, error) {
	from, err := s.resumeFrom(ctx, s.CursorName(), until, MaxWindow)
	if err != nil {
		return Result{}, err
	}
	return s.Sync(ctx, from, until)
}

// Cursor returns the stored cursor and whether there is one.
func (s *Syncer) Cursor(ctx context.Context) (time.Time, bool, error) {
	return s.cursor(ctx, s.CursorName())
}

// window fetches and imports all pages of w.
func (s *Syncer) window(ctx context.Context, w Window, res *Result) error {
	pos := ""
	for page := 1; ; page++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		biz := map[string]string{
			"query_type":  strconv.Itoa(s.queryType()),
			"start_time":  w.Start.In(shanghai.Zone).Format(TimeLayout),
			"end_time":    w.End.In(shanghai.Zone).Format(TimeLayout),
			"page_size":   strconv.Itoa(s.pageSize()),
			"page_no":     strconv.Itoa(page),
			"jump_type":   "1",
			"order_scene": strconv.Itoa(s.orderScene()),
		}
		if pos != "" {
			biz["position_index"] = pos
		}
		if s.MemberType > 0 {
			biz["member_type"] = strconv.Itoa(s.MemberType)
		}
		if s.TkStatus > 0 {
			biz["tk_status"] = strconv.Itoa(s.TkStatus)
		}
		var resp response
		if err := s.client.Call(ctx, Method, biz, &resp); err != nil {
			return err
		}
		res.Pages++
		list, err := resp.Data.orders()
		if err != nil {
			return err
		}
		res.Orders += len(list)
		parsed := orders.Parse(fmt.Sprintf("%s page %d", Method, page), toRows(list))
		if len(parsed.Problems) > 0 && (!s.SkipBad || parsed.Rows == 0) {
			return fmt.Errorf("ordersync: %d bad orders: %w", parsed.Rejected, parsed.Problems[0])
		}
		res.Rejected += parsed.Rejected
		hasNext := resp.Data.HasNext.bool()
		if err := s.put(ctx, s.CursorName(), w, parsed.Orders, !hasNext, res); err != nil || !hasNext {
			return err
		}
		next := string(resp.Data.PositionIndex)
		if len(list) == 0 || (next == pos && next != "") {
			// A page that says "more" but moves nowhere would loop forever.
			return fmt.Errorf("%w: %s: has_next without progress on page %d", errBadPaging, Method, page)
		}
		pos = next
	}
}

var errBadPaging = errors.New("ordersync: bad paging")

// response is the method's response object (inside
// tbk_order_details_get_response).
type response struct {
	Data data `json:"data"`
}

type data struct {
	HasNext       flex            `json:"has_next"`
	PositionIndex flex            `json:"position_index"`
	Results       json.RawMessage `json:"results"`
}

// orders returns the page's orders: results is {"publisher_order_dto": [...]}
// in the standard JSON and a bare array in the simplified one.
func (d *data) orders() ([]map[string]flex, error) {
	raw := bytes.TrimSpace(d.Results)
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	var list []map[string]flex
	if raw[0] == '[' {
		if err := json.Unmarshal(raw, &list); err != nil {
			return nil, fmt.Errorf("ordersync: results: %w", err)
		}
		return list, nil
	}
	var wrap struct {
		Orders json.RawMessage `json:"publisher_order_dto"`
	}
	if err := json.Unmarshal(raw, &wrap); err != nil {
		return nil, fmt.Errorf("ordersync: results: %w", err)
	}
	if len(wrap.Orders) == 0 || string(wrap.Orders) == "null" {
		return nil, nil
	}
	if err := json.Unmarshal(wrap.Orders, &list); err != nil {
		return nil, fmt.Errorf("ordersync: results: %w", err)
	}
	return list, nil
}

// flex is a JSON scalar kept as its text: strings unquoted, numbers as
// written (so an 18-digit id never goes through float64), null as "".
type flex string

func (f *flex) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case len(b) == 0 || string(b) == "null":
		*f = ""
	case b[0] == '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*f = flex(s)
	default:
		*f = flex(b) // number, bool or (unused) nested value
	}
	return nil
}

func (f flex) bool() bool { return f == "true" || f == "1" }

// columns maps API fields to the report's column names understood by
// orders.Parse. Several API fields may feed one column; the first non-empty
// wins.
var columns = []struct {
	col    string
	fields []string
}{
	{"淘宝子订单号", []string{"trade_id"}},
	{"淘宝订单编号", []string{"trade_parent_id"}},
	{"订单类型", []string{"order_type"}},
	{"商品ID", []string{"item_id"}},
	{"商品标题", []string{"item_title"}},
	{"店铺名称", []string{"seller_shop_title"}},
	{"商品数量", []string{"item_num"}},
	{"商品单价", []string{"item_price"}},
	{"付款金额", []string{"alipay_total_price"}},
	{"结算金额", []string{"pay_price"}},
	{"佣金比率", []string{"total_commission_rate", "income_rate"}},
	{"付款预估收入", []string{"pub_share_pre_fee"}},
	{"结算预估收入", []string{"pub_share_fee"}},
	{"技术服务费率", []string{"alimama_rate"}},
	{"订单状态", []string{"tk_status"}},
	{"点击时间", []string{"click_time"}},
	{"创建时间", []string{"tk_create_time"}},
	{"付款时间", []string{"tk_paid_time"}},
	{"结算时间", []string{"tk_earning_time"}},
	{"媒体ID", []string{"site_id"}},
	{"媒体名称", []string{"site_name"}},
	{"推广位ID", []string{"adzone_id"}},
	{"推广位名称", []string{"adzone_name"}},
	{"渠道关系ID", []string{"relation_id"}},
	{"会员运营ID", []string{"special_id"}},
	{"维权标签", []string{"refund_tag"}},
}

// toRows lays API orders out as report rows (header first).
func toRows(list []map[string]flex) [][]string {
	rows := make([][]string, 0, len(list)+1)
	head := make([]string, len(columns))
	for i, c := range columns {
		head[i] = c.col
	}
	rows = append(rows, head)
	for _, o := range list {
		row := make([]string, len(columns))
		for i, c := range columns {
			for _, f := range c.fields {
				if v := strings.TrimSpace(string(o[f])); v != "" {
					row[i] = v
					break
				}
			}
		}
		rows = append(rows, row)
	}
	return rows
}
