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
		Use:   "check " + g.h("cli.check.args"),
		Short: g.h("cli.check_short"),
		Long:  g.h("cli.check.long"),
		Args:  cobra.MaximumNArgs(1),
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
	cmd.Flags().BoolVar(&asJSON, "json", false, g.h("cli.flag_check_json"))
	cmd.Flags().BoolVar(&noColor, "no-color", false, g.h("cli.flag_no_color"))
	cmd.Flags().Int64Var(&feeBP, "service-fee", advisor.DefaultServiceFeeBP, g.h("cli.flag_service_fee"))
	cmd.Flags().BoolVar(&resolveLinks, "resolve-links", false, g.h("cli.flag_resolve_links"))
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

// positionText names where today's price stands.
func positionText(lang i18n.Lang, pos advisor.Position) string {
	return tr(lang, "card.position."+string(pos))
}

// trendText names a sales trend (rising, falling, flat, unknown).
func trendText(lang i18n.Lang, trend string) string { return tr(lang, "card.trend."+trend) }

// shopKindText names the kind of a shop a card marks as Tmall, flagship or
// platform-run.
func shopKindText(lang i18n.Lang, t catalog.ShopType) string {
	switch t {
	case catalog.ShopJDSelf, catalog.ShopFlagship:
		return tr(lang, "shop."+string(t))
	}
	return tr(lang, "shop.tmall")
}

// tr renders a message key of the catalogs in lang.
func tr(lang i18n.Lang, key string, args ...any) string { return msg.In(lang, msg.New(key, args...)) }

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

// printCard prints a decision card in lang; stated is the price the message
// gave (fen, 0: none), set beside the catalog's when they differ.
func printCard(p *painter, lang i18n.Lang, c *advisor.Card, stated int64) {
	it, o := c.Item, c.Now
	y := cells.Yuan
	t := func(key string, args ...any) string { return tr(lang, key, args...) }
	p.printf("%s %s\n", p.paint("1", it.Title), p.paint("2", t("platform."+string(it.Platform))+" "+it.ItemID))
	p.printf("  %s  %s ¥%s  %s\n", p.paint("1;31", t("cli.card.final", y(o.FinalPrice))), t("card.list"), y(o.ListPrice), couponText(lang, o))
	if stated > 0 && stated != o.FinalPrice {
		p.printf("  %s\n", p.paint("33", t("cli.stated_differs", y(stated), y(o.FinalPrice))))
	}
	printPrice(p, lang, c)
	printLows(p, lang, c)
	p.printf("  %s: %s · %s\n", t("card.commission"), catalog.Percent(c.RateBP), t("card.earn", y(c.EarnFen), catalog.Percent(c.FeeBP)))
	sales2h := "—"
	if o.Sales2h >= 0 {
		sales2h = fmt.Sprint(o.Sales2h)
	}
	p.printf("  %s: %s %s · %s %d · %s %s\n", t("card.sales"), t("card.sales2h"), sales2h, t("card.sales30"), o.Sales30, t("cli.card.trend"), trendText(lang, c.Trend))
	shop := it.ShopName
	if c.Tmall {
		shop += " [" + shopKindText(lang, it.ShopType) + "]"
	}
	dsr := fmt.Sprintf("%.2f/%.2f/%.2f", float64(it.DSRDesc)/100, float64(it.DSRService)/100, float64(it.DSRShip)/100)
	avg := fmt.Sprintf("%.2f/%.2f/%.2f", c.DSRAvg[0]/100, c.DSRAvg[1]/100, c.DSRAvg[2]/100)
	p.printf("  %s: %s  %s\n", t("card.shop"), shop, t("card.dsr", dsr, avg))
	scoreColor := "31"
	if c.Score >= 70 {
		scoreColor = "1;32"
	} else if c.Score >= 50 {
		scoreColor = "33"
	}
	p.printf("  %s: %s\n", t("card.score"), p.paint(scoreColor, fmt.Sprintf("%d/100", c.Score)))
	for _, r := range c.Reasons {
		reason := r.ZH
		if lang == i18n.EN {
			reason = r.EN
		}
		p.printf("    %+3d  %s\n", r.Points, reason)
	}
	printSubstitutes(p, lang, c.Substitutes)
}

// printPrice prints where today's price stands against the typical one.
func printPrice(p *painter, lang i18n.Lang, c *advisor.Card) {
	badge := positionText(lang, c.Position)
	switch c.Position {
	case advisor.HistoricLow:
		badge = p.paint("1;32", badge)
	case advisor.NearLow:
		badge = p.paint("32", badge)
	case advisor.AboveNormal:
		badge = p.paint("33", badge)
	}
	promo := ""
	if pr, ok := catalog.PromotionAt(c.Now.At); ok {
		promo = "  " + tr(lang, "card.in_promo", tr(lang, "cli.card.promo."+pr.Name))
	}
	p.printf("  %s: %s  %s%s\n", tr(lang, "cli.card.price"), badge, tr(lang, "cli.card.typical", cells.Yuan(c.Typical)), promo)
}

// printLows prints the lowest prices: all time, 30/90/180 days, outside
// promotions and in each promotion.
func printLows(p *painter, lang i18n.Lang, c *advisor.Card) {
	t := func(key string) string { return tr(lang, key) }
	p.printf("  %s: %s %s · %s %s · %s %s · %s %s\n", t("card.lows"), t("card.low_all"), lowText(c.LowAll),
		t("card.low_30"), lowText(c.Low30), t("card.low_90"), lowText(c.Low90), t("card.low_180"), lowText(c.Low180))
	p.printf("  %s: %s\n", t("card.low_normal"), lowText(c.NormalLow))
	if len(c.Promos) > 0 {
		var parts []string
		for _, pr := range c.Promos {
			parts = append(parts, fmt.Sprintf("%s %s ¥%s", t("cli.card.promo."+pr.Name), day(pr.Start)[:4], cells.Yuan(pr.Low.Price)))
		}
		p.printf("  %s: %s\n", t("card.promo_lows"), strings.Join(parts, " · "))
	}
}

// printSubstitutes lists the substitutes with what each does better.
func printSubstitutes(p *painter, lang i18n.Lang, subs []advisor.Substitute) {
	if len(subs) == 0 {
		return
	}
	p.printf("  %s:\n", tr(lang, "card.substitutes"))
	for _, s := range subs {
		var marks []string
		for _, b := range s.Better {
			marks = append(marks, tr(lang, "card.better."+b))
		}
		p.printf("    ¥%-8s %-6s %s %-7d %s %s\n", cells.Yuan(s.FinalPrice), catalog.Percent(s.RateBP), tr(lang, "card.sales30"), s.Sales30,
			truncate(s.Title, 28), p.paint("32", strings.Join(marks, " ")))
	}
}

func couponText(lang i18n.Lang, o catalog.Observation) string {
	if o.CouponAmount == 0 {
		return tr(lang, "card.nocoupon")
	}
	s := tr(lang, "card.coupon") + " ¥" + cells.Yuan(o.CouponAmount)
	if o.CouponThreshold > 0 {
		s += " (" + tr(lang, "card.threshold", cells.Yuan(o.CouponThreshold)) + ")"
	}
	if o.CouponEnd > 0 {
		s += " " + tr(lang, "card.until", day(o.CouponEnd))
	}
	if o.CouponRemain >= 0 {
		s += " " + tr(lang, "card.coupon_left", o.CouponRemain)
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
