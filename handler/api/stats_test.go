package api_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/gdyouth/youthvoice/handler/internal/webtest"
	"github.com/gdyouth/youthvoice/model"
	"github.com/gdyouth/youthvoice/service/clock"
	"github.com/gdyouth/youthvoice/service/kv"
)

func TestStatsAPI(t *testing.T) {
	webtest.Each(t, func(t *testing.T, db *model.DB, store kv.Store) {
		w := webtest.NewStatsWorld(t, db, store)
		type row struct {
			University *struct{ Code, Name string } `json:"university"`
			Users      int64                        `json:"users"`
			Active     int64                        `json:"active_users"`
			Inter      int64                        `json:"interactions"`
			Questions  int64                        `json:"questions"`
			OnTime     *float64                     `json:"on_time_rate"`
			Overdue    int64                        `json:"overdue_now"`
			Answers    int64                        `json:"cadre_answers"`
			Satisfied  *float64                     `json:"satisfaction_rate"`
			Bookings   int64                        `json:"bookings"`
		}
		var rep struct {
			Period struct {
				From, To string
				Days     int
			} `json:"period"`
			Province    bool      `json:"province"`
			Total       row       `json:"total"`
			Rows        []row     `json:"universities"`
			GeneratedAt time.Time `json:"generated_at"`
			AsOf        time.Time `json:"as_of"`
		}
		r := w.Province.API(http.MethodGet, "/api/v1/admin/stats", nil)
		webtest.WantData(t, r, http.StatusOK, &rep)
		if rep.AsOf.IsZero() || !rep.AsOf.Equal(rep.GeneratedAt) {
			t.Fatalf("as_of %v, generated_at %v: from the primary they are the same", rep.AsOf, rep.GeneratedAt)
		}
		if !rep.Province || len(rep.Rows) != 166 || rep.Period.Days != 30 || rep.Total.University != nil {
			t.Fatalf("province report: province %v, %d rows, %+v", rep.Province, len(rep.Rows), rep.Period)
		}
		if rep.Total.Questions != w.QuestionsAll || rep.Total.OnTime == nil || *rep.Total.OnTime != 0.5 || rep.Total.Overdue != 1 {
			t.Fatalf("total %+v", rep.Total)
		}
		qaNoSecrets(t, r, w.StuSZU.User, w.StuSCUT.User)

		from := time.Now().In(clock.Beijing).AddDate(0, 0, -6).Format("2006-01-02")
		r = w.AdminSZU.API(http.MethodGet, "/api/v1/admin/stats?from="+from, nil)
		webtest.WantData(t, r, http.StatusOK, &rep)
		if rep.Province || len(rep.Rows) != 1 || rep.Rows[0].University.Code != webtest.CodeSZU || rep.Period.From != from {
			t.Fatalf("university admin's report: %+v", rep)
		}
		own := rep.Rows[0]
		if own.Users != 3 || own.Inter != w.InteractionsSZU || own.Questions != 1 || own.Answers != 1 ||
			own.OnTime == nil || *own.OnTime != 1 || own.Satisfied == nil || *own.Satisfied != 1 || own.Bookings != 0 {
			t.Fatalf("深圳大学 %+v", own)
		}

		webtest.WantAPIError(t, w.Student.API(http.MethodGet, "/api/v1/admin/stats", nil), http.StatusForbidden, "not_admin", "")
		webtest.WantAPIError(t, w.Province.API(http.MethodGet, "/api/v1/admin/stats?from=2026-3-1", nil), http.StatusBadRequest, "bad_date", "from")
		webtest.WantAPIError(t, w.Province.API(http.MethodGet, "/api/v1/admin/stats?from=2024-01-01&to=2026-01-01", nil), http.StatusBadRequest, "period_too_long", "from")
		webtest.WantAPIError(t, w.S.Browser(webtest.UAPlain).API(http.MethodGet, "/api/v1/admin/stats", nil), http.StatusUnauthorized, "login_required", "")
	})
}

