// Package topfake is a local stand-in for the Alimama TOP router's
// taobao.tbk.order.details.get, for the order sync's tests (its own and the
// command's). It re-checks each request's signature with the TOP rule,
// enforces the method's window and paging rules (recording violations),
// pages a seeded order list by position_index, and answers in the
// documented shapes, errors included.
package topfake

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/qunke/qunke/internal/affiliate/alimama"
	"github.com/qunke/qunke/internal/catalog"
	"github.com/qunke/qunke/internal/shanghai"
)

// The fake's credentials.
const (
	Key    = "12345678"
	Secret = "s3cr3t-do-not-log"
)

const (
	method     = "taobao.tbk.order.details.get"
	timeLayout = "2006-01-02 15:04:05"
)

// Window is one query window the fake was asked for.
type Window struct{ Start, End time.Time }

// Server implements the method over a seeded list. Lock Mu to read or
// change its fields while it serves.
type Server struct {
	URL string
	srv *httptest.Server

	Mu     sync.Mutex
	Orders []map[string]any // API order objects; times as API strings

	ThrottleOnce   bool // answer the first call with code 7
	ThrottleAlways bool
	Throttled      int
	// FailStart/FailPage: a hard (non-retryable) error for that window's page.
	FailStart time.Time
	FailPage  int
	// StallStart/StallPage: that window's page never answers (until the
	// client goes away); Stalled is closed when it is asked for.
	StallStart time.Time
	StallPage  int
	Stalled    chan struct{}

	Calls     int
	Windows   []Window // one per first page
	Delivered map[string]int
	Bad       []string // protocol violations seen
}

// New starts a fake; Close stops it.
func New() *Server {
	f := &Server{Delivered: map[string]int{}, Stalled: make(chan struct{})}
	f.srv = httptest.NewServer(f)
	f.URL = f.srv.URL
	return f
}

// Close stops the server.
func (f *Server) Close() { f.srv.Close() }

// Client returns a TOP client for the fake with a short retry backoff.
func (f *Server) Client() *alimama.Client {
	c := alimama.NewClient(alimama.Config{AppKey: Key, AppSecret: Secret, BaseURL: f.URL})
	c.Backoff = time.Millisecond
	return c
}

// Violations returns the protocol violations seen so far.
func (f *Server) Violations() []string {
	f.Mu.Lock()
	defer f.Mu.Unlock()
	return append([]string(nil), f.Bad...)
}

func (f *Server) violation(format string, args ...any) {
	f.Bad = append(f.Bad, fmt.Sprintf(format, args...))
}

func topError(w http.ResponseWriter, code int, msg, sub string) {
	json.NewEncoder(w).Encode(map[string]any{"error_response": map[string]any{
		"code": code, "msg": msg, "sub_code": sub, "request_id": "fake"}})
}

var timeField = map[string]string{"1": "tk_create_time", "2": "tk_paid_time", "3": "tk_earning_time", "4": "modified_time"}

