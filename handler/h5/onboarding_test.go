package h5_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/gdyouth/youthvoice/handler/internal/webtest"
	"github.com/gdyouth/youthvoice/model"
	"github.com/gdyouth/youthvoice/service/clock"
	"github.com/gdyouth/youthvoice/service/kv"
)

// The university admin's checklist card on /h5/admin; the province's
// table of the 166 with counts and filters, launch dates and the cadre
// number set on forms (mistakes shown by their fields); appointing the
// first admin launches a university; nobody else reads or sets another's.
func TestOnboardingPages(t *testing.T) {
	webtest.Each(t, func(t *testing.T, db *model.DB, store kv.Store) {
		// Monday 2026-12-07, 10:00 Beijing.
		clk := clock.NewFake(time.Date(2026, 12, 7, 2, 0, 0, 0, time.UTC))
		s := webtest.New(t, db, store, webtest.Opts{Clock: clk})
		province := s.Phone(s.Member("prov", webtest.CodeSZU, model.RoleProvinceAdmin))
		admin := s.Phone(s.Member("uadm", webtest.CodeSZU, model.RoleUniversityAdm))
		otherAdmin := s.Phone(s.Member("oadm", webtest.CodeSCUT, model.RoleUniversityAdm))
		student := s.Phone(s.Member("stu", webtest.CodeSZU, model.RoleStudent))

		// Not launched yet: the card says so, with the checklist.
		webtest.WantBody(t, admin.Get("/h5/admin"), `id="onboarding-card"`, "未上线", `href="/h5/admin/liaisons"`, `href="/h5/station/edit"`)
		webtest.WantNoBody(t, province.Get("/h5/admin"), `id="onboarding-card"`)
		webtest.WantBody(t, province.Get("/h5/admin"), `id="nav-onboarding"`)

		// The province sets the launch date; a bad one is refused on its field.
		path := "/h5/admin/onboarding/" + webtest.CodeSZU
		r := province.Post(path, url.Values{"launched_on": {"2026-12-32"}})
		webtest.WantStatus(t, r, http.StatusBadRequest)
		if got := webtest.FieldError(r.Body, "launched_on"); !strings.Contains(got, "YYYY-MM-DD") {
			t.Fatalf("launched_on error %q", got)
		}
		webtest.WantBody(t, r, `value="2026-12-32"`)
		webtest.WantStatus(t, admin.Post(path, url.Values{"launched_on": {"2026-12-07"}}), http.StatusForbidden)
		webtest.WantRedirect(t, province.Post(path, url.Values{"launched_on": {"2026-12-07"}}), http.StatusSeeOther, path+"?notice=launch")
		webtest.WantBody(t, province.Get(path+"?notice=launch"), "上线日期已保存", "截止 2026-12-14", "还剩 5 个工作日", `id="launch-form"`)

		card := admin.Get("/h5/admin")
		webtest.WantBody(t, card, "进行中", "上线 2026-12-07", "截止 2026-12-14", "还剩 5 个工作日",
			`data-key="liaison"`, "设置本校联络专员", `href="/h5/admin/roster"`, "至少 5 名团学干部注册", "已注册 0 名")
		// The university admin's own page has no form; another's is refused.
		own := admin.Get("/h5/admin/onboarding")
		webtest.WantBody(t, own, `id="onboarding-one"`, `data-code="`+webtest.CodeSZU+`"`)
		webtest.WantNoBody(t, own, `id="launch-form"`, `id="onboarding-table"`)
		webtest.WantStatus(t, otherAdmin.Get(path), http.StatusForbidden)
		webtest.WantStatus(t, student.Get("/h5/admin/onboarding"), http.StatusForbidden)

		// Appointing SCUT's first admin launches it today.
		newcomer := s.Member("newb", webtest.CodeSCUT, model.RoleStudent)
		webtest.WantRedirect(t, province.Post("/h5/admin/university-admins", url.Values{"account": {newcomer.User.Account}}),
			http.StatusSeeOther, "/h5/admin?notice=appointed")

		table := province.Get("/h5/admin/onboarding")
		webtest.WantBody(t, table, `id="onboarding-table"`, "全部 166", `id="count-in_progress"`, "进行中 2", "未上线 164", "逾期 0",
			`data-code="`+webtest.CodeSCUT+`" data-status="in_progress"`, `data-code="`+webtest.CodeSZU+`" data-status="in_progress"`)
		filtered := province.Get("/h5/admin/onboarding?status=in_progress")
		webtest.WantBody(t, filtered, `data-code="`+webtest.CodeSZU+`"`, `data-code="`+webtest.CodeSCUT+`"`)
		if n := strings.Count(filtered.Body, `<tr data-code=`); n != 2 {
			t.Fatalf("in-progress filter shows %d rows", n)
		}
		webtest.WantBody(t, province.Get("/h5/admin/onboarding?status=late"), `id="onboarding-empty"`)

		// The cadre number.
		r = province.Post("/h5/admin/onboarding-settings", url.Values{"min_cadres": {"abc"}})
		webtest.WantStatus(t, r, http.StatusBadRequest)
		if got := webtest.FieldError(r.Body, "min_cadres"); !strings.Contains(got, "1–200") {
			t.Fatalf("min_cadres error %q", got)
		}
		webtest.WantStatus(t, admin.Post("/h5/admin/onboarding-settings", url.Values{"min_cadres": {"3"}}), http.StatusForbidden)
		webtest.WantRedirect(t, province.Post("/h5/admin/onboarding-settings", url.Values{"min_cadres": {"3"}}),
			http.StatusSeeOther, "/h5/admin/onboarding?notice=settings")
		webtest.WantBody(t, province.Get("/h5/admin/onboarding?notice=settings"), "设置已保存", `value="3"`)
		webtest.WantBody(t, admin.Get("/h5/admin"), "至少 3 名团学干部注册")

		// Past the due date: 逾期.
		clk.Set(time.Date(2026, 12, 14, 16, 30, 0, 0, time.UTC)) // the 15th in Beijing
		webtest.WantBody(t, admin.Get("/h5/admin"), "逾期", "已逾期")
		webtest.WantBody(t, province.Get("/h5/admin/onboarding"), "逾期 2")
	})
}
