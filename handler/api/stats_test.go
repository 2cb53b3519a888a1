package api_test

import (
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
