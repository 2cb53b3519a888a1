package h5

import (
	"errors"
	"net/http"
	"net/url"

	"github.com/gdyouth/youthvoice/handler/web"

	"github.com/gin-gonic/gin"

	"github.com/gdyouth/youthvoice/model"
	"github.com/gdyouth/youthvoice/service"
	"github.com/gdyouth/youthvoice/service/account"
	"github.com/gdyouth/youthvoice/service/session"
)

// registerAccountPages mounts home, WeChat authorization, activation,
// login and settings.
func (w *Pages) registerAccountPages(h gin.IRouter) {
	h.GET("/home", w.home)
	h.GET("/oauth/start", w.oauthStart)
	h.GET("/oauth/callback", w.oauthCallback)
	h.GET("/activate", w.activateEntries)
	h.GET("/activate/:entry", w.activateForm)
	h.POST("/activate/:entry", w.activateSubmit)
	h.GET("/login", w.loginForm)
	h.POST("/login", w.loginSubmit)
	h.POST("/logout", w.logout)
	h.GET("/settings", w.settings)
	h.POST("/settings/unbind", w.unbind)
	w.registerPrivacyPages(h)
}

func (w *Pages) oauthStart(c *gin.Context) {
	w.kit.StartOAuth(c, c.Query("next"))
}

func (w *Pages) oauthCallback(c *gin.Context) {
	ctx := c.Request.Context()
	retry := func(next string) string { return "/h5/oauth/start?next=" + url.QueryEscape(web.SafeNext(next)) }
	next, err := w.kit.ConsumeOAuthState(c)
	if err != nil {
		status, body := w.kit.Describe(c, err)
		w.kit.ErrorPage(c, status, "授权失败", "微信授权已过期或无效（"+body.Message+"），请重新进入。", retry("/h5/home"))
		return
	}
	code := c.Query("code")
	if code == "" {
		w.kit.ErrorPage(c, http.StatusBadRequest, "授权失败", "未获得微信授权，请重新进入。", retry(next))
		return
	}
	openid, err := w.oauth.OAuthOpenID(ctx, code)
	if err != nil {
		w.kit.Log().WarnContext(ctx, "oauth code exchange failed", "err", err)
		w.kit.ErrorPage(c, http.StatusBadRequest, "授权失败", "微信授权码无效或已使用，请重新进入。", retry(next))
		return
	}
	sess := session.Session{OpenID: openid}
	u, err := w.svc.Accounts.UserByOpenID(ctx, openid)
	switch {
	case err == nil:
		sess.UserID = u.ID
	case !errors.Is(err, service.ErrNotFound):
		w.kit.Fail(c, err)
		return
	}
	if err := w.kit.StartSession(c, sess); err != nil {
		w.kit.Fail(c, err)
		return
	}
	if sess.UserID == 0 {
		c.Redirect(http.StatusFound, "/h5/activate?next="+url.QueryEscape(next))
		return
	}
	c.Redirect(http.StatusFound, next)
}

func (w *Pages) home(c *gin.Context) {
	u, ok := w.kit.RequireUser(c)
	if !ok {
		return
	}
	p := homePage{Province: u.Has(model.RoleProvinceAdmin)}
	if u.UniversityID != nil {
		uni, err := w.svc.Accounts.UniversityByID(c.Request.Context(), *u.UniversityID)
		if err != nil {
			w.kit.Fail(c, err)
			return
		}
		p.University = &uni
	}
	mine, err := w.svc.Stations.MyStations(c.Request.Context(), *u)
	if err != nil {
		w.kit.Fail(c, err)
		return
	}
	p.StationTeam = len(mine) > 0
	if p.Notices, err = w.svc.Notices.Unread(c.Request.Context(), *u); err != nil {
		w.kit.Fail(c, err)
		return
	}
	if p.Messages, err = w.svc.Inbox.Unread(c.Request.Context(), *u); err != nil {
		w.kit.Fail(c, err)
		return
	}
	w.pages.Render(c, http.StatusOK, "home", web.Page{Title: "主页", User: u, Notice: noticeText(c.Query("notice")), Extra: p})
}

// homePage is the home page's own data.
type homePage struct {
	University *model.University
	// StationTeam: the user is on a station's team (whatever their role).
	StationTeam bool
	// Notices is how many of the province's notices the user has not read.
	Notices int64
	// Messages is how many of 我的消息 are unread.
	Messages int64
	// Province: the province admin's tools replace the student tiles
	// (提问, 预约 …), which lead nowhere for them.
	Province bool
}

func noticeText(key string) string {
	switch key {
	case "activated":
		return "激活成功，欢迎使用广东青年之声！"
	case "loggedin":
		return "登录成功"
	case "unbound":
		return "已解除微信绑定"
	case "password":
		return "密码已修改，其他设备上的登录已退出"
	case "display_name":
		return "显示名称已保存"
	case "closed":
		return "账号已注销。感谢你使用广东青年之声"
	}
	return ""
}

