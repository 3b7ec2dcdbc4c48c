// Package fake is a local JD router for tests and benchmarks: a real HTTP
// server that re-checks every signature with JD's rule, answers
// jd.union.open.promotion.bysubunionid.get and jd.union.open.order.row.query
// in the documented shapes (…_responce, the result as a JSON string), pages
// the orders it was loaded with, limits calls per second (answering JD's
// "App Call Limited") and can be told that items are gone.
package fake

import (
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/qunke/qunke/internal/affiliate/apicall"
	"github.com/qunke/qunke/internal/shanghai"
)

// Order is a row the fake reports; decimals are strings sent as JSON
// numbers ("12.34").
type Order struct {
	ID, OrderID, SkuID, SkuName string
	SkuNum                      int
	Price, EstimateCosPrice     string
	EstimateFee, ActualFee      string
	CommissionRate              string // percent
	ValidCode                   int
	OrderTime, ModifyTime       time.Time
	FinishTime                  time.Time // zero: not finished
	PositionID                  int64
	SubUnionID                  string
}

// Server is the fake router. Its URL goes into jd.Config.BaseURL.
type Server struct {
	*httptest.Server
	appKey, secret string
	limit          apicall.Limiter
	calls          atomic.Int64
	mu             sync.Mutex
	orders         []Order
	gone, denied   map[string]bool
}

// New starts a fake accepting appKey/secret and perSecond calls a second
// (0: unlimited). Close it when done.
func New(appKey, secret string, perSecond int) *Server {
	s := &Server{appKey: appKey, secret: secret, limit: apicall.Limiter{PerSecond: perSecond},
		gone: map[string]bool{}, denied: map[string]bool{}}
	s.Server = httptest.NewServer(s)
	return s
}

// AddOrders loads rows for the order query.
func (s *Server) AddOrders(rows ...Order) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.orders = append(s.orders, rows...)
}

// Gone makes the material (item URL or sku) answer "商品不存在或已下架".
func (s *Server) Gone(material string) { s.mu.Lock(); s.gone[material] = true; s.mu.Unlock() }

// Deny makes the material answer "无权限推广该商品".
func (s *Server) Deny(material string) { s.mu.Lock(); s.denied[material] = true; s.mu.Unlock() }

// Calls is how many requests reached the fake (throttled ones included).
func (s *Server) Calls() int64 { return s.calls.Load() }

// ShortURL is the link the fake issues for a material, position and
// subUnionId: tests compare against it.
func ShortURL(material string, positionID int64, subUnionID string) string {
	d := md5.Sum([]byte(fmt.Sprintf("%s|%d|%s", material, positionID, subUnionID)))
	return "https://u.jd.com/" + hex.EncodeToString(d[:5])
}

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.calls.Add(1)
	w.Header().Set("Content-Type", "application/json;charset=utf-8")
	if r.Method != http.MethodPost || r.ParseForm() != nil {
		gatewayError(w, 15, "不存在的方法名", "Invalid Method")
		return
	}
	f := r.PostForm
	switch {
	case apicall.Carries(f, s.secret):
		gatewayError(w, 9, "请求中含有密钥", "secret sent in the request")
	case f.Get("app_key") != s.appKey:
		gatewayError(w, 19, "无效的app_key", "Invalid App Key")
	case f.Get("sign") != apicall.RefSign(f, s.secret):
		gatewayError(w, 12, "无效签名", "Invalid Signature")
	case f.Get("timestamp") == "" || f.Get("v") != "1.0" || f.Get("format") != "json" || f.Get("sign_method") != "md5":
		gatewayError(w, 7, "缺少系统参数", "Missing system parameter")
	case !s.limit.Allow():
		gatewayError(w, 2, "限制时间内调用失败次数", "App Call Limited")
	case f.Get("method") == "jd.union.open.promotion.bysubunionid.get":
		s.promote(w, f.Get("360buy_param_json"))
	case f.Get("method") == "jd.union.open.order.row.query":
		s.orderRows(w, f.Get("360buy_param_json"))
	default:
		gatewayError(w, 15, "不存在的方法名", "Invalid Method")
	}
}

func gatewayError(w http.ResponseWriter, code int, zh, en string) {
	json.NewEncoder(w).Encode(map[string]any{"error_response": map[string]string{
		"code": strconv.Itoa(code), "zh_desc": zh, "en_desc": en}})
}

// answer wraps result as JD does: a JSON string in <key> inside
// <method>_responce.
func answer(w http.ResponseWriter, method, key string, result any) {
	b, _ := json.Marshal(result)
	json.NewEncoder(w).Encode(map[string]any{
		strings.ReplaceAll(method, ".", "_") + "_responce": map[string]string{"code": "0", key: string(b)}})
}

