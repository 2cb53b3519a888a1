package station

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gdyouth/youthvoice/service"
	"github.com/gdyouth/youthvoice/service/clock"
)

// Promise windows (the notice, 工作任务 3.3).
const (
	InHoursWindow  = time.Hour      // submitted during working hours
	OffHoursWindow = 12 * time.Hour // submitted outside them
)

// MaxRangesPerDay is how many opening periods a day may have.
const MaxRangesPerDay = 4

// Range is one opening period of a day, "HH:MM" to "HH:MM" Beijing time.
type Range struct {
	Open  string `json:"open"`
	Close string `json:"close"`
}

// Closure is a date that departs from the weekly hours: closed (a
// statutory holiday, exam week …), or, with Open, open for those periods
// instead of the weekday's (a make-up workday, 调休上班日, on a weekend).
type Closure struct {
	Date   string  `json:"date"` // YYYY-MM-DD
	Reason string  `json:"reason"`
	Open   []Range `json:"open,omitempty"`
}

// Calendar is a station's weekly working hours (index: time.Weekday,
// Sunday first) and closed dates, in Beijing time.
type Calendar struct {
	Weekly [7][]Range `json:"weekly"`
	Closed []Closure  `json:"closed"`

	spans   [7][][2]int // minutes since midnight, [open, close)
	closed  map[string]bool
	special map[string][][2]int // dates open for other periods than their weekday's
}

// WeekdayNames are the Chinese names of time.Weekday values.
var WeekdayNames = [7]string{"周日", "周一", "周二", "周三", "周四", "周五", "周六"}

func parseHM(s string) (int, bool) {
	var h, m int
	if len(s) != 5 || s[2] != ':' {
		return 0, false
	}
	for _, i := range []int{0, 1, 3, 4} {
		if s[i] < '0' || s[i] > '9' { // Sscanf alone accepts " 9:00", "+9:00", "09:5 "
			return 0, false
		}
	}
	if _, err := fmt.Sscanf(s, "%02d:%02d", &h, &m); err != nil || h < 0 || h > 24 || m < 0 || m > 59 || (h == 24 && m != 0) {
		return 0, false
	}
	return h*60 + m, true
}

// spanProblems checks one day's periods and returns them as sorted
// minute spans, with every problem found, each naming the period by its
// place in the list (第2段) after prefix (the weekday or the date).
func spanProblems(prefix string, rs []Range) ([][2]int, []string) {
	var problems []string
	if len(rs) > MaxRangesPerDay {
		problems = append(problems, fmt.Sprintf("%s最多设置 %d 个时段", prefix, MaxRangesPerDay))
	}
	type span struct{ o, c, n int }
	var spans []span
	for i, r := range rs {
		o, ok1 := parseHM(r.Open)
		cl, ok2 := parseHM(r.Close)
		switch {
		case !ok1 || !ok2:
			problems = append(problems, fmt.Sprintf("%s 第%d段：时间 %q–%q 格式应为 HH:MM", prefix, i+1, r.Open, r.Close))
		case cl <= o:
			problems = append(problems, fmt.Sprintf("%s 第%d段：结束时间须晚于开始时间（%s–%s）", prefix, i+1, r.Open, r.Close))
		default:
			spans = append(spans, span{o, cl, i + 1})
		}
	}
	slices.SortStableFunc(spans, func(a, b span) int { return a.o - b.o })
	out := make([][2]int, 0, len(spans))
	for i, sp := range spans {
		if i > 0 && sp.o < spans[i-1].c {
			a, b := min(spans[i-1].n, sp.n), max(spans[i-1].n, sp.n)
			problems = append(problems, fmt.Sprintf("%s 第%d段与第%d段时间重叠", prefix, a, b))
		}
		out = append(out, [2]int{sp.o, sp.c})
	}
	if len(out) == 0 {
		out = nil
	}
	return out, problems
}

// WeeklyProblems lists every problem of weekly hours, Monday first, each
// naming its weekday and period (「周三 第2段：结束时间须晚于开始时间」), and
// the problems by field (hours_<weekday>, time.Weekday numbering), the
// day's problems joined; nil when the hours are valid.
func WeeklyProblems(weekly [7][]Range) (all []string, byDay map[string]string) {
	for _, d := range MondayFirst {
		_, ps := spanProblems(WeekdayNames[d], weekly[d])
		if len(ps) == 0 {
			continue
		}
		if byDay == nil {
			byDay = map[string]string{}
		}
		all = append(all, ps...)
		byDay[HoursField(d)] = strings.Join(ps, "；")
	}
	return all, byDay
}

