package h5_test

import (
	"net/http"
	"net/url"
	"regexp"
	"testing"

	"github.com/gdyouth/youthvoice/handler/internal/webtest"
	"github.com/gdyouth/youthvoice/model"
	"github.com/gdyouth/youthvoice/service/alertkind"
	"github.com/gdyouth/youthvoice/service/kv"
	"github.com/gdyouth/youthvoice/service/servicetest"
)

const (
	pwUni   = "4144010558" // 中山大学
	pwOther = "4144010559" // 暨南大学
)

// passwordLogin signs a plain browser in with account and password.
func passwordLogin(t *testing.T, s *webtest.Stack, acct, password string) *webtest.Client {
	t.Helper()
	c := s.Browser(webtest.UAPlain)
	r := c.Post("/h5/login", url.Values{"account": {acct}, "password": {password}, "next": {"/h5/home"}})
	webtest.WantRedirect(t, r, http.StatusSeeOther, "/h5/home")
	return c
}

func TestH5ChangePasswordEndsOtherSessions(t *testing.T) {
	webtest.Each(t, func(t *testing.T, db *model.DB, store kv.Store) {
		s := webtest.New(t, db, store, webtest.Opts{})
		p := s.Member("pwc", pwUni, model.RoleStudent)
		desk := passwordLogin(t, s, p.User.Account, "secret123")
		laptop := passwordLogin(t, s, p.User.Account, "secret123")

		settings := desk.Get("/h5/settings")
		webtest.WantBody(t, settings, `href="/h5/password"`, "修改密码", `href="/h5/password/reset"`, "忘记密码")
		form := desk.Get("/h5/password")
		webtest.WantBody(t, form, `name="current"`, `name="new"`, `name="confirm"`)

		r := desk.Post("/h5/password", url.Values{"current": {"wrong1234"}, "new": {"fresh2026"}, "confirm": {"fresh2026"}})
		if msg := webtest.FieldError(r.Body, "current"); msg != "当前密码不正确" {
			t.Fatalf("wrong current: HTTP %d, field error %q", r.Status, msg)
		}
		webtest.WantNoBody(t, r, "wrong1234", "fresh2026")
		r = desk.Post("/h5/password", url.Values{"current": {"secret123"}, "new": {"fresh2026"}, "confirm": {"fresh2027"}})
		if msg := webtest.FieldError(r.Body, "confirm"); msg == "" {
			t.Fatalf("mismatch: HTTP %d, no field error\n%s", r.Status, r.Body)
		}
		r = desk.Post("/h5/password", url.Values{"current": {"secret123"}, "new": {"fresh2026"}, "confirm": {"fresh2026"}})
		webtest.WantRedirect(t, r, http.StatusSeeOther, "/h5/settings?notice=password")
		webtest.WantBody(t, desk.Get("/h5/settings?notice=password"), "密码已修改")

		// The other browser's session began before the change.
		webtest.WantRedirect(t, laptop.Get("/h5/home"), http.StatusFound, "/h5/login?next=%2Fh5%2Fhome")
		passwordLogin(t, s, p.User.Account, "fresh2026")

		ms := servicetest.Alerts(t, db, alertkind.PasswordChanged)
		servicetest.WantRecipients(t, "password_changed", ms, p.User)
		webtest.WantBody(t, desk.Get("/h5/messages"), "密码已修改")
	})
}

