package stats

import (
	"cmp"
	"slices"
)

// Sort keys of the universities. SortCode (学校标识码) is the default;
// the others put the highest figure first, and universities with no
// figure for a rate (nothing to measure yet) last.
const (
	SortCode         = "code"
	SortUsers        = "users"
	SortActive       = "active"
	SortActiveRate   = "active_rate"
	SortInteractions = "interactions"
	SortQuestions    = "questions"
	SortOnTime       = "on_time_rate"
	SortOverdue      = "overdue"
	SortAnswers      = "answers"
	SortSatisfaction = "satisfaction"
	SortBookings     = "bookings"
	SortBookingTime  = "booking_on_time_rate"
)

// SortOption is a choice of order the page offers.
type SortOption struct {
	Key, Label string
}

// SortOptions lists the orders, in the page's order: the code, then the
// metrics that can be sorted on, labelled by their names.
var SortOptions = sortOptions()

func sortOptions() []SortOption {
	out := []SortOption{{SortCode, "学校标识码"}}
	for _, m := range Metrics {
		if m.Sort != "" {
			out = append(out, SortOption{m.Sort, m.Name})
		}
	}
	return out
}

// sorts maps a key to the figure it orders by (nil: no figure).
var sorts = sortFigures()

func sortFigures() map[string]func(Row) *float64 {
	out := map[string]func(Row) *float64{SortCode: nil}
	for _, m := range Metrics {
		if m.Sort != "" {
			out[m.Sort] = m.fig.get
		}
	}
	return out
}

func num(n int64) *float64 {
	v := float64(n)
	return &v
}

// sortRows orders rows by key, then by code.
func sortRows(rows []Row, key string) {
	by := sorts[key]
	slices.SortStableFunc(rows, func(a, b Row) int {
		if by != nil {
			x, y := by(a), by(b)
			switch {
			case x == nil && y != nil:
				return 1
			case x != nil && y == nil:
				return -1
			case x != nil && y != nil && *x != *y:
				return cmp.Compare(*y, *x)
			}
		}
		return cmp.Compare(a.University.Code, b.University.Code)
	})
}
