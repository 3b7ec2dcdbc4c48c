// Package health judges each chat group's health from its daily figures
// (members, joins, leaves, speakers, posts, orders, income): a 0–100 score
// with its reasons, a state (ok, watch, warning, dead) and an alert once per
// change of state. It owns the daily rollup group_days (filled through the
// owners' methods: community's registry and groups, publish's posts,
// orders' order days), group_health (one row per group: the board),
// health_alerts and health_notify. docs/health.md says what each rule
// means and how the backtest measures the warning.
//
// The rules are pure functions over a day series (Rules.Judge, Replay,
// Backtest): a day's verdict uses only the days up to it.
package health

import (
	"fmt"
	"math"
	"strconv"

	"github.com/qunke/qunke/internal/msg"
)

// Day is one group's figures for one Asia/Shanghai day.
type Day struct {
	Day int64 `json:"day"` // days since 1970-01-01 in Asia/Shanghai (shanghai.Day)
	// Members at the end of the day (0: unknown). From the member registry
	// when Tracked, else the group's member count field.
	Members int64 `json:"members"`
	// Tracked: a source (WeCom, Telegram, a member sheet) tells this group's
	// members, so joins, leaves and speakers are known.
	Tracked       bool  `json:"tracked"`
	Joins         int64 `json:"joins"`
	LeavesSelf    int64 `json:"leaves_self"`
	LeavesRemoved int64 `json:"leaves_removed"`
	LeavesOther   int64 `json:"leaves_other"` // left, how unknown
	Active        int64 `json:"active"`       // members who spoke (where the channel tells)
	Messages      int64 `json:"messages"`
	Posts         int64 `json:"posts"`      // posts sent
	Orders        int64 `json:"orders"`     // orders paid that day, failed ones included
	IncomeFen     int64 `json:"income_fen"` // 付款预估收入 of the orders not failed
}

// Leaves is every leave of the day.
func (d Day) Leaves() int64 { return d.LeavesSelf + d.LeavesRemoved + d.LeavesOther }

// State is a group's health state, from best to worst.
type State string

const (
	OK      State = "ok"
	Watch   State = "watch"
	Warning State = "warning"
	Dead    State = "dead"
)

// Rank orders states by risk: ok 0, watch 1, warning 2, dead 3.
func (s State) Rank() int {
	switch s {
	case Watch:
		return 1
	case Warning:
		return 2
	case Dead:
		return 3
	}
	return 0
}

// LabelKey is the state's message key.
func (s State) LabelKey() string { return "health.state_" + string(s) }

// Rules are the dead-group definition and the warning's thresholds
// (docs/health.md). The zero value is not useful: start from DefaultRules.
type Rules struct {
	// A group is dead when its members fall under DeadShareBP (basis
	// points) of its peak, for groups that once had MinPeak members...
	DeadShareBP int64
	MinPeak     int64
	// ...or when QuietDays days pass with no order and no speaker.
	QuietDays int
	// The trends compare the Recent days with the Baseline days before them.
	Recent, Baseline int
	// Risk points at which a group is watched or warned.
	WatchRisk, WarningRisk int
	// Model, when fitted on the team's history (Fit), gives the risk and
	// the state instead of the rules' points; nil: the rule set.
	Model *Model
}

// DefaultRules is the documented rule set.
func DefaultRules() Rules {
	return Rules{DeadShareBP: 3000, MinPeak: 20, QuietDays: 14, Recent: 7, Baseline: 21, WatchRisk: 25, WarningRisk: 50}
}

// Reason is one part of a verdict, as a message key and its arguments
// (strings, already formatted: they are stored as JSON), with the points it
// takes from the score (negative) or 0 for a plain fact.
type Reason struct {
	Key    string   `json:"key"`
	Args   []string `json:"args"`
	Points int      `json:"points"`
}

// Msg is the reason as a message to render in the reader's language.
func (r Reason) Msg() *msg.Error {
	args := make([]any, len(r.Args))
	for i, a := range r.Args {
		args[i] = a
	}
	return msg.New(r.Key, args...)
}

// Verdict is a group's health on one day.
type Verdict struct {
	Day     int64    `json:"day"`
	Score   int      `json:"score"` // 0–100, higher is healthier
	Risk    int      `json:"risk"`  // 0–100: the warning rules' points
	State   State    `json:"state"`
	Reasons []Reason `json:"reasons"`
}

// window sums a run of days.
type window struct {
	days                          int64
	memberDays, leaves, joins     int64
	active, orders, posts, income int64
	tracked, activeKnown          bool
	firstMembers, lastMembers     int64
}