func (s *Server) promote(w http.ResponseWriter, pj string) {
	const method = "jd.union.open.promotion.bysubunionid.get"
	var req struct {
		P struct {
			MaterialID string `json:"materialId"`
			PositionID int64  `json:"positionId"`
			SubUnionID string `json:"subUnionId"`
			ChainType  int    `json:"chainType"`
		} `json:"promotionCodeReq"`
	}
	if json.Unmarshal([]byte(pj), &req) != nil || req.P.MaterialID == "" {
		answer(w, method, "getResult", map[string]any{"code": 400, "message": "参数错误：materialId不能为空"})
		return
	}
	// subUnionId: letters, digits, '_' and '-', at most 80 characters.
	if sub := req.P.SubUnionID; len(sub) > 80 || strings.Trim(sub, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") != "" {
		answer(w, method, "getResult", map[string]any{"code": 400, "message": "参数错误：subUnionId格式不正确"})
		return
	}
	s.mu.Lock()
	gone, denied := s.gone[req.P.MaterialID], s.denied[req.P.MaterialID]
	s.mu.Unlock()
	switch {
	case gone:
		answer(w, method, "getResult", map[string]any{"code": 2001504, "message": "商品不存在或已下架"})
	case denied:
		answer(w, method, "getResult", map[string]any{"code": 2001503, "message": "无权限推广该商品"})
	default:
		short := ShortURL(req.P.MaterialID, req.P.PositionID, req.P.SubUnionID)
		answer(w, method, "getResult", map[string]any{"code": 200, "message": "success", "data": map[string]string{
			"shortURL": short, "clickURL": "https://union-click.jd.com/jdc?e=&p=" + strings.TrimPrefix(short, "https://u.jd.com/")}})
	}
}

func (s *Server) orderRows(w http.ResponseWriter, pj string) {
	const method = "jd.union.open.order.row.query"
	var req struct {
		O struct {
			PageIndex, PageSize, Type int
			StartTime, EndTime        string
		} `json:"orderReq"`
	}
	layout := "2006-01-02 15:04:05"
	bad := func(msg string) { answer(w, method, "queryResult", map[string]any{"code": 400, "message": msg}) }
	if json.Unmarshal([]byte(pj), &req) != nil {
		bad("参数错误")
		return
	}
	o := req.O
	start, err1 := time.ParseInLocation(layout, o.StartTime, shanghai.Zone)
	end, err2 := time.ParseInLocation(layout, o.EndTime, shanghai.Zone)
	switch {
	case err1 != nil || err2 != nil:
		bad("时间格式错误")
		return
	case end.Sub(start) > time.Hour || !end.After(start):
		bad("查询时间跨度不能超过1小时")
		return
	case o.PageIndex < 1 || o.PageSize < 1 || o.PageSize > 200:
		bad("pageIndex/pageSize 超出范围")
		return
	}
	rows := s.window(o.Type, start, end)
	from := min((o.PageIndex-1)*o.PageSize, len(rows))
	to := min(from+o.PageSize, len(rows))
	data := make([]map[string]any, 0, to-from)
	for _, r := range rows[from:to] {
		data = append(data, r.json())
	}
	answer(w, method, "queryResult", map[string]any{"code": 200, "message": "success", "data": data, "hasMore": to < len(rows)})
}

// window returns the loaded rows whose time of the query type falls in
// [start, end), oldest first.
func (s *Server) window(typ int, start, end time.Time) []Order {
	s.mu.Lock()
	defer s.mu.Unlock()
	var rows []Order
	for _, r := range s.orders {
		t := r.ModifyTime
		switch typ {
		case 1:
			t = r.OrderTime
		case 2:
			t = r.FinishTime
		}
		if !t.Before(start) && t.Before(end) {
			rows = append(rows, r)
		}
	}
	return rows
}

func (r Order) json() map[string]any {
	num := func(s string) json.Number {
		if s == "" {
			return "0"
		}
		return json.Number(s)
	}
	when := func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.In(shanghai.Zone).Format("2006-01-02 15:04:05")
	}
	return map[string]any{
		"id": r.ID, "orderId": json.Number(r.OrderID), "parentId": 0, "skuId": json.Number(r.SkuID), "skuName": r.SkuName,
		"skuNum": r.SkuNum, "price": num(r.Price), "estimateCosPrice": num(r.EstimateCosPrice),
		"estimateFee": num(r.EstimateFee), "actualCosPrice": num(r.EstimateCosPrice), "actualFee": num(r.ActualFee),
		"commissionRate": num(r.CommissionRate), "finalRate": 90, "validCode": r.ValidCode,
		"orderTime": when(r.OrderTime), "finishTime": when(r.FinishTime), "modifyTime": when(r.ModifyTime),
		"payMonth": 0, "unionId": 1000001, "positionId": r.PositionID, "siteId": 0, "subUnionId": r.SubUnionID,
	}
}
