package api

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/gdyouth/youthvoice/handler/web"
	"github.com/gdyouth/youthvoice/service/account"
)

// registerPasswordAPI mounts changing and resetting passwords.
func (w *API) registerPasswordAPI(api gin.IRouter) {
	api.POST("/me/password", w.apiChangePassword)
	api.POST("/me/password/reset", w.apiResetPassword)
	api.POST("/admin/users/:account/temporary-password", w.apiTemporaryPassword)
}

// passwordRequest is a new password, typed twice, and (to change it) the
// current one.
type passwordRequest struct {
	Current string `json:"current"`
	New     string `json:"new"`
	Confirm string `json:"confirm"`
}

func (r passwordRequest) input(c *gin.Context) account.ChangeInput {
	return account.ChangeInput{Current: r.Current, New: r.New, Confirm: r.Confirm, ClientIP: c.ClientIP()}
}

// apiChangePassword changes the caller's password; the answer carries a
// new session (and CSRF token): the old one began before the change.
func (w *API) apiChangePassword(c *gin.Context) {
	u, okUser := w.kit.RequireUser(c)
	if !okUser {
		return
	}
	var req passwordRequest
	if err := web.Bind(c, &req); err != nil {
		w.kit.Fail(c, err)
		return
	}
	nu, err := w.svc.Passwords.Change(c.Request.Context(), *u, req.input(c))
	if err != nil {
		w.kit.Fail(c, err)
		return
	}
	w.respondSignedIn(c, nu, http.StatusOK)
}

// apiResetPassword sets a new password without the current one, for a
// session opened by the WeChat bound to the account.
func (w *API) apiResetPassword(c *gin.Context) {
	u, okUser := w.kit.RequireUser(c)
	if !okUser {
		return
	}
	var req passwordRequest
	if err := web.Bind(c, &req); err != nil {
		w.kit.Fail(c, err)
		return
	}
	nu, err := w.svc.Passwords.ResetInWeChat(c.Request.Context(), *u, web.CallerOf(c).Session.OpenID, req.input(c))
	if err != nil {
		w.kit.Fail(c, err)
		return
	}
	w.respondSignedIn(c, nu, http.StatusOK)
}

// apiTemporaryPassword issues a temporary password, in the answer only.
func (w *API) apiTemporaryPassword(c *gin.Context) {
	u, okUser := w.kit.RequireUser(c)
	if !okUser {
		return
	}
	target, temp, err := w.svc.Passwords.IssueTemporary(c.Request.Context(), *u, c.Param("account"))
	if err != nil {
		w.kit.Fail(c, err)
		return
	}
	c.Header("Cache-Control", "no-store")
	ok(c, http.StatusOK, gin.H{"account": target.Account, "temporary_password": temp, "must_change_password": true})
}
