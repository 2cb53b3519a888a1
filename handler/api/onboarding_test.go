package api_test

import (
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/gdyouth/youthvoice/handler/internal/webtest"
	"github.com/gdyouth/youthvoice/model"
	"github.com/gdyouth/youthvoice/service/clock"
	"github.com/gdyouth/youthvoice/service/kv"
)

// apiOnboarding is the part of an onboarding object the tests read.
type apiOnboarding struct {
	Code         string
	Name         string
	LaunchedOn   *string `json:"launched_on"`
	DueOn        *string `json:"due_on"`
	Status       string
	StatusName   string  `json:"status_name"`
	OperatingOn  *string `json:"operating_on"`
	WorkdaysLeft *int    `json:"working_days_left"`
	Missing      []string
	Items        []struct {
		Key, Label string
		Done       bool
	}
}

// Launch dates, the list and the settings through the API, scoped as the
// service scopes them; bad dates are 400 with a field error.
func TestAPIOnboarding(t *testing.T) {
	webtest.Each(t, func(t *testing.T, db *model.DB, store kv.Store) {
		// Monday 2026-12-07, 10:00 Beijing.
		clk := clock.NewFake(time.Date(2026, 12, 7, 2, 0, 0, 0, time.UTC))
		s := webtest.New(t, db, store, webtest.Opts{Clock: clk})
		province := s.Phone(s.Member("prov", webtest.CodeSZU, model.RoleProvinceAdmin))
		adminSZU := s.Phone(s.Member("uadm", webtest.CodeSZU, model.RoleUniversityAdm))
		student := s.Phone(s.Member("stu", webtest.CodeSZU, model.RoleStudent))

		path := "/api/v1/admin/onboarding/" + webtest.CodeSZU
		webtest.WantAPIError(t, province.API(http.MethodPut, path, map[string]string{"launched_on": "2026-02-30"}),
			http.StatusBadRequest, "invalid_launch_date", "launched_on")
		webtest.WantAPIError(t, province.API(http.MethodPut, path, map[string]string{}), http.StatusBadRequest, "invalid_launch_date", "launched_on")
		webtest.WantAPIError(t, province.API(http.MethodPut, "/api/v1/admin/onboarding/0000000000", map[string]string{"launched_on": "2026-12-07"}),
			http.StatusNotFound, "university_not_found", "")
		webtest.WantAPIError(t, adminSZU.API(http.MethodPut, path, map[string]string{"launched_on": "2026-12-07"}), http.StatusForbidden, "forbidden", "")

		var one struct{ Data apiOnboarding }
		r := province.API(http.MethodPut, path, map[string]string{"launched_on": "2026-12-07"})
		webtest.WantStatus(t, r, http.StatusOK)
		r.Decode(t, &one)
		if d := one.Data; d.Code != webtest.CodeSZU || *d.LaunchedOn != "2026-12-07" || *d.DueOn != "2026-12-14" || d.Status != "in_progress" ||
			d.StatusName != "进行中" || d.WorkdaysLeft == nil || *d.WorkdaysLeft != 5 || d.OperatingOn != nil || len(d.Items) != 5 {
			t.Fatalf("after launch: %+v", d)
		}
		if !slices.Equal(one.Data.Missing, []string{"liaison", "cadres", "station"}) || one.Data.Items[0].Label != "联络专员" {
			t.Fatalf("missing %v, items %+v", one.Data.Missing, one.Data.Items)
		}

		var own struct{ Data []apiOnboarding }
		r = adminSZU.API(http.MethodGet, "/api/v1/admin/onboarding", nil)
		webtest.WantStatus(t, r, http.StatusOK)
		r.Decode(t, &own)
		if len(own.Data) != 1 || own.Data[0].Code != webtest.CodeSZU || own.Data[0].Status != "in_progress" {
			t.Fatalf("the university admin's list: %+v", own.Data)
		}
		webtest.WantStatus(t, adminSZU.API(http.MethodGet, path, nil), http.StatusOK)
		webtest.WantAPIError(t, adminSZU.API(http.MethodGet, "/api/v1/admin/onboarding/"+webtest.CodeSCUT, nil), http.StatusForbidden, "forbidden", "")
		webtest.WantAPIError(t, student.API(http.MethodGet, "/api/v1/admin/onboarding", nil), http.StatusForbidden, "not_admin", "")
		webtest.WantAPIError(t, student.API(http.MethodGet, path, nil), http.StatusForbidden, "forbidden", "")

		var all struct{ Data []apiOnboarding }
		province.API(http.MethodGet, "/api/v1/admin/onboarding", nil).Decode(t, &all)
		if len(all.Data) != 166 || all.Data[0].Code != webtest.CodeSZU {
			t.Fatalf("province list: %d, first %+v", len(all.Data), all.Data[0])
		}
		for _, d := range all.Data[1:] {
			if d.Status != "not_launched" || d.LaunchedOn != nil || d.DueOn != nil || d.Missing == nil {
				t.Fatalf("another university: %+v", d)
			}
		}
		var late struct{ Data []apiOnboarding }
		province.API(http.MethodGet, "/api/v1/admin/onboarding?status=late", nil).Decode(t, &late)
		if len(late.Data) != 0 {
			t.Fatalf("late: %+v", late.Data)
		}
		webtest.WantAPIError(t, province.API(http.MethodGet, "/api/v1/admin/onboarding?status=done", nil), http.StatusBadRequest, "invalid_status", "status")

		// The settings: read by admins, set by the province.
		var set struct {
			Data struct {
				MinCadres int `json:"min_cadres"`
			}
		}
		adminSZU.API(http.MethodGet, "/api/v1/admin/onboarding-settings", nil).Decode(t, &set)
		if set.Data.MinCadres != 5 {
			t.Fatalf("default min_cadres %d", set.Data.MinCadres)
		}
		webtest.WantAPIError(t, adminSZU.API(http.MethodPut, "/api/v1/admin/onboarding-settings", map[string]int{"min_cadres": 3}), http.StatusForbidden, "forbidden", "")
		webtest.WantAPIError(t, student.API(http.MethodGet, "/api/v1/admin/onboarding-settings", nil), http.StatusForbidden, "not_admin", "")
		webtest.WantAPIError(t, province.API(http.MethodPut, "/api/v1/admin/onboarding-settings", map[string]int{"min_cadres": 0}),
			http.StatusBadRequest, "invalid_min_cadres", "min_cadres")
		r = province.API(http.MethodPut, "/api/v1/admin/onboarding-settings", map[string]int{"min_cadres": 3})
		webtest.WantStatus(t, r, http.StatusOK)
		adminSZU.API(http.MethodGet, path, nil).Decode(t, &one)
		if one.Data.Items[2].Label != "至少 3 名团学干部注册" {
			t.Fatalf("cadres item after the setting: %+v", one.Data.Items[2])
		}
	})
}
