package station_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gdyouth/youthvoice/model"
	"github.com/gdyouth/youthvoice/model/dbtest"
	"github.com/gdyouth/youthvoice/service/clock"
	"github.com/gdyouth/youthvoice/service/station"
)

func bjDate(y int, m time.Month, d, hour int) time.Time {
	return time.Date(y, m, d, hour, 0, 0, 0, clock.Beijing)
}

// A special date opens the station for its own periods (a make-up workday
// on a Saturday), a holiday closes a weekday; bookings, slots and the
// 1-hour promise follow.
func TestSpecialDates(t *testing.T) {
	cal := mustCalendar(t, officeHours,
		station.Closure{Date: "2026-10-08", Reason: "国庆节"},
		station.Closure{Date: "2026-10-10", Reason: "国庆节调休上班", Open: []station.Range{rng("09:00", "12:00")}})
	for _, tc := range []struct {
		at   time.Time
		open bool
		why  string
	}{
		{bjDate(2026, 10, 8, 10), false, "Thursday closed for the holiday"},
		{bjDate(2026, 10, 9, 10), true, "Friday, ordinary hours"},
		{bjDate(2026, 10, 10, 10), true, "Saturday opened as a make-up workday"},
		{bjDate(2026, 10, 10, 13), false, "after the make-up day's only period"},
		{bjDate(2026, 10, 11, 10), false, "ordinary Sunday"},
	} {
		if got := cal.OpenAt(tc.at); got != tc.open {
			t.Errorf("%s (%s): open %v, want %v", tc.at, tc.why, got, tc.open)
		}
	}
	slots := cal.Slots(bjDate(2026, 10, 9, 18), 2, 60)
	if len(slots) != 3 || !slots[0].Start.Equal(bjDate(2026, 10, 10, 9)) || !cal.IsSlot(bjDate(2026, 10, 10, 11), 60) {
		t.Fatalf("slots from Friday evening over two days = %v; want the make-up Saturday's 9, 10 and 11 o'clock", slots)
	}
	// On the make-up Saturday a booking is in working hours: one hour.
	due, inHours := cal.Deadline(bjDate(2026, 10, 10, 10))
	if !inHours || !due.Equal(bjDate(2026, 10, 10, 11)) {
		t.Fatalf("deadline of a make-up Saturday 10:00 booking = %s (in hours %v), want 11:00", due, inHours)
	}
	// On the holiday Thursday it is off hours: twelve.
	if due, inHours := cal.Deadline(bjDate(2026, 10, 8, 10)); inHours || !due.Equal(bjDate(2026, 10, 8, 22)) {
		t.Fatalf("deadline of a holiday 10:00 booking = %s (in hours %v), want 22:00", due, inHours)
	}
	_, err := station.NewCalendar(officeHours, []station.Closure{{Date: "2026-10-10"}, {Date: "2026-10-10", Open: []station.Range{rng("09:00", "12:00")}}})
	if err == nil {
		t.Fatal("a date both closed and open was accepted")
	}
	_, err = station.NewCalendar(officeHours, []station.Closure{{Date: "2026-10-10", Open: []station.Range{rng("12:00", "09:00")}}})
	if err == nil {
		t.Fatal("a make-up day's backwards period was accepted")
	}
}

// The plan offered to a station: the next twelve months' statutory
// holidays closed and make-up workdays open for Monday's hours; merged
// into a station's own dates without overriding them.
func TestHolidayPlan(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *model.DB) { testHolidayPlan(t, bare(t, db)) })
}

func testHolidayPlan(t *testing.T, f *fixture) {
	f.clk.Set(bjDate(2026, 9, 1, 10))
	plan := f.svc.HolidayPlan(lunchBreak)
	find := func(cs []station.Closure, date string) *station.Closure {
		i := slices.IndexFunc(cs, func(c station.Closure) bool { return c.Date == date })
		if i < 0 {
			return nil
		}
		return &cs[i]
	}
	if c := find(plan, "2026-10-01"); c == nil || len(c.Open) != 0 || c.Reason != "国庆节" {
		t.Fatalf("2026-10-01 in the plan = %+v; want closed for 国庆节", c)
	}
	if c := find(plan, "2026-10-10"); c == nil || !slices.Equal(c.Open, lunchBreak[time.Monday]) {
		t.Fatalf("2026-10-10 in the plan = %+v; want open for Monday's hours", c)
	}
	if c := find(plan, "2027-02-08"); c == nil {
		t.Fatal("the 2027 Spring Festival (within twelve months) is missing")
	}
	if find(plan, "2026-06-19") != nil || find(plan, "2027-10-01") != nil {
		t.Fatal("the plan reaches outside the next twelve months")
	}
	if noHours := f.svc.HolidayPlan([7][]station.Range{}); find(noHours, "2026-10-10") != nil || find(noHours, "2026-10-01") == nil {
		t.Fatal("without weekday hours: want holidays but no make-up openings")
	}
	mine := []station.Closure{{Date: "2026-09-15", Reason: "考试周"}, {Date: "2026-10-10", Open: []station.Range{rng("14:00", "16:00")}}}
	merged := f.svc.WithHolidays(mine, lunchBreak)
	if c := find(merged, "2026-10-10"); c == nil || !slices.Equal(c.Open, []station.Range{rng("14:00", "16:00")}) {
		t.Fatalf("the station's own make-up hours were replaced: %+v", c)
	}
	if find(merged, "2026-09-15") == nil || find(merged, "2026-10-01") == nil ||
		!slices.IsSortedFunc(merged, func(a, b station.Closure) int { return strings.Compare(a.Date, b.Date) }) {
		t.Fatalf("merged plan = %+v", merged)
	}
	if _, err := station.NewCalendar(lunchBreak, merged); err != nil {
		t.Fatalf("the merged plan is not a valid calendar: %v", err)
	}
}
