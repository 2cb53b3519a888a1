package api_test

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/gdyouth/youthvoice/handler/internal/webtest"
	"github.com/gdyouth/youthvoice/model"
	"github.com/gdyouth/youthvoice/service/audit"
	"github.com/gdyouth/youthvoice/service/kv"
)

type apiAuditPage struct {
	Records []struct {
		ID           uint64  `json:"id"`
		ActorID      *uint64 `json:"actor_id"`
		ActorRole    string  `json:"actor_role"`
		UniversityID *uint64 `json:"university_id"`
		IP           string  `json:"ip"`
		Action       string  `json:"action"`
		ActionName   string  `json:"action_name"`
		ObjectID     string  `json:"object_id"`
		Summary      string  `json:"summary"`
		Hash         string  `json:"hash"`
	} `json:"records"`
	NextCursor string `json:"next_cursor"`
}

func TestAPIAudit(t *testing.T) {
	webtest.Each(t, func(t *testing.T, db *model.DB, store kv.Store) {
		s := webtest.New(t, db, store, webtest.Opts{})
		prov := s.Member("bprov", pwUni, model.RoleProvinceAdmin)
		uadm := s.Member("buadm", pwUni, model.RoleUniversityAdm)
		stu := s.Member("bstu", pwUni, model.RoleStudent)
		ostu := s.Member("bostu", pwOther, model.RoleStudent)

		p := s.SignIn(prov.User)
		webtest.WantStatus(t, p.API(http.MethodPost, "/api/v1/admin/users/"+ostu.User.Account+"/temporary-password", nil), http.StatusOK)
		a := s.SignIn(uadm.User)
		webtest.WantStatus(t, a.API(http.MethodPost, "/api/v1/admin/users/"+stu.User.Account+"/temporary-password", nil), http.StatusOK)

		var page apiAuditPage
		webtest.WantData(t, p.API(http.MethodGet, "/api/v1/admin/audit?action=password.temporary", nil), http.StatusOK, &page)
		if len(page.Records) != 2 || page.NextCursor != "" {
			t.Fatalf("province sees %+v, want 2 records", page)
		}
		first := page.Records[0] // newest: the university admin's
		if first.ActorID == nil || *first.ActorID != uadm.User.ID || first.ActorRole != model.RoleUniversityAdm ||
			first.UniversityID == nil || first.ObjectID != strconv.FormatUint(stu.User.ID, 10) || first.IP != "127.0.0.1" ||
			len(first.Hash) != 64 || first.ActionName != "发放临时密码" {
			t.Fatalf("record = %+v", first)
		}
		webtest.WantData(t, a.API(http.MethodGet, "/api/v1/admin/audit", nil), http.StatusOK, &page)
		for _, r := range page.Records {
			if r.UniversityID == nil || *r.UniversityID != *uadm.User.UniversityID {
				t.Fatalf("university admin sees %+v", r)
			}
		}

		webtest.WantAPIError(t, p.API(http.MethodGet, "/api/v1/admin/audit?from=yesterday", nil), http.StatusBadRequest, "bad_filter", "from")
		webtest.WantAPIError(t, p.API(http.MethodGet, "/api/v1/admin/audit?action=nope", nil), http.StatusBadRequest, "bad_filter", "action")
		webtest.WantAPIError(t, p.API(http.MethodGet, "/api/v1/admin/audit?actor="+strings.Repeat("长", 40), nil), http.StatusBadRequest, "bad_filter", "actor")
		webtest.WantAPIError(t, p.API(http.MethodGet, "/api/v1/admin/audit/export?format=pdf", nil), http.StatusBadRequest, "bad_format", "format")
		plain := s.SignIn(s.Member("bplain", pwUni, model.RoleStudent).User)
		webtest.WantAPIError(t, plain.API(http.MethodGet, "/api/v1/admin/audit", nil), http.StatusForbidden, "not_admin", "")

		r := p.API(http.MethodGet, "/api/v1/admin/audit/export?format=xlsx&action=password.temporary", nil)
		webtest.WantStatus(t, r, http.StatusOK)
		if !strings.HasPrefix(r.Body, "PK") || r.Header.Get("X-Audit-Rows") != "2" {
			t.Fatalf("xlsx export: rows %q", r.Header.Get("X-Audit-Rows"))
		}
		r = a.API(http.MethodGet, "/api/v1/admin/audit/export", nil)
		webtest.WantStatus(t, r, http.StatusOK)
		if !strings.Contains(r.Body, stu.User.Account) || strings.Contains(r.Body, ostu.User.Account) {
			t.Fatalf("university admin's CSV:\n%s", r.Body)
		}
		var n int64
		db.Conn(context.Background()).Model(&model.AuditLog{}).Where("action = ?", audit.ActionExportPersonal).Count(&n)
		if n != 2 {
			t.Fatalf("%d export records, want 2", n)
		}
	})
}
