package station

import (
	"slices"
	"strings"
	"time"

	"github.com/gdyouth/youthvoice/service/clock"
)

// HolidayPlan is the next twelve months of the working-day calendar as a
// station's dates: each statutory holiday closed (named, e.g. 国庆节), each
// make-up workday (调休上班日) open, for the hours of the first weekday
// (Monday to Friday) that has any in weekly — the station changes them
// or deletes the line. A station with no weekday hours gets no make-up
// lines: there are no hours to offer.
func (s *Service) HolidayPlan(weekly [7][]Range) []Closure {
	var hours []Range
	for _, d := range []time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday} {
		if len(weekly[d]) > 0 {
			hours = weekly[d]
			break
		}
	}
	now := s.now().In(clock.Beijing)
	from, to := now.Format(time.DateOnly), now.AddDate(1, 0, 0).Format(time.DateOnly)
	var out []Closure
	for y := now.Year(); y <= now.Year()+1; y++ {
		for _, e := range s.workdays.Year(y) {
			if e.Date < from || e.Date > to {
				continue
			}
			switch {
			case !e.Work:
				out = append(out, Closure{Date: e.Date, Reason: e.Name})
			case hours != nil:
				out = append(out, Closure{Date: e.Date, Reason: e.Name + "调休上班", Open: slices.Clone(hours)})
			}
		}
	}
	return out
}

// WithHolidays adds HolidayPlan's dates to closed, keeping every date the
// station has already set (it may have reopened a holiday or changed a
// make-up day's hours), in date order.
func (s *Service) WithHolidays(closed []Closure, weekly [7][]Range) []Closure {
	out := slices.Clone(closed)
	have := map[string]bool{}
	for _, c := range closed {
		have[c.Date] = true
	}
	for _, c := range s.HolidayPlan(weekly) {
		if !have[c.Date] {
			out = append(out, c)
		}
	}
	slices.SortStableFunc(out, func(a, b Closure) int { return strings.Compare(a.Date, b.Date) })
	return out
}
