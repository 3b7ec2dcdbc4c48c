package community

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"golang.org/x/text/encoding/simplifiedchinese"

	"github.com/qunke/qunke/internal/i18n"
	"github.com/qunke/qunke/internal/msg"
	"github.com/qunke/qunke/internal/store"
	"github.com/qunke/qunke/internal/store/storetest"
)

func TestNormalize(t *testing.T) {
	cases := []struct {
		name  string
		g     Group
		field string // "" = valid
	}{
		{"telegram id", Group{Name: "宝妈群", Channel: "telegram", Target: "-1001234567890"}, ""},
		{"telegram name", Group{Name: "x", Channel: "Telegram", Target: "@deals_cn"}, ""},
		{"telegram bad", Group{Name: "x", Channel: "telegram", Target: "hello world"}, "target"},
		{"wecom url", Group{Name: "x", Channel: "wecom", Target: "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=693a91f6-7xxx-4bc4-97a0-0ec2sifa5aaa"}, ""},
		{"wecom empty", Group{Name: "x", Channel: "wecom"}, "target"},
		{"webhook", Group{Name: "x", Channel: "webhook", Target: "https://bot.example/qunke", Secret: "0123456789abcdef"}, ""},
		{"webhook short secret", Group{Name: "x", Channel: "webhook", Target: "https://bot.example/qunke", Secret: "short"}, "secret"},
		{"webhook not url", Group{Name: "x", Channel: "webhook", Target: "ftp://x", Secret: "0123456789abcdef"}, "target"},
		{"manual", Group{Name: "x", Channel: "manual"}, ""},
		{"unknown channel", Group{Name: "x", Channel: "qq"}, "channel"},
		{"no name", Group{Name: "  ", Channel: "manual"}, "name"},
		{"bad pid", Group{Name: "x", Channel: "manual", PIDTaobao: "mm_1_2"}, "pid_taobao"},
		{"bad tz", Group{Name: "x", Channel: "manual", TZ: "Mars/Base"}, "tz"},
		{"negative capacity", Group{Name: "x", Channel: "manual", Capacity: -1}, "capacity"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := c.g.Normalize()
			var fe *FieldError
			switch {
			case c.field == "" && err != nil:
				t.Fatalf("want valid, got %v", err)
			case c.field != "" && (!errors.As(err, &fe) || fe.Field != c.field):
				t.Fatalf("want error on %s, got %v", c.field, err)
			}
			if c.name == "unknown channel" { // said in the reader's language
				if got := msg.In(i18n.EN, err); got != `channel: unknown channel "qq"; use telegram, wecom, webhook or manual` {
					t.Fatalf("in English: %q", got)
				}
			}
		})
	}
	g := Group{Name: "x", Channel: "wecom", Target: "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=abcd-1234-efgh", PIDTaobao: "mm_11_22_33", Tags: []string{" 宝妈", "学生", "宝妈", ""}}
	if err := g.Normalize(); err != nil {
		t.Fatal(err)
	}
	if g.Target != "abcd-1234-efgh" || g.AdzoneID() != "33" || !slices.Equal(g.Tags, []string{"学生", "宝妈"}) || g.TZ != "Asia/Shanghai" {
		t.Fatalf("normalised %+v", g)
	}
	if got := SplitTags("宝妈，学生、 美妆;;数码"); !slices.Equal(got, []string{"学生", "宝妈", "数码", "美妆"}) {
		t.Fatalf("SplitTags: %q", got)
	}
}

