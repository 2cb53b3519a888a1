package h5_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/gdyouth/youthvoice/handler/internal/webtest"
	"github.com/gdyouth/youthvoice/model"
	"github.com/gdyouth/youthvoice/service/kv"
)

// The import page: upload, preview (nothing written), 确认导入 without
// uploading again, the roster updated; a bad file lists its rows; the
// kept file is the uploader's alone, and used once; another university's
// admin gets nowhere.
func TestRosterImportPages(t *testing.T) {
	webtest.Each(t, func(t *testing.T, db *model.DB, store kv.Store) {
		s := webtest.New(t, db, store, webtest.Opts{})
		ctx := context.Background()
		adminP := s.Member("uadm", webtest.CodeSZU, model.RoleUniversityAdm)
		admin := s.Phone(adminP)
		colleague := s.Phone(s.Member("uadm2", webtest.CodeSZU, model.RoleUniversityAdm))
		other := s.Phone(s.Member("oadm", webtest.CodeSCUT, model.RoleUniversityAdm))
		province := s.Phone(s.Member("prov", webtest.CodeSZU, model.RoleProvinceAdmin))
		szu, err := s.Accounts.UniversityByCode(ctx, webtest.CodeSZU)
		if err != nil {
			t.Fatal(err)
		}
		roster := func() int {
			l, err := s.Cadres.Roster(ctx, adminP.User, szu.ID)
			if err != nil {
				t.Fatal(err)
			}
			return len(l)
		}

		webtest.WantBody(t, admin.Get("/h5/admin/roster/import"), `id="upload-form"`, `enctype="multipart/form-data"`,
			`href="/h5/admin/roster/form.xlsx?uni=`+webtest.CodeSZU+`"`, `href="/h5/admin/roster?uni=`+webtest.CodeSZU+`"`)
		webtest.WantStatus(t, other.Get("/h5/admin/roster/import?uni="+webtest.CodeSZU), http.StatusForbidden)
		webtest.WantStatus(t, other.Get("/h5/admin/roster/form.xlsx?uni="+webtest.CodeSZU), http.StatusForbidden)
		webtest.WantBody(t, province.Get("/h5/admin/roster/import"), `id="uni-form"`, `id="download-all"`)
		r := admin.Get("/h5/admin/roster/form.xlsx")
		if r.Status != http.StatusOK || !strings.Contains(r.Header.Get("Content-Disposition"), "registration-form-"+webtest.CodeSZU) {
			t.Fatalf("download: HTTP %d %s", r.Status, r.Header.Get("Content-Disposition"))
		}

		const path = "/h5/admin/roster/import?uni=" + webtest.CodeSZU
		bad := webtest.Form1(t, [3]string{"校团委书记", "刘洋", "13700000001"}, [3]string{"校学生会主席", "黄磊", "1370000"})
		r = admin.Upload(path, nil, "file", "附件1.xlsx", bad, false)
		webtest.WantStatus(t, r, http.StatusBadRequest)
		webtest.WantBody(t, r, `id="problems"`, "第 5 行：手机号「1370000」有误")
		webtest.WantNoBody(t, r, `id="confirm"`)
		r = admin.Upload(path, nil, "file", "", nil, false)
		webtest.WantStatus(t, r, http.StatusBadRequest)
		if got := webtest.FieldError(r.Body, "file"); got != "请选择文件" {
			t.Fatalf("no file: %q", got)
		}

		good := webtest.Form1(t, [3]string{"校团委书记", "刘洋", "13700000001"}, [3]string{"校学生会主席", "黄磊", "１３７ ００００ ０００２"})
		r = admin.Upload(path, nil, "file", "附件1.xlsx", good, false)
		webtest.WantStatus(t, r, http.StatusOK)
		webtest.WantBody(t, r, `data-row="5" data-action="add"`, "新增 <strong>2</strong> 人", "13700000002", `id="confirm"`)
		if n := roster(); n != 0 {
			t.Fatalf("the preview wrote %d entries", n)
		}
		token, _ := webtest.InputValue(r.Body, "token")
		if token == "" {
			t.Fatal("no token in the confirm form")
		}
		// Only the uploader redeems it.
		r = colleague.Post("/h5/admin/roster/import/confirm?uni="+webtest.CodeSZU, url.Values{"token": {token}})
		webtest.WantStatus(t, r, http.StatusBadRequest)
		webtest.WantBody(t, r, "上传的文件已过期或已导入")
		r = admin.Post("/h5/admin/roster/import/confirm?uni="+webtest.CodeSZU, url.Values{"token": {token}})
		webtest.WantStatus(t, r, http.StatusOK)
		webtest.WantBody(t, r, "导入完成，名册已更新", "已导入：新增 <strong>2</strong> 人", `id="to-roster"`)
		if n := roster(); n != 2 {
			t.Fatalf("roster after confirming: %d entries", n)
		}
		r = admin.Post("/h5/admin/roster/import/confirm?uni="+webtest.CodeSZU, url.Values{"token": {token}})
		webtest.WantStatus(t, r, http.StatusBadRequest)
		webtest.WantBody(t, r, "上传的文件已过期或已导入")
		webtest.WantStatus(t, other.Upload(path, nil, "file", "附件1.xlsx", good, false), http.StatusForbidden)
	})
}
