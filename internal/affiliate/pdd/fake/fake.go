// Package fake is a local Pinduoduo router for tests and benchmarks: a real
// HTTP server that re-checks every signature with the platform's rule,
// answers pdd.ddk.goods.promotion.url.generate and
// pdd.ddk.order.list.increment.get in the documented shapes, pages the
// orders it was loaded with (and records the pages asked for), limits
// calls per second (answering 70031 调用过于频繁) and can be told that
// items are gone.
package fake

import (
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/qunke/qunke/internal/affiliate/apicall"
)

// Order is an order the fake reports (money in fen, rate in ‰).
type Order struct {
	OrderSN, GoodsSign, GoodsName, PID, CustomParameters string
	GoodsID                                              int64
	GoodsQuantity, GoodsPrice, OrderAmount               int64
	PromotionAmount, PromotionRate                       int64
	Status                                               int
	PayTime, ModifyTime                                  time.Time
}

// Server is the fake router. Its URL goes into pdd.Config.BaseURL.
type Server struct {
	*httptest.Server
	clientID, secret string
	limit            apicall.Limiter
	calls            atomic.Int64
	mu               sync.Mutex
	orders           []Order
	gone             map[string]bool
	pages            []int
}

// New starts a fake accepting clientID/secret and perSecond calls a second
// (0: unlimited). Close it when done.
func New(clientID, secret string, perSecond int) *Server {
	s := &Server{clientID: clientID, secret: secret, limit: apicall.Limiter{PerSecond: perSecond}, gone: map[string]bool{}}
	s.Server = httptest.NewServer(s)
	return s
}

// AddOrders loads orders for the increment query.
func (s *Server) AddOrders(rows ...Order) {
	s.mu.Lock()
	s.orders = append(s.orders, rows...)
	s.mu.Unlock()
}

// Gone makes goods_sign answer "商品不存在或已下架".
func (s *Server) Gone(goodsSign string) { s.mu.Lock(); s.gone[goodsSign] = true; s.mu.Unlock() }

// Calls is how many requests reached the fake (throttled ones included).
func (s *Server) Calls() int64 { return s.calls.Load() }

// Pages returns the order pages asked for, in order.
func (s *Server) Pages() []int { s.mu.Lock(); defer s.mu.Unlock(); return slices.Clone(s.pages) }

// ShortURL is the link the fake issues for a goods_sign, p_id and
// custom_parameters: tests compare against it.
func ShortURL(goodsSign, pid, custom string) string {
	d := md5.Sum([]byte(goodsSign + "|" + pid + "|" + custom))
	return "https://p.pinduoduo.com/" + hex.EncodeToString(d[:5])
}

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.calls.Add(1)
	w.Header().Set("Content-Type", "application/json;charset=utf-8")
	if r.Method != http.MethodPost || r.ParseForm() != nil {
		fail(w, 10000, "参数错误", "", "")
		return
	}
	f := r.PostForm
	switch {
	case apicall.Carries(f, s.secret):
		fail(w, 10000, "参数错误", "", "请求中含有密钥")
	case f.Get("client_id") != s.clientID:
		fail(w, 10016, "client_id不存在", "", "")
	case f.Get("sign") != apicall.RefSign(f, s.secret):
		fail(w, 20004, "签名错误", "", "")
	case f.Get("timestamp") == "" || f.Get("data_type") != "JSON":
		fail(w, 10000, "参数错误", "", "缺少系统参数")
	case !s.limit.Allow():
		fail(w, 70031, "调用过于频繁，请调整调用频率", "", "")
	case f.Get("type") == "pdd.ddk.goods.promotion.url.generate":
		s.generate(w, f.Get("p_id"), f.Get("goods_sign_list"), f.Get("custom_parameters"))
	case f.Get("type") == "pdd.ddk.order.list.increment.get":
		s.increment(w, f)
	default:
		fail(w, 10014, "type不合法", "", "")
	}
}

func fail(w http.ResponseWriter, code int, msg, subCode, subMsg string) {
	json.NewEncoder(w).Encode(map[string]any{"error_response": map[string]any{
		"error_code": code, "error_msg": msg, "sub_code": subCode, "sub_msg": subMsg, "request_id": "fake-1"}})
}

func (s *Server) generate(w http.ResponseWriter, pid, list, custom string) {
	var signs []string
	if pid == "" || json.Unmarshal([]byte(list), &signs) != nil || len(signs) == 0 || len(custom) > 64 {
		fail(w, 10000, "参数错误", "", "p_id/goods_sign_list/custom_parameters")
		return
	}
	out := make([]map[string]string, 0, len(signs))
	for _, g := range signs {
		s.mu.Lock()
		gone := s.gone[g]
		s.mu.Unlock()
		if gone {
			fail(w, 50001, "业务服务错误", "60001", "商品不存在或已下架")
			return
		}
		short := ShortURL(g, pid, custom)
		out = append(out, map[string]string{"short_url": short, "mobile_short_url": short,
			"url": "https://mobile.yangkeduo.com/duo_coupon_landing.html?goods_sign=" + g + "&pid=" + pid})
	}
	json.NewEncoder(w).Encode(map[string]any{"goods_promotion_url_generate_response": map[string]any{"goods_promotion_url_list": out}})
}

func (s *Server) increment(w http.ResponseWriter, f map[string][]string) {
	get := func(k string) int64 {
		if len(f[k]) == 0 {
			return -1
		}
		n, err := strconv.ParseInt(f[k][0], 10, 64)
		if err != nil {
			return -1
		}
		return n
	}
	start, end, page, size := get("start_update_time"), get("end_update_time"), get("page"), get("page_size")
	switch {
	case start < 0 || end <= start:
		fail(w, 10000, "参数错误", "", "start_update_time/end_update_time")
		return
	case end-start > 24*3600:
		fail(w, 10000, "参数错误", "", "查询时间跨度不能超过24小时")
		return
	case page < 1 || page > 10000 || size < 10 || size > 100:
		fail(w, 10000, "参数错误", "", "page/page_size")
		return
	}
	s.mu.Lock()
	s.pages = append(s.pages, int(page))
	var rows []Order
	for _, o := range s.orders {
		if m := o.ModifyTime.Unix(); m >= start && m < end {
			rows = append(rows, o)
		}
	}
	s.mu.Unlock()
	slices.SortStableFunc(rows, func(a, b Order) int { return a.ModifyTime.Compare(b.ModifyTime) })
	from := min(int(page-1)*int(size), len(rows))
	to := min(from+int(size), len(rows))
	list := make([]map[string]any, 0, to-from)
	for _, o := range rows[from:to] {
		list = append(list, map[string]any{
			"order_sn": o.OrderSN, "goods_id": o.GoodsID, "goods_sign": o.GoodsSign, "goods_name": o.GoodsName,
			"goods_quantity": o.GoodsQuantity, "goods_price": o.GoodsPrice, "order_amount": o.OrderAmount,
			"promotion_amount": o.PromotionAmount, "promotion_rate": o.PromotionRate, "order_status": o.Status,
			"order_status_desc": "已成团", "order_create_time": o.PayTime.Unix(), "order_pay_time": o.PayTime.Unix(),
			"order_modify_at": o.ModifyTime.Unix(), "p_id": o.PID, "custom_parameters": o.CustomParameters,
		})
	}
	resp := map[string]any{"order_list": list}
	if f["return_count"] == nil || f["return_count"][0] != "false" {
		resp["total_count"] = len(rows)
	}
	json.NewEncoder(w).Encode(map[string]any{"order_list_get_response": resp})
}
