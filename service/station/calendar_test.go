package station_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"
	_ "time/tzdata" // the zones below exist whatever the machine has

	"github.com/gdyouth/youthvoice/service"
	"github.com/gdyouth/youthvoice/service/clock"
	"github.com/gdyouth/youthvoice/service/station"
)

func mustCalendar(t testing.TB, weekly [7][]station.Range, closed ...station.Closure) station.Calendar {
	t.Helper()
	c, err := station.NewCalendar(weekly, closed)
	if err != nil {
		t.Fatalf("NewCalendar: %v", err)
	}
	return c
}

// zones are server and client zones the results must not depend on.
func zones(t *testing.T) []*time.Location {
	t.Helper()
	out := []*time.Location{time.UTC, clock.Beijing}
	for _, name := range []string{"America/New_York", "Asia/Shanghai", "Europe/London", "Pacific/Kiritimati", "Pacific/Pago_Pago"} {
		loc, err := time.LoadLocation(name)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, loc)
	}
	return out
}

var (
	officeHours = weekdays(rng("09:00", "17:30"))
	lunchBreak  = weekdays(rng("09:00", "12:00"), rng("14:00", "17:30"))
	evening     = weekdays(rng("09:00", "17:30"), rng("19:00", "21:00"))
	// nightShift crosses midnight as two ranges: 20:00–24:00 and 00:00–08:00.
	nightShift = everyDay(rng("00:00", "08:00"), rng("20:00", "24:00"))
)

