package h5_test

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/gdyouth/youthvoice/handler/internal/webtest"
	"github.com/gdyouth/youthvoice/model"
	"github.com/gdyouth/youthvoice/service/audit"
	"github.com/gdyouth/youthvoice/service/kv"
)

func uniID(t *testing.T, db *model.DB, code string) uint64 {
	t.Helper()
	var u model.University
	if err := db.Conn(context.Background()).Where("code = ?", code).Take(&u).Error; err != nil {
		t.Fatal(err)
	}
	return u.ID
}

// The audit page: a university admin sees what was done at their
// university (who, role, when, from which IP), the province filters
// everything, a student is refused, bad filters are explained, and the
// downloads are recorded themselves.
func TestH5AuditPage(t *testing.T) {
	webtest.Each(t, func(t *testing.T, db *model.DB, store kv.Store) {
		s := webtest.New(t, db, store, webtest.Opts{})
		prov := s.Member("aprov", pwUni, model.RoleProvinceAdmin)
		uadm := s.Member("auadm", pwUni, model.RoleUniversityAdm)
		oadm := s.Member("aoadm", pwOther, model.RoleUniversityAdm)
		stu := s.Member("astu", pwUni, model.RoleStudent)
		ostu := s.Member("aostu", pwOther, model.RoleStudent)

		admin := s.SignIn(uadm.User)
		r := admin.Post("/h5/admin/password", url.Values{"account": {stu.User.Account}})
		webtest.WantStatus(t, r, http.StatusOK)
		other := s.SignIn(oadm.User)
		webtest.WantStatus(t, other.Post("/h5/admin/password", url.Values{"account": {ostu.User.Account}}), http.StatusOK)

		webtest.WantBody(t, admin.Get("/h5/admin"), `href="/h5/admin/audit"`, "审计日志")
		page := admin.Get("/h5/admin/audit")
		webtest.WantStatus(t, page, http.StatusOK)
		webtest.WantBody(t, page, "发放临时密码", stu.User.Account, "auadm老师", "高校团委管理员", "IP 127.0.0.1", `id="csv-link"`)
		webtest.WantNoBody(t, page, ostu.User.Account, `id="university"`) // another university's; no school filter
		// Asking for another university changes nothing.
		webtest.WantNoBody(t, admin.Get("/h5/admin/audit?university="+strconv.FormatUint(uniID(t, db, pwOther), 10)), ostu.User.Account)

		p := s.SignIn(prov.User)
		all := p.Get("/h5/admin/audit")
		webtest.WantBody(t, all, stu.User.Account, ostu.User.Account, `id="university"`, "全部学校")
		only := p.Get("/h5/admin/audit?university=" + strconv.FormatUint(uniID(t, db, pwOther), 10) + "&action=password.temporary")
		webtest.WantBody(t, only, ostu.User.Account)
		webtest.WantNoBody(t, only, stu.User.Account)
		byActor := p.Get("/h5/admin/audit?actor=" + url.QueryEscape("auadm老师"))
		webtest.WantBody(t, byActor, stu.User.Account)
		webtest.WantNoBody(t, byActor, ostu.User.Account)

		bad := p.Get("/h5/admin/audit?from=2026-02-31")
		webtest.WantStatus(t, bad, http.StatusBadRequest)
		webtest.WantBody(t, bad, "日期格式")
		webtest.WantStatus(t, p.Get("/h5/admin/audit?university=abc"), http.StatusBadRequest)
		webtest.WantStatus(t, p.Get("/h5/admin/audit?cursor=zz"), http.StatusBadRequest)

		plain := s.SignIn(s.Member("aplain", pwUni, model.RoleStudent).User)
		webtest.WantStatus(t, plain.Get("/h5/admin/audit"), http.StatusForbidden)
		webtest.WantStatus(t, plain.Get("/h5/admin/audit.csv"), http.StatusForbidden)

		csv := admin.Get("/h5/admin/audit.csv")
		webtest.WantStatus(t, csv, http.StatusOK)
		if !strings.HasPrefix(csv.Header.Get("Content-Type"), "text/csv") || !strings.Contains(csv.Header.Get("Content-Disposition"), "attachment") {
			t.Fatalf("csv headers %v", csv.Header)
		}
		webtest.WantBody(t, csv, "操作人账号", stu.User.Account, "password.temporary")
		if strings.Contains(csv.Body, ostu.User.Account) {
			t.Fatal("the university admin's CSV holds another university's record")
		}
		xlsx := admin.Get("/h5/admin/audit.xlsx?action=password.temporary")
		webtest.WantStatus(t, xlsx, http.StatusOK)
		if !strings.HasPrefix(xlsx.Body, "PK") {
			t.Fatalf("xlsx is not a zip: %q", xlsx.Body[:min(20, len(xlsx.Body))])
		}
		// Both downloads are on the list, by the admin.
		exp := admin.Get("/h5/admin/audit?action=" + audit.ActionExportPersonal)
		if n := strings.Count(exp.Body, `data-action="export.personal"`); n != 2 {
			t.Fatalf("%d export records, want 2\n%s", n, exp.Body)
		}
		webtest.WantBody(t, exp, "导出审计日志", "CSV", "XLSX")
	})
}

// The list pages by (at, id): every record once, newest first.
func TestH5AuditPagesThroughEveryRecord(t *testing.T) {
	webtest.Each(t, func(t *testing.T, db *model.DB, store kv.Store) {
		s := webtest.New(t, db, store, webtest.Opts{})
		prov := s.Member("apg", pwUni, model.RoleProvinceAdmin)
		for i := 0; i < audit.PageSize+7; i++ {
			if err := audit.Record(context.Background(), db, audit.Entry{Action: audit.ActionPostHide, Summary: "记录-" + strconv.Itoa(i) + "-"}); err != nil {
				t.Fatal(err)
			}
		}
		p := s.SignIn(prov.User)
		seen := map[string]bool{}
		next := "/h5/admin/audit"
		for pages := 0; next != ""; pages++ {
			if pages > 3 {
				t.Fatal("too many pages")
			}
			r := p.Get(next)
			webtest.WantStatus(t, r, http.StatusOK)
			for i := 0; i < audit.PageSize+7; i++ {
				if strings.Contains(r.Body, "记录-"+strconv.Itoa(i)+"-") {
					if seen[strconv.Itoa(i)] {
						t.Fatalf("record %d on two pages", i)
					}
					seen[strconv.Itoa(i)] = true
				}
			}
			next = ""
			if i := strings.Index(r.Body, `href="/h5/admin/audit?cursor=`); i >= 0 {
				rest := r.Body[i+len(`href="`):]
				next = strings.ReplaceAll(rest[:strings.Index(rest, `"`)], "&amp;", "&")
			}
		}
		if len(seen) != audit.PageSize+7 {
			t.Fatalf("saw %d records, want %d", len(seen), audit.PageSize+7)
		}
	})
}