func TestH5ResetPasswordInWeChat(t *testing.T) {
	webtest.Each(t, func(t *testing.T, db *model.DB, store kv.Store) {
		s := webtest.New(t, db, store, webtest.Opts{})
		p := s.Member("pwr", pwUni, model.RoleStudent)

		login := s.Browser(webtest.UAPlain).Get("/h5/login")
		webtest.WantBody(t, login, `href="/h5/password/reset"`, "忘记密码")
		// Outside WeChat nothing proves who asks: the page says where to go.
		r := s.Browser(webtest.UAPlain).Get("/h5/password/reset")
		webtest.WantStatus(t, r, http.StatusOK)
		webtest.WantBody(t, r, `id="reset-wechat"`, "团委管理员")
		webtest.WantNoBody(t, r, `name="new"`)
		// Inside WeChat, authorization first.
		if r := s.Browser(webtest.UAWeChat).Get("/h5/password/reset"); r.Status != http.StatusFound {
			t.Fatalf("WeChat without a session: HTTP %d, want 302 to authorization", r.Status)
		}
		// A password session cannot reset without the old password.
		desk := passwordLogin(t, s, p.User.Account, "secret123")
		r = desk.Post("/h5/password/reset", url.Values{"new": {"fresh2026"}, "confirm": {"fresh2026"}})
		webtest.WantStatus(t, r, http.StatusForbidden)

		phone := s.Phone(p)
		form := phone.Get("/h5/password/reset")
		webtest.WantBody(t, form, `id="reset-who"`, p.User.Account, `name="new"`)
		webtest.WantNoBody(t, form, `name="current"`)
		r = phone.Post("/h5/password/reset", url.Values{"new": {"fresh2026"}, "confirm": {"fresh2026"}})
		webtest.WantRedirect(t, r, http.StatusSeeOther, "/h5/settings?notice=password")
		webtest.WantStatus(t, phone.Get("/h5/settings"), http.StatusOK)
		passwordLogin(t, s, p.User.Account, "fresh2026")
		if d := servicetest.AlertData(t, servicetest.Alerts(t, db, alertkind.PasswordChanged)[0]); d["thing1"] != "微信内重置" {
			t.Errorf("alert %v", d)
		}
	})
}

var tempRE = regexp.MustCompile(`id="temporary-password"[^>]*>([A-Za-z0-9]+)<`)

func TestH5TemporaryPasswordMustBeChanged(t *testing.T) {
	webtest.Each(t, func(t *testing.T, db *model.DB, store kv.Store) {
		s := webtest.New(t, db, store, webtest.Opts{})
		admin := s.Member("pwa", pwUni, model.RoleUniversityAdm)
		student := s.Member("pws", pwUni, model.RoleStudent)
		stranger := s.Member("pwx", pwOther, model.RoleStudent)
		adminPhone := s.Phone(admin)
		webtest.WantBody(t, adminPhone.Get("/h5/admin"), `href="/h5/admin/password"`)
		webtest.WantStatus(t, s.Phone(student).Get("/h5/admin/password"), http.StatusForbidden)

		r := adminPhone.Post("/h5/admin/password", url.Values{"account": {stranger.User.Account}})
		webtest.WantStatus(t, r, http.StatusNotFound)
		r = adminPhone.Post("/h5/admin/password", url.Values{"account": {student.User.Account}})
		webtest.WantStatus(t, r, http.StatusOK)
		m := tempRE.FindStringSubmatch(r.Body)
		if m == nil {
			t.Fatalf("no temporary password shown:\n%s", r.Body)
		}
		temp := m[1]
		if r.Header.Get("Cache-Control") != "no-store" {
			t.Errorf("Cache-Control %q", r.Header.Get("Cache-Control"))
		}

		c := passwordLogin(t, s, student.User.Account, temp)
		for _, path := range []string{"/h5/home", "/h5/settings", "/h5/messages"} {
			webtest.WantRedirect(t, c.Get(path), http.StatusSeeOther, "/h5/password")
		}
		webtest.WantAPIError(t, c.API(http.MethodGet, "/api/v1/me", nil), http.StatusForbidden, "password_change_required", "")
		form := c.Get("/h5/password")
		webtest.WantBody(t, form, `id="must-change"`, `id="logout"`)
		webtest.WantNoBody(t, form, `name="current"`)
		r = c.Post("/h5/password", url.Values{"new": {temp}, "confirm": {temp}})
		if webtest.FieldError(r.Body, "new") == "" {
			t.Fatalf("keeping the temporary password: HTTP %d", r.Status)
		}
		r = c.Post("/h5/password", url.Values{"new": {"mine20260"}, "confirm": {"mine20260"}})
		webtest.WantRedirect(t, r, http.StatusSeeOther, "/h5/home?notice=password")
		webtest.WantStatus(t, c.Get("/h5/home"), http.StatusOK)
		if servicetest.Reload(t, db, student.User.ID).MustChangePassword {
			t.Error("must_change not cleared")
		}
	})
}