func TestDeadline(t *testing.T) {
	holiday := []station.Closure{{Date: "2026-03-04", Reason: "校运会"}} // a Wednesday
	cases := []struct {
		name    string
		weekly  [7][]station.Range
		closed  []station.Closure
		at      time.Time
		due     time.Time
		inHours bool
		remind  time.Time
	}{
		{"mid-morning: one hour later", officeHours, nil, bj(2, 10, 15), bj(2, 11, 15), true, bj(2, 11, 0)},
		{"at opening", officeHours, nil, bj(2, 9, 0), bj(2, 10, 0), true, bj(2, 9, 45)},
		{"an hour before closing: due at closing", officeHours, nil, bj(2, 16, 30), bj(2, 17, 30), true, bj(2, 17, 15)},
		// 10 minutes today, 50 carried to Tuesday 09:50 — but that is more
		// than 12 hours away, so the 12-hour cap applies (05:20): a booking
		// just before closing is not answered later than one just after.
		{"17:20, closing 17:30: carried past 12 h, capped", officeHours, nil, bj(2, 17, 20), bj(3, 5, 20), true, bj(3, 3, 20)},
		{"Friday 17:20: capped, not Monday", officeHours, nil, bj(6, 17, 20), bj(7, 5, 20), true, bj(7, 3, 20)},
		{"17:20 with evening hours: 50 minutes carried to 19:50", evening, nil, bj(2, 17, 20), bj(2, 19, 50), true, bj(2, 19, 25)},
		{"20:30 with evening hours: carried overnight, capped", evening, nil, bj(2, 20, 30), bj(3, 8, 30), true, bj(3, 6, 30)},
		{"lunch break: 11:40 carries 40 minutes to 14:40", lunchBreak, nil, bj(2, 11, 40), bj(2, 14, 40), true, bj(2, 14, 10)},
		{"during the lunch break: off hours", lunchBreak, nil, bj(2, 12, 30), bj(3, 0, 30), false, bj(2, 22, 30)},
		{"at closing time: off hours", officeHours, nil, bj(2, 17, 30), bj(3, 5, 30), false, bj(3, 3, 30)},
		{"17:31, after closing: 12 hours", officeHours, nil, bj(2, 17, 31), bj(3, 5, 31), false, bj(3, 3, 31)},
		{"before opening", officeHours, nil, bj(2, 8, 59), bj(2, 20, 59), false, bj(2, 18, 59)},
		{"Saturday: 12 hours", officeHours, nil, bj(7, 10, 0), bj(7, 22, 0), false, bj(7, 20, 0)},
		{"Sunday night: 12 hours into Monday", officeHours, nil, bj(8, 23, 0), bj(9, 11, 0), false, bj(9, 9, 0)},
		{"closed date during weekday hours: 12 hours", officeHours, holiday, bj(4, 10, 0), bj(4, 22, 0), false, bj(4, 20, 0)},
		{"20:50 the day before a closed date: capped", evening, holiday, bj(3, 20, 50), bj(4, 8, 50), true, bj(4, 6, 50)},
		{"night shift 23:30: 30 minutes carried across midnight", nightShift, nil, bj(2, 23, 30), bj(3, 0, 30), true, bj(3, 0, 15)},
		{"night shift Saturday 23:45 into Sunday", nightShift, nil, bj(7, 23, 45), bj(8, 0, 45), true, bj(8, 0, 30)},
		{"night shift 07:30: carried to 20:00, capped at 19:30", nightShift, nil, bj(2, 7, 30), bj(2, 19, 30), true, bj(2, 17, 30)},
		{"night shift 12:00: off hours", nightShift, nil, bj(2, 12, 0), bj(3, 0, 0), false, bj(2, 22, 0)},
		{"no hours at all: always 12 hours", [7][]station.Range{}, nil, bj(2, 10, 0), bj(2, 22, 0), false, bj(2, 20, 0)},
		{"seconds count: 11:59:30 carries 59m30s", lunchBreak, nil, bj(2, 11, 59).Add(30 * time.Second), bj(2, 14, 59).Add(30 * time.Second), true, bj(2, 14, 29).Add(30 * time.Second)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := mustCalendar(t, tc.weekly, tc.closed...)
			if got := c.OpenAt(tc.at); got != tc.inHours {
				t.Fatalf("OpenAt(%v) = %v, want %v", tc.at, got, tc.inHours)
			}
			due, in := c.Deadline(tc.at)
			if !due.Equal(tc.due) || in != tc.inHours {
				t.Fatalf("Deadline(%v) = %v, %v; want %v, %v", tc.at, due.In(clock.Beijing), in, tc.due, tc.inHours)
			}
			if r := station.RemindAt(tc.at, due); !r.Equal(tc.remind) {
				t.Fatalf("RemindAt = %v, want %v", r.In(clock.Beijing), tc.remind)
			}
			if due.Sub(tc.at) > station.OffHoursWindow {
				t.Fatalf("due %v is more than 12 hours after %v", due, tc.at)
			}
			// The same instant seen from any zone gives the same answer:
			// the calendar is Beijing time (TestServerZone varies the
			// server's own zone).
			for _, loc := range zones(t) {
				d2, in2 := c.Deadline(tc.at.In(loc))
				if !d2.Equal(due) || in2 != in || c.OpenAt(tc.at.In(loc)) != tc.inHours {
					t.Fatalf("in %s: Deadline = %v, %v; want %v, %v", loc, d2, in2, due, in)
				}
			}
		})
	}
}

func TestRemindAt(t *testing.T) {
	c := mustCalendar(t, officeHours)
	at := bj(2, 10, 0)
	due, _ := c.Deadline(at)
	if got := station.RemindAt(at, due).Sub(at); got != 45*time.Minute {
		t.Fatalf("in-hours reminder %v after submission, want 45m", got)
	}
	at = bj(2, 18, 0)
	due, _ = c.Deadline(at)
	if got := station.RemindAt(at, due).Sub(at); got != 10*time.Hour {
		t.Fatalf("off-hours reminder %v after submission, want 10h", got)
	}
}

const childZoneEnv = "YV_STATION_TZ_CHILD"

// TestServerZone reruns serverZoneChecks in child processes whose local
// zone (TZ) is New York, UTC, Shanghai and Kiritimati (UTC+14): a server
// anywhere computes Beijing working hours the same way.
func TestServerZone(t *testing.T) {
	if os.Getenv(childZoneEnv) != "" {
		serverZoneChecks(t)
		return
	}
	for _, tz := range []string{"America/New_York", "UTC", "Asia/Shanghai", "Pacific/Kiritimati"} {
		t.Run(tz, func(t *testing.T) {
			cmd := exec.Command(os.Args[0], "-test.run=^TestServerZone$", "-test.count=1", "-test.v")
			cmd.Env = append(os.Environ(), "TZ="+tz, childZoneEnv+"="+tz)
			out, err := cmd.CombinedOutput()
			if err != nil || !strings.Contains(string(out), "--- PASS: TestServerZone") {
				t.Fatalf("TZ=%s: %v\n%s", tz, err, out)
			}
		})
	}
}

