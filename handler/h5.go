package handler

import (
	"errors"
	"net/http"
	"net/url"

	"github.com/gin-gonic/gin"

	"github.com/gdyouth/youthvoice/model"
	"github.com/gdyouth/youthvoice/service"
	"github.com/gdyouth/youthvoice/service/account"
	"github.com/gdyouth/youthvoice/service/session"
)

// Register mounts the H5 pages, static assets and the JSON API.
func (w *Web) Register(r gin.IRouter) {
	r.GET("/", func(c *gin.Context) { c.Redirect(http.StatusFound, "/h5/home") })
	r.GET("/static/*path", gin.WrapH(staticHandler()))

	h := r.Group("/h5", w.identify, w.checkCSRF)
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
	w.registerQuestionPages(h)
	w.registerAdminPages(h)
	w.registerStationPages(h)
	w.registerStatsPages(h)

	api := r.Group("/api/v1", w.identify, w.checkCSRF)
	w.registerAPI(api)
	w.registerQuestionAPI(api)
	w.registerStationAPI(api)
	w.registerStatsAPI(api)
}

// requireUser returns the signed-in user, or sends the browser where it
// can become one: WeChat OAuth inside WeChat, activation for a WeChat that
// is not bound yet, the login page elsewhere.
func (w *Web) requireUser(c *gin.Context) (*model.User, bool) {
	cl := callerOf(c)
	if cl.User != nil {
		return cl.User, true
	}
	next := c.Request.URL.RequestURI()
	if c.Request.Method != http.MethodGet {
		next = "/h5/home" // a form post cannot be replayed as a GET
	}
	switch {
	case wantsJSON(c):
		w.fail(c, service.Unauthorized("login_required", "请先登录或激活账号", nil))
	case cl.Session.OpenID != "":
		c.Redirect(http.StatusFound, "/h5/activate?next="+url.QueryEscape(next))
	case w.inWeChat(c):
		w.startOAuth(c, next)
	default:
		c.Redirect(http.StatusFound, "/h5/login?next="+url.QueryEscape(next))
	}
	return nil, false
}

// startOAuth sends the browser through WeChat web authorization
// (snsapi_base) with a single-use state that remembers next.
func (w *Web) startOAuth(c *gin.Context, next string) {
	// The state is good only in the browser that asked for it: this
	// cookie's secret is stored with it and checked on the way back.
	browser, err := c.Cookie(oauthCookie)
	if err != nil || len(browser) < 32 || len(browser) > 64 {
		browser = session.NewToken()
	}
	w.setCookie(c, oauthCookie, browser, int(w.sessions.StateTTL().Seconds()))
	state, err := w.sessions.NewState(c.Request.Context(), safeNext(next), browser)
	if err != nil {
		w.fail(c, err)
		return
	}
	if w.opts.Sandbox {
		q := url.Values{"appid": {w.opts.AppID}, "redirect_uri": {"/h5/oauth/callback"},
			"response_type": {"code"}, "scope": {"snsapi_base"}, "state": {state}}
		c.Redirect(http.StatusFound, SandboxOAuthPath+"?"+q.Encode())
		return
	}
	target := w.opts.PublicURL + "/h5/oauth/callback"
	u := "https://open.weixin.qq.com/connect/oauth2/authorize?appid=" + url.QueryEscape(w.opts.AppID) +
		"&redirect_uri=" + url.QueryEscape(target) + "&response_type=code&scope=snsapi_base&state=" +
		url.QueryEscape(state) + "#wechat_redirect"
	c.Redirect(http.StatusFound, u)
}

func (w *Web) oauthStart(c *gin.Context) {
	w.startOAuth(c, c.Query("next"))
}

func (w *Web) oauthCallback(c *gin.Context) {
	ctx := c.Request.Context()
	retry := func(next string) string { return "/h5/oauth/start?next=" + url.QueryEscape(safeNext(next)) }
	browser, _ := c.Cookie(oauthCookie)
	next, err := w.sessions.ConsumeState(ctx, c.Query("state"), browser)
	if err != nil {
		status, body := describe(c, w.log, err)
		w.render(c, status, "error", pageData{Title: "授权失败", Error: "微信授权已过期或无效（" + body.Message + "），请重新进入。", Retry: retry("/h5/home")})
		return
	}
	code := c.Query("code")
	if code == "" {
		w.render(c, http.StatusBadRequest, "error", pageData{Title: "授权失败", Error: "未获得微信授权，请重新进入。", Retry: retry(next)})
		return
	}
	openid, err := w.oauth.OAuthOpenID(ctx, code)
	if err != nil {
		w.log.WarnContext(ctx, "oauth code exchange failed", "err", err)
		w.render(c, http.StatusBadRequest, "error", pageData{Title: "授权失败", Error: "微信授权码无效或已使用，请重新进入。", Retry: retry(next)})
		return
	}
	sess := session.Session{OpenID: openid}
	u, err := w.accounts.UserByOpenID(ctx, openid)
	switch {
	case err == nil:
		sess.UserID = u.ID
	case !errors.Is(err, service.ErrNotFound):
		w.fail(c, err)
		return
	}
	if err := w.startSession(c, sess); err != nil {
		w.fail(c, err)
		return
	}
	if sess.UserID == 0 {
		c.Redirect(http.StatusFound, "/h5/activate?next="+url.QueryEscape(next))
		return
	}
	c.Redirect(http.StatusFound, next)
}