func TestStatsTrendsAPI(t *testing.T) {
	webtest.Each(t, func(t *testing.T, db *model.DB, store kv.Store) {
		w := webtest.NewStatsWorld(t, db, store)
		// The roll-ups are built by the server's background pass; until the
		// first one the trend is not available (the tables are).
		webtest.WantAPIError(t, w.Province.API(http.MethodGet, "/api/v1/admin/stats/trends", nil), http.StatusServiceUnavailable, "stats_building", "")
		if _, err := w.S.Stats.Rebuild(context.Background()); err != nil {
			t.Fatal(err)
		}
		type day struct {
			Day       string   `json:"day"`
			NewUsers  int64    `json:"new_users"`
			Active    int64    `json:"active_users"`
			Questions int64    `json:"questions"`
			OnTime    int64    `json:"answered_on_time"`
			Late      int64    `json:"late"`
			Rate      *float64 `json:"on_time_rate"`
			Bookings  int64    `json:"bookings"`
			BkRate    *float64 `json:"booking_on_time_rate"`
		}
		var tr struct {
			Period struct {
				From, To string
				Days     int
			} `json:"period"`
			University *struct{ Code, Name string } `json:"university"`
			Days       []day                        `json:"days"`
			AsOf       time.Time                    `json:"as_of"`
		}
		// The world's questions were asked two days ago (Beijing), on the
		// stack's clock, which is a day behind the real one.
		asked := time.Now().In(clock.Beijing).AddDate(0, 0, -2).Format("2006-01-02")
		at := func(days []day) day {
			t.Helper()
			for _, d := range days {
				if d.Day == asked {
					return d
				}
			}
			t.Fatalf("no %s in %d days", asked, len(days))
			return day{}
		}
		r := w.Province.API(http.MethodGet, "/api/v1/admin/stats/trends", nil)
		webtest.WantData(t, r, http.StatusOK, &tr)
		if tr.University != nil || tr.Period.Days != 30 || len(tr.Days) != 30 || tr.AsOf.IsZero() {
			t.Fatalf("province trend: %+v, %d days", tr.Period, len(tr.Days))
		}
		var users, questions int64
		for _, d := range tr.Days {
			users += d.NewUsers
			questions += d.Questions
		}
		if d := at(tr.Days); d.Questions != 2 || d.OnTime != 1 || d.Late != 1 || d.Rate == nil || *d.Rate != 0.5 || d.BkRate != nil || questions != 2 || users != 5 {
			t.Fatalf("province %s: %+v; %d questions, %d new users in the period", asked, d, questions, users)
		}

		r = w.Province.API(http.MethodGet, "/api/v1/admin/stats/trends?from="+asked+"&to="+asked+"&university="+webtest.CodeSCUT, nil)
		webtest.WantData(t, r, http.StatusOK, &tr)
		if tr.University == nil || tr.University.Code != webtest.CodeSCUT || len(tr.Days) != 1 {
			t.Fatalf("华南理工大学: %+v, %d days", tr.University, len(tr.Days))
		}
		if d := tr.Days[0]; d.Questions != 1 || d.Late != 1 || d.Rate == nil || *d.Rate != 0 {
			t.Fatalf("华南理工大学 %s: %+v", asked, d)
		}

		// A university admin: their own, by default or by code; not another.
		r = w.AdminSZU.API(http.MethodGet, "/api/v1/admin/stats/trends", nil)
		webtest.WantData(t, r, http.StatusOK, &tr)
		if tr.University == nil || tr.University.Code != webtest.CodeSZU {
			t.Fatalf("university admin's trend: %+v", tr.University)
		}
		if d := at(tr.Days); d.Questions != 1 || d.OnTime != 1 || d.Active != 2 {
			t.Fatalf("深圳大学 %s: %+v", asked, d)
		}
		webtest.WantStatus(t, w.AdminSZU.API(http.MethodGet, "/api/v1/admin/stats/trends?university="+webtest.CodeSZU, nil), http.StatusOK)
		webtest.WantAPIError(t, w.AdminSZU.API(http.MethodGet, "/api/v1/admin/stats/trends?university="+webtest.CodeSCUT, nil), http.StatusForbidden, "other_university", "")
		webtest.WantAPIError(t, w.Student.API(http.MethodGet, "/api/v1/admin/stats/trends", nil), http.StatusForbidden, "not_admin", "")
		webtest.WantAPIError(t, w.Province.API(http.MethodGet, "/api/v1/admin/stats/trends?university=0000000000", nil), http.StatusNotFound, "university_not_found", "")
		webtest.WantAPIError(t, w.Province.API(http.MethodGet, "/api/v1/admin/stats/trends?to=2026-13-01", nil), http.StatusBadRequest, "bad_date", "to")
		webtest.WantAPIError(t, w.S.Browser(webtest.UAPlain).API(http.MethodGet, "/api/v1/admin/stats/trends", nil), http.StatusUnauthorized, "login_required", "")

		// The ranking chart reads the report ordered by its metric.
		var rep struct {
			Rows []struct {
				University struct{ Code string } `json:"university"`
				SortValue  *float64              `json:"sort_value"`
			} `json:"universities"`
		}
		webtest.WantData(t, w.Province.API(http.MethodGet, "/api/v1/admin/stats?sort=on_time_rate", nil), http.StatusOK, &rep)
		if rep.Rows[0].University.Code != webtest.CodeSZU || rep.Rows[0].SortValue == nil || *rep.Rows[0].SortValue != 1 ||
			rep.Rows[1].University.Code != webtest.CodeSCUT || rep.Rows[1].SortValue == nil || *rep.Rows[1].SortValue != 0 || rep.Rows[2].SortValue != nil {
			t.Fatalf("by on-time rate: %+v", rep.Rows[:3])
		}
	})
}