// activateEntries is step 3: choose the entry.
func (w *Pages) activateEntries(c *gin.Context) {
	cl := web.CallerOf(c)
	next := web.SafeNext(c.Query("next"))
	if w.kit.InWeChat(c) && cl.Session.OpenID == "" {
		w.kit.StartOAuth(c, "/h5/activate?next="+url.QueryEscape(next))
		return
	}
	if w.activated(c) {
		c.Redirect(http.StatusFound, next)
		return
	}
	entries, err := w.svc.Accounts.Entries(c.Request.Context())
	if err != nil {
		w.kit.Fail(c, err)
		return
	}
	w.pages.Render(c, http.StatusOK, "activate_entry", web.Page{Title: "选择入口", Next: next, Extra: activatePage{Entries: entries}})
}

// activatePage is the data of the activation pages: the entries to
// choose from, then the chosen entry's form.
type activatePage struct {
	Entries      []model.Entry
	Entry        model.Entry
	Universities []model.University
	Mode         string
	// InWeChat: the account will be bound to this WeChat.
	InWeChat        bool
	DisplayNameHint string
}

// activateForm is steps 4 and 5: account, password, university.
func (w *Pages) activateForm(c *gin.Context) {
	cl := web.CallerOf(c)
	next := web.SafeNext(c.Query("next"))
	if w.kit.InWeChat(c) && cl.Session.OpenID == "" {
		w.kit.StartOAuth(c, c.Request.URL.RequestURI())
		return
	}
	// Like the entry page: a signed-in user whose WeChat is bound has
	// nothing to activate (logging into another account from a bound
	// WeChat needs 设置 → 解除微信绑定 first). The answer to the caller's
	// own failed activation (a flash, see web.FormFailed) is shown all the
	// same.
	if w.activated(c) && c.Query("flash") == "" {
		c.Redirect(http.StatusFound, next)
		return
	}
	mode := c.DefaultQuery("mode", account.ModeNew)
	// A follower who came through a university's promotion code finds
	// that university chosen (they can still change it).
	var form map[string]string
	if openid := cl.Session.OpenID; openid != "" {
		code, err := w.svc.Promotion.AttributedCode(c.Request.Context(), openid)
		if err != nil {
			w.kit.Fail(c, err)
			return
		}
		if code != "" {
			form = map[string]string{"university": code}
		}
	}
	w.showActivate(c, http.StatusOK, c.Param("entry"), mode, next, form, nil)
}

// activated reports whether the caller has nothing to activate: signed in
// with a bound WeChat, or signed in outside WeChat (where there is no
// WeChat to bind).
func (w *Pages) activated(c *gin.Context) bool {
	u := web.CallerOf(c).User
	return u != nil && (u.OpenID != nil || !w.kit.InWeChat(c))
}

func (w *Pages) showActivate(c *gin.Context, status int, entryKey, mode, next string, form map[string]string, err error) {
	ctx := c.Request.Context()
	entry, eerr := w.svc.Accounts.Entry(ctx, entryKey)
	if eerr != nil {
		w.kit.Fail(c, eerr)
		return
	}
	unis, uerr := w.svc.Accounts.Universities(ctx)
	if uerr != nil {
		w.kit.Fail(c, uerr)
		return
	}
	if mode != account.ModeOld {
		mode = account.ModeNew
	}
	back := url.Values{"mode": {mode}, "next": {next}}
	d := web.Page{Title: "激活 · " + entry.Name, Next: next, Form: form, FormURL: "/h5/activate/" + url.PathEscape(entry.Key) + "?" + back.Encode(), Extra: activatePage{Entry: entry, Universities: unis, Mode: mode,
		DisplayNameHint: account.DisplayNameHint, InWeChat: w.kit.InWeChat(c) || web.CallerOf(c).Session.OpenID != ""}}
	w.pages.RenderForm(c, status, "activate", d, err)
}

type activateRequest struct {
	Mode       string `form:"mode" json:"mode" binding:"max=10"`
	Account    string `form:"account" json:"account"`
	Password   string `form:"password" json:"password"`
	Confirm    string `form:"confirm" json:"confirm"`
	University string `form:"university" json:"university_code" binding:"max=20"`
	Name       string `form:"name" json:"name"`
	// DisplayName is optional; empty shows 某某同学.
	DisplayName string `form:"display_name" json:"display_name"`
	Next        string `form:"next" json:"-"`
}

func (r activateRequest) input(entry string, c *gin.Context) account.ActivateInput {
	return account.ActivateInput{
		Entry: entry, Mode: r.Mode, Account: r.Account, Password: r.Password, Confirm: r.Confirm,
		UniversityCode: r.University, Name: r.Name, DisplayName: r.DisplayName,
		OpenID: web.CallerOf(c).Session.OpenID, ClientIP: c.ClientIP(),
	}
}

