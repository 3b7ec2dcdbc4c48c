// Package publish is the posting engine (发单): copy templates, posting
// plans and their queues, the planner that turns them into deliveries, the
// delivery outbox and the worker that sends it through the channels.
//
// The life of a post: a selector queues an item on a plan; the planner, for
// each of today's slots and each group of the plan, picks the next items
// that pass the group's rules, renders the copy with the group's link and
// writes one delivery row per (group, item, slot) before anything is sent;
// the worker claims due rows, sends them within every platform's rate limits
// and records each attempt. See docs/posting.md.
package publish

import (
	"bytes"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"text/template"
	"text/template/parse"

	"github.com/qunke/qunke/internal/cells"
	"github.com/qunke/qunke/internal/i18n"
	"github.com/qunke/qunke/internal/msg"
)

// Money is an amount in fen that prints as yuan: "¥39.90".
type Money int64

func (m Money) String() string { return "¥" + m.Yuan() }

// Yuan prints the amount without the sign: "39.90".
func (m Money) Yuan() string { return cells.Yuan(int64(m)) }

// CopyData is what a copy template can show.
type CopyData struct {
	Title      string
	ShortTitle string // the feed's short title, else the title
	Platform   string // 淘宝, 天猫, 京东, 拼多多
	ListPrice  Money  // 原价
	Coupon     Money  // 券面额, 0 = none
	FinalPrice Money  // 券后价
	Savings    Money  // list - final
	// Commission is what one order earns the team. The default template
	// never shows it: members should not see it.
	Commission Money
	Link       string // the group's affiliate link
	ShareCode  string // 淘口令, when there is one
	Reason     string // 推荐理由
	Badges     []string
	Group      string
}

// DefaultBody is the copy format Taoke groups use.
const DefaultBody = `【{{.Title}}】
{{range .Badges}}🔥{{.}} {{end}}
【原价】{{.ListPrice}}
{{if .Coupon}}【券】{{.Coupon}}
{{end}}【券后价】{{.FinalPrice}}
{{if .ShareCode}}【淘口令】{{.ShareCode}}{{else}}【链接】{{.Link}}{{end}}
{{if .Reason}}【推荐理由】{{.Reason}}{{end}}`

// TemplateError is a copy template that does not parse or run, with the
// line it is on (1-based; 0 if unknown): Why says what is wrong in the
// reader's language, or else Msg (text/template's own words) does.
type TemplateError struct {
	Line int
	Msg  string
	Why  *msg.Error
}

// Message is what is wrong, without the line, in lang.
func (e *TemplateError) Message(lang i18n.Lang) string {
	if e.Why != nil {
		return msg.In(lang, e.Why)
	}
	return e.Msg
}

func (e *TemplateError) msg() *msg.Error {
	var why error = e.Why
	if e.Why == nil {
		why = errors.New(e.Msg)
	}
	if e.Line > 0 {
		return msg.New("publish.tmpl.line", e.Line, why)
	}
	return msg.New("publish.tmpl.error", why)
}

func (e *TemplateError) Error() string { return e.msg().Error() }

// Text is the error, with its line, in lang.
func (e *TemplateError) Text(lang i18n.Lang) string { return msg.In(lang, e.msg()) }

// Template is a parsed copy template.
type Template struct {
	Body string
	t    *template.Template
}

// UsesShareCode reports whether the template shows the share code (淘口令),
// so its posts ask the platform for one.
func (t *Template) UsesShareCode() bool { return strings.Contains(t.Body, ".ShareCode") }

// Limits that keep a template's run short: text/template cannot be
// interrupted, so a template is bounded before it runs (its size, what its
// ranges count to, how deep they nest) and its output while it runs.
const (
	MaxTemplateBytes = 8 << 10  // a template's source
	MaxRangeCount    = 100      // {{range N}} over a number
	MaxRangeDepth    = 2        // ranges inside ranges
	MaxOutputBytes   = 64 << 10 // what one run may write
)

var funcs = template.FuncMap{
	"join": strings.Join,
	"yuan": func(m Money) string { return m.Yuan() },
}

// ParseTemplate parses body and tries it on sample data (one full, one with
// every optional field empty), so a template that parses but cannot run
// (a misspelt field) is refused as well. The error is a *TemplateError.
func ParseTemplate(body string) (*Template, error) {
	if len(body) > MaxTemplateBytes {
		return nil, &TemplateError{Why: msg.New("publish.tmpl.too_long", MaxTemplateBytes)}
	}
	if strings.TrimSpace(body) == "" {
		return nil, &TemplateError{Why: msg.New("publish.tmpl.empty")}
	}
	t, err := template.New("copy").Option("missingkey=error").Funcs(funcs).Parse(body)
	if err != nil {
		return nil, templateErr(err)
	}
	if err := checkTree(body, t); err != nil {
		return nil, err
	}
	tp := &Template{Body: body, t: t}
	for _, d := range []CopyData{SampleCopy(), {Title: "x", FinalPrice: 1}} {
		if _, err := tp.Render(d); err != nil {
			return nil, err
		}
	}
	return tp, nil
}

