package h5_test

import (
	"net/http"
	"net/url"
	"regexp"
	"testing"

	"github.com/gdyouth/youthvoice/handler/internal/webtest"
	"github.com/gdyouth/youthvoice/model"
	"github.com/gdyouth/youthvoice/service/kv"
)

// The roster on a phone: the university admin lists a person (mistakes
// shown by their fields), sees 待注册 with the phone in full, links the
// account by hand (已注册), then ends the role with a reason and a
// successor; the province's table shows the university's completeness
// and opens its roster; another university's admin sees and changes
// nothing.
func TestRosterPages(t *testing.T) {
	webtest.Each(t, func(t *testing.T, db *model.DB, store kv.Store) {
		s := webtest.New(t, db, store, webtest.Opts{})
		province := s.Phone(s.Member("prov", webtest.CodeSZU, model.RoleProvinceAdmin))
		admin := s.Phone(s.Member("uadm", webtest.CodeSZU, model.RoleUniversityAdm))
		otherAdmin := s.Phone(s.Member("oadm", webtest.CodeSCUT, model.RoleUniversityAdm))
		leader := s.Member("lead", webtest.CodeSZU, model.RoleStudent)

		webtest.WantBody(t, admin.Get("/h5/admin"), `id="nav-roster"`)
		webtest.WantBody(t, admin.Get("/h5/admin/roster"), `id="roster-empty"`, `id="import-form"`, `id="export-form"`)

		r := admin.Post("/h5/admin/roster?uni="+webtest.CodeSZU, url.Values{"position": {"校学生会主席"}, "real_name": {"王同学"}, "phone": {"1391234"}})
		webtest.WantStatus(t, r, http.StatusBadRequest)
		if got := webtest.FieldError(r.Body, "phone"); got == "" {
			t.Fatal("a short phone has no field error")
		}
		webtest.WantBody(t, r, `value="王同学"`)
		r = admin.Post("/h5/admin/roster?uni="+webtest.CodeSZU, url.Values{"position": {"校学生会主席"}, "real_name": {"王同学"}, "phone": {"13912345601"}})
		webtest.WantRedirect(t, r, http.StatusSeeOther, "/h5/admin/roster?notice=added&uni="+webtest.CodeSZU)
		page := admin.Get("/h5/admin/roster?notice=added&uni=" + webtest.CodeSZU)
		webtest.WantBody(t, page, "已列入名册", "校级学生骨干（1）", "王同学", "待注册", "13912345601", "已注册 <strong>0</strong> / 应注册 1")
		id := regexp.MustCompile(`href="/h5/admin/roster/(\d+)"`).FindStringSubmatch(page.Body)
		if id == nil {
			t.Fatalf("no link to the entry in %s", page.Body)
		}
		entry := "/h5/admin/roster/" + id[1]

		webtest.WantStatus(t, otherAdmin.Get("/h5/admin/roster?uni="+webtest.CodeSZU), http.StatusForbidden)
		webtest.WantStatus(t, otherAdmin.Get(entry), http.StatusNotFound)
		webtest.WantStatus(t, otherAdmin.Post(entry+"/leave", url.Values{"reason": {"外校"}}), http.StatusNotFound)
		webtest.WantStatus(t, otherAdmin.Get("/h5/admin/roster?sort=rate&uni="), http.StatusOK) // its own, empty

		webtest.WantRedirect(t, admin.Post(entry+"/link", url.Values{"account": {leader.User.Account}}), http.StatusSeeOther, entry+"?notice=linked")
		webtest.WantBody(t, admin.Get(entry), `id="entry-status">已注册`, leader.User.Account, `href="tel:13912345601"`)

		dir := province.Get("/h5/admin/roster?sort=rate")
		webtest.WantBody(t, dir, `id="completeness-table"`, "已注册 1 / 应注册 1")
		if !regexp.MustCompile(`data-code="` + webtest.CodeSZU + `"><td><a href="/h5/admin/roster\?uni=` + webtest.CodeSZU + `">[^<]+</a></td><td>1</td><td>1</td><td class="rate">100%</td>`).MatchString(dir.Body) {
			t.Fatalf("province table has no 1/1 line for %s", webtest.CodeSZU)
		}
		webtest.WantBody(t, province.Get("/h5/admin/roster?uni="+webtest.CodeSZU), "王同学", "‹ 全省")

		r = admin.Post(entry+"/leave", url.Values{"reason": {""}})
		webtest.WantStatus(t, r, http.StatusBadRequest)
		if webtest.FieldError(r.Body, "reason") == "" {
			t.Fatal("leaving without a reason has no field error")
		}
		r = admin.Post(entry+"/leave", url.Values{"reason": {"毕业离校"}, "successor_name": {"李同学"}, "successor_phone": {"123"}})
		webtest.WantStatus(t, r, http.StatusBadRequest)
		if webtest.FieldError(r.Body, "successor_phone") == "" {
			t.Fatal("a bad successor phone has no field error of its own")
		}
		r = admin.Post(entry+"/leave", url.Values{"reason": {"毕业离校"}, "successor_name": {"李同学"}, "successor_phone": {"13912345602"}})
		webtest.WantRedirect(t, r, http.StatusSeeOther, "/h5/admin/roster?notice=left&uni="+webtest.CodeSZU)
		webtest.WantBody(t, admin.Get("/h5/admin/roster?notice=left&uni="+webtest.CodeSZU), "已办理离任", "已离任", "毕业离校", "李同学")
		if u := s.UserByAccount(leader.User.Account); u.Has(model.RoleCadre) {
			t.Fatalf("after 离任 the leader holds %s", u.RoleNames())
		}
	})
}

// The province revokes a university admin from the admin console; a
// mistake is shown by its own field, not the appointment form's.
func TestRevokeUniversityAdminPage(t *testing.T) {
	webtest.Each(t, func(t *testing.T, db *model.DB, store kv.Store) {
		s := webtest.New(t, db, store, webtest.Opts{})
		province := s.Phone(s.Member("prov", webtest.CodeSZU, model.RoleProvinceAdmin))
		admin := s.Member("uadm", webtest.CodeSZU, model.RoleUniversityAdm)
		webtest.WantBody(t, province.Get("/h5/admin"), `id="revoke-form"`)
		r := province.Post("/h5/admin/university-admins/revoke", url.Values{"revoke_account": {admin.User.Account}})
		webtest.WantStatus(t, r, http.StatusBadRequest)
		if webtest.FieldError(r.Body, "revoke_reason") == "" || webtest.FieldError(r.Body, "account") != "" {
			t.Fatal("a missing reason is not shown by the revocation form's reason field")
		}
		webtest.WantBody(t, r, `value="`+admin.User.Account+`"`)
		r = province.Post("/h5/admin/university-admins/revoke", url.Values{"revoke_account": {admin.User.Account}, "revoke_reason": {"岗位调整"}})
		webtest.WantRedirect(t, r, http.StatusSeeOther, "/h5/admin?notice=revoked")
		if s.UserByAccount(admin.User.Account).Has(model.RoleUniversityAdm) {
			t.Fatal("still a university admin after revocation")
		}
	})
}
