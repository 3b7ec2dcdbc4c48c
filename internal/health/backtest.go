package health

import (
	"slices"
	"time"
)

// dayLabel formats a Shanghai day number as 2006-01-02.
func dayLabel(day int64) string { return time.Unix(day*86400, 0).UTC().Format("2006-01-02") }

// DayTime is the Asia/Shanghai midnight of day number day.
func DayTime(day int64, loc *time.Location) time.Time {
	y, m, d := time.Unix(day*86400, 0).UTC().Date()
	return time.Date(y, m, d, 0, 0, 0, 0, loc)
}

// Replay judges every day of series from the days up to it (as the job
// would have on that day): the verdicts, one per day.
func (r Rules) Replay(series []Day) []Verdict {
	out := make([]Verdict, len(series))
	var past Past
	// The trends look back Recent+Baseline days and the quiet rule
	// QuietDays: a bounded tail keeps the replay linear in the days.
	tail := r.tail()
	for i := range series {
		past.Peak = max(past.Peak, series[i].Members)
		start := max(0, i+1-tail)
		if start > 0 {
			past.Lively = past.Lively || series[start-1].lively()
		}
		if i > 0 {
			past.Prev = out[i-1].State
		}
		out[i] = r.Judge(series[start:i+1], past)
	}
	return out
}

// Horizon is how many days after a warning a death must come for the
// warning to count as right.
const Horizon = 30

// LeadTarget is the lead the warning aims at: warned this many days or
// more before death.
const LeadTarget = 7

// GroupResult is one group's backtest.
type GroupResult struct {
	GroupID  int64  `json:"group_id"`
	Name     string `json:"name"`
	Days     int    `json:"days"`
	DeathDay int64  `json:"death_day,omitempty"` // first dead day; 0: alive at the end
	// WarnDay is the first warning in the Horizon days before death (dying
	// groups), else the first warning at all; 0: never warned.
	WarnDay int64 `json:"warn_day,omitempty"`
	Lead    int   `json:"lead_days"` // DeathDay - WarnDay, dying groups warned
	// Warnings counts the runs of warning days; FalseAlarms those after
	// which the group did not die within Horizon days (nor during them);
	// Open those too recent to tell.
	Warnings    int `json:"warnings"`
	FalseAlarms int `json:"false_alarms"`
	Open        int `json:"open"`
}

// BacktestResult sums the groups up.
type BacktestResult struct {
	Groups        []GroupResult `json:"groups"`
	Dying         int           `json:"dying"`           // groups that died in the data
	WarnedAhead   int           `json:"warned_ahead"`    // of them, warned >= LeadTarget days before
	WarnedAheadBP int64         `json:"warned_ahead_bp"` // WarnedAhead / Dying
	MedianLead    int           `json:"median_lead_days"`
	Warnings      int           `json:"warnings"`     // judged warnings (not Open)
	FalseAlarms   int           `json:"false_alarms"` // of them, not followed by death within Horizon
	FalseAlarmBP  int64         `json:"false_alarm_bp"`
	Open          int           `json:"open"` // warnings too recent to tell, left out of the shares
}

// Series is one group's days for the backtest.
type Series struct {
	GroupID int64
	Name    string
	Days    []Day
}

// firstDeath is the index of the first dead day that follows at least
// alive days judged not dead (a group dead before it could be judged alive,
// as a group with members but no orders yet, has not died), -1 if none.
func firstDeath(vs []Verdict, alive int) int {
	streak := 0
	for i, v := range vs {
		if v.State != Dead {
			streak++
			continue
		}
		if streak >= alive {
			return i
		}
		streak = 0
	}
	return -1
}

// Backtest replays each group's days and measures the warning against the
// deaths found by the dead rule (docs/health.md). A group that starts dead
// dead before the trends could be judged (minHistory days) counts as no
// death: nothing could warn of it.
func (r Rules) Backtest(groups []Series) BacktestResult {
	var res BacktestResult
	var leads []int
	for _, g := range groups {
		vs := r.Replay(g.Days)
		gr := GroupResult{GroupID: g.GroupID, Name: g.Name, Days: len(vs)}
		death := firstDeath(vs, r.minHistory())
		if death >= 0 {
			gr.DeathDay = vs[death].Day
		}
		end := len(vs)
		if death >= 0 {
			end = death
		}
		// A warning is one run of warning days; it is right when the group
		// dies during it or within Horizon days after it ends.
		for i := 0; i < end; i++ {
			if vs[i].State != Warning || i > 0 && vs[i-1].State == Warning {
				continue
			}
			last := i
			for last+1 < end && vs[last+1].State == Warning {
				last++
			}
			switch {
			case death >= 0 && death-last <= Horizon:
				gr.Warnings++
			case death < 0 && last+Horizon >= len(vs):
				gr.Open++
			default:
				gr.Warnings++
				gr.FalseAlarms++
			}
			if gr.WarnDay == 0 {
				gr.WarnDay = vs[i].Day
			}
		}
		if death >= 0 {
			res.Dying++
			// The first warning within the horizon before death: a
			// warning already standing when the horizon opens counts from
			// the horizon's first day.
			first := -1
			for i := max(0, death-Horizon); i < death; i++ {
				if vs[i].State == Warning {
					first = i
					break
				}
			}
			if first >= 0 {
				gr.WarnDay = vs[first].Day
				gr.Lead = death - first
				leads = append(leads, gr.Lead)
				if gr.Lead >= LeadTarget {
					res.WarnedAhead++
				}
			} else {
				gr.WarnDay = 0
			}
		}
		res.Warnings += gr.Warnings
		res.FalseAlarms += gr.FalseAlarms
		res.Open += gr.Open
		res.Groups = append(res.Groups, gr)
	}
	res.finish(leads)
	return res
}

// finish computes the shares and the median lead.
func (res *BacktestResult) finish(leads []int) {
	if res.Dying > 0 {
		res.WarnedAheadBP = int64(res.WarnedAhead) * 10000 / int64(res.Dying)
	}
	if res.Warnings > 0 {
		res.FalseAlarmBP = int64(res.FalseAlarms) * 10000 / int64(res.Warnings)
	}
	if len(leads) > 0 {
		slices.Sort(leads)
		res.MedianLead = leads[len(leads)/2]
	}
}

// tail is how many days a verdict looks at.
func (r Rules) tail() int { return max(r.Recent+r.Baseline, r.QuietDays, 2*r.Recent+1) }

// minHistory is how many days the trends need before they judge.
func (r Rules) minHistory() int { return r.Recent + r.Baseline/3 }