func TestStore(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := NewStore(db)
		a := &Group{Name: "宝妈1群", Channel: Webhook, Target: "https://bot.example/a", Secret: "0123456789abcdef", PIDTaobao: "mm_1_2_3", PIDJD: "1000_2000_3", PIDPDD: "9000_77", Tags: []string{"宝妈"}, Capacity: 500, Active: true}
		if err := s.Save(ctx, a); err != nil {
			t.Fatal(err)
		}
		b := &Group{Name: "学生群", Channel: Telegram, Target: "-100200", PIDJD: "5_6_7", Tags: []string{"学生", "数码"}, Active: true}
		if err := s.Save(ctx, b); err != nil {
			t.Fatal(err)
		}
		if err := s.Save(ctx, &Group{Name: "宝妈1群", Channel: Manual}); !errors.Is(err, ErrDuplicateName) {
			t.Fatalf("duplicate name: %v", err)
		}
		// An update with an empty secret keeps the stored one.
		a.Secret = ""
		a.Tags = []string{"宝妈", "美妆"}
		if err := s.Save(ctx, a); err != nil {
			t.Fatal(err)
		}
		got, err := s.Get(ctx, a.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Secret != "0123456789abcdef" || !slices.Equal(got.Tags, []string{"宝妈", "美妆"}) || got.AdzoneID() != "3" || got.Capacity != 500 {
			t.Fatalf("stored %+v", got)
		}
		list, err := s.List(ctx, Filter{Tag: "数码"})
		if err != nil || len(list) != 1 || list[0].Name != "学生群" {
			t.Fatalf("by tag: %v %v", list, err)
		}
		if err := s.SetActive(ctx, b.ID, false); err != nil {
			t.Fatal(err)
		}
		list, _ = s.List(ctx, Filter{ActiveOnly: true})
		if len(list) != 1 || list[0].ID != a.ID {
			t.Fatalf("active only: %v", list)
		}
		// Each platform's placements apart: JD positionId 3 and adzone 3 are not one.
		zones, _ := s.ByPlacement(ctx)
		if zones["taobao"]["3"] != a.ID || zones["jd"]["3"] != a.ID || zones["jd"]["7"] != b.ID || zones["taobao"]["7"] != 0 ||
			zones["pdd"]["9000_77"] != a.ID || len(zones["pdd"]) != 1 {
			t.Fatalf("by placement: %v", zones)
		}
		if a.PositionID() != "3" || b.PositionID() != "7" || a.PDDPid() != "9000_77" || (&Group{PIDJD: "77"}).PositionID() != "" {
			t.Fatalf("placements %q %q %q", a.PositionID(), b.PositionID(), a.PDDPid())
		}
		if _, err := s.Get(ctx, 9999); !errors.Is(err, ErrNotFound) {
			t.Fatalf("missing: %v", err)
		}
	})
}