func (f *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.Mu.Lock()
	defer f.Mu.Unlock()
	f.Calls++
	w.Header().Set("Content-Type", "application/json")
	if err := r.ParseForm(); err != nil {
		f.violation("ParseForm: %v", err)
	}
	form := r.PostForm
	params := map[string]string{}
	for k, vs := range form {
		params[k] = vs[0]
		if strings.Contains(vs[0], Secret) {
			f.violation("secret sent in %s", k)
		}
	}
	sign := form.Get("sign")
	if sign == "" {
		f.violation("no sign")
		topError(w, 25, "Invalid signature", "")
		return
	}
	if want, _ := alimama.Sign(params, Secret, form.Get("sign_method")); sign != want {
		f.violation("bad sign")
		topError(w, 25, "Invalid signature", "")
		return
	}
	if m := form.Get("method"); m != method {
		f.violation("method %q", m)
		topError(w, 22, "Invalid method", "")
		return
	}
	if f.ThrottleAlways || (f.ThrottleOnce && f.Throttled == 0) {
		f.Throttled++
		topError(w, 7, "App Call Limited", "accesscontrol.limited-by-app-access-count")
		return
	}
	start, err1 := time.ParseInLocation(timeLayout, form.Get("start_time"), shanghai.Zone)
	end, err2 := time.ParseInLocation(timeLayout, form.Get("end_time"), shanghai.Zone)
	if err1 != nil || err2 != nil {
		f.violation("bad times %q %q", form.Get("start_time"), form.Get("end_time"))
		topError(w, 41, "Invalid arguments", "isv.invalid-parameter")
		return
	}
	d := end.Sub(start)
	// The API's rules, written out independently of the syncer's constants.
	limit := 3 * time.Hour
	if len(catalog.Promotions(start.Unix(), end.Unix())) > 0 {
		limit = 20 * time.Minute
	}
	if d <= 0 || d > limit {
		f.violation("window %s – %s is %v, limit %v", form.Get("start_time"), form.Get("end_time"), d, limit)
	}
	size, err := strconv.Atoi(form.Get("page_size"))
	if err != nil || size < 1 || size > 100 {
		f.violation("page_size %q", form.Get("page_size"))
		size = 20
	}
	pageNo, _ := strconv.Atoi(form.Get("page_no"))
	field, ok := timeField[form.Get("query_type")]
	if !ok {
		f.violation("query_type %q", form.Get("query_type"))
	}
	if form.Get("jump_type") != "1" || form.Get("order_scene") == "" {
		f.violation("jump_type %q order_scene %q", form.Get("jump_type"), form.Get("order_scene"))
	}
	off := 0
	if p := form.Get("position_index"); p != "" {
		off, err = strconv.Atoi(strings.TrimPrefix(p, "pos:"))
		if err != nil || !strings.HasPrefix(p, "pos:") {
			f.violation("position_index %q", p)
		}
	} else if pageNo != 1 {
		f.violation("page %d without position_index", pageNo)
	}
	if off == 0 {
		f.Windows = append(f.Windows, Window{start, end})
	}
	if f.FailPage > 0 && start.Equal(f.FailStart) && pageNo == f.FailPage {
		topError(w, 15, "Remote service error", "isp.top-remote-connection-error")
		return
	}
	if f.StallPage > 0 && start.Equal(f.StallStart) && pageNo == f.StallPage {
		close(f.Stalled)
		f.StallPage = 0
		f.Mu.Unlock()
		<-r.Context().Done()
		f.Mu.Lock()
		return
	}
	var match []map[string]any
	for _, o := range f.Orders {
		t, err := time.ParseInLocation(timeLayout, o[field].(string), shanghai.Zone)
		if err == nil && !t.Before(start) && t.Before(end) {
			match = append(match, o)
		}
	}
	page := match[min(off, len(match)):min(off+size, len(match))]
	for _, o := range page {
		f.Delivered[fmt.Sprint(o["trade_id"])]++
	}
	next := off + len(page)
	json.NewEncoder(w).Encode(map[string]any{"tbk_order_details_get_response": map[string]any{
		"data": map[string]any{
			"has_next":       next < len(match),
			"has_pre":        off > 0,
			"position_index": "pos:" + strconv.Itoa(next),
			"page_no":        pageNo,
			"page_size":      size,
			"results":        map[string]any{"publisher_order_dto": page},
		},
		"request_id": "fake",
	}})
}

// APITime is the API's time format (Asia/Shanghai wall time).
func APITime(t time.Time) string { return t.In(shanghai.Zone).Format(timeLayout) }

// Seed adds one paid order every 7 minutes over [from, from+span) and
// returns how many.
func (f *Server) Seed(from time.Time, span time.Duration) int {
	f.Mu.Lock()
	defer f.Mu.Unlock()
	n := 0
	for t := from; t.Before(from.Add(span)); t = t.Add(7 * time.Minute) {
		i := len(f.Orders)
		f.Orders = append(f.Orders, map[string]any{
			// 19 digits: a float64 would corrupt it.
			"trade_id":              json.Number(strconv.FormatInt(3000000000000000001+int64(i), 10)),
			"trade_parent_id":       strconv.FormatInt(3000000000000000001+int64(i), 10),
			"order_type":            "天猫",
			"item_id":               json.Number("900000000000000" + strconv.Itoa(i%10)),
			"item_title":            "维达抽纸 3层120抽",
			"seller_shop_title":     "维达官方旗舰店",
			"item_num":              json.Number("2"),
			"item_price":            "12.34",
			"alipay_total_price":    "24.68",
			"pay_price":             "",
			"total_commission_rate": "1.35",
			"income_rate":           "1.35",
			"pub_share_pre_fee":     "0.33",
			"pub_share_fee":         "0.00",
			"alimama_rate":          "10.00",
			"tk_status":             json.Number("12"),
			"click_time":            APITime(t.Add(-time.Minute)),
			"tk_create_time":        APITime(t),
			"tk_paid_time":          APITime(t.Add(30 * time.Second)),
			"tk_earning_time":       "",
			"modified_time":         APITime(t.Add(30 * time.Second)),
			"site_id":               json.Number("1234567"),
			"site_name":             "群客",
			"adzone_id":             json.Number("110000000001"),
			"adzone_name":           "群1",
			"relation_id":           json.Number("0"),
			"special_id":            "",
			"refund_tag":            json.Number("0"),
		})
		n++
	}
	return n
}
