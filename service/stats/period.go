package stats

import (
	"fmt"
	"strings"
	"time"

	"github.com/gdyouth/youthvoice/service"
	"github.com/gdyouth/youthvoice/service/clock"
)

// DateLayout is how dates are written in queries, pages and the CSV.
const DateLayout = "2006-01-02"

// Period limits.
const (
	DefaultDays = 30  // the last 30 days including today
	MaxDays     = 366 // a (leap) year
)

// Period is a range of whole Beijing days, From and To included.
type Period struct {
	From  string    `json:"from"` // YYYY-MM-DD
	To    string    `json:"to"`
	Days  int       `json:"days"`
	Start time.Time `json:"start"` // From at 00:00 Beijing time
	End   time.Time `json:"end"`   // the day after To at 00:00 Beijing time (excluded)
}

// QuickRange is a ready-made period the page offers.
type QuickRange struct {
	Label string `json:"label"`
	From  string `json:"from"`
	To    string `json:"to"`
}

// day is midnight Beijing time of t's Beijing date.
func day(t time.Time) time.Time {
	b := t.In(clock.Beijing)
	return time.Date(b.Year(), b.Month(), b.Day(), 0, 0, 0, 0, clock.Beijing)
}

func newPeriod(from, to time.Time) Period {
	end := to.AddDate(0, 0, 1)
	return Period{
		From: from.Format(DateLayout), To: to.Format(DateLayout),
		Days:  int(end.Sub(from).Hours()/24 + 0.5),
		Start: from.UTC(), End: end.UTC(),
	}
}

func parseDay(field, v string) (time.Time, error) {
	t, err := time.ParseInLocation(DateLayout, strings.TrimSpace(v), clock.Beijing)
	if err != nil {
		msg := "日期格式应为 YYYY-MM-DD，如 2026-03-01"
		return t, service.Invalid("bad_date", msg, map[string]string{field: msg})
	}
	if t.Year() < minYear || t.Year() > maxYear {
		// Year 1 would become year 0 in UTC, which MySQL cannot take.
		msg := fmt.Sprintf("日期应在 %d 年到 %d 年之间", minYear, maxYear)
		return t, service.Invalid("bad_date", msg, map[string]string{field: msg})
	}
	return t, nil
}

// The years a period may name: the service's records start in the 2020s.
const (
	minYear = 2000
	maxYear = 2100
)

// ParsePeriod reads a period from YYYY-MM-DD dates; an empty from or to
// takes the default: the last DefaultDays days including today.
func ParsePeriod(from, to string, now time.Time) (Period, error) {
	today := day(now)
	end := today
	if strings.TrimSpace(to) != "" {
		var err error
		if end, err = parseDay("to", to); err != nil {
			return Period{}, err
		}
	}
	start := end.AddDate(0, 0, -(DefaultDays - 1))
	if strings.TrimSpace(from) != "" {
		var err error
		if start, err = parseDay("from", from); err != nil {
			return Period{}, err
		}
	}
	if start.After(end) {
		msg := "开始日期不能晚于结束日期"
		return Period{}, service.Invalid("bad_period", msg, map[string]string{"from": msg})
	}
	p := newPeriod(start, end)
	if p.Days > MaxDays {
		msg := fmt.Sprintf("统计区间最长 %d 天（当前 %d 天），请缩短区间", MaxDays, p.Days)
		return Period{}, service.Invalid("period_too_long", msg, map[string]string{"from": msg})
	}
	return p, nil
}

// QuickRanges are the periods the page offers as one-tap choices: the
// last 7 and 30 days, this month, this semester (spring from 1 February,
// autumn from 1 August), this year and the last 366 days (近一年).
func QuickRanges(now time.Time) []QuickRange {
	today := day(now)
	semester := time.Date(today.Year(), time.August, 1, 0, 0, 0, 0, clock.Beijing)
	switch {
	case today.Month() == time.January:
		semester = semester.AddDate(-1, 0, 0)
	case today.Month() < time.August:
		semester = time.Date(today.Year(), time.February, 1, 0, 0, 0, 0, clock.Beijing)
	}
	r := func(label string, from time.Time) QuickRange {
		return QuickRange{Label: label, From: from.Format(DateLayout), To: today.Format(DateLayout)}
	}
	return []QuickRange{
		r("近7天", today.AddDate(0, 0, -6)),
		r("近30天", today.AddDate(0, 0, -(DefaultDays-1))),
		r("本月", time.Date(today.Year(), today.Month(), 1, 0, 0, 0, 0, clock.Beijing)),
		r("本学期", semester),
		r("今年", time.Date(today.Year(), time.January, 1, 0, 0, 0, 0, clock.Beijing)),
		r("近一年", today.AddDate(0, 0, -(MaxDays-1))),
	}
}
