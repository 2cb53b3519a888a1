package stats_test

import (
	"errors"
	"testing"
	"time"

	"github.com/gdyouth/youthvoice/model"
	"github.com/gdyouth/youthvoice/model/dbtest"
	"github.com/gdyouth/youthvoice/service"
	"github.com/gdyouth/youthvoice/service/clock"
	"github.com/gdyouth/youthvoice/service/stats"
)

func trend(t *testing.T, f *fixture, viewer model.User, q stats.TrendQuery) stats.Trend {
	t.Helper()
	tr, err := f.svc.Trend(f.ctx, viewer, q)
	if err != nil {
		t.Fatalf("Trend(%s, %+v): %v", viewer.Role, q, err)
	}
	return tr
}

// trendOf is the part of a report row a trend day repeats.
func trendOf(r stats.Row) stats.TrendDay {
	return stats.TrendDay{NewUsers: r.NewUsers, Active: r.Active, Questions: r.Questions, OnTime: r.OnTime, Late: r.Late,
		OnTimeRate: r.OnTimeRate, Bookings: r.Bookings, BookingsOnTime: r.BookingsOnTime, BookingsLate: r.BookingsLate,
		BookingOnTimeRate: r.BookingOnTimeRate}
}

func sameDay(t *testing.T, what string, got, want stats.TrendDay) {
	t.Helper()
	rate := func(a, b *float64) bool { return (a == nil) == (b == nil) && (a == nil || *a == *b) }
	want.Day = got.Day
	if got.NewUsers != want.NewUsers || got.Active != want.Active || got.Questions != want.Questions ||
		got.OnTime != want.OnTime || got.Late != want.Late || got.Bookings != want.Bookings ||
		got.BookingsOnTime != want.BookingsOnTime || got.BookingsLate != want.BookingsLate ||
		!rate(got.OnTimeRate, want.OnTimeRate) || !rate(got.BookingOnTimeRate, want.BookingOnTimeRate) {
		t.Errorf("%s %s:\ntrend  %+v\nreport %+v", what, got.Day, got, want)
	}
}

// TestTrendDaysAreOneDayReports: each day of the trend shows what the
// report of that one day shows, for the province and for a university;
// among them a4's pushes before it registered (18 and 19 March), which
// neither counts as active.
func TestTrendDaysAreOneDayReports(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *model.DB) {
		f := setup(t, db)
		if _, err := f.svc.Trend(f.ctx, f.province, stats.TrendQuery{From: "2026-03-10", To: "2026-03-19"}); !errors.Is(err, service.ErrUnavailable) {
			t.Fatalf("before the roll-ups are built: %v, want ErrUnavailable (stats_building)", err)
		}
		if _, err := f.svc.Rebuild(f.ctx); err != nil {
			t.Fatal(err)
		}
		q := stats.TrendQuery{From: "2026-03-08", To: "2026-03-20"}
		prov := trend(t, f, f.province, q)
		uniA := trend(t, f, f.province, stats.TrendQuery{From: q.From, To: q.To, University: f.uniA.Code})
		if prov.University != nil || uniA.University == nil || uniA.University.Code != f.uniA.Code {
			t.Fatalf("universities: province %+v, A %+v", prov.University, uniA.University)
		}
		if len(prov.Days) != 13 || prov.Days[0].Day != "2026-03-08" || prov.Days[12].Day != "2026-03-20" || len(uniA.Days) != 13 {
			t.Fatalf("days: %d, %+v … ; A %d", len(prov.Days), prov.Days[0], len(uniA.Days))
		}
		for i, d := range prov.Days {
			r := report(t, f, f.province, stats.Query{From: d.Day, To: d.Day})
			sameDay(t, "province", d, trendOf(r.Total))
			sameDay(t, "A", uniA.Days[i], trendOf(rowOf(t, r, f.uniA)))
		}
		// A few by hand: 11 March, q1 answered in 2 hours and a booking
		// answered in 30 minutes; 12 March, q2 answered in 30 hours.
		d11, d12, d18 := uniA.Days[3], uniA.Days[4], uniA.Days[10]
		if d11.Questions != 1 || d11.OnTime != 1 || d11.Bookings != 1 || d11.BookingsOnTime != 1 || d11.OnTimeRate == nil || *d11.OnTimeRate != 1 {
			t.Errorf("11 March: %+v", d11)
		}
		if d12.Questions != 1 || d12.Late != 1 || d12.OnTimeRate == nil || *d12.OnTimeRate != 0 {
			t.Errorf("12 March: %+v", d12)
		}
		if d18.Active != 0 || d18.Questions != 0 || d18.OnTimeRate != nil {
			t.Errorf("18 March (only a4's pushes before it registered): %+v", d18)
		}
		if d := uniA.Days[2]; d.Day != "2026-03-10" || d.NewUsers != 1 {
			t.Errorf("10 March: a2 registered at its first instant: %+v", d)
		}
	})
}