// HoursField is the field a weekday's hours problems are reported on.
func HoursField(d time.Weekday) string { return fmt.Sprintf("hours_%d", d) }

// MondayFirst is the week as the pages show it.
var MondayFirst = [7]time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday, time.Saturday, time.Sunday}

// weeklyError is every problem of weekly hours as one error: all of them
// in the message, each day's on its field.
func weeklyError(weekly [7][]Range) error {
	all, byDay := WeeklyProblems(weekly)
	if len(all) == 0 {
		return nil
	}
	msg := all[0]
	if len(all) > 1 {
		msg = fmt.Sprintf("开放时间有 %d 处问题：%s", len(all), strings.Join(all, "；"))
	}
	return service.Invalid("bad_hours", msg, byDay)
}

// NewCalendar validates weekly hours and the dates that depart from them.
func NewCalendar(weekly [7][]Range, closed []Closure) (Calendar, error) {
	c := Calendar{Weekly: weekly, Closed: closed, closed: map[string]bool{}, special: map[string][][2]int{}}
	if err := weeklyError(weekly); err != nil {
		return c, err
	}
	for d := range 7 {
		c.spans[d], _ = spanProblems(WeekdayNames[d], weekly[d])
	}
	if len(closed) > 366 {
		return c, service.Invalid("bad_closures", "闭站日期最多 366 个", nil)
	}
	for _, cd := range closed {
		if _, err := time.ParseInLocation("2006-01-02", cd.Date, clock.Beijing); err != nil {
			return c, service.Invalid("bad_closures", fmt.Sprintf("闭站日期 %q 格式应为 2006-01-02", cd.Date), nil)
		}
		if utf8.RuneCountInString(cd.Reason) > MaxClosureReason {
			msg := fmt.Sprintf("%s 的闭站原因不能超过 %d 个字", cd.Date, MaxClosureReason)
			return c, service.Invalid("too_long", msg, map[string]string{"closed": msg})
		}
		if _, dup := c.special[cd.Date]; dup || c.closed[cd.Date] {
			return c, service.Invalid("bad_closures", fmt.Sprintf("%s 出现了两次", cd.Date), map[string]string{"closed": cd.Date + " 出现了两次"})
		}
		if len(cd.Open) == 0 {
			c.closed[cd.Date] = true
			continue
		}
		spans, problems := spanProblems(cd.Date, cd.Open)
		if len(problems) > 0 {
			return c, service.Invalid("bad_hours", strings.Join(problems, "；"), map[string]string{"closed": strings.Join(problems, "；")})
		}
		c.special[cd.Date] = spans
	}
	return c, nil
}

// CopyHours returns weekly with day from's periods copied to each day of
// to (the editor's 复制到所有工作日 and 复制到周末).
func CopyHours(weekly [7][]Range, from time.Weekday, to ...time.Weekday) [7][]Range {
	for _, d := range to {
		if d != from {
			weekly[d] = slices.Clone(weekly[from])
		}
	}
	return weekly
}

// Weekdays and Weekend are the days CopyHours copies Monday's hours to.
var (
	Weekdays = []time.Weekday{time.Tuesday, time.Wednesday, time.Thursday, time.Friday}
	Weekend  = []time.Weekday{time.Saturday, time.Sunday}
)

// daySpans are the opening periods of day d: none when closed, a
// special date's own, else its weekday's.
func (c Calendar) daySpans(d time.Time) [][2]int {
	key := d.Format("2006-01-02")
	if c.closed[key] {
		return nil
	}
	if s, ok := c.special[key]; ok {
		return s
	}
	return c.spans[d.Weekday()]
}

// ParseCalendar reads the JSON stored on a station.
func ParseCalendar(hoursJSON, closedJSON string) (Calendar, error) {
	var weekly [7][]Range
	var closed []Closure
	if strings.TrimSpace(hoursJSON) != "" {
		if err := json.Unmarshal([]byte(hoursJSON), &weekly); err != nil {
			return Calendar{}, fmt.Errorf("工作时间数据损坏: %w", err)
		}
	}
	if strings.TrimSpace(closedJSON) != "" {
		if err := json.Unmarshal([]byte(closedJSON), &closed); err != nil {
			return Calendar{}, fmt.Errorf("闭站日期数据损坏: %w", err)
		}
	}
	return NewCalendar(weekly, closed)
}

