package h5_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gdyouth/youthvoice/handler/internal/webtest"
	"github.com/gdyouth/youthvoice/model"
	"github.com/gdyouth/youthvoice/service/clock"
	"github.com/gdyouth/youthvoice/service/kv"
)

var pagePDF = []byte("%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n")

// The province publishes a notice on its phone form (mistakes shown by
// their fields, the text kept); the university admin sees the badge on
// 主页, the notice unread in 通知, opens it from the alert and downloads
// the attachment; the province's receipts show who read it and when,
// and 提醒未读 reminds the rest once an hour. Nobody else sees it.
func TestNoticePages(t *testing.T) {
	webtest.Each(t, func(t *testing.T, db *model.DB, store kv.Store) {
		clk := clock.NewFake(time.Now().UTC())
		s := webtest.New(t, db, store, webtest.Opts{Clock: clk})
		province := s.Phone(s.Member("pprov", webtest.CodeSCUT, model.RoleProvinceAdmin))
		adminP := s.Member("padm", webtest.CodeSZU, model.RoleUniversityAdm)
		admin := s.Phone(adminP)
		cadreP := s.Member("pcad", webtest.CodeSZU, model.RoleCadre)
		student := s.Phone(s.Member("pstu", webtest.CodeSZU, model.RoleStudent))
		farAdmin := s.Phone(s.Member("pfar", webtest.CodeSCUT, model.RoleUniversityAdm))

		webtest.WantBody(t, province.Get("/h5/admin"), `href="/h5/admin/notices" id="nav-notices"`)
		webtest.WantBody(t, province.Get("/h5/home"), `href="/h5/admin/notices" id="nav-notices"`)
		webtest.WantBody(t, admin.Get("/h5/admin"), `href="/h5/notices" id="nav-notices"`)
		webtest.WantNoBody(t, student.Get("/h5/home"), `id="nav-notices"`)
		webtest.WantBody(t, province.Get("/h5/admin/notices"), `id="sent-empty"`)
		form := province.Get("/h5/admin/notices/new")
		webtest.WantBody(t, form, `enctype="multipart/form-data"`, `maxlength="50"`, `maxlength="5000"`,
			`value="`+webtest.CodeSZU+`"`, "深圳大学", "民办专科", `name="cadres"`, `name="attachment"`)
		webtest.WantStatus(t, admin.Get("/h5/admin/notices/new"), http.StatusForbidden)

		fields := map[string]string{"title": "", "body": "各高校团委：\n请于本周内完成推广。", "target": "chosen", "universities": webtest.CodeSZU, "cadres": "1"}
		r := province.Upload("/h5/admin/notices", fields, "attachment", "推广方案.pdf", pagePDF, false)
		webtest.WantStatus(t, r, http.StatusBadRequest)
		if got := webtest.FieldError(r.Body, "title"); got != "请填写标题" {
			t.Fatalf("title error %q", got)
		}
		webtest.WantBody(t, r, "请于本周内完成推广。", `value="`+webtest.CodeSZU+`" checked`, `id="cadres" checked`, "请重新选择")
		fields["title"] = "关于推广青年之声的通知"
		r = province.Upload("/h5/admin/notices", fields, "attachment", "推广方案.txt", []byte("hello"), false)
		webtest.WantStatus(t, r, http.StatusBadRequest)
		if got := webtest.FieldError(r.Body, "attachment"); !strings.Contains(got, "附件只能是") {
			t.Fatalf("attachment error %q", got)
		}
		r = province.Upload("/h5/admin/notices", fields, "attachment", "推广方案.pdf", pagePDF, false)
		loc := regexp.MustCompile(`^/h5/admin/notices/(\d+)\?notice=published$`).FindStringSubmatch(r.Location)
		if r.Status != http.StatusSeeOther || loc == nil {
			t.Fatalf("publish: HTTP %d to %q\n%s", r.Status, r.Location, r.Body)
		}
		id := loc[1]
		webtest.WantBody(t, province.Get(r.Location), "通知已发布", `data-code="`+webtest.CodeSZU+`"`, `id="count-recipients">2<`, `id="count-read">0<`)
		webtest.WantBody(t, province.Get("/h5/admin/notices"), "关于推广青年之声的通知", "已读 0/2")

		// The admin: a badge on 主页, the notice unread in 通知.
		webtest.WantBody(t, admin.Get("/h5/home"), `id="notice-unread"`, `>1</span>`)
		webtest.WantBody(t, admin.Get("/h5/notices"), "1 条未读", "<strong>关于推广青年之声的通知</strong>", "未读")
		for _, c := range []*webtest.Client{student, farAdmin} {
			webtest.WantBody(t, c.Get("/h5/notices"), `id="notice-empty"`)
			webtest.WantStatus(t, c.Get("/h5/notices/"+id), http.StatusNotFound)
			webtest.WantStatus(t, c.Get("/h5/notices/"+id+"/attachment"), http.StatusNotFound)
		}
		webtest.WantStatus(t, admin.Get("/h5/admin/notices"), http.StatusForbidden)
		webtest.WantStatus(t, admin.Get("/h5/admin/notices/"+id), http.StatusForbidden)

		// Opened from the alert on the phone.
		s.Deliver()
		alerts := webtest.WithTemplate(webtest.Inbox(t, adminP.OpenID), "sandbox-notice")
		if len(alerts) != 1 {
			t.Fatalf("the admin's alerts: %+v", alerts)
		}
		clk.Advance(3 * time.Minute)
		admin, r = openAlert(s, adminP, alerts[0].URL, "/h5/notices/"+id)
		webtest.WantBody(t, r, `id="notice-title">关于推广青年之声的通知<`, "请于本周内完成推广。", "发送给指定的 1 所高校的团委管理员和团学干部",
			`href="/h5/notices/`+id+`/attachment"`, "推广方案.pdf", `id="notice-read"`)
		a := admin.Get("/h5/notices/" + id + "/attachment")
		if a.Status != http.StatusOK || a.Body != string(pagePDF) || !strings.Contains(a.Header.Get("Content-Disposition"), "filename*=UTF-8''%E6%8E%A8%E5%B9%BF%E6%96%B9%E6%A1%88.pdf") {
			t.Fatalf("attachment: HTTP %d, %q", a.Status, a.Header.Get("Content-Disposition"))
		}
		webtest.WantNoBody(t, admin.Get("/h5/home"), `id="notice-unread"`)
		webtest.WantBody(t, admin.Get("/h5/notices"), "全部已读", "已读")

		reads := province.Get("/h5/admin/notices/" + id)
		webtest.WantBody(t, reads, `id="count-read">1<`, `id="count-unread">1<`, "pcad老师（干部）", "padm老师", "提醒全部未读（1 人）")
		webtest.WantNoBody(t, reads, "通知已发布")
		r = province.Post("/h5/admin/notices/"+id+"/remind", url.Values{"university": {webtest.CodeSZU}})
		if r.Status != http.StatusSeeOther {
			t.Fatalf("remind: HTTP %d\n%s", r.Status, r.Body)
		}
		webtest.WantBody(t, province.Get(r.Location), "已向 0 位", "另有 1 人在 1 小时内已收到提醒", "后可再提醒")
		clk.Advance(time.Hour)
		r = province.Post("/h5/admin/notices/"+id+"/remind", url.Values{})
		webtest.WantBody(t, province.Get(r.Location), "已向 1 位未读的接收人再次发送提醒。")
		s.Deliver()
		if got := webtest.WithTemplate(webtest.Inbox(t, cadreP.OpenID), "sandbox-notice"); len(got) != 2 {
			t.Fatalf("the unread cadre's alerts: %d, want publication and reminder", len(got))
		}
		if got := webtest.WithTemplate(webtest.Inbox(t, adminP.OpenID), "sandbox-notice"); len(got) != 1 {
			t.Fatalf("the admin who read was reminded: %d alerts", len(got))
		}
		webtest.WantStatus(t, admin.Post("/h5/admin/notices/"+id+"/remind", url.Values{}), http.StatusForbidden)
	})
}
