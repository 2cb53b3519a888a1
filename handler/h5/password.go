package h5

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/gdyouth/youthvoice/handler/web"
	"github.com/gdyouth/youthvoice/model"
	"github.com/gdyouth/youthvoice/service"
	"github.com/gdyouth/youthvoice/service/account"
)

// registerPasswordPages mounts changing a password (设置 → 修改密码, and
// the forced change of a temporary one), resetting it in the bound
// WeChat, and the admins' temporary passwords.
func (w *Pages) registerPasswordPages(h gin.IRouter) {
	h.GET("/password", w.passwordForm)
	h.POST("/password", w.passwordSubmit)
	h.GET("/password/reset", w.resetForm)
	h.POST("/password/reset", w.resetSubmit)
	h.GET("/admin/password", w.temporaryForm)
	h.POST("/admin/password", w.temporarySubmit)
}

// passwordPage is the password pages' own data.
type passwordPage struct {
	// Reset: set a new password without the current one (the bound
	// WeChat proves who it is).
	Reset bool
	// NoWeChat: a reset asked for where the account's WeChat does not
	// speak for it; the page says where to go instead.
	NoWeChat bool
	// Temporary is the password an admin has just issued, shown once.
	Temporary string
	Account   string
}

type passwordRequest struct {
	Current string `form:"current" json:"current"`
	New     string `form:"new" json:"new"`
	Confirm string `form:"confirm" json:"confirm"`
}

func (r passwordRequest) input(c *gin.Context) account.ChangeInput {
	return account.ChangeInput{Current: r.Current, New: r.New, Confirm: r.Confirm, ClientIP: c.ClientIP()}
}

func (w *Pages) passwordForm(c *gin.Context) {
	u, ok := w.kit.RequireUser(c)
	if !ok {
		return
	}
	w.pages.Render(c, http.StatusOK, "password", web.Page{Title: "修改密码", User: u})
}

func (w *Pages) passwordSubmit(c *gin.Context) {
	u, ok := w.kit.RequireUser(c)
	if !ok {
		return
	}
	var req passwordRequest
	if err := web.Bind(c, &req); err != nil {
		w.pages.RenderForm(c, http.StatusBadRequest, "password", web.Page{Title: "修改密码", User: u}, err)
		return
	}
	nu, err := w.svc.Passwords.Change(c.Request.Context(), *u, req.input(c))
	if err != nil {
		w.pages.RenderForm(c, 0, "password", web.Page{Title: "修改密码", User: u}, err)
		return
	}
	w.passwordChanged(c, nu, u.MustChangePassword)
}

// passwordChanged starts a new session for u (the old one began before
// the change and no longer counts) and goes on: to 主页 after a forced
// change, back to 设置 otherwise.
func (w *Pages) passwordChanged(c *gin.Context, u model.User, forced bool) {
	if err := w.kit.SignIn(c, u); err != nil {
		w.kit.Fail(c, err)
		return
	}
	if forced {
		c.Redirect(http.StatusSeeOther, "/h5/home?notice=password")
		return
	}
	c.Redirect(http.StatusSeeOther, "/h5/settings?notice=password")
}

// resetForm is 忘记密码: inside WeChat it authorizes first, so the
// WeChat bound to the account signs the person in without the password.
func (w *Pages) resetForm(c *gin.Context) {
	cl := web.CallerOf(c)
	if w.kit.InWeChat(c) && cl.Session.OpenID == "" {
		w.kit.StartOAuth(c, "/h5/password/reset")
		return
	}
	p := passwordPage{Reset: true}
	u := cl.User
	if u == nil || u.OpenID == nil || *u.OpenID != cl.Session.OpenID {
		p.NoWeChat = true
	}
	w.pages.Render(c, http.StatusOK, "password", web.Page{Title: "重置密码", User: u, Extra: p})
}

func (w *Pages) resetSubmit(c *gin.Context) {
	u, ok := w.kit.RequireUser(c)
	if !ok {
		return
	}
	page := web.Page{Title: "重置密码", User: u, Extra: passwordPage{Reset: true}}
	var req passwordRequest
	if err := web.Bind(c, &req); err != nil {
		w.pages.RenderForm(c, http.StatusBadRequest, "password", page, err)
		return
	}
	nu, err := w.svc.Passwords.ResetInWeChat(c.Request.Context(), *u, web.CallerOf(c).Session.OpenID, req.input(c))
	if err != nil {
		w.pages.RenderForm(c, 0, "password", page, err)
		return
	}
	w.passwordChanged(c, nu, false)
}

// requireAdmin is the signed-in university or province admin.
func (w *Pages) requireAdmin(c *gin.Context) (*model.User, bool) {
	u, ok := w.kit.RequireUser(c)
	if !ok {
		return nil, false
	}
	if !u.Has(model.RoleUniversityAdm) && !u.Has(model.RoleProvinceAdmin) {
		w.kit.Fail(c, service.Forbidden("admin_only", "仅高校团委管理员和省级管理员可以重置密码"))
		return nil, false
	}
	return u, true
}

func (w *Pages) temporaryForm(c *gin.Context) {
	u, ok := w.requireAdmin(c)
	if !ok {
		return
	}
	w.pages.Render(c, http.StatusOK, "temporary_password", web.Page{Title: "重置用户密码", User: u})
}

type temporaryRequest struct {
	Account string `form:"account" json:"-" binding:"max=32"`
}

// temporarySubmit shows the temporary password on the answer to the
// POST itself and nowhere else: it is never stored in the clear, so it
// cannot be shown again after a redirect.
func (w *Pages) temporarySubmit(c *gin.Context) {
	u, ok := w.requireAdmin(c)
	if !ok {
		return
	}
	var req temporaryRequest
	page := web.Page{Title: "重置用户密码", User: u}
	if err := web.Bind(c, &req); err != nil {
		w.pages.RenderForm(c, http.StatusBadRequest, "temporary_password", page, err)
		return
	}
	target, temp, err := w.svc.Passwords.IssueTemporary(c.Request.Context(), *u, req.Account)
	if err != nil {
		page.Form = map[string]string{"account": req.Account}
		w.pages.RenderForm(c, 0, "temporary_password", page, err)
		return
	}
	c.Header("Cache-Control", "no-store")
	page.Extra = passwordPage{Temporary: temp, Account: target.Account}
	w.pages.Render(c, http.StatusOK, "temporary_password", page)
}