func serverZoneChecks(t *testing.T) {
	want, err := time.LoadLocation(os.Getenv(childZoneEnv))
	if err != nil {
		t.Fatal(err)
	}
	_, localOff := t0.Local().Zone()
	if _, off := t0.In(want).Zone(); off != localOff {
		t.Fatalf("time.Local is not %s", want)
	}
	c := mustCalendar(t, officeHours)
	// 10:00 Monday in Beijing is 21:00 on Sunday in New York.
	local := t0.Local()
	if !c.OpenAt(local) {
		t.Fatalf("closed at Monday 10:00 Beijing (local %v)", local)
	}
	due, in := c.Deadline(local)
	if !in || !due.Equal(bj(2, 11, 0)) {
		t.Fatalf("Deadline = %v, %v; want Monday 11:00 Beijing", due, in)
	}
	if due, in := c.Deadline(bj(2, 17, 31).Local()); in || !due.Equal(bj(3, 5, 31)) {
		t.Fatalf("after closing: %v, %v", due, in)
	}
	if due, in := c.Deadline(bj(6, 17, 20).Local()); !in || !due.Equal(bj(7, 5, 20)) {
		t.Fatalf("Friday 17:20: %v, %v", due, in)
	}
	next, ok := c.NextOpen(bj(7, 1, 0).Local()) // Saturday 01:00 Beijing, Friday in New York
	if !ok || !next.Equal(bj(9, 9, 0)) {
		t.Fatalf("NextOpen = %v, %v; want Monday 09:00 Beijing", next, ok)
	}
	slots := c.Slots(local, 1, 60)
	if len(slots) != 6 || !slots[0].Start.Equal(bj(2, 11, 0)) || !slots[5].Start.Equal(bj(2, 16, 0)) {
		t.Fatalf("slots from Monday 10:00: %v", slots)
	}
	if !c.IsSlot(bj(2, 9, 0).Local(), 60) || c.IsSlot(bj(7, 9, 0).Local(), 60) {
		t.Fatal("IsSlot depends on the server zone")
	}
	cl := mustCalendar(t, officeHours, station.Closure{Date: "2026-03-02"})
	if cl.OpenAt(local) {
		t.Fatal("open on a closed Beijing date")
	}
}