// TestTrendEqualsPlainDays holds the trend's days against the plain
// queries of one-day periods on the random world, around the edges of
// Beijing days, for the province and each university.
func TestTrendEqualsPlainDays(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *model.DB) {
		w := newWorld(t, db, 3)
		w.refresh(t)
		var province model.User
		province.Roles = model.RoleBit(model.RoleProvinceAdmin)
		province.Role = model.RoleProvinceAdmin
		now := w.clk.Now().UTC().Truncate(time.Second)
		from := now.In(clock.Beijing).AddDate(0, 0, -24).Format(stats.DateLayout)
		to := now.In(clock.Beijing).AddDate(0, 0, 1).Format(stats.DateLayout)
		codes := []string{""}
		scopes := []uint64{0}
		for _, u := range w.unis {
			codes, scopes = append(codes, u.Code), append(scopes, u.ID)
		}
		for i, code := range codes {
			tr, err := w.svc.Trend(w.ctx, province, stats.TrendQuery{From: from, To: to, University: code})
			if err != nil {
				t.Fatal(err)
			}
			if len(tr.Days) != 26 {
				t.Fatalf("%d days", len(tr.Days))
			}
			for _, d := range tr.Days {
				p, err := stats.ParsePeriod(d.Day, d.Day, now)
				if err != nil {
					t.Fatal(err)
				}
				rows, err := w.svc.Plain(w.ctx, scopes[i], p, now)
				if err != nil {
					t.Fatal(err)
				}
				var sum stats.Row
				for _, r := range rows {
					sum.NewUsers += r.NewUsers
					sum.Active += r.Active
					sum.Questions += r.Questions
					sum.OnTime += r.OnTime
					sum.Late += r.Late
					sum.Bookings += r.Bookings
					sum.BookingsOnTime += r.BookingsOnTime
					sum.BookingsLate += r.BookingsLate
				}
				want := trendOf(sum)
				want.OnTimeRate, want.BookingOnTimeRate = d.OnTimeRate, d.BookingOnTimeRate
				sameDay(t, "scope "+code, d, want)
			}
		}
	})
}

// TestTrendScope: the province admin sees the province or any
// university; a university admin only their own (by default, or by its
// code); anyone else nothing.
func TestTrendScope(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *model.DB) {
		f := setup(t, db)
		if _, err := f.svc.Rebuild(f.ctx); err != nil {
			t.Fatal(err)
		}
		q := stats.TrendQuery{From: "2026-03-10", To: "2026-03-19"}
		own := trend(t, f, f.adminA, q)
		if own.University == nil || own.University.Code != f.uniA.Code {
			t.Fatalf("university admin's default: %+v, want their own", own.University)
		}
		byCode := trend(t, f, f.adminA, stats.TrendQuery{From: q.From, To: q.To, University: f.uniA.Code})
		if byCode.University == nil || byCode.University.Code != f.uniA.Code {
			t.Fatalf("university admin naming their own: %+v", byCode.University)
		}
		if prov := trend(t, f, f.province, stats.TrendQuery{From: q.From, To: q.To, University: f.uniB.Code}); prov.University.Code != f.uniB.Code {
			t.Fatalf("province admin picking B: %+v", prov.University)
		}
		for _, c := range []struct {
			name   string
			viewer model.User
			q      stats.TrendQuery
			want   error
		}{
			{"university admin, another university", f.adminA, stats.TrendQuery{University: f.uniB.Code}, service.ErrForbidden},
			{"university admin without a university", f.adminNoUni, stats.TrendQuery{}, service.ErrForbidden},
			{"student", f.a1, stats.TrendQuery{}, service.ErrForbidden},
			{"cadre", f.ca, stats.TrendQuery{University: f.uniA.Code}, service.ErrForbidden},
			{"unknown university", f.province, stats.TrendQuery{University: "0000000000"}, service.ErrNotFound},
			{"bad date", f.province, stats.TrendQuery{From: "2026-3-1"}, service.ErrInvalid},
			{"too long", f.province, stats.TrendQuery{From: "2025-01-01", To: "2026-03-19"}, service.ErrInvalid},
		} {
			if _, err := f.svc.Trend(f.ctx, c.viewer, c.q); !errors.Is(err, c.want) {
				t.Errorf("%s: %v, want %v", c.name, err, c.want)
			}
		}
	})
}

// TestReportSortValue: ordered by a metric, each row carries the figure
// it is ordered by (what the ranking chart draws); by code, none.
func TestReportSortValue(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *model.DB) {
		f := setup(t, db)
		r := report(t, f, f.province, stats.Query{From: march.From, To: march.To, Sort: stats.SortQuestions})
		if r.Rows[0].University.Code != f.uniA.Code || r.Rows[0].SortValue == nil || *r.Rows[0].SortValue != float64(r.Rows[0].Questions) {
			t.Fatalf("first row %s sort value %v, questions %d", r.Rows[0].University.Code, r.Rows[0].SortValue, r.Rows[0].Questions)
		}
		r = report(t, f, f.province, stats.Query{From: march.From, To: march.To, Sort: stats.SortOnTime})
		for _, row := range r.Rows {
			if (row.SortValue == nil) != (row.OnTimeRate == nil) || (row.SortValue != nil && *row.SortValue != *row.OnTimeRate) {
				t.Fatalf("%s: sort value %v, on-time rate %v", row.University.Code, row.SortValue, row.OnTimeRate)
			}
		}
		if r := report(t, f, f.province, march); r.Rows[0].SortValue != nil {
			t.Fatalf("by code: sort value %v", *r.Rows[0].SortValue)
		}
	})
}
