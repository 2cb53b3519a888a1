package api_test

import (
	"net/http"
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

type pwUser struct {
	Account            string `json:"account"`
	MustChangePassword bool   `json:"must_change_password"`
}

// apiLogin signs a plain client in through the API.
func apiLogin(t *testing.T, s *webtest.Stack, acct, password string) (*webtest.Client, pwUser) {
	t.Helper()
	c := s.Browser(webtest.UAPlain)
	var u pwUser
	webtest.WantData(t, c.API(http.MethodPost, "/api/v1/session", map[string]string{"account": acct, "password": password}), http.StatusOK, &u)
	return c, u
}

func TestAPIChangeAndResetPassword(t *testing.T) {
	webtest.Each(t, func(t *testing.T, db *model.DB, store kv.Store) {
		s := webtest.New(t, db, store, webtest.Opts{})
		p := s.Member("apc", pwUni, model.RoleStudent)
		c, _ := apiLogin(t, s, p.User.Account, "secret123")
		other, _ := apiLogin(t, s, p.User.Account, "secret123")

		webtest.WantAPIError(t, c.API(http.MethodPost, "/api/v1/me/password",
			map[string]string{"current": "wrong1234", "new": "fresh2026", "confirm": "fresh2026"}), http.StatusBadRequest, "wrong_password", "current")
		webtest.WantAPIError(t, c.API(http.MethodPost, "/api/v1/me/password",
			map[string]string{"current": "secret123", "new": "ab", "confirm": "ab"}), http.StatusBadRequest, "invalid_input", "new")
		r := c.API(http.MethodPost, "/api/v1/me/password", map[string]string{"current": "secret123", "new": "fresh2026", "confirm": "fresh2026"})
		var u pwUser
		webtest.WantData(t, r, http.StatusOK, &u)
		if r.Header.Get("X-CSRF-Token") == "" || u.Account != p.User.Account {
			t.Errorf("answer %+v, token %q", u, r.Header.Get("X-CSRF-Token"))
		}
		webtest.WantStatus(t, c.API(http.MethodGet, "/api/v1/me", nil), http.StatusOK)
		webtest.WantAPIError(t, other.API(http.MethodGet, "/api/v1/me", nil), http.StatusUnauthorized, "login_required", "")

		// A password session cannot reset; the bound WeChat can.
		webtest.WantAPIError(t, c.API(http.MethodPost, "/api/v1/me/password/reset",
			map[string]string{"new": "again2026", "confirm": "again2026"}), http.StatusForbidden, "wechat_required", "")
		phone := s.Phone(p)
		webtest.WantData(t, phone.API(http.MethodPost, "/api/v1/me/password/reset",
			map[string]string{"new": "again2026", "confirm": "again2026"}), http.StatusOK, &u)
		apiLogin(t, s, p.User.Account, "again2026")
		if n := len(servicetest.Alerts(t, db, alertkind.PasswordChanged)); n != 2 {
			t.Errorf("%d password alerts, want 2", n)
		}
	})
}

func TestAPITemporaryPassword(t *testing.T) {
	webtest.Each(t, func(t *testing.T, db *model.DB, store kv.Store) {
		s := webtest.New(t, db, store, webtest.Opts{})
		admin := s.Member("apa", pwUni, model.RoleUniversityAdm)
		student := s.Member("aps", pwUni, model.RoleStudent)
		stranger := s.Member("apx", pwOther, model.RoleStudent)
		ac := s.Phone(admin)

		webtest.WantAPIError(t, s.Phone(student).API(http.MethodPost, "/api/v1/admin/users/"+stranger.User.Account+"/temporary-password", nil),
			http.StatusForbidden, "admin_only", "")
		webtest.WantAPIError(t, ac.API(http.MethodPost, "/api/v1/admin/users/"+stranger.User.Account+"/temporary-password", nil),
			http.StatusNotFound, "user_not_found", "")
		var out struct {
			Account string `json:"account"`
			Temp    string `json:"temporary_password"`
		}
		r := ac.API(http.MethodPost, "/api/v1/admin/users/"+student.User.Account+"/temporary-password", nil)
		webtest.WantData(t, r, http.StatusOK, &out)
		if out.Account != student.User.Account || len(out.Temp) < 8 || r.Header.Get("Cache-Control") != "no-store" {
			t.Fatalf("answer %+v, Cache-Control %q", out, r.Header.Get("Cache-Control"))
		}

		c, u := apiLogin(t, s, student.User.Account, out.Temp)
		if !u.MustChangePassword {
			t.Fatalf("login with the temporary password: %+v", u)
		}
		webtest.WantAPIError(t, c.API(http.MethodGet, "/api/v1/me", nil), http.StatusForbidden, "password_change_required", "")
		webtest.WantAPIError(t, c.API(http.MethodGet, "/api/v1/boards", nil), http.StatusForbidden, "password_change_required", "")
		webtest.WantStatus(t, c.Get("/api/v1/session"), http.StatusOK)
		webtest.WantData(t, c.API(http.MethodPost, "/api/v1/me/password", map[string]string{"new": "mine20260", "confirm": "mine20260"}), http.StatusOK, &u)
		if u.MustChangePassword {
			t.Error("must_change_password still set")
		}
		webtest.WantStatus(t, c.API(http.MethodGet, "/api/v1/me", nil), http.StatusOK)
	})
}