// SampleCopy is the data of the template preview.
func SampleCopy() CopyData {
	return CopyData{Title: "【官方正品】云南白药牙膏 益生菌亮白 180g×3支", ShortTitle: "云南白药牙膏3支", Platform: "天猫",
		ListPrice: 8990, Coupon: 3000, FinalPrice: 5990, Savings: 3000, Commission: 599,
		Link: "https://s.click.taobao.com/t?e=qunke", ShareCode: "￥AbCd1234￥", Reason: "近 30 天最低价，囤货正当时",
		Badges: []string{"历史最低", "天猫"}, Group: "宝妈1群"}
}

// Render runs the template. Blank lines left by empty fields are dropped
// and trailing spaces trimmed.
func (t *Template) Render(d CopyData) (string, error) {
	b := cappedBuffer{max: MaxOutputBytes}
	run, err := t.t.Clone()
	if err != nil {
		return "", templateErr(err)
	}
	made := madeText{left: MaxOutputBytes}
	if err := run.Funcs(made.funcs()).Execute(&b, d); err != nil {
		if errors.Is(err, errOutputTooLong) {
			return "", &TemplateError{Why: msg.New("publish.tmpl.output_too_long", MaxOutputBytes>>10)}
		}
		return "", templateErr(err)
	}
	lines := strings.Split(b.String(), "\n")
	out := lines[:0]
	for _, l := range lines {
		if l = strings.TrimRight(l, " \t\r"); l != "" {
			out = append(out, l)
		}
	}
	if len(out) == 0 {
		return "", &TemplateError{Why: msg.New("publish.tmpl.renders_nothing")}
	}
	return strings.Join(out, "\n"), nil
}

var errOutputTooLong = errors.New("template output too long")

// cappedBuffer is a buffer that fails once more than max bytes are written,
// which stops the run.
type cappedBuffer struct {
	bytes.Buffer
	max int
}

func (c *cappedBuffer) Write(p []byte) (int, error) {
	if c.Len()+len(p) > c.max {
		return 0, errOutputTooLong
	}
	return c.Buffer.Write(p)
}

var (
	errTooMuchText = msg.New("publish.tmpl.funcs_too_much", MaxOutputBytes>>10)
	errWidth       = msg.New("publish.tmpl.printf_width")
)

// madeText bounds the text one run's functions make (print, printf, html
// …): in a range, or fed their own result ({{$x = print $x $x}}), they
// could make gigabytes that nothing writes, so the output cap never stops
// them. A function's text counts when it is made.
type madeText struct{ left int }

func (m *madeText) take(s string) (string, error) {
	if m.left -= len(s); m.left < 0 {
		return "", errTooMuchText
	}
	return s, nil
}

// funcs are the functions that make text, counted (they replace
// text/template's builtins of the same names).
func (m *madeText) funcs() template.FuncMap {
	return template.FuncMap{
		"print":   func(a ...any) (string, error) { return m.take(fmt.Sprint(a...)) },
		"println": func(a ...any) (string, error) { return m.take(fmt.Sprintln(a...)) },
		"printf": func(f string, a ...any) (string, error) {
			if err := checkWidths(f); err != nil {
				return "", err
			}
			return m.take(fmt.Sprintf(f, a...))
		},
		"html":     func(a ...any) (string, error) { return m.take(template.HTMLEscaper(a...)) },
		"js":       func(a ...any) (string, error) { return m.take(template.JSEscaper(a...)) },
		"urlquery": func(a ...any) (string, error) { return m.take(template.URLQueryEscaper(a...)) },
		"join":     func(a []string, sep string) (string, error) { return m.take(strings.Join(a, sep)) },
	}
}

// checkWidths refuses a printf width or precision of more than three
// digits or taken from an argument (*): fmt pads to a million characters.
func checkWidths(format string) error {
	inVerb, digits := false, 0
	for i := 0; i < len(format); i++ {
		c := format[i]
		switch {
		case !inVerb:
			inVerb, digits = c == '%', 0
		case c >= '0' && c <= '9':
			if digits++; digits > 3 {
				return errWidth
			}
		case c == '*':
			return errWidth
		case strings.IndexByte("+-# .[]", c) >= 0:
			digits = 0
		default: // the verb
			inVerb = false
		}
	}
	return nil
}

// checkTree refuses what could make a run long: sub-templates (define,
// block, template, which can recurse), a range over a number above
// MaxRangeCount or over anything but a field or a number (a variable or a
// function's result may be any number), ranges nested deeper than
// MaxRangeDepth, and more than MaxRunBytes of the template's source run in
// all (what a range holds counts once for each time it runs). The error
// names the line.
func checkTree(body string, t *template.Template) error {
	if len(t.Templates()) > 1 {
		return &TemplateError{Why: msg.New("publish.tmpl.no_define")}
	}
	c := treeCheck{body: body}
	return c.node(t.Tree.Root, 0, 1)
}

