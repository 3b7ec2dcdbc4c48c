package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/qunke/qunke/internal/advisor"
	"github.com/qunke/qunke/internal/affiliate/alimama"
	"github.com/qunke/qunke/internal/apiv1"
	"github.com/qunke/qunke/internal/catalog"
	"github.com/qunke/qunke/internal/cells"
	"github.com/qunke/qunke/internal/i18n"
	"github.com/qunke/qunke/internal/msg"
	"github.com/qunke/qunke/internal/shanghai"
)

func newCheckCmd(g *globals) *cobra.Command {
	var asJSON, noColor, resolveLinks bool
	var feeBP int64
	cmd := &cobra.Command{
		Use:   `check ["任意文案 any text"]`,
		Short: "选品判断：粘贴任意文案，给出每个商品的决策卡 (paste any deal message, get a decision card per product)",
		Long: `从文案中找出所有商品（链接、商品ID、淘口令、短链），逐个给出决策卡：现价与券、历史最低价（全部/30/90/180天，大促另列）、
是否史低、佣金与每单预估收入、销量与趋势、店铺评分、0-100 推荐分及理由、10 个相似替代品。
没有参数时从标准输入读取。淘口令用阿里妈妈开放平台解析（环境变量 QUNKE_ALIMAMA_APP_KEY 与 QUNKE_ALIMAMA_APP_SECRET），
短链联网跟随跳转；未配置时标为"需要解析"。

Find every product in the text (links, ids, share codes, short links) and print a decision card for each:
price and coupon, lowest prices (all time, 30/90/180 days, promotions apart), whether today is a low,
commission and earning per order, sales and trend, shop scores, a 0-100 score with its reasons, and 10
substitutes. Reads standard input when no text is given. Share codes are resolved through the Alimama open
platform when QUNKE_ALIMAMA_APP_KEY and QUNKE_ALIMAMA_APP_SECRET are set, and short links by following their
redirects; otherwise such references are reported as needing resolving.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var text string
			if len(args) == 1 && args[0] != "-" {
				text = args[0]
			} else {
				b, err := io.ReadAll(io.LimitReader(cmd.InOrStdin(), advisor.MaxCheckBytes+1))
				if err != nil {
					return err
				}
				text = string(b)
			}
			ctx := cmd.Context()
			db, err := g.openDB(ctx)
			if err != nil {
				return err
			}
			defer db.Close()
			if err := advisor.ValidServiceFee(feeBP); err != nil {
				return fmt.Errorf("--service-fee: %w", err)
			}
			opt := advisor.Options{ServiceFeeBP: &feeBP}
			// The secret is read from the environment only: a flag would show
			// it to every user of the machine (ps).
			acfg := alimama.Config{AppKey: os.Getenv("QUNKE_ALIMAMA_APP_KEY"), AppSecret: os.Getenv("QUNKE_ALIMAMA_APP_SECRET")}
			if acfg.HasCredentials() || resolveLinks {
				opt.Resolver = alimama.NewResolver(alimama.NewClient(acfg))
			}
			a := advisor.New(catalog.NewStore(db), opt)
			rep, err := a.Check(ctx, text)
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			if asJSON {
				return apiv1.Encode(out, apiv1.NewReport(rep, g.reader()), true)
			}
			p := newPainter(out, noColor)
			printReport(p, g.reader(), rep)
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "输出 JSON (machine-readable output)")
	cmd.Flags().BoolVar(&noColor, "no-color", false, "不用颜色 (no colour; also NO_COLOR)")
	cmd.Flags().Int64Var(&feeBP, "service-fee", advisor.DefaultServiceFeeBP, "平台服务费，万分比 (platform service fee on commission, basis points)")
	cmd.Flags().BoolVar(&resolveLinks, "resolve-links", false, "没有阿里妈妈密钥时也联网跟随短链 (follow short links over the network even without Alimama credentials)")
	return cmd
}

// painter colours text on a terminal and leaves it plain elsewhere.
type painter struct {
	w     io.Writer
	color bool
}

func newPainter(w io.Writer, noColor bool) *painter {
	color := false
	if f, ok := w.(*os.File); ok && !noColor && os.Getenv("NO_COLOR") == "" {
		color = term.IsTerminal(int(f.Fd()))
	}
	return &painter{w: w, color: color}
}

func (p *painter) paint(code, s string) string {
	if !p.color {
		return s
	}
	return "\x1b[" + code + "m" + s + "\x1b[0m"
}

func (p *painter) printf(format string, args ...any) { fmt.Fprintf(p.w, format, args...) }

func day(t int64) string { return time.Unix(t, 0).In(shanghai.Zone).Format("2006-01-02") }

func lowText(l advisor.Low) string {
	if !l.OK {
		return "—"
	}
	return fmt.Sprintf("¥%s (%s)", cells.Yuan(l.Price), day(l.At))
}

var positionText = map[advisor.Position]string{
	advisor.HistoricLow: "史低 historic low",
	advisor.NearLow:     "接近史低 near the low",
	advisor.Normal:      "常价 normal price",
	advisor.AboveNormal: "高于常价 above normal",
}

var trendText = map[string]string{
	"rising":  "上升 rising",
	"falling": "下滑 falling",
	"flat":    "平稳 flat",
	"unknown": "未知 unknown",
}

// shopKindText names the kind of a shop a card marks as Tmall, flagship or
// platform-run.
func shopKindText(t catalog.ShopType) string {
	switch t {
	case catalog.ShopJDSelf:
		return "京东自营 JD self-run"
	case catalog.ShopFlagship:
		return "旗舰店 flagship"
	}
	return "天猫 Tmall"
}

func printReport(p *painter, lang i18n.Lang, rep *advisor.Report) {
	if rep.Message != nil {
		p.printf("%s\n", msg.In(lang, rep.Message))
	}
	for i, r := range rep.Results {
		if i > 0 {
			p.printf("\n")
		}
		if r.Card == nil {
			p.printf("%s %s — %s\n", p.paint("33", "●"), r.Ref.Raw, msg.In(lang, r.Message))
			continue
		}
		printCard(p, lang, r.Card, r.MessagePrice)
	}
}

// printCard prints a decision card; stated is the price the message gave
// (fen, 0: none), set beside the catalog's when they differ.
func printCard(p *painter, lang i18n.Lang, c *advisor.Card, stated int64) {
	it, o := c.Item, c.Now
	y := cells.Yuan
	p.printf("%s %s\n", p.paint("1", it.Title), p.paint("2", string(it.Platform)+":"+it.ItemID))
	p.printf("  %s  %s  %s\n", p.paint("1;31", "券后 ¥"+y(o.FinalPrice)), "原价 ¥"+y(o.ListPrice), couponText(o))
	if stated > 0 && stated != o.FinalPrice {
		p.printf("  %s\n", p.paint("33", msg.In(lang, msg.New("cli.stated_differs", y(stated), y(o.FinalPrice)))))
	}
	badge := positionText[c.Position]
	switch c.Position {
	case advisor.HistoricLow:
		badge = p.paint("1;32", badge)
	case advisor.NearLow:
		badge = p.paint("32", badge)
	case advisor.AboveNormal:
		badge = p.paint("33", badge)
	}
	promo := ""
	if c.InPromo != "" {
		promo = "  大促中 in promotion: " + c.InPromo
	}
	p.printf("  价格 price: %s  常价 typical ¥%s%s\n", badge, y(c.Typical), promo)
	p.printf("  最低 lows: 全部 all %s · 30天 %s · 90天 %s · 180天 %s\n", lowText(c.LowAll), lowText(c.Low30), lowText(c.Low90), lowText(c.Low180))
	p.printf("  平日最低 lowest outside promotions: %s\n", lowText(c.NormalLow))
	if len(c.Promos) > 0 {
		var parts []string
		for _, pr := range c.Promos {
			parts = append(parts, fmt.Sprintf("%s %s ¥%s", pr.Label, day(pr.Start)[:4], y(pr.Low.Price)))
		}
		p.printf("  大促价 promotion lows: %s\n", strings.Join(parts, " · "))
	}
	p.printf("  佣金 commission: %s · 每单约 ¥%s (扣服务费 %s) earning per order\n", catalog.Percent(c.RateBP), y(c.EarnFen), catalog.Percent(c.FeeBP))
	sales2h := "—"
	if o.Sales2h >= 0 {
		sales2h = fmt.Sprint(o.Sales2h)
	}
	p.printf("  销量 sales: 2小时 %s · 月销 %d · 趋势 %s\n", sales2h, o.Sales30, trendText[c.Trend])
	shop := it.ShopName
	if c.Tmall {
		shop += " [" + shopKindText(it.ShopType) + "]"
	}
	p.printf("  店铺 shop: %s  DSR %.2f/%.2f/%.2f (同类平均 %.2f/%.2f/%.2f)\n", shop,
		float64(it.DSRDesc)/100, float64(it.DSRService)/100, float64(it.DSRShip)/100, c.DSRAvg[0]/100, c.DSRAvg[1]/100, c.DSRAvg[2]/100)
	scoreColor := "31"
	if c.Score >= 70 {
		scoreColor = "1;32"
	} else if c.Score >= 50 {
		scoreColor = "33"
	}
	p.printf("  推荐分 score: %s\n", p.paint(scoreColor, fmt.Sprintf("%d/100", c.Score)))
	for _, r := range c.Reasons {
		p.printf("    %+3d  %s (%s)\n", r.Points, r.ZH, r.EN)
	}
	if len(c.Substitutes) > 0 {
		p.printf("  替代品 substitutes:\n")
		for _, s := range c.Substitutes {
			var marks []string
			for _, b := range s.Better {
				marks = append(marks, betterText[b])
			}
			p.printf("    ¥%-8s %-6s 月销%-7d %s %s\n", y(s.FinalPrice), catalog.Percent(s.RateBP), s.Sales30, truncate(s.Title, 28), p.paint("32", strings.Join(marks, " ")))
		}
	}
}

var betterText = map[string]string{"cheaper_now": "更便宜", "higher_commission": "佣金更高", "better_sales": "销量更好"}

func couponText(o catalog.Observation) string {
	if o.CouponAmount == 0 {
		return "无券 no coupon"
	}
	s := "券 ¥" + cells.Yuan(o.CouponAmount)
	if o.CouponThreshold > 0 {
		s += " (满 ¥" + cells.Yuan(o.CouponThreshold) + ")"
	}
	if o.CouponEnd > 0 {
		s += " 至 " + day(o.CouponEnd)
	}
	if o.CouponRemain >= 0 {
		s += fmt.Sprintf(" 剩 %d", o.CouponRemain)
	}
	return s
}

func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n]) + "…"
}
