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

// SortOptions lists the orders, in the page's order.
var SortOptions = []SortOption{
	{SortCode, "学校标识码"},
	{SortUsers, "注册用户"},
	{SortActive, "活跃用户"},
	{SortActiveRate, "活跃率"},
	{SortInteractions, "微信互动"},
	{SortQuestions, "提问数"},
	{SortOnTime, "24小时按时答复率"},
	{SortOverdue, "当前超时未答复"},
	{SortAnswers, "干部答复数"},
	{SortSatisfaction, "答复满意率"},
	{SortBookings, "预约数"},
	{SortBookingTime, "预约按时反馈率"},
}

// sorts maps a key to the figure it orders by (nil: no figure).
var sorts = map[string]func(Row) *float64{
	SortCode:         nil,
	SortUsers:        func(r Row) *float64 { return num(r.Users) },
	SortActive:       func(r Row) *float64 { return num(r.Active) },
	SortActiveRate:   func(r Row) *float64 { return r.ActiveRate },
	SortInteractions: func(r Row) *float64 { return num(r.Interactions) },
	SortQuestions:    func(r Row) *float64 { return num(r.Questions) },
	SortOnTime:       func(r Row) *float64 { return r.OnTimeRate },
	SortOverdue:      func(r Row) *float64 { return num(r.OverdueNow) },
	SortAnswers:      func(r Row) *float64 { return num(r.CadreAnswers) },
	SortSatisfaction: func(r Row) *float64 { return r.Satisfaction },
	SortBookings:     func(r Row) *float64 { return num(r.Bookings) },
	SortBookingTime:  func(r Row) *float64 { return r.BookingOnTimeRate },
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