// JSON returns the weekly hours and closed dates as stored.
func (c Calendar) JSON() (hours, closed string) {
	h, _ := json.Marshal(c.Weekly)
	cl, _ := json.Marshal(c.Closed)
	if c.Closed == nil {
		cl = []byte("[]")
	}
	return string(h), string(cl)
}

// HasHours reports whether the station opens at all.
func (c Calendar) HasHours() bool {
	for _, s := range c.spans {
		if len(s) > 0 {
			return true
		}
	}
	return false
}

func midnight(t time.Time) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, clock.Beijing)
}

// interval returns the opening period containing t.
func (c Calendar) interval(t time.Time) (start, end time.Time, ok bool) {
	t = t.In(clock.Beijing)
	day := midnight(t)
	mins := t.Hour()*60 + t.Minute()
	for _, s := range c.daySpans(t) {
		if mins >= s[0] && mins < s[1] {
			return day.Add(time.Duration(s[0]) * time.Minute), day.Add(time.Duration(s[1]) * time.Minute), true
		}
	}
	return start, end, false
}

// OpenAt reports whether the station is open at t.
func (c Calendar) OpenAt(t time.Time) bool {
	_, _, ok := c.interval(t)
	return ok
}

// NextOpen returns the first opening at or after t, looking a year ahead.
func (c Calendar) NextOpen(t time.Time) (time.Time, bool) {
	t = t.In(clock.Beijing)
	if c.OpenAt(t) {
		return t, true
	}
	day := midnight(t)
	for i := 0; i <= 366; i++ {
		d := day.AddDate(0, 0, i)
		for _, s := range c.daySpans(d) {
			open := d.Add(time.Duration(s[0]) * time.Minute)
			if !open.Before(t) {
				return open, true
			}
		}
	}
	return time.Time{}, false
}

// Deadline is when a booking submitted at t must get its first response:
// outside working hours 12 hours later; inside them one hour of working
// time later (time after closing carries over to the next opening), but
// never later than 12 hours — a booking made just before closing is not
// answered later than one made just after.
func (c Calendar) Deadline(t time.Time) (due time.Time, inHours bool) {
	if !c.OpenAt(t) {
		return t.Add(OffHoursWindow), false
	}
	limit := t.Add(OffHoursWindow)
	left, cur := InHoursWindow, t
	for {
		_, end, ok := c.interval(cur)
		if !ok {
			next, found := c.NextOpen(cur)
			if !found {
				return t.Add(InHoursWindow), true
			}
			cur = next
			continue
		}
		if cur.Add(left).Compare(end) <= 0 {
			due = cur.Add(left)
			break
		}
		left -= end.Sub(cur)
		cur = end
		if cur.After(limit) {
			break
		}
	}
	if due.IsZero() || due.After(limit) {
		due = limit
	}
	return due, true
}

// RemindAt is when the admins are reminded of a booking submitted at
// submitted and due at due: with a quarter of an hour-long window left
// (45 minutes after an in-hours booking), with a sixth of a longer one left
// (10 hours after an off-hours booking; 2 hours before a capped in-hours
// deadline; 25 minutes before one carried over to the evening opening).
func RemindAt(submitted, due time.Time) time.Time {
	w := due.Sub(submitted)
	if w <= InHoursWindow {
		return due.Add(-w / 4)
	}
	return due.Add(-w / 6)
}

// Slot is a bookable period.
type Slot struct {
	Start time.Time
	End   time.Time
}

// Slots lists the slots of length minutes that start after from, within
// opening hours, over the next days days.
func (c Calendar) Slots(from time.Time, days, minutes int) []Slot {
	if minutes <= 0 {
		minutes = 60
	}
	from = from.In(clock.Beijing)
	var out []Slot
	day := midnight(from)
	for i := 0; i < days; i++ {
		d := day.AddDate(0, 0, i)
		for _, s := range c.daySpans(d) {
			for m := s[0]; m+minutes <= s[1]; m += minutes {
				st := d.Add(time.Duration(m) * time.Minute)
				if st.After(from) {
					out = append(out, Slot{Start: st, End: st.Add(time.Duration(minutes) * time.Minute)})
				}
			}
		}
	}
	return out
}

// IsSlot reports whether start is the start of a slot of the calendar.
func (c Calendar) IsSlot(start time.Time, minutes int) bool {
	start = start.In(clock.Beijing)
	if start.Second() != 0 || start.Nanosecond() != 0 {
		return false
	}
	mins := start.Hour()*60 + start.Minute()
	for _, s := range c.daySpans(start) {
		if mins >= s[0] && mins+minutes <= s[1] && (mins-s[0])%minutes == 0 {
			return true
		}
	}
	return false
}