func TestNewCalendarValidation(t *testing.T) {
	five := []station.Range{rng("08:00", "09:00"), rng("09:00", "10:00"), rng("10:00", "11:00"), rng("11:00", "12:00"), rng("13:00", "14:00")}
	manyClosed := make([]station.Closure, 367)
	for i := range manyClosed {
		manyClosed[i] = station.Closure{Date: time.Date(2026, 1, 1, 0, 0, 0, 0, clock.Beijing).AddDate(0, 0, i).Format("2006-01-02")}
	}
	bad := []struct {
		name   string
		weekly [7][]station.Range
		closed []station.Closure
	}{
		{"single-digit hour", weekdays(rng("9:00", "17:30")), nil},
		{"space-padded hour", weekdays(rng(" 9:00", "17:30")), nil},
		{"signed hour", weekdays(rng("+9:00", "17:30")), nil},
		{"trailing space in minutes", weekdays(rng("09:00", "17:3 ")), nil},
		{"dot separator", weekdays(rng("09.00", "17:30")), nil},
		{"letters", weekdays(rng("ab:cd", "17:30")), nil},
		{"hour 25", weekdays(rng("09:00", "25:00")), nil},
		{"minute 60", weekdays(rng("09:60", "17:30")), nil},
		{"24:30", weekdays(rng("09:00", "24:30")), nil},
		{"empty", weekdays(rng("", "")), nil},
		{"close equals open", weekdays(rng("09:00", "09:00")), nil},
		{"close before open (crossing midnight)", weekdays(rng("22:00", "02:00")), nil},
		{"overlap", weekdays(rng("09:00", "12:00"), rng("11:30", "13:00")), nil},
		{"overlap given out of order", weekdays(rng("11:30", "13:00"), rng("09:00", "12:00")), nil},
		{"five ranges a day", weekdays(five...), nil},
		{"closed date without zero padding", officeHours, []station.Closure{{Date: "2026-3-4"}}},
		{"closed date 30 February", officeHours, []station.Closure{{Date: "2026-02-30"}}},
		{"closed date with time", officeHours, []station.Closure{{Date: "2026-03-04T00:00"}}},
		{"empty closed date", officeHours, []station.Closure{{Date: ""}}},
		{"367 closed dates", officeHours, manyClosed},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			_, err := station.NewCalendar(tc.weekly, tc.closed)
			var se *service.Error
			if !errors.Is(err, service.ErrInvalid) || !errors.As(err, &se) || se.Message == "" {
				t.Fatalf("err = %v, want ErrInvalid with a message", err)
			}
		})
	}
	good := []struct {
		name   string
		weekly [7][]station.Range
		closed []station.Closure
	}{
		{"nothing", [7][]station.Range{}, nil},
		{"adjacent ranges", weekdays(rng("09:00", "12:00"), rng("12:00", "13:00")), nil},
		{"four ranges", weekdays(five[:4]...), nil},
		{"whole day", everyDay(rng("00:00", "24:00")), nil},
		{"366 closed dates", officeHours, manyClosed[:366]},
	}
	for _, tc := range good {
		t.Run(tc.name, func(t *testing.T) {
			c, err := station.NewCalendar(tc.weekly, tc.closed)
			if err != nil {
				t.Fatal(err)
			}
			// What is stored reads back the same.
			h, cl := c.JSON()
			c2, err := station.ParseCalendar(h, cl)
			if err != nil {
				t.Fatal(err)
			}
			if h2, cl2 := c2.JSON(); h2 != h || cl2 != cl {
				t.Fatalf("round trip: %s %s, want %s %s", h2, cl2, h, cl)
			}
		})
	}
}

func TestParseCalendar(t *testing.T) {
	c, err := station.ParseCalendar("", "")
	if err != nil || c.HasHours() {
		t.Fatalf("empty: %v, HasHours %v", err, c.HasHours())
	}
	if _, cl := c.JSON(); cl != "[]" {
		t.Fatalf("closed dates stored as %s, want []", cl)
	}
	if _, err := station.ParseCalendar("{", ""); err == nil {
		t.Fatal("corrupt hours accepted")
	}
	if _, err := station.ParseCalendar("", "not json"); err == nil {
		t.Fatal("corrupt closed dates accepted")
	}
	if _, err := station.ParseCalendar(`[[],[{"open":"17:00","close":"09:00"}],[],[],[],[],[]]`, ""); !errors.Is(err, service.ErrInvalid) {
		t.Fatalf("stored bad hours: %v", err)
	}
	c, err = station.ParseCalendar(`[[],[{"open":"09:00","close":"17:30"}],[],[],[],[],[]]`, `[{"date":"2026-03-09","reason":"校庆"}]`)
	if err != nil || !c.HasHours() || !c.OpenAt(bj(2, 9, 0)) || c.OpenAt(bj(9, 9, 0)) || c.OpenAt(bj(3, 9, 0)) {
		t.Fatalf("parsed calendar: %v", err)
	}
}