func (w *Web) home(c *gin.Context) {
	u, ok := w.requireUser(c)
	if !ok {
		return
	}
	d := pageData{Title: "主页", User: u}
	if u.UniversityID != nil {
		uni, err := w.accounts.UniversityByID(c.Request.Context(), *u.UniversityID)
		if err != nil {
			w.fail(c, err)
			return
		}
		d.University = &uni
	}
	d.Notice = noticeText(c.Query("notice"))
	mine, err := w.stations.MyStations(c.Request.Context(), *u)
	if err != nil {
		w.fail(c, err)
		return
	}
	d.Extra = homePage{StationTeam: len(mine) > 0}
	w.render(c, http.StatusOK, "home", d)
}

// homePage is the home page's own data.
type homePage struct {
	// StationTeam: the user is on a station's team (whatever their role).
	StationTeam bool
}

func noticeText(key string) string {
	switch key {
	case "activated":
		return "激活成功，欢迎使用广东青年之声！"
	case "loggedin":
		return "登录成功"
	case "unbound":
		return "已解除微信绑定"
	}
	return ""
}

// activateEntries is step 3: choose the entry.
func (w *Web) activateEntries(c *gin.Context) {
	cl := callerOf(c)
	next := safeNext(c.Query("next"))
	if w.inWeChat(c) && cl.Session.OpenID == "" {
		w.startOAuth(c, "/h5/activate?next="+url.QueryEscape(next))
		return
	}
	if w.activated(c) {
		c.Redirect(http.StatusFound, next)
		return
	}
	entries, err := w.accounts.Entries(c.Request.Context())
	if err != nil {
		w.fail(c, err)
		return
	}
	w.render(c, http.StatusOK, "activate_entry", pageData{Title: "选择入口", Entries: entries, Next: next, InWeChat: w.inWeChat(c)})
}

// activateForm is steps 4 and 5: account, password, university.
func (w *Web) activateForm(c *gin.Context) {
	cl := callerOf(c)
	next := safeNext(c.Query("next"))
	if w.inWeChat(c) && cl.Session.OpenID == "" {
		w.startOAuth(c, c.Request.URL.RequestURI())
		return
	}
	// Like the entry page: a signed-in user whose WeChat is bound has
	// nothing to activate (logging into another account from a bound
	// WeChat needs 设置 → 解除微信绑定 first).
	if w.activated(c) {
		c.Redirect(http.StatusFound, next)
		return
	}
	mode := c.DefaultQuery("mode", account.ModeNew)
	w.showActivate(c, http.StatusOK, c.Param("entry"), mode, next, nil, nil)
}

// activated reports whether the caller has nothing to activate: signed in
// with a bound WeChat, or signed in outside WeChat (where there is no
// WeChat to bind).
func (w *Web) activated(c *gin.Context) bool {
	u := callerOf(c).User
	return u != nil && (u.OpenID != nil || !w.inWeChat(c))
}

func (w *Web) showActivate(c *gin.Context, status int, entryKey, mode, next string, form map[string]string, err error) {
	ctx := c.Request.Context()
	entry, eerr := w.accounts.Entry(ctx, entryKey)
	if eerr != nil {
		w.fail(c, eerr)
		return
	}
	unis, uerr := w.accounts.Universities(ctx)
	if uerr != nil {
		w.fail(c, uerr)
		return
	}
	if mode != account.ModeOld {
		mode = account.ModeNew
	}
	d := pageData{Title: "激活 · " + entry.Name, Entry: entry, Universities: unis, Mode: mode, Next: next,
		Form: form, InWeChat: w.inWeChat(c) || callerOf(c).Session.OpenID != ""}
	if err != nil {
		status = w.formError(c, &d, err)
	}
	w.render(c, status, "activate", d)
}

type activateRequest struct {
	Mode       string `form:"mode" json:"mode" binding:"max=10"`
	Account    string `form:"account" json:"account" binding:"max=64"`
	Password   string `form:"password" json:"password" binding:"max=64"`
	Confirm    string `form:"confirm" json:"confirm" binding:"max=64"`
	University string `form:"university" json:"university_code" binding:"max=20"`
	Name       string `form:"name" json:"name" binding:"max=100"`
	Next       string `form:"next" json:"-"`
}

