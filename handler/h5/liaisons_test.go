package h5_test

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/gdyouth/youthvoice/handler/internal/webtest"
	"github.com/gdyouth/youthvoice/model"
	"github.com/gdyouth/youthvoice/service/kv"
)

// A university admin names the liaison on a phone form (mistakes shown
// by their fields); the province's directory lists all 166, the missing
// first; nobody sets another university's.
func TestLiaisonPages(t *testing.T) {
	webtest.Each(t, func(t *testing.T, db *model.DB, store kv.Store) {
		s := webtest.New(t, db, store, webtest.Opts{})
		province := s.Phone(s.Member("prov", webtest.CodeSZU, model.RoleProvinceAdmin))
		admin := s.Phone(s.Member("uadm", webtest.CodeSZU, model.RoleUniversityAdm))
		otherAdmin := s.Phone(s.Member("oadm", webtest.CodeSCUT, model.RoleUniversityAdm))

		webtest.WantBody(t, admin.Get("/h5/admin"), `id="nav-liaisons"`)
		webtest.WantBody(t, admin.Get("/h5/admin/liaisons"), `data-code="`+webtest.CodeSZU+`"`, "未设置")
		webtest.WantBody(t, admin.Get("/h5/admin/liaisons/"+webtest.CodeSZU), `id="liaison-form"`, `maxlength="20"`)
		webtest.WantStatus(t, otherAdmin.Get("/h5/admin/liaisons/"+webtest.CodeSZU), http.StatusForbidden)

		r := admin.Post("/h5/admin/liaisons/"+webtest.CodeSZU, url.Values{"real_name": {"李联络"}, "position": {"校团委副书记"}, "phone": {"139"}})
		webtest.WantStatus(t, r, http.StatusBadRequest)
		if got := webtest.FieldError(r.Body, "phone"); got != "请填写 11 位手机号" {
			t.Fatalf("phone error %q", got)
		}
		webtest.WantBody(t, r, `value="李联络"`) // the input is kept
		r = admin.Post("/h5/admin/liaisons/"+webtest.CodeSZU, url.Values{"real_name": {"李联络"}, "position": {"校团委副书记"}, "phone": {"13912345678"}})
		webtest.WantRedirect(t, r, http.StatusSeeOther, "/h5/admin/liaisons?notice=saved")
		webtest.WantBody(t, admin.Get("/h5/admin/liaisons?notice=saved"), "联络专员已保存", "李联络 · 校团委副书记 · 13912345678")
		webtest.WantStatus(t, otherAdmin.Post("/h5/admin/liaisons/"+webtest.CodeSZU,
			url.Values{"real_name": {"外校人"}, "position": {"副书记"}, "phone": {"13912345678"}}), http.StatusForbidden)

		dir := province.Get("/h5/admin/liaisons")
		webtest.WantBody(t, dir, "166 所高校，165 所尚未设置联络专员", "李联络")
	})
}