func TestOpenAtAndNextOpen(t *testing.T) {
	c := mustCalendar(t, lunchBreak, station.Closure{Date: "2026-03-09", Reason: "校庆"}) // the second Monday
	open := []struct {
		at   time.Time
		want bool
	}{
		{bj(2, 8, 59), false}, {bj(2, 9, 0), true}, {bj(2, 11, 59), true}, {bj(2, 12, 0), false},
		{bj(2, 13, 59), false}, {bj(2, 14, 0), true}, {bj(2, 17, 29), true}, {bj(2, 17, 30), false},
		{bj(7, 10, 0), false}, {bj(8, 10, 0), false}, {bj(9, 10, 0), false}, {bj(10, 10, 0), true},
	}
	for _, tc := range open {
		if got := c.OpenAt(tc.at); got != tc.want {
			t.Errorf("OpenAt(%s) = %v, want %v", tc.at.Format("Mon 01-02 15:04"), got, tc.want)
		}
	}
	next := []struct {
		name     string
		from, to time.Time
	}{
		{"open now: now", bj(2, 10, 30), bj(2, 10, 30)},
		{"before opening", bj(2, 7, 0), bj(2, 9, 0)},
		{"lunch break", bj(2, 12, 30), bj(2, 14, 0)},
		{"after closing", bj(2, 18, 0), bj(3, 9, 0)},
		{"Friday evening: Monday, skipping the closed Monday", bj(6, 18, 0), bj(10, 9, 0)},
		{"Saturday", bj(7, 10, 0), bj(10, 9, 0)},
	}
	for _, tc := range next {
		got, ok := c.NextOpen(tc.from)
		if !ok || !got.Equal(tc.to) {
			t.Errorf("%s: NextOpen(%s) = %v, %v; want %v", tc.name, tc.from.Format("Mon 01-02 15:04"), got, ok, tc.to)
		}
	}
	if _, ok := mustCalendar(t, [7][]station.Range{}).NextOpen(t0); ok {
		t.Error("a calendar without hours has a next opening")
	}
}

func TestSlots(t *testing.T) {
	c := mustCalendar(t, lunchBreak, station.Closure{Date: "2026-03-03", Reason: "停电"}) // Tuesday closed
	slots := c.Slots(bj(2, 10, 0), 7, 60)
	var got []string
	for _, s := range slots {
		if s.End.Sub(s.Start) != time.Hour {
			t.Fatalf("slot %v–%v is not 60 minutes", s.Start, s.End)
		}
		if !c.IsSlot(s.Start, 60) {
			t.Fatalf("IsSlot(%v) = false for a listed slot", s.Start)
		}
		got = append(got, s.Start.In(clock.Beijing).Format("Mon 15:04"))
	}
	// Monday from 10:00 (10:00 itself has begun), no Tuesday (closed),
	// Wednesday to Friday in full, nothing at the weekend; a slot never
	// runs past the end of a range (17:00 would end at 18:00).
	day := "09:00 10:00 11:00 14:00 15:00 16:00"
	want := "Mon 11:00 Mon 14:00 Mon 15:00 Mon 16:00"
	for _, d := range []string{"Wed", "Thu", "Fri"} {
		for _, h := range strings.Fields(day) {
			want += " " + d + " " + h
		}
	}
	if g := strings.Join(got, " "); g != want {
		t.Fatalf("slots:\n got %s\nwant %s", g, want)
	}
	if s := c.Slots(bj(2, 10, 0), 1, 45); len(s) != 6 || !s[0].Start.Equal(bj(2, 10, 30)) || !s[5].Start.Equal(bj(2, 16, 15)) ||
		s[0].End.Sub(s[0].Start) != 45*time.Minute {
		t.Fatalf("45-minute slots: %v", s)
	}
	if s := c.Slots(bj(7, 0, 0), 2, 60); len(s) != 0 {
		t.Fatalf("weekend slots: %v", s)
	}
	if s := c.Slots(bj(3, 0, 0), 1, 60); len(s) != 0 {
		t.Fatalf("slots on a closed date: %v", s)
	}
	if s := c.Slots(bj(2, 10, 0), 1, 0); len(s) != 4 {
		t.Fatalf("zero minutes should mean 60: %d slots", len(s))
	}
	// Slots never start before from, whatever zone from is in.
	from := bj(4, 14, 30)
	for _, loc := range zones(t) {
		s := c.Slots(from.In(loc), 1, 60)
		if len(s) != 2 || !s[0].Start.Equal(bj(4, 15, 0)) {
			t.Fatalf("from %v: %v", from.In(loc), s)
		}
		for _, sl := range s {
			if !sl.Start.After(from) {
				t.Fatalf("slot %v starts before %v", sl.Start, from)
			}
		}
	}
}