func (r activateRequest) input(entry string, c *gin.Context) account.ActivateInput {
	return account.ActivateInput{
		Entry: entry, Mode: r.Mode, Account: r.Account, Password: r.Password, Confirm: r.Confirm,
		UniversityCode: r.University, Name: r.Name,
		OpenID: callerOf(c).Session.OpenID, ClientIP: c.ClientIP(),
	}
}

var badJSON = service.Invalid("bad_json", "请求体不是有效的 JSON 或字段过长", nil)

func (w *Web) activateSubmit(c *gin.Context) {
	var req activateRequest
	entry := c.Param("entry")
	// What the user typed is shown again on errors (never the password).
	form := func() map[string]string {
		return map[string]string{"account": req.Account, "university": req.University, "name": req.Name}
	}
	if err := c.ShouldBind(&req); err != nil {
		w.showActivate(c, http.StatusBadRequest, entry, req.Mode, safeNext(req.Next), form(), bindError(err))
		return
	}
	u, err := w.accounts.Activate(c.Request.Context(), req.input(entry, c))
	if err != nil {
		w.showActivate(c, 0, entry, req.Mode, safeNext(req.Next), form(), err)
		return
	}
	if err := w.startSession(c, session.Session{UserID: u.ID, OpenID: callerOf(c).Session.OpenID}); err != nil {
		w.fail(c, err)
		return
	}
	next := safeNext(req.Next)
	if next == "/h5/home" {
		next = "/h5/home?notice=activated"
	}
	c.Redirect(http.StatusSeeOther, next)
}

func (w *Web) loginForm(c *gin.Context) {
	next := safeNext(c.Query("next"))
	if callerOf(c).User != nil {
		c.Redirect(http.StatusFound, next)
		return
	}
	w.render(c, http.StatusOK, "login", pageData{Title: "登录", Next: next, Notice: noticeText(c.Query("notice"))})
}

type loginRequest struct {
	Account  string `form:"account" json:"account" binding:"max=64"`
	Password string `form:"password" json:"password" binding:"max=64"`
	Next     string `form:"next" json:"-"`
}

func (w *Web) loginSubmit(c *gin.Context) {
	var req loginRequest
	next := safeNext(c.PostForm("next"))
	if err := c.ShouldBind(&req); err != nil {
		w.showLogin(c, next, req, bindError(err))
		return
	}
	cl := callerOf(c)
	u, err := w.accounts.SignIn(c.Request.Context(), req.Account, req.Password, c.ClientIP(), cl.Session.OpenID)
	if err != nil {
		w.showLogin(c, next, req, err)
		return
	}
	if err := w.startSession(c, session.Session{UserID: u.ID, OpenID: cl.Session.OpenID}); err != nil {
		w.fail(c, err)
		return
	}
	c.Redirect(http.StatusSeeOther, next)
}

func (w *Web) showLogin(c *gin.Context, next string, req loginRequest, err error) {
	status, body := describe(c, w.log, err)
	w.render(c, status, "login", pageData{Title: "登录", Next: next, Error: body.Message, Fields: body.Fields,
		Form: map[string]string{"account": req.Account}})
}

func (w *Web) logout(c *gin.Context) {
	w.endSession(c)
	c.Redirect(http.StatusSeeOther, "/h5/login")
}

func (w *Web) settings(c *gin.Context) {
	u, ok := w.requireUser(c)
	if !ok {
		return
	}
	d := pageData{Title: "设置", User: u, Notice: noticeText(c.Query("notice")), InWeChat: w.inWeChat(c)}
	if u.UniversityID != nil {
		if uni, err := w.accounts.UniversityByID(c.Request.Context(), *u.UniversityID); err == nil {
			d.University = &uni
		}
	}
	w.render(c, http.StatusOK, "settings", d)
}

func (w *Web) unbind(c *gin.Context) {
	if w.unbindCaller(c) {
		c.Redirect(http.StatusSeeOther, "/h5/settings?notice=unbound")
	}
}

// unbindCaller ends the signed-in user's WeChat binding and reissues the
// session without that WeChat; it responds itself and returns false on
// any failure.
func (w *Web) unbindCaller(c *gin.Context) bool {
	u, ok := w.requireUser(c)
	if !ok {
		return false
	}
	if err := w.accounts.Unbind(c.Request.Context(), u.ID); err != nil {
		w.fail(c, err)
		return false
	}
	// The session no longer speaks for that WeChat.
	if err := w.startSession(c, session.Session{UserID: u.ID}); err != nil {
		w.fail(c, err)
		return false
	}
	return true
}