func (w *Pages) activateSubmit(c *gin.Context) {
	var req activateRequest
	entry := c.Param("entry")
	// What the user typed is shown again on errors (never the password).
	form := func() map[string]string {
		return map[string]string{"account": req.Account, "university": req.University, "name": req.Name, "display_name": req.DisplayName}
	}
	if err := web.Bind(c, &req); err != nil {
		w.showActivate(c, http.StatusBadRequest, entry, req.Mode, web.SafeNext(req.Next), form(), err)
		return
	}
	u, err := w.svc.Accounts.Activate(c.Request.Context(), req.input(entry, c))
	if err != nil {
		w.showActivate(c, 0, entry, req.Mode, web.SafeNext(req.Next), form(), err)
		return
	}
	if err := w.kit.SignIn(c, u); err != nil {
		w.kit.Fail(c, err)
		return
	}
	next := web.SafeNext(req.Next)
	if next == "/h5/home" {
		next = "/h5/home?notice=activated"
	}
	c.Redirect(http.StatusSeeOther, next)
}

func (w *Pages) loginForm(c *gin.Context) {
	next := web.SafeNext(c.Query("next"))
	// The answer to the caller's own failed login (a flash) is shown all
	// the same.
	if web.CallerOf(c).User != nil && c.Query("flash") == "" {
		c.Redirect(http.StatusFound, next)
		return
	}
	w.pages.Render(c, http.StatusOK, "login", web.Page{Title: "登录", Next: next, Notice: noticeText(c.Query("notice")), Extra: w.svc.Accounts.AdminScanOnly()})
}

type loginRequest struct {
	Account  string `form:"account" json:"account"`
	Password string `form:"password" json:"password"`
	Next     string `form:"next" json:"-"`
}

func (w *Pages) loginSubmit(c *gin.Context) {
	var req loginRequest
	next := web.SafeNext(c.PostForm("next"))
	if err := web.Bind(c, &req); err != nil {
		w.showLogin(c, next, req, err)
		return
	}
	cl := web.CallerOf(c)
	u, err := w.svc.Accounts.SignIn(c.Request.Context(), req.Account, req.Password, c.ClientIP(), cl.Session.OpenID)
	if err != nil {
		w.showLogin(c, next, req, err)
		return
	}
	if err := w.kit.SignIn(c, u); err != nil {
		w.kit.Fail(c, err)
		return
	}
	c.Redirect(http.StatusSeeOther, next)
}

func (w *Pages) showLogin(c *gin.Context, next string, req loginRequest, err error) {
	w.pages.RenderForm(c, 0, "login", web.Page{Title: "登录", Next: next, Form: map[string]string{"account": req.Account},
		FormURL: "/h5/login?next=" + url.QueryEscape(next), Extra: w.svc.Accounts.AdminScanOnly()}, err)
}

func (w *Pages) logout(c *gin.Context) {
	w.kit.EndSession(c)
	c.Redirect(http.StatusSeeOther, "/h5/login")
}

func (w *Pages) settings(c *gin.Context) {
	w.showSettings(c, http.StatusOK, nil, nil)
}

// showSettings renders 设置, with a failed form's input and errors.
func (w *Pages) showSettings(c *gin.Context, status int, form map[string]string, err error) {
	u, ok := w.kit.RequireUser(c)
	if !ok {
		return
	}
	if form == nil {
		form = map[string]string{"display_name": u.Nickname}
	}
	p := settingsPage{DisplayNameHint: account.DisplayNameHint}
	if u.UniversityID != nil {
		if uni, err := w.svc.Accounts.UniversityByID(c.Request.Context(), *u.UniversityID); err == nil {
			p.University = &uni
		}
	}
	w.pages.RenderForm(c, status, "settings", web.Page{Title: "设置", User: u, Notice: noticeText(c.Query("notice")), Form: form, FormURL: "/h5/settings", Extra: p}, err)
}

// settingsPage is the settings page's own data.
type settingsPage struct {
	University      *model.University
	DisplayNameHint string
}

func (w *Pages) unbind(c *gin.Context) {
	if w.unbindCaller(c) {
		c.Redirect(http.StatusSeeOther, "/h5/settings?notice=unbound")
	}
}

// unbindCaller ends the signed-in user's WeChat binding and reissues the
// session without that WeChat; it responds itself and returns false on
// any failure.
func (w *Pages) unbindCaller(c *gin.Context) bool {
	u, ok := w.kit.RequireUser(c)
	if !ok {
		return false
	}
	if err := w.svc.Accounts.Unbind(c.Request.Context(), u.ID); err != nil {
		w.kit.Fail(c, err)
		return false
	}
	// The session no longer speaks for that WeChat.
	if err := w.kit.StartSession(c, session.Session{UserID: u.ID}); err != nil {
		w.kit.Fail(c, err)
		return false
	}
	return true
}