func TestIsSlot(t *testing.T) {
	c := mustCalendar(t, lunchBreak, station.Closure{Date: "2026-03-03"})
	cases := []struct {
		name    string
		at      time.Time
		minutes int
		want    bool
	}{
		{"first slot", bj(2, 9, 0), 60, true},
		{"afternoon slot", bj(2, 14, 0), 60, true},
		{"not aligned", bj(2, 14, 30), 60, false},
		{"aligned for 30-minute slots", bj(2, 14, 30), 30, true},
		{"runs past closing", bj(2, 17, 0), 60, false},
		{"runs into the lunch break", bj(2, 11, 30), 60, false},
		{"lunch break", bj(2, 12, 0), 60, false},
		{"closed date", bj(3, 9, 0), 60, false},
		{"Saturday", bj(7, 9, 0), 60, false},
		{"with seconds", bj(2, 9, 0).Add(time.Second), 60, false},
		{"with nanoseconds", bj(2, 9, 0).Add(time.Nanosecond), 60, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			for _, loc := range zones(t) {
				if got := c.IsSlot(tc.at.In(loc), tc.minutes); got != tc.want {
					t.Fatalf("IsSlot(%v, %d) = %v, want %v", tc.at.In(loc), tc.minutes, got, tc.want)
				}
			}
		})
	}
}

func TestOnDuty(t *testing.T) {
	bits := 1<<time.Monday | 1<<time.Saturday
	for d := time.Sunday; d <= time.Saturday; d++ {
		if got := station.OnDuty(bits, d); got != (d == time.Monday || d == time.Saturday) {
			t.Errorf("OnDuty(%v) = %v", d, got)
		}
	}
	if station.WeekdayNames[time.Monday] != "周一" || station.WeekdayNames[time.Sunday] != "周日" {
		t.Error("weekday names")
	}
}

// fuzzCalendar builds a calendar from fuzz input: up to two ranges a day
// on the weekdays in mask, and one closed date.
func fuzzCalendar(mask uint8, o1, c1, o2, c2 uint16, closedDay int16) (station.Calendar, error) {
	hm := func(m uint16) string { m %= 1441; return fmt.Sprintf("%02d:%02d", m/60, m%60) }
	var w [7][]station.Range
	for d := range 7 {
		if mask&(1<<d) == 0 {
			continue
		}
		w[d] = append(w[d], rng(hm(o1), hm(c1)))
		if mask&0x80 != 0 {
			w[d] = append(w[d], rng(hm(o2), hm(c2)))
		}
	}
	closed := []station.Closure{{Date: t0.AddDate(0, 0, int(closedDay%400)).Format("2006-01-02")}}
	return station.NewCalendar(w, closed)
}

