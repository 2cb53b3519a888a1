package api_test

import (
	"bytes"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gdyouth/youthvoice/handler/internal/webtest"
	"github.com/gdyouth/youthvoice/model"
	"github.com/gdyouth/youthvoice/service/clock"
	"github.com/gdyouth/youthvoice/service/kv"
	"github.com/gdyouth/youthvoice/service/notice"
)

var notePDF = []byte("%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n")

type apiNotice struct {
	ID         uint64     `json:"id"`
	Title      string     `json:"title"`
	Body       string     `json:"body"`
	Audience   string     `json:"audience"`
	Recipients int        `json:"recipients"`
	ReadCount  int        `json:"read_count"`
	Read       *bool      `json:"read"`
	ReadAt     *time.Time `json:"read_at"`
	Attachment *struct {
		Name, URL string
		Size      int64
	}
}

// The province publishes through the API (JSON, or multipart with an
// attachment); recipients list, read and download it, which the
// province's receipts show; nobody else sees any of it; bad input is a
// Chinese field error, never a 500.
func TestAPINotices(t *testing.T) {
	webtest.Each(t, func(t *testing.T, db *model.DB, store kv.Store) {
		clk := clock.NewFake(time.Now().UTC())
		s := webtest.New(t, db, store, webtest.Opts{Clock: clk})
		prov := s.Member("nprov", webtest.CodeSCUT, model.RoleProvinceAdmin)
		adminSZU, cadreSZU := s.Member("nadm", webtest.CodeSZU, model.RoleUniversityAdm), s.Member("ncad", webtest.CodeSZU, model.RoleCadre)
		adminSCUT := s.Member("nfar", webtest.CodeSCUT, model.RoleUniversityAdm)
		province, admin, farAdmin := s.Phone(prov), s.Phone(adminSZU), s.Phone(adminSCUT)
		student := s.Phone(s.Member("nstu", webtest.CodeSZU, model.RoleStudent))

		good := map[string]any{"title": "关于推广青年之声的通知", "body": "各高校：\n请按附件执行。", "target": "chosen",
			"universities": []string{webtest.CodeSZU}, "cadres": true}
		webtest.WantAPIError(t, student.API(http.MethodPost, "/api/v1/admin/notices", good), http.StatusForbidden, "not_province_admin", "")
		webtest.WantAPIError(t, admin.API(http.MethodPost, "/api/v1/admin/notices", good), http.StatusForbidden, "not_province_admin", "")
		e := webtest.WantAPIError(t, province.API(http.MethodPost, "/api/v1/admin/notices", map[string]any{"title": strings.Repeat("长", 51), "target": "chosen"}),
			http.StatusBadRequest, "invalid_notice", "title")
		if !strings.Contains(e.Fields["title"], "50") || e.Fields["body"] == "" || e.Fields["universities"] == "" {
			t.Fatalf("field errors %v", e.Fields)
		}
		webtest.WantAPIError(t, province.API(http.MethodPost, "/api/v1/admin/notices", map[string]any{"title": "t", "body": strings.Repeat("长", 30000), "target": "all"}),
			http.StatusRequestEntityTooLarge, "body_too_large", "")
		webtest.WantAPIError(t, province.API(http.MethodPost, "/api/v1/admin/notices", `{"title": 5}`), http.StatusBadRequest, "bad_json", "")

		fields := map[string]string{"title": "附件通知", "body": "见附件", "target": "chosen", "universities": webtest.CodeSZU, "cadres": "1"}
		e = webtest.WantAPIError(t, province.Upload("/api/v1/admin/notices", fields, "attachment", "setup.exe", []byte("MZ\x90\x00"), true),
			http.StatusBadRequest, "invalid_notice", "attachment")
		if !strings.Contains(e.Fields["attachment"], "PDF") {
			t.Fatalf("attachment error %q", e.Fields["attachment"])
		}
		webtest.WantAPIError(t, province.Upload("/api/v1/admin/notices", fields, "attachment", "大.pdf", append(bytes.Clone(notePDF), make([]byte, notice.MaxAttachment+128<<10)...), true),
			http.StatusRequestEntityTooLarge, "body_too_large", "")
		var n apiNotice
		webtest.WantData(t, province.Upload("/api/v1/admin/notices", fields, "attachment", "附件1 推广方案.pdf", notePDF, true), http.StatusCreated, &n)
		if n.Recipients != 2 || n.Attachment == nil || n.Attachment.Name != "附件1 推广方案.pdf" || n.Attachment.Size != int64(len(notePDF)) {
			t.Fatalf("published %+v", n)
		}
		var plain apiNotice
		webtest.WantData(t, province.API(http.MethodPost, "/api/v1/admin/notices", good), http.StatusCreated, &plain)
		if plain.Attachment != nil || plain.Recipients != 2 {
			t.Fatalf("published without attachment: %+v", plain)
		}
		id := strconv.FormatUint(n.ID, 10)

		// The recipients' WeChat got the alert, linking to the notice.
		s.Deliver()
		for _, p := range []webtest.Person{adminSZU, cadreSZU} {
			got := webtest.WithTemplate(webtest.Inbox(t, p.OpenID), "sandbox-notice")
			var this []webtest.SentTemplate
			for _, m := range got {
				if strings.HasSuffix(m.URL, "%2Fh5%2Fnotices%2F"+id) {
					this = append(this, m)
				}
			}
			if len(got) != 2 || len(this) != 1 || this[0].Data["thing1"].Value != "附件通知" {
				t.Fatalf("alerts of %s: %+v", p.User.Account, got)
			}
		}
		if got := webtest.WithTemplate(webtest.Inbox(t, adminSCUT.OpenID), "sandbox-notice"); len(got) != 0 {
			t.Fatalf("华南理工's admin was alerted: %+v", got)
		}

		var mine []apiNotice
		webtest.WantData(t, admin.API(http.MethodGet, "/api/v1/notices", nil), http.StatusOK, &mine)
		if len(mine) != 2 || mine[0].ID != plain.ID || mine[0].Read == nil || *mine[0].Read || mine[0].Body != "" {
			t.Fatalf("admin's list %+v", mine)
		}
		for _, c := range []*webtest.Client{farAdmin, student} {
			webtest.WantAPIError(t, c.API(http.MethodGet, "/api/v1/notices/"+id, nil), http.StatusNotFound, "notice_not_found", "")
			webtest.WantAPIError(t, c.API(http.MethodGet, "/api/v1/notices/"+id+"/attachment", nil), http.StatusNotFound, "notice_not_found", "")
			var none []apiNotice
			webtest.WantData(t, c.API(http.MethodGet, "/api/v1/notices", nil), http.StatusOK, &none)
			if len(none) != 0 {
				t.Fatalf("a non-recipient's list: %+v", none)
			}
		}
		webtest.WantAPIError(t, admin.API(http.MethodGet, "/api/v1/notices/abc", nil), http.StatusBadRequest, "bad_id", "")

		clk.Advance(5 * time.Minute)
		var one apiNotice
		webtest.WantData(t, admin.API(http.MethodGet, "/api/v1/notices/"+id, nil), http.StatusOK, &one)
		if one.Body != "见附件" || one.Read == nil || !*one.Read || one.ReadAt == nil || one.Audience != "指定的 1 所高校的团委管理员和团学干部" {
			t.Fatalf("opened %+v", one)
		}
		r := admin.Get("/api/v1/notices/" + id + "/attachment")
		webtest.WantStatus(t, r, http.StatusOK)
		cd := r.Header.Get("Content-Disposition")
		if r.Body != string(notePDF) || r.Header.Get("Content-Type") != "application/pdf" ||
			!strings.Contains(cd, "filename*=UTF-8''%E9%99%84%E4%BB%B61%20%E6%8E%A8%E5%B9%BF%E6%96%B9%E6%A1%88.pdf") || !strings.Contains(cd, `filename="_1 _.pdf"`) {
			t.Fatalf("attachment: %s, Content-Disposition %q", r.Header.Get("Content-Type"), cd)
		}

		var sent struct {
			Notices []apiNotice
			Total   int
		}
		webtest.WantData(t, province.API(http.MethodGet, "/api/v1/admin/notices", nil), http.StatusOK, &sent)
		if sent.Total != 2 || len(sent.Notices) != 2 || sent.Notices[1].ID != n.ID || sent.Notices[1].ReadCount != 1 || sent.Notices[1].Recipients != 2 {
			t.Fatalf("province's list %+v", sent)
		}
		webtest.WantAPIError(t, admin.API(http.MethodGet, "/api/v1/admin/notices", nil), http.StatusForbidden, "not_province_admin", "")
		var reads struct {
			Notice       apiNotice
			Universities []struct {
				University struct{ Code string }
				Recipients int
				Read       int
				LastReadAt *time.Time `json:"last_read_at"`
				Unread     []struct{ Name, Kind string }
				Readers    []struct{ Name string }
			}
		}
		webtest.WantData(t, province.API(http.MethodGet, "/api/v1/admin/notices/"+id+"/reads", nil), http.StatusOK, &reads)
		if len(reads.Universities) != 1 {
			t.Fatalf("receipts %+v", reads)
		}
		u := reads.Universities[0]
		if u.University.Code != webtest.CodeSZU || u.Recipients != 2 || u.Read != 1 || u.LastReadAt == nil || !u.LastReadAt.Equal(*one.ReadAt) ||
			len(u.Unread) != 1 || u.Unread[0].Name != "ncad老师" || u.Unread[0].Kind != "cadre" || len(u.Readers) != 1 {
			t.Fatalf("深圳大学's receipts %+v", u)
		}
		webtest.WantAPIError(t, admin.API(http.MethodGet, "/api/v1/admin/notices/"+id+"/reads", nil), http.StatusForbidden, "not_province_admin", "")

		var res struct {
			Reminded, Waiting int
		}
		webtest.WantData(t, province.API(http.MethodPost, "/api/v1/admin/notices/"+id+"/remind", nil), http.StatusOK, &res)
		if res.Reminded != 0 || res.Waiting != 1 {
			t.Fatalf("remind within the hour: %+v", res)
		}
		clk.Advance(time.Hour)
		webtest.WantData(t, province.API(http.MethodPost, "/api/v1/admin/notices/"+id+"/remind", map[string]string{"university": webtest.CodeSZU}), http.StatusOK, &res)
		if res.Reminded != 1 || res.Waiting != 0 {
			t.Fatalf("remind after the hour: %+v", res)
		}
		s.Deliver()
		reminders := 0
		for _, m := range webtest.WithTemplate(webtest.Inbox(t, cadreSZU.OpenID), "sandbox-notice") {
			if strings.HasPrefix(m.Data["thing1"].Value, "【未读提醒】") && strings.HasSuffix(m.URL, "%2Fh5%2Fnotices%2F"+id) {
				reminders++
			}
		}
		if reminders != 1 {
			t.Fatalf("the unread cadre got %d reminders, want 1", reminders)
		}
		if got := webtest.WithTemplate(webtest.Inbox(t, adminSZU.OpenID), "sandbox-notice"); len(got) != 2 {
			t.Fatalf("the admin who read was reminded: %+v", got)
		}
		webtest.WantAPIError(t, admin.API(http.MethodPost, "/api/v1/admin/notices/"+id+"/remind", nil), http.StatusForbidden, "not_province_admin", "")
		webtest.WantAPIError(t, province.API(http.MethodPost, "/api/v1/admin/notices/"+id+"/remind", map[string]string{"university": "0000000000"}),
			http.StatusNotFound, "university_not_found", "")
	})
}