func TestImportCSV(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := NewStore(db)
		good := "群名,渠道,目标,密钥,淘宝PID,负责人,容量,标签,状态\n" +
			"宝妈1群,企业微信,abcd-1234-efgh,,mm_1_2_3,小王,500,宝妈 美妆,启用\n" +
			"学生群,telegram,-100123,,,小李,200,学生,暂停\n" +
			"自建机器人,webhook,https://bot.example/q,0123456789abcdef,,,,,\n" +
			",,,,,,,,\n"
		gbk, _ := simplifiedchinese.GBK.NewEncoder().String(good)
		st, err := s.ImportCSV(ctx, []byte(gbk))
		if err != nil {
			t.Fatal(err)
		}
		if st.Added != 3 || st.Updated != 0 {
			t.Fatalf("stats %+v", st)
		}
		list, _ := s.List(ctx, Filter{})
		if len(list) != 3 {
			t.Fatalf("groups: %d", len(list))
		}
		for _, g := range list {
			switch g.Name {
			case "宝妈1群":
				if g.Channel != WeCom || g.Owner != "小王" || g.Capacity != 500 || !slices.Equal(g.Tags, []string{"宝妈", "美妆"}) || !g.Active {
					t.Fatalf("%+v", g)
				}
			case "学生群":
				if g.Active {
					t.Fatal("学生群 should be paused")
				}
			}
		}
		// Re-import updates by name; an empty secret keeps the stored one.
		again := "name,channel,target,secret,capacity\n自建机器人,webhook,https://bot.example/q2,,10\n"
		st, err = s.ImportCSV(ctx, []byte(again))
		if err != nil || st.Updated != 1 || st.Added != 0 {
			t.Fatalf("re-import %+v %v", st, err)
		}
		list, _ = s.List(ctx, Filter{Channel: Webhook})
		if len(list) != 1 || list[0].Target != "https://bot.example/q2" || list[0].Secret != "0123456789abcdef" {
			t.Fatalf("updated %+v", list)
		}

		// Any bad row: nothing is written, every bad row is named.
		bad := "群名,渠道,目标,容量\n新群,manual,,10\n坏群,qq,,10\n坏群2,manual,,很多\n新群,manual,,1\n"
		_, err = s.ImportCSV(ctx, []byte(bad))
		var ie *ImportError
		if !errors.As(err, &ie) || len(ie.Rows) != 3 {
			t.Fatalf("bad file: %v", err)
		}
		if ie.Rows[0].Row != 3 || ie.Rows[0].Column != "渠道" || ie.Rows[1].Row != 4 || ie.Rows[1].Column != "容量" || ie.Rows[2].Row != 5 {
			t.Fatalf("rows: %v", err)
		}
		if !strings.Contains(err.Error(), "第 3 行「渠道」列") {
			t.Fatalf("message: %v", err)
		}
		// The reader sees each problem in one language.
		if got := ie.Rows[1].Text(i18n.EN); got != `row 4, column 容量: "很多" is not a whole number` {
			t.Fatalf("in English: %q", got)
		}
		if got := msg.In(i18n.ZH, err); !strings.HasPrefix(got, "3 行有错误，未导入任何群\n第 3 行「渠道」列: 未知渠道 \"qq\"") || strings.Contains(got, "nothing imported") {
			t.Fatalf("in Chinese: %q", got)
		}
		list, _ = s.List(ctx, Filter{})
		if len(list) != 3 {
			t.Fatalf("a bad file wrote groups: %d", len(list))
		}
		if _, err := s.ImportCSV(ctx, []byte("名字,类型\nx,y\n")); err == nil || !strings.Contains(err.Error(), "群名") {
			t.Fatalf("missing column: %v", err)
		}
		// A new webhook group without a secret is refused.
		if _, err := s.ImportCSV(ctx, []byte("群名,渠道,目标\n新机器人,webhook,https://x.example/\n")); !errors.As(err, &ie) {
			t.Fatalf("webhook without secret: %v", err)
		}
	})
}

// TestAllowUnconverted: the group field 允许未转链 is stored, defaults to no,
// and comes from the CSV column; a bad cell names its row and column and
// imports nothing.
func TestAllowUnconverted(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := NewStore(db)
		bad := "群名,渠道,允许未转链\n甲群,manual,是\n乙群,manual,也许\n"
		var ie *ImportError
		if _, err := s.ImportCSV(ctx, []byte(bad)); !errors.As(err, &ie) || len(ie.Rows) != 1 || ie.Rows[0].Row != 3 ||
			ie.Rows[0].Column != "允许未转链" {
			t.Fatalf("bad cell: %v", err)
		}
		if gs, _ := s.List(ctx, Filter{}); len(gs) != 0 {
			t.Fatalf("a bad file imported %d groups", len(gs))
		}
		good := "群名,渠道,allow_unconverted\n甲群,manual,是\n乙群,manual,\n丙群,manual,no\n"
		if _, err := s.ImportCSV(ctx, []byte(good)); err != nil {
			t.Fatal(err)
		}
		gs, err := s.List(ctx, Filter{})
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]bool{}
		for _, g := range gs {
			got[g.Name] = g.AllowUnconverted
		}
		if !got["甲群"] || got["乙群"] || got["丙群"] || len(got) != 3 {
			t.Fatalf("allow_unconverted %v", got)
		}
		g := gs[0]
		g.AllowUnconverted = !g.AllowUnconverted
		if err := s.Save(ctx, g); err != nil {
			t.Fatal(err)
		}
		if back, _ := s.Get(ctx, g.ID); back.AllowUnconverted != g.AllowUnconverted {
			t.Fatal("Save did not keep allow_unconverted")
		}
	})
}