// MaxRunBytes bounds the template source one run goes through (an action
// costs about a microsecond): 8 KB of cheap actions run 10,000 times by
// two nested ranges took 8 seconds.
const MaxRunBytes = 1 << 20

// maxBadges is the most badges a copy has (see Badges).
const maxBadges = 3

type treeCheck struct {
	body string
	run  int // source bytes run so far
}

// node checks n, which runs runs times inside depth ranges.
func (c *treeCheck) node(n parse.Node, depth, runs int) error {
	if n == nil || n == (*parse.ListNode)(nil) {
		return nil
	}
	if _, list := n.(*parse.ListNode); !list {
		if c.run += runs * len(n.String()); c.run > MaxRunBytes {
			return nodeErr(c.body, n, msg.New("publish.tmpl.too_much_run", MaxRunBytes>>10))
		}
	}
	switch n := n.(type) {
	case *parse.ListNode:
		for _, x := range n.Nodes {
			if err := c.node(x, depth, runs); err != nil {
				return err
			}
		}
	case *parse.IfNode:
		return c.branch(&n.BranchNode, depth, runs, runs)
	case *parse.WithNode:
		return c.branch(&n.BranchNode, depth, runs, runs)
	case *parse.RangeNode:
		if depth >= MaxRangeDepth {
			return nodeErr(c.body, n, msg.New("publish.tmpl.range_depth", MaxRangeDepth))
		}
		times, err := checkRangeOver(c.body, n)
		if err != nil {
			return err
		}
		return c.branch(&n.BranchNode, depth+1, runs*times, runs)
	case *parse.TemplateNode:
		return nodeErr(c.body, n, msg.New("publish.tmpl.no_call"))
	}
	return nil
}

func (c *treeCheck) branch(b *parse.BranchNode, depth, runs, elseRuns int) error {
	if err := c.node(b.List, depth, runs); err != nil {
		return err
	}
	return c.node(b.ElseList, depth, elseRuns)
}

// checkRangeOver allows a range over the one list a copy has (.Badges,
// $.Badges) or over a number up to MaxRangeCount, and returns how many
// times it runs at most; any other value (an amount in fen, a variable, a
// function's result) may be a large number.
func checkRangeOver(body string, n *parse.RangeNode) (int, error) {
	cmds := n.Pipe.Cmds
	if len(cmds) == 1 && len(cmds[0].Args) == 1 {
		switch a := cmds[0].Args[0].(type) {
		case *parse.FieldNode:
			if slices.Equal(a.Ident, []string{"Badges"}) {
				return maxBadges, nil
			}
		case *parse.VariableNode:
			if slices.Equal(a.Ident, []string{"$", "Badges"}) {
				return maxBadges, nil
			}
		case *parse.NumberNode:
			if a.IsInt && a.Int64 >= 0 && a.Int64 <= MaxRangeCount {
				return max(int(a.Int64), 1), nil
			}
			return 0, nodeErr(body, n, msg.New("publish.tmpl.range_count", MaxRangeCount))
		}
	}
	return 0, nodeErr(body, n, msg.New("publish.tmpl.range_over", MaxRangeCount))
}

func nodeErr(body string, n parse.Node, why *msg.Error) error {
	pos := min(int(n.Position()), len(body))
	return &TemplateError{Line: strings.Count(body[:pos], "\n") + 1, Why: why}
}

// text/template errors look like "template: copy:3: msg" (parse) or
// "template: copy:3:14: executing "copy" at <.X>: msg" (run).
var tmplErrRe = regexp.MustCompile(`^template: copy:(\d+)(?::\d+)?: (.*)$`)

var startedRe = regexp.MustCompile(`started at copy:(\d+)`)

func templateErr(err error) error {
	var te *TemplateError
	if errors.As(err, &te) {
		return te
	}
	s := err.Error()
	m := tmplErrRe.FindStringSubmatch(s)
	if m == nil {
		return &TemplateError{Msg: s}
	}
	line, _ := strconv.Atoi(m[1])
	var why *msg.Error
	if errors.As(err, &why) { // a limit of our functions (printf widths, text made)
		return &TemplateError{Line: line, Why: why}
	}
	text := m[2]
	if s := startedRe.FindStringSubmatch(text); s != nil {
		line, _ = strconv.Atoi(s[1]) // an unclosed action is reported where the text ends
	}
	if i := strings.Index(text, `executing "copy" at `); i >= 0 {
		text = text[i+len(`executing "copy" at `):]
	}
	if strings.Contains(text, "can't evaluate field") {
		return &TemplateError{Line: line, Msg: text, Why: msg.New("publish.tmpl.unknown_field", text,
			".Title .ShortTitle .Platform .ListPrice .Coupon .FinalPrice .Savings .Commission .Link .ShareCode .Reason .Badges .Group")}
	}
	return &TemplateError{Line: line, Msg: text}
}
