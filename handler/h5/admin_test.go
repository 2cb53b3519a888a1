package h5_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/gdyouth/youthvoice/handler/internal/webtest"

	"github.com/gdyouth/youthvoice/model"
	"github.com/gdyouth/youthvoice/model/dbtest"
	"github.com/gdyouth/youthvoice/service/clock"
	"github.com/gdyouth/youthvoice/service/kv"
	"github.com/gdyouth/youthvoice/service/kv/kvtest"
)

// The province admin appoints a university admin by the account they
// were told, on the admin page; nobody else may, and mistakes are shown
// next to the field.
func TestAppointUniversityAdminPage(t *testing.T) {
	webtest.Each(t, func(t *testing.T, db *model.DB, store kv.Store) {
		s := webtest.New(t, db, store, webtest.Opts{})
		province := s.Member("prov", webtest.CodeSZU, model.RoleProvinceAdmin)
		uniAdmin := s.Member("uadm", webtest.CodeSZU, model.RoleUniversityAdm)
		candidate := s.Member("cand", webtest.CodeSCUT, model.RoleStudent)
		pp := s.Phone(province)

		r := pp.Get("/h5/admin")
		webtest.WantStatus(t, r, http.StatusOK)
		webtest.WantBody(t, r, `id="appoint-form"`)
		webtest.WantNoBody(t, s.Phone(uniAdmin).Get("/h5/admin"), `id="appoint-form"`)

		cases := []struct {
			name, account string
			status        int
			msg           string
		}{
			{"empty", "  ", http.StatusBadRequest, "请输入要任命的账号"},
			{"unknown", "nobody000", http.StatusNotFound, "账号不存在"},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				r := pp.Post("/h5/admin/university-admins", url.Values{"account": {tc.account}})
				webtest.WantStatus(t, r, tc.status)
				webtest.WantBody(t, r, `id="form-error"`, tc.msg, `id="appoint-form"`)
				if v, _ := webtest.InputValue(r.Body, "appoint-account"); v != tc.account {
					t.Fatalf("account field shows %q, want what was typed (%q)", v, tc.account)
				}
			})
		}

		// Another university's admin cannot appoint.
		r = s.Phone(uniAdmin).Post("/h5/admin/university-admins", url.Values{"account": {candidate.User.Account}})
		webtest.WantStatus(t, r, http.StatusForbidden)
		webtest.WantBody(t, r, "只有省级管理员可以任命高校管理员")

		// Typed in another letter case, the account is found and appointed.
		cp := s.Phone(candidate)
		webtest.WantStatus(t, cp.Get("/h5/admin"), http.StatusForbidden)
		r = pp.Post("/h5/admin/university-admins", url.Values{"account": {strings.ToUpper(candidate.User.Account)}})
		if r.Status != http.StatusSeeOther || r.Location != "/h5/admin?notice=appointed" {
			t.Fatalf("appoint: HTTP %d → %q\n%s", r.Status, r.Location, r.Body)
		}
		webtest.WantBody(t, pp.Get(r.Location), "已任命为高校团委管理员")
		r = cp.Get("/h5/admin")
		webtest.WantStatus(t, r, http.StatusOK)
		webtest.WantBody(t, r, "本校管理")
	})
}

