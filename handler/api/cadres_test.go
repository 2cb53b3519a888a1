package api_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/gdyouth/youthvoice/handler/internal/webtest"
	"github.com/gdyouth/youthvoice/model"
	"github.com/gdyouth/youthvoice/service/clock"
	"github.com/gdyouth/youthvoice/service/kv"
	"github.com/gdyouth/youthvoice/service/servicetest"
)

// cadreWorld is the assessment's fixture over the ten days before today.
func cadreWorld(t *testing.T, db *model.DB) *servicetest.CadreWorld {
	t.Helper()
	b := time.Now().In(clock.Beijing)
	start := time.Date(b.Year(), b.Month(), b.Day(), 0, 0, 0, 0, clock.Beijing).AddDate(0, 0, -10)
	return servicetest.NewCadreWorld(t, db, start)
}

// The per-cadre assessment as JSON: one object per roster entry with its
// figures, the province's per-university table, and the scoping.
func TestAPICadres(t *testing.T) {
	webtest.Each(t, func(t *testing.T, db *model.DB, store kv.Store) {
		s := webtest.New(t, db, store, webtest.Opts{})
		w := cadreWorld(t, db)
		province, adminA, student := s.SignIn(w.Province), s.SignIn(w.AdminA), s.SignIn(w.Student)
		period := "&from=" + w.From + "&to=" + w.To

		type line struct {
			RealName   string   `json:"real_name"`
			Position   string   `json:"position"`
			Category   string   `json:"category"`
			Status     string   `json:"status"`
			Registered bool     `json:"registered"`
			Answers    int64    `json:"answers"`
			Own        int64    `json:"answers_own"`
			Prov       int64    `json:"answers_province"`
			Other      int64    `json:"answers_other"`
			First      int64    `json:"first_answers"`
			OnTime     int64    `json:"first_answers_on_time"`
			Late       int64    `json:"first_answers_late"`
			Median     *int64   `json:"median_first_response_seconds"`
			Satisfied  int64    `json:"satisfied"`
			Rated      int64    `json:"rated"`
			Rate       *float64 `json:"satisfaction_rate"`
			Bookings   int64    `json:"bookings_handled"`
			BkOnTime   int64    `json:"bookings_on_time"`
			ActiveDays *int64   `json:"active_days"`
		}
		var rep struct {
			Province   bool `json:"province"`
			University *struct {
				Code string `json:"code"`
			} `json:"university"`
			Cadres       []line `json:"cadres"`
			Universities []struct {
				University struct{ Code string } `json:"university"`
				Listed     int64                 `json:"listed"`
				Answers    int64                 `json:"answers"`
				OnTime     int64                 `json:"first_answers_on_time"`
			} `json:"universities"`
			Total line `json:"total"`
		}
		webtest.WantData(t, province.API(http.MethodGet, "/api/v1/admin/cadres?university="+w.UniA.Code+period, nil), http.StatusOK, &rep)
		if rep.Province || rep.University == nil || rep.University.Code != w.UniA.Code || len(rep.Cadres) != 5 || rep.Universities != nil {
			t.Fatalf("A for the province: %+v", rep)
		}
		by := map[string]line{}
		for _, l := range rep.Cadres {
			by[l.RealName] = l
		}
		c1 := by["陈一"]
		if c1.Position != "校团委副书记" || c1.Category != model.CategoryLeagueCadre || !c1.Registered || c1.Answers != 3 || c1.Own != 3 ||
			c1.First != 2 || c1.OnTime != 1 || c1.Late != 1 || c1.Median == nil || *c1.Median != 57600 ||
			c1.Satisfied != 1 || c1.Rated != 2 || c1.Rate == nil || *c1.Rate != 0.5 || c1.ActiveDays == nil {
			t.Errorf("陈一 %+v", c1)
		}
		if c2 := by["陈二"]; c2.Answers != 2 || c2.Prov != 1 || c2.Other != 1 || c2.First != 1 {
			t.Errorf("陈二 %+v", c2)
		}
		if p := by["陈四"]; p.Registered || p.Status != model.RosterPending || p.Answers != 0 || p.Median != nil || p.Rate != nil {
			t.Errorf("待注册 %+v", p)
		}
		if c3 := by["陈三"]; c3.Status != model.RosterLeft || !c3.Registered || c3.Answers != 2 || c3.First != 1 {
			t.Errorf("已离任 %+v", c3)
		}
		if s1 := by["陈五"]; s1.Bookings != 2 || s1.BkOnTime != 1 {
			t.Errorf("station admin %+v", s1)
		}
		if rep.Total.Answers != 7 || rep.Total.OnTime != 3 || rep.Total.Late != 1 {
			t.Errorf("total %+v", rep.Total)
		}

		// The university admin: their own without asking, the same lines.
		rep.Cadres = nil
		webtest.WantData(t, adminA.API(http.MethodGet, "/api/v1/admin/cadres?sort=answers"+period, nil), http.StatusOK, &rep)
		if rep.University == nil || rep.University.Code != w.UniA.Code || len(rep.Cadres) != 5 || rep.Cadres[0].RealName != "陈一" {
			t.Fatalf("A for its admin: %+v", rep)
		}
		webtest.WantAPIError(t, adminA.API(http.MethodGet, "/api/v1/admin/cadres?university="+w.UniB.Code+period, nil), http.StatusForbidden, "other_university", "")
		webtest.WantAPIError(t, student.API(http.MethodGet, "/api/v1/admin/cadres", nil), http.StatusForbidden, "not_admin", "")
		webtest.WantAPIError(t, province.API(http.MethodGet, "/api/v1/admin/cadres?university=0000000000", nil), http.StatusNotFound, "university_not_found", "")
		webtest.WantAPIError(t, province.API(http.MethodGet, "/api/v1/admin/cadres?from=2026-3-1", nil), http.StatusBadRequest, "bad_date", "from")
		webtest.WantAPIError(t, s.Browser(webtest.UAPlain).API(http.MethodGet, "/api/v1/admin/cadres", nil), http.StatusUnauthorized, "login_required", "")

		// The province's table: every university, A's and B's totals.
		rep.Cadres, rep.University = nil, nil
		webtest.WantData(t, province.API(http.MethodGet, "/api/v1/admin/cadres?sort=answers"+period, nil), http.StatusOK, &rep)
		if !rep.Province || rep.University != nil || rep.Cadres != nil || len(rep.Universities) != 166 {
			t.Fatalf("province table: province %v, %d universities, cadres %v", rep.Province, len(rep.Universities), rep.Cadres)
		}
		a, b := rep.Universities[0], rep.Universities[1]
		if a.University.Code != w.UniA.Code || a.Listed != 5 || a.Answers != 7 || a.OnTime != 3 || b.University.Code != w.UniB.Code || b.Answers != 1 {
			t.Errorf("first rows %+v %+v", a, b)
		}
		if rep.Total.Answers != 8 {
			t.Errorf("province total %+v", rep.Total)
		}
	})
}
