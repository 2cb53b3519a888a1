package h5_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/gdyouth/youthvoice/handler/internal/webtest"
	"github.com/gdyouth/youthvoice/model"
	"github.com/gdyouth/youthvoice/service/kv"
)

// /h5/admin/promotion: a university admin sees their code and the two
// downloads, the province every school's links; others are refused.
func TestPromotionPage(t *testing.T) {
	webtest.Each(t, func(t *testing.T, db *model.DB, store kv.Store) {
		s := webtest.New(t, db, store, webtest.Opts{})
		admin := s.Phone(s.Member("pgAdm", webtest.CodeSZU, model.RoleUniversityAdm))
		province := s.Phone(s.Member("pgPrv", webtest.CodeSCUT, model.RoleProvinceAdmin))
		student := s.Phone(s.Member("pgStu", webtest.CodeSZU, model.RoleStudent))

		webtest.WantBody(t, admin.Get("/h5/admin"), `id="nav-promotion"`, "推广二维码")
		own := admin.Get("/h5/admin/promotion")
		webtest.WantStatus(t, own, http.StatusOK)
		webtest.WantBody(t, own, "深圳大学", `id="promotion-qrcode"`,
			`href="/api/v1/admin/universities/`+webtest.CodeSZU+`/qrcode.png"`,
			`href="/api/v1/admin/universities/`+webtest.CodeSZU+`/poster.png"`, "激活六步")
		webtest.WantNoBody(t, own, "华南理工大学")
		// The image the page shows is served to the admin.
		if r := admin.Get("/api/v1/admin/universities/" + webtest.CodeSZU + "/qrcode.png"); r.Status != http.StatusOK {
			t.Fatalf("the page's image: HTTP %d", r.Status)
		}

		all := province.Get("/h5/admin/promotion")
		webtest.WantStatus(t, all, http.StatusOK)
		webtest.WantBody(t, all, `id="promotion-list"`, "166 所高校", "深圳大学", "华南理工大学",
			`/api/v1/admin/universities/`+webtest.CodeSCUT+`/poster.png`)
		if n := strings.Count(all.Body, "/poster.png\""); n != 166 {
			t.Fatalf("%d poster links, want 166", n)
		}
		webtest.WantStatus(t, student.Get("/h5/admin/promotion"), http.StatusForbidden)
	})
}