// Templates WeChat rejected, a refused AppSecret or IP address and a spent
// daily quota are told apart on the admin page: each names what to fix or
// when the held-back reminders go out.
func TestAdminPageShowsAlertProblems(t *testing.T) {
	webtest.Each(t, func(t *testing.T, db *model.DB, store kv.Store) {
		s := webtest.New(t, db, store, webtest.Opts{})
		admin := s.Phone(s.Member("uadm", webtest.CodeSZU, model.RoleUniversityAdm))
		r := admin.Get("/h5/admin")
		webtest.WantStatus(t, r, http.StatusOK)
		webtest.WantNoBody(t, r, `id="alert-problems"`)
		webtest.WantNoBody(t, r, `id="alert-credentials"`)
		webtest.WantNoBody(t, r, `id="alert-quota"`)

		now := time.Now().UTC()
		for _, m := range []model.TemplateMessage{
			{TemplateKey: "question_new", TemplateID: "TPL_NEW", LastErrCode: 40037},
			{TemplateKey: "reply_notice", TemplateID: "TPL_REPLY", LastErrCode: 40164},
		} {
			m.OpenID, m.Data, m.Status, m.ConfigError = "o_admin_page", "{}", model.TemplateFailed, true
			m.NextAttemptAt, m.CreatedAt, m.UpdatedAt = now, now, now
			if err := db.Conn(context.Background()).Create(&m).Error; err != nil {
				t.Fatal(err)
			}
		}
		r = admin.Get("/h5/admin")
		webtest.WantStatus(t, r, http.StatusOK)
		webtest.WantBody(t, r, `id="alert-credentials"`, "errcode 40164", "IP 白名单", "YV_WECHAT_SECRET", "每 2 分钟自动重试")
		webtest.WantBody(t, r, `id="alert-problems"`, "question_new（TPL_NEW）errcode 40037")
		if strings.Contains(r.Body, "reply_notice") {
			t.Fatal("the refused credentials are listed as a template problem")
		}
		webtest.WantNoBody(t, r, `id="alert-quota"`)

		// 45009: one message met it and waits for midnight, one more is
		// queued behind it; neither is a configuration error.
		b := now.In(clock.Beijing)
		midnight := time.Date(b.Year(), b.Month(), b.Day()+1, 0, 0, 0, 0, clock.Beijing)
		for _, m := range []model.TemplateMessage{
			{TemplateKey: "answered", TemplateID: "TPL_ANS", LastErrCode: 45009, NextAttemptAt: midnight.UTC()},
			{TemplateKey: "answered", TemplateID: "TPL_ANS", NextAttemptAt: now},
		} {
			m.OpenID, m.Data, m.Status = "o_admin_quota", "{}", model.TemplatePending
			m.CreatedAt, m.UpdatedAt = now, now
			if err := db.Conn(context.Background()).Create(&m).Error; err != nil {
				t.Fatal(err)
			}
		}
		r = admin.Get("/h5/admin")
		webtest.WantStatus(t, r, http.StatusOK)
		webtest.WantBody(t, r, `id="alert-quota"`, "今日微信接口调用额度已用完", "errcode 45009", "全省共 2 条提醒等待发送",
			"北京时间 "+midnight.Format("2006-01-02 15:04")+" 起自动补发")
		if strings.Contains(r.Body, "TPL_ANS") {
			t.Fatal("the spent quota is listed as a template problem")
		}
	})
}

// An alert whose delivery is unknown (its sender died after the POST,
// too long ago to repeat it safely) is shown to the admins, never to
// others, with the alert's name.
func TestAdminPageShowsUnknownAlerts(t *testing.T) {
	s := webtest.New(t, dbtest.SQLite(t), kvtest.Memory(t, nil), webtest.Opts{})
	admin := s.Member("uadm", webtest.CodeSZU, model.RoleUniversityAdm)
	webtest.WantNoBody(t, s.Phone(admin).Get("/h5/admin"), `id="alert-unknown"`)
	now := time.Now().UTC()
	m := model.TemplateMessage{OpenID: "oUNKNOWN", TemplateKey: "answered", TemplateID: "tpl", URL: "/h5/questions/1", Data: "{}",
		Status: model.TemplateUnknown, NextAttemptAt: now, AttemptStartedAt: &now, CreatedAt: now, UpdatedAt: now}
	if err := s.DB.Conn(context.Background()).Create(&m).Error; err != nil {
		t.Fatal(err)
	}
	r := s.Phone(admin).Get("/h5/admin")
	webtest.WantBody(t, r, `id="alert-unknown"`, "1 条提醒状态未知", "提问已答复", "状态未知", "不再自动重发")
	webtest.WantStatus(t, s.Phone(s.Member("stu", webtest.CodeSZU, model.RoleStudent)).Get("/h5/admin"), http.StatusForbidden)
}
