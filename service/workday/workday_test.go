package workday_test

import (
	"strings"
	"testing"
	"time"

	"github.com/gdyouth/youthvoice/service/clock"
	"github.com/gdyouth/youthvoice/service/workday"
)

func day(s string) time.Time {
	t, err := time.ParseInLocation(time.DateOnly, s, clock.Beijing)
	if err != nil {
		panic(err)
	}
	return t
}

// Across the Spring Festival and National Day of 2025 and 2026 (the State
// Council's schedules): holidays off even on weekdays, make-up workdays
// on even at weekends, other weekends off.
func TestIsWorkday(t *testing.T) {
	c, err := workday.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		date string
		work bool
		why  string
	}{
		{"2025-01-24", true, "Friday before the 2025 Spring Festival"},
		{"2025-01-26", true, "Sunday, 2025 Spring Festival make-up workday"},
		{"2025-01-28", false, "Tuesday, 除夕 2025"},
		{"2025-02-04", false, "Tuesday, last day of the 2025 Spring Festival"},
		{"2025-02-05", true, "Wednesday after it"},
		{"2025-02-08", true, "Saturday, make-up workday"},
		{"2025-02-09", false, "an ordinary Sunday"},
		{"2025-09-28", true, "Sunday, 2025 National Day make-up workday"},
		{"2025-10-08", false, "Wednesday, last day of 国庆中秋 2025"},
		{"2025-10-09", true, "Thursday after it"},
		{"2025-10-11", true, "Saturday, make-up workday"},
		{"2026-02-14", true, "Saturday, 2026 Spring Festival make-up workday"},
		{"2026-02-16", false, "Monday, 除夕 2026"},
		{"2026-02-23", false, "Monday, last day of the 2026 Spring Festival"},
		{"2026-02-24", true, "Tuesday after it"},
		{"2026-02-28", true, "Saturday, make-up workday"},
		{"2026-09-20", true, "Sunday, 2026 National Day make-up workday"},
		{"2026-10-01", false, "Thursday, National Day 2026"},
		{"2026-10-07", false, "Wednesday, last day off"},
		{"2026-10-08", true, "Thursday after it"},
		{"2026-10-10", true, "Saturday, make-up workday"},
		{"2026-12-07", true, "an ordinary Monday"},
		{"2026-12-12", false, "an ordinary Saturday"},
	} {
		t.Run(tc.date, func(t *testing.T) {
			if got := c.IsWorkday(day(tc.date)); got != tc.work {
				t.Fatalf("%s (%s): working day %v, want %v", tc.date, tc.why, got, tc.work)
			}
		})
	}
	// The Beijing date counts, not UTC's: 2026-10-07 17:00 UTC is the 8th.
	if !c.IsWorkday(time.Date(2026, 10, 7, 17, 0, 0, 0, time.UTC)) {
		t.Fatal("2026-10-08 01:00 Beijing is a working day")
	}
}

// The 5th working day after a launch (the notice's 5 working days).
func TestAddWorkdaysAndBetween(t *testing.T) {
	c, err := workday.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ from, want, why string }{
		{"2026-12-07", "2026-12-14", "Monday: the next Monday"},
		{"2026-12-11", "2026-12-18", "Friday: the next Friday"},
		{"2026-09-29", "2026-10-12", "Tuesday before National Day 2026: 30th, then the 8th, 9th, the make-up Saturday 10th and Monday 12th"},
		{"2026-02-12", "2026-02-26", "Thursday before the 2026 Spring Festival: 13th, make-up 14th, then 24th–26th after"},
		{"2025-01-24", "2025-02-07", "Friday before the 2025 Spring Festival: make-up 26th, 27th, then 5th–7th"},
		{"2025-09-26", "2025-10-10", "Friday before National Day 2025: make-up 28th, 29th, 30th, then 9th and 10th"},
	} {
		t.Run(tc.from, func(t *testing.T) {
			got := c.AddWorkdays(day(tc.from), 5)
			if got.Format(time.DateOnly) != tc.want {
				t.Fatalf("5th working day after %s = %s, want %s (%s)", tc.from, got.Format(time.DateOnly), tc.want, tc.why)
			}
			if n := c.Between(day(tc.from), got); n != 5 {
				t.Fatalf("working days from %s to %s = %d, want 5", tc.from, tc.want, n)
			}
		})
	}
	if n := c.Between(day("2026-10-08"), day("2026-10-01")); n != 0 {
		t.Fatalf("Between backwards = %d", n)
	}
}

// The operator's file adds a year the library does not know and wins on
// the same date; bad lines are refused with their line number.
func TestOperatorFile(t *testing.T) {
	es, err := workday.Parse(strings.NewReader("# 2099 年安排\n2099-01-01 元旦 休\n\n2099-01-03 元旦 班 # 周六上班\n"))
	if err != nil {
		t.Fatal(err)
	}
	c, err := workday.New(es)
	if err != nil {
		t.Fatal(err)
	}
	if !c.Known(2099) || c.IsWorkday(day("2099-01-01")) || !c.IsWorkday(day("2099-01-03")) {
		t.Fatalf("2099 from the file: known %v, 1 Jan working %v, 3 Jan (Saturday) working %v",
			c.Known(2099), c.IsWorkday(day("2099-01-01")), c.IsWorkday(day("2099-01-03")))
	}
	if c.Known(2098) {
		t.Fatal("2098 is known without a schedule")
	}
	if got := c.Year(2099); len(got) != 2 || got[0].Name != "元旦" {
		t.Fatalf("Year(2099) = %+v", got)
	}
	for _, bad := range []struct{ text, want string }{
		{"2099-01-01 元旦\n", "第 1 行"},
		{"\n2099-13-01 元旦 休\n", "第 2 行"},
		{"2099-01-01 元旦 放假\n", "休"},
	} {
		if _, err := workday.Parse(strings.NewReader(bad.text)); err == nil || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("Parse(%q) = %v, want an error naming %q", bad.text, err, bad.want)
		}
	}
}
