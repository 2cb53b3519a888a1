// Package workday is the working-day calendar of mainland China: weekends,
// the statutory holidays and the make-up workdays (调休上班日) the State
// Council publishes each year. The published schedules from 2002 on come
// from github.com/6tail/lunar-go; the operator adds a year the library
// does not know yet (the schedule comes out each November) with a file,
// without a new release. Dates are Beijing civil dates.
package workday

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/6tail/lunar-go/HolidayUtil"

	"github.com/gdyouth/youthvoice/service/clock"
)

// Entry is one day of a published schedule: a statutory holiday (Work
// false: a day off, even on a weekday) or a make-up workday (Work true: a
// working day, even on a weekend).
type Entry struct {
	Date string // 2006-01-02
	Name string // 国庆节, 春节 …
	Work bool
}

// Calendar answers whether a day is a working day. It is read-only once
// built, so one value serves every request.
type Calendar struct {
	days  map[string]Entry
	years map[int]bool // years whose schedule is known
}

// The years the library is asked about (it knows them from 2002 on).
const firstYear, lastYear = 2002, 2099

// New builds the calendar from the library's schedules and extra, the
// operator's entries, which win on the same date.
func New(extra []Entry) (*Calendar, error) {
	c := &Calendar{days: map[string]Entry{}, years: map[int]bool{}}
	for y := firstYear; y <= lastYear; y++ {
		l := HolidayUtil.GetHolidaysByYear(y)
		for e := l.Front(); e != nil; e = e.Next() {
			h := e.Value.(*HolidayUtil.Holiday)
			c.days[h.GetDay()] = Entry{Date: h.GetDay(), Name: h.GetName(), Work: h.IsWork()}
			c.years[y] = true
		}
	}
	for _, e := range extra {
		d, err := time.Parse(time.DateOnly, e.Date)
		if err != nil {
			return nil, fmt.Errorf("节假日 %q: 日期应为 YYYY-MM-DD", e.Date)
		}
		c.days[e.Date] = e
		c.years[d.Year()] = true
	}
	return c, nil
}

// Load reads the operator's file: one day per line, "日期 名称 休|班"
// (2027-01-01 元旦 休; 2027-02-06 春节 班), blank lines and # comments
// ignored. Errors name the line.
func Load(path string) ([]Entry, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("读取节假日文件: %w", err)
	}
	defer f.Close()
	return Parse(f)
}

// Parse reads entries in Load's format.
func Parse(r io.Reader) ([]Entry, error) {
	var out []Entry
	sc := bufio.NewScanner(r)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if i := strings.IndexByte(line, '#'); i >= 0 {
			line = strings.TrimSpace(line[:i])
		}
		if line == "" {
			continue
		}
		f := strings.Fields(line)
		if len(f) != 3 {
			return nil, fmt.Errorf("节假日文件第 %d 行：应为「日期 名称 休/班」三项，如 2027-01-01 元旦 休", n)
		}
		if _, err := time.Parse(time.DateOnly, f[0]); err != nil {
			return nil, fmt.Errorf("节假日文件第 %d 行：日期 %q 应为 YYYY-MM-DD", n, f[0])
		}
		var work bool
		switch f[2] {
		case "休":
		case "班":
			work = true
		default:
			return nil, fmt.Errorf("节假日文件第 %d 行：第三项应为「休」（法定节假日）或「班」（调休上班日），不是 %q", n, f[2])
		}
		out = append(out, Entry{Date: f[0], Name: f[1], Work: work})
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("读取节假日文件: %w", err)
	}
	return out, nil
}

// date is t's Beijing civil date as 2006-01-02.
func date(t time.Time) string { return t.In(clock.Beijing).Format(time.DateOnly) }

// IsWorkday reports whether t's Beijing date is a working day.
func (c *Calendar) IsWorkday(t time.Time) bool {
	if e, ok := c.days[date(t)]; ok {
		return e.Work
	}
	wd := t.In(clock.Beijing).Weekday()
	return wd != time.Saturday && wd != time.Sunday
}

// Holiday is t's entry in a published schedule, if any.
func (c *Calendar) Holiday(t time.Time) (Entry, bool) {
	e, ok := c.days[date(t)]
	return e, ok
}

// Known reports whether year's schedule is known: counting working days
// into an unknown year treats its holidays as working days.
func (c *Calendar) Known(year int) bool { return c.years[year] }

// AddWorkdays is the nth working day after t's date (n ≥ 1), at midnight
// Beijing time: the 5th working day after a Friday launch is the next
// Friday, or later across a holiday.
func (c *Calendar) AddWorkdays(t time.Time, n int) time.Time {
	b := t.In(clock.Beijing)
	d := time.Date(b.Year(), b.Month(), b.Day(), 0, 0, 0, 0, clock.Beijing)
	for n > 0 {
		d = d.AddDate(0, 0, 1)
		if c.IsWorkday(d) {
			n--
		}
	}
	return d
}

// Between counts the working days after from's date up to and including
// to's date (0 when to is not after from).
func (c *Calendar) Between(from, to time.Time) int {
	f, t := date(from), date(to)
	n := 0
	d, _ := time.ParseInLocation(time.DateOnly, f, clock.Beijing)
	for {
		d = d.AddDate(0, 0, 1)
		if d.Format(time.DateOnly) > t {
			return n
		}
		if c.IsWorkday(d) {
			n++
		}
	}
}

// Year lists year's schedule in date order: the statutory holidays a
// station closes on and the make-up workdays it may open.
func (c *Calendar) Year(year int) []Entry {
	prefix := fmt.Sprintf("%04d-", year)
	var out []Entry
	for k, e := range c.days {
		if strings.HasPrefix(k, prefix) {
			out = append(out, e)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Date < out[j].Date })
	return out
}