func FuzzCalendarDeadline(f *testing.F) {
	f.Add(uint8(0x3e), uint16(540), uint16(1050), uint16(0), uint16(0), int16(2), int64(0))
	f.Add(uint8(0xbe), uint16(540), uint16(720), uint16(840), uint16(1050), int16(-1), int64(6000))
	f.Add(uint8(0xff), uint16(0), uint16(480), uint16(1200), uint16(1440), int16(0), int64(48600))
	f.Add(uint8(0x3e), uint16(540), uint16(1050), uint16(0), uint16(0), int16(100), int64(4*86400+8*3600+20*60))
	f.Add(uint8(0x01), uint16(1439), uint16(1440), uint16(0), uint16(0), int16(7), int64(-3*3600))
	f.Fuzz(func(t *testing.T, mask uint8, o1, c1, o2, c2 uint16, closedDay int16, offset int64) {
		c, err := fuzzCalendar(mask, o1, c1, o2, c2, closedDay)
		if err != nil {
			if !errors.Is(err, service.ErrInvalid) {
				t.Fatalf("NewCalendar error is not ErrInvalid: %v", err)
			}
			return
		}
		at := t0.Add(time.Duration(offset%(400*86400)) * time.Second)
		due, in := c.Deadline(at)
		if !due.After(at) {
			t.Fatalf("Deadline(%v) = %v, not after submission", at, due)
		}
		if due.After(at.Add(station.OffHoursWindow)) {
			t.Fatalf("Deadline(%v) = %v, more than 12 hours", at, due)
		}
		if in != c.OpenAt(at) {
			t.Fatalf("Deadline(%v) inHours = %v, OpenAt = %v", at, in, c.OpenAt(at))
		}
		if !in && !due.Equal(at.Add(station.OffHoursWindow)) {
			t.Fatalf("off-hours Deadline(%v) = %v, want 12 hours", at, due)
		}
		if in && due.Before(at.Add(station.InHoursWindow)) {
			t.Fatalf("in-hours Deadline(%v) = %v, under one hour", at, due)
		}
		if r := station.RemindAt(at, due); !r.After(at) || !r.Before(due) {
			t.Fatalf("RemindAt %v not between %v and %v", r, at, due)
		}
		d2, in2 := c.Deadline(at.In(time.UTC))
		if !d2.Equal(due) || in2 != in {
			t.Fatalf("zone changes the deadline: %v/%v vs %v/%v", d2, in2, due, in)
		}
		if next, ok := c.NextOpen(at); ok && (next.Before(at) || !c.OpenAt(next)) {
			t.Fatalf("NextOpen(%v) = %v is not an opening", at, next)
		}
	})
}

var (
	hhmm     = regexp.MustCompile(`^([01][0-9]|2[0-3]):[0-5][0-9]$|^24:00$`)
	yyyymmdd = regexp.MustCompile(`^[0-9]{4}-[0-9]{2}-[0-9]{2}$`)
)

func FuzzParseCalendar(f *testing.F) {
	f.Add(`[[],[{"open":"09:00","close":"17:30"}],[],[],[],[],[]]`, `[{"date":"2026-03-04","reason":"x"}]`)
	f.Add(`[[{"open":"00:00","close":"24:00"}]]`, `[]`)
	f.Add(`[[{"open":"+9:00","close":"17:30"}]]`, `null`)
	f.Add(`null`, ``)
	f.Add(`{"weekly":1}`, `[{"date":1}]`)
	f.Fuzz(func(t *testing.T, hours, closed string) {
		c, err := station.ParseCalendar(hours, closed)
		if err != nil {
			return
		}
		// Accepted times are HH:MM, accepted dates YYYY-MM-DD.
		for _, day := range c.Weekly {
			for _, r := range day {
				if !hhmm.MatchString(r.Open) || !hhmm.MatchString(r.Close) {
					t.Fatalf("accepted range %q–%q", r.Open, r.Close)
				}
			}
		}
		for _, d := range c.Closed {
			if !yyyymmdd.MatchString(d.Date) {
				t.Fatalf("accepted closed date %q", d.Date)
			}
		}
		// A valid calendar stores and reads back the same, and answers.
		h, cl := c.JSON()
		if !json.Valid([]byte(h)) || !json.Valid([]byte(cl)) {
			t.Fatalf("invalid JSON stored: %s %s", h, cl)
		}
		c2, err := station.ParseCalendar(h, cl)
		if err != nil {
			t.Fatalf("stored calendar does not parse: %v (%s %s)", err, h, cl)
		}
		if h2, cl2 := c2.JSON(); h2 != h || cl2 != cl {
			t.Fatalf("round trip changed: %s %s → %s %s", h, cl, h2, cl2)
		}
		due, in := c.Deadline(t0)
		if !due.After(t0) || due.After(t0.Add(station.OffHoursWindow)) || in != c.OpenAt(t0) {
			t.Fatalf("Deadline(t0) = %v, %v", due, in)
		}
		for _, s := range c.Slots(t0, 2, 60) {
			if !c.IsSlot(s.Start, 60) || !c.OpenAt(s.Start) {
				t.Fatalf("slot %v is not a slot", s.Start)
			}
		}
	})
}