func sum(ds []Day) window {
	var w window
	for i, d := range ds {
		w.days++
		w.memberDays += d.Members
		w.leaves += d.Leaves()
		w.joins += d.Joins
		w.active += d.Active
		w.orders += d.Orders
		w.posts += d.Posts
		w.income += d.IncomeFen
		w.tracked = w.tracked || d.Tracked
		w.activeKnown = w.activeKnown || d.Active > 0 || d.Messages > 0
		if i == 0 {
			w.firstMembers = d.Members
		}
		w.lastMembers = d.Members
	}
	return w
}

// pct formats a ratio num/den (per member-day etc.) as a percentage with
// one decimal.
func pct(num, den int64) string {
	if den == 0 {
		return "0%"
	}
	return strconv.FormatFloat(float64(num)*100/float64(den), 'f', 1, 64) + "%"
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// Past is what a verdict needs of the days before the series it judges.
type Past struct {
	Peak int64 // the most members the group ever had
	// Lively: the group had an order or a speaker on some day before: a
	// group never seen alive (no placement, no member source) is not dead
	// for being quiet.
	Lively bool
	// Prev is the state of the day before: a warning holds while the risk
	// stays at watch level, so that a group on the edge does not flap
	// between warning and watch (and alert at each flap).
	Prev State
}

// lively reports whether d had an order or a speaker.
func (d Day) lively() bool { return d.Orders > 0 || d.Active > 0 }

// Judge judges the last day of series, a run of consecutive days (oldest
// first), from those days and past (the days before them) only.
func (r Rules) Judge(series []Day, past Past) Verdict {
	if len(series) == 0 {
		return Verdict{State: OK, Score: 100, Reasons: []Reason{}}
	}
	today := series[len(series)-1]
	peak := past.Peak
	for _, d := range series {
		peak = max(peak, d.Members)
	}
	v := Verdict{Day: today.Day, Reasons: []Reason{}}
	add := func(pts int, key string, args ...string) {
		v.Reasons = append(v.Reasons, Reason{Key: key, Args: args, Points: pts})
	}

	// Dead: the definition (not a forecast).
	dead := false
	if peak >= r.MinPeak && today.Members*10000 < peak*r.DeadShareBP {
		dead = true
		add(-100, "health.dead_share", itoa(today.Members), itoa(peak), pct(r.DeadShareBP, 10000))
	}
	if q := r.QuietDays; q > 0 && len(series) >= q {
		w := sum(series[len(series)-q:])
		lively := past.Lively
		for _, d := range series[:len(series)-q] {
			lively = lively || d.lively()
		}
		if lively && w.orders == 0 && w.active == 0 {
			dead = true
			add(-100, "health.dead_quiet", strconv.Itoa(q))
		}
	}

	// Trends: the recent days against the baseline before them.
	risk := 0
	nr, nb := r.Recent, r.Baseline
	if len(series) >= r.minHistory() {
		rec := sum(series[len(series)-nr:])
		base := sum(series[max(0, len(series)-nr-nb) : len(series)-nr])
		risk += r.leaveRate(rec, base, add)
		risk += r.shrinking(series, add)
		risk += r.headingForDeath(series, peak, add)
		risk += r.activityFalling(rec, base, add)
		risk += r.ordersFalling(rec, base, add)
		risk += r.leaveBurst(series[len(series)-nr:], base, add)
	} else {
		add(0, "health.young", strconv.Itoa(len(series)))
	}
	risk = min(risk, 100)
	v.Risk = risk

	// Levels: what the group is now, besides its trends.
	penalty := 0
	if peak > 0 && !dead && today.Members*10000 < peak*7000 {
		p := int((peak - today.Members) * 30 / peak)
		penalty += p
		add(-p, "health.below_peak", itoa(today.Members), itoa(peak))
	}
	if len(series) >= nr {
		w := sum(series[len(series)-nr:])
		if w.orders == 0 {
			penalty += 15
			add(-15, "health.no_orders", strconv.Itoa(nr))
		}
		if w.tracked && w.activeKnown && w.active == 0 {
			penalty += 10
			add(-10, "health.no_speakers", strconv.Itoa(nr))
		}
		if w.memberDays > 0 {
			add(0, "health.income_per_100", fmt.Sprintf("%.2f", float64(w.income)*100/float64(w.memberDays)/100))
		}
	}
	if today.Members > 0 {
		add(0, "health.members", itoa(today.Members), itoa(peak))
	}

	switch {
	case dead:
		v.State, v.Score = Dead, 0
	case risk >= r.WarningRisk:
		v.State = Warning
	case risk >= r.WatchRisk:
		v.State = Watch
	default:
		v.State = OK
	}
	if r.Model != nil {
		if f, ok := r.features(series, peak); ok {
			r.Model.judge(&v, f)
		}
	}
	if past.Prev == Warning && v.State == Watch {
		v.State = Warning
	}
	if !dead {
		v.Score = min(100, max(0, 100-v.Risk-penalty))
	}
	return v
}

// leaveRate: leaves per member-day rising.
func (r Rules) leaveRate(rec, base window, add func(int, string, ...string)) int {
	if rec.memberDays == 0 || base.memberDays == 0 || !rec.tracked {
		return 0
	}
	// Rates in leaves per 10,000 member-days; expected is the recent
	// leaves at the baseline's rate. A rise must be beyond chance (three
	// standard deviations of a Poisson count) as well as large.
	rr := rec.leaves * 10000 / rec.memberDays
	expected := float64(base.leaves) * float64(rec.memberDays) / float64(base.memberDays)
	got := float64(rec.leaves)
	beyondChance := got >= expected+3*math.Sqrt(expected)+3
	switch {
	case beyondChance && rr >= 60 && got >= 2.5*expected:
		add(-30, "health.leave_rate", pct(rec.leaves, rec.memberDays), pct(base.leaves, base.memberDays))
		return 30
	case beyondChance && rr >= 40 && got >= 1.6*expected:
		add(-15, "health.leave_rate", pct(rec.leaves, rec.memberDays), pct(base.leaves, base.memberDays))
		return 15
	}
	return 0
}

// shrinking: members down over the last two recent windows.
func (r Rules) shrinking(series []Day, add func(int, string, ...string)) int {
	back := min(len(series)-1, 2*r.Recent)
	then, now := series[len(series)-1-back].Members, series[len(series)-1].Members
	if then <= 0 || now >= then {
		return 0
	}
	drop := (then - now) * 10000 / then
	switch {
	case drop >= 1000:
		add(-25, "health.shrinking", itoa(then), itoa(now), strconv.Itoa(back))
		return 25
	case drop >= 500:
		add(-10, "health.shrinking", itoa(then), itoa(now), strconv.Itoa(back))
		return 10
	}
	return 0
}

// headingForDeath: at the pace members left over the last 2×Recent days,
// the group falls under the dead line (DeadShareBP of its peak) within
// Horizon days.
func (r Rules) headingForDeath(series []Day, peak int64, add func(int, string, ...string)) int {
	back := min(len(series)-1, 2*r.Recent)
	then, now := series[len(series)-1-back].Members, series[len(series)-1].Members
	line := peak * r.DeadShareBP / 10000
	if peak < r.MinPeak || back == 0 || now >= then || now <= line {
		return 0
	}
	perDay := float64(then-now) / float64(back)
	days := int(math.Ceil(float64(now-line) / perDay))
	if days > Horizon {
		return 0
	}
	add(-25, "health.heading_for_death", strconv.Itoa(days), itoa(line), pct(r.DeadShareBP, 10000))
	return 25
}

// activityFalling: speakers per member-day falling (where the channel tells).
func (r Rules) activityFalling(rec, base window, add func(int, string, ...string)) int {
	if !base.activeKnown || base.active < 10 || rec.memberDays == 0 || base.memberDays == 0 {
		return 0
	}
	// ratio of the rates, in percent
	ratio := rec.active * base.memberDays * 100 / (rec.memberDays * base.active)
	switch {
	case ratio <= 60:
		add(-20, "health.activity_falling", pct(rec.active, rec.memberDays), pct(base.active, base.memberDays))
		return 20
	case ratio <= 80:
		add(-10, "health.activity_falling", pct(rec.active, rec.memberDays), pct(base.active, base.memberDays))
		return 10
	}
	return 0
}

// ordersFalling: orders per member-day (or per day, members unknown) falling.
func (r Rules) ordersFalling(rec, base window, add func(int, string, ...string)) int {
	if base.orders < 5 {
		return 0
	}
	rd, bd := rec.memberDays, base.memberDays
	if rd == 0 || bd == 0 {
		rd, bd = rec.days, base.days
	}
	ratio := rec.orders * bd * 100 / (rd * base.orders)
	recPer := fmt.Sprintf("%.1f", float64(rec.orders)/float64(rec.days))
	basePer := fmt.Sprintf("%.1f", float64(base.orders)/float64(base.days))
	switch {
	case ratio <= 50:
		add(-20, "health.orders_falling", recPer, basePer)
		return 20
	case ratio <= 75:
		add(-10, "health.orders_falling", recPer, basePer)
		return 10
	}
	return 0
}

// leaveBurst: a day with posts and a burst of leaves.
func (r Rules) leaveBurst(rec []Day, base window, add func(int, string, ...string)) int {
	mean := 0.0
	if base.days > 0 {
		mean = float64(base.leaves) / float64(base.days)
	}
	for i := len(rec) - 1; i >= 0; i-- {
		d := rec[i]
		if d.Posts == 0 || !d.Tracked {
			continue
		}
		if l := d.Leaves(); l >= 5 && float64(l) >= 4*mean+3 && l*1000 >= 15*(d.Members+l) {
			add(-20, "health.leave_burst", dayLabel(d.Day), itoa(l), itoa(d.Posts))
			return 20
		}
	}
	return 0
}
