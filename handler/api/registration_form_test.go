package api_test

import (
	"bytes"
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/gdyouth/youthvoice/handler/internal/webtest"
	"github.com/gdyouth/youthvoice/model"
	"github.com/gdyouth/youthvoice/service/kv"
)

type apiFormResult struct {
	Sheet  string
	DryRun bool `json:"dry_run"`
	Counts struct{ Added, Updated, Unchanged, Linking int }
	Rows   []struct {
		Row        int
		RealName   string `json:"real_name"`
		Category   string
		Action     string
		ActionName string `json:"action_name"`
	}
}

// 附件1 through the API: the export as a download (the university's own,
// or the province's 166 sheets), the import previewed with dry_run and
// then written, bad files refused with their rows, and each university
// admin kept to their own university.
func TestAPIRegistrationForm(t *testing.T) {
	webtest.Each(t, func(t *testing.T, db *model.DB, store kv.Store) {
		s := webtest.New(t, db, store, webtest.Opts{})
		ctx := context.Background()
		province := s.Phone(s.Member("prov", webtest.CodeSZU, model.RoleProvinceAdmin))
		adminP := s.Member("uadm", webtest.CodeSZU, model.RoleUniversityAdm)
		admin := s.Phone(adminP)
		student := s.Phone(s.Member("stu", webtest.CodeSZU, model.RoleStudent))
		szu, err := s.Accounts.UniversityByCode(ctx, webtest.CodeSZU)
		if err != nil {
			t.Fatal(err)
		}
		roster := func() int {
			t.Helper()
			l, err := s.Cadres.Roster(ctx, adminP.User, szu.ID)
			if err != nil {
				t.Fatal(err)
			}
			return len(l)
		}

		r := admin.Get("/api/v1/admin/registration-form.xlsx")
		webtest.WantStatus(t, r, http.StatusOK)
		if ct := r.Header.Get("Content-Type"); ct != "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" ||
			!strings.Contains(r.Header.Get("Content-Disposition"), "registration-form-"+webtest.CodeSZU+".xlsx") {
			t.Fatalf("export: %s, %s", ct, r.Header.Get("Content-Disposition"))
		}
		if f, err := excelize.OpenReader(strings.NewReader(r.Body)); err != nil || len(f.GetSheetList()) != 1 {
			t.Fatalf("the university's export: %v", err)
		}
		webtest.WantAPIError(t, admin.Get("/api/v1/admin/registration-form.xlsx?university="+webtest.CodeSCUT), http.StatusForbidden, "forbidden", "")
		webtest.WantAPIError(t, student.Get("/api/v1/admin/registration-form.xlsx"), http.StatusForbidden, "forbidden", "")
		webtest.WantAPIError(t, province.Get("/api/v1/admin/registration-form.xlsx?university=0000000000"), http.StatusNotFound, "university_not_found", "")
		r = province.Get("/api/v1/admin/registration-form.xlsx")
		webtest.WantStatus(t, r, http.StatusOK)
		if f, err := excelize.OpenReader(strings.NewReader(r.Body)); err != nil || len(f.GetSheetList()) != 166 {
			t.Fatalf("the province's export: %v", err)
		}

		form := webtest.Form1(t, [3]string{"校团委书记", "刘洋", "13700000001"}, [3]string{"校学生会主席", "黄磊", "137 0000 0002"})
		const path = "/api/v1/admin/registration-form"
		var res apiFormResult
		webtest.WantData(t, admin.Upload(path+"?dry_run=1", nil, "file", "附件1.xlsx", form, true), http.StatusOK, &res)
		if !res.DryRun || res.Counts.Added != 2 || len(res.Rows) != 2 || res.Rows[1].Row != 5 || res.Rows[1].ActionName != "新增" ||
			res.Rows[1].Category != model.CategoryStudentLeader {
			t.Fatalf("preview: %+v", res)
		}
		if n := roster(); n != 0 {
			t.Fatalf("the preview wrote %d roster entries", n)
		}
		// Without the CSRF header; into another university; without a file.
		r = admin.Do(http.MethodPost, path, bytes.NewReader(form), http.Header{"Content-Type": {"application/octet-stream"}})
		webtest.WantAPIError(t, r, http.StatusForbidden, "csrf", "")
		webtest.WantAPIError(t, admin.Upload(path+"?university="+webtest.CodeSCUT, nil, "file", "a.xlsx", form, true), http.StatusForbidden, "forbidden", "")
		webtest.WantAPIError(t, admin.Upload(path, nil, "file", "", nil, true), http.StatusBadRequest, "file_required", "file")
		webtest.WantAPIError(t, province.Upload(path, nil, "file", "a.xlsx", form, true), http.StatusBadRequest, "university_required", "university")

		bad := webtest.Form1(t, [3]string{"校团委书记", "刘洋", "13700000001"}, [3]string{"校学生会主席", "", "1370000"})
		e := webtest.WantAPIError(t, admin.Upload(path, nil, "file", "a.xlsx", bad, true), http.StatusBadRequest, "form_rejected", "row_5")
		if !strings.Contains(e.Message, "第 5 行：请填写真实姓名") || !strings.Contains(e.Fields["row_5"], "手机号「1370000」有误") {
			t.Fatalf("bad file: %+v", e)
		}
		if n := roster(); n != 0 {
			t.Fatalf("a refused file wrote %d roster entries", n)
		}
		big := bytes.Repeat([]byte("x"), 6<<20)
		webtest.WantAPIError(t, admin.Upload(path, nil, "file", "big.xlsx", big, true), http.StatusRequestEntityTooLarge, "body_too_large", "")

		webtest.WantData(t, admin.Upload(path, nil, "file", "附件1.xlsx", form, true), http.StatusOK, &res)
		if res.DryRun || res.Counts.Added != 2 || roster() != 2 {
			t.Fatalf("import: %+v; roster %d", res, roster())
		}
		webtest.WantData(t, province.Upload(path+"?university="+webtest.CodeSZU+"&dry_run=1", nil, "file", "附件1.xlsx", form, true), http.StatusOK, &res)
		if res.Counts.Unchanged != 2 || res.Counts.Added != 0 {
			t.Fatalf("the same form again: %+v", res)
		}
	})
}
