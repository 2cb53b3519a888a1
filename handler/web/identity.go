package web

import (
	"crypto/subtle"
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/gdyouth/youthvoice/model"
	"github.com/gdyouth/youthvoice/service"
	"github.com/gdyouth/youthvoice/service/account"
	"github.com/gdyouth/youthvoice/service/audit"
	"github.com/gdyouth/youthvoice/service/scanlogin"
	"github.com/gdyouth/youthvoice/service/session"
)

// Cookie names.
const (
	sessionCookie = "yv_sess"
	csrfCookie    = "yv_csrf"
	// oauthCookie ties a WeChat authorization to the browser that began it.
	oauthCookie = "yv_oauth"
	// sandboxWeChatCookie marks a desktop browser as "inside WeChat" in the
	// sandbox (set by the sandbox phone page).
	sandboxWeChatCookie = "yv_sbx_wx"
	csrfField           = "_csrf"
	csrfHeader          = "X-CSRF-Token"
)

// SandboxOAuthPath is where the sandbox (handler/sandbox) plays WeChat's
// authorize page; StartOAuth sends browsers there in sandbox mode.
const SandboxOAuthPath = "/sandbox/oauth/authorize"

// Caller is who is asking: the session (possibly anonymous) and its user.
type Caller struct {
	SessionID string
	Session   session.Session
	User      *model.User
	// preSessionCSRF is the CSRF cookie of a browser without a session.
	preSessionCSRF string
}

// csrf is the token the caller's forms must carry: the session's own,
// or without a session the browser's CSRF cookie.
func (cl *Caller) csrf() string {
	if cl.SessionID != "" {
		return cl.Session.CSRF
	}
	return cl.preSessionCSRF
}

const callerKey = "yv.caller"

// identify loads the session and user, and makes sure the browser has a
// CSRF cookie, for every request of a Group.
func (k *Kit) identify(c *gin.Context) {
	// Who acts from where, for the audit trail: the client IP as gin
	// resolves it through YV_TRUSTED_PROXIES, carried to the services in
	// the request's context.
	c.Request = c.Request.WithContext(audit.WithRequest(c.Request.Context(), c.ClientIP(), c.Request.UserAgent()))
	var cl Caller
	if id := k.cookie(c, sessionCookie); id != "" {
		sess, err := k.sessions.Get(c.Request.Context(), id)
		switch {
		case err == nil:
			cl.SessionID, cl.Session = id, sess
		case !errors.Is(err, service.ErrUnauthorized):
			k.Fail(c, err)
			c.Abort()
			return
		}
	}
	if cl.Session.UserID != 0 {
		u, err := k.accounts.UserByID(c.Request.Context(), cl.Session.UserID)
		switch {
		case err == nil && cl.Session.OpenID != "" && (u.OpenID == nil || *u.OpenID != cl.Session.OpenID):
			// The session was opened by a WeChat the account is no longer
			// bound to (unbound, or moved to another WeChat): that WeChat
			// no longer signs in to the account.
			cl.Session.UserID = 0
		case err == nil && u.PasswordChangedAt != nil && cl.Session.CreatedAt.Before(*u.PasswordChangedAt):
			// The password was changed or reset after this session began:
			// a change ends the account's other sessions (the session
			// store cannot list a user's sessions, so they are refused
			// here), and a stolen session does not outlive a reset. Its
			// WeChat is forgotten too, so inside WeChat the person goes
			// through authorization again and the bound WeChat signs them
			// in afresh (the WeChat, not the password, is what it trusts).
			cl.Session.UserID, cl.Session.OpenID = 0, ""
		case err == nil:
			cl.User = &u
		case errors.Is(err, service.ErrNotFound):
			cl.Session.UserID = 0
		default:
			k.Fail(c, err)
			c.Abort()
			return
		}
	}
	c.Set(callerKey, &cl)
	if cl.User != nil && cl.User.MustChangePassword && !passwordChangeExempt[c.FullPath()] && !strings.HasPrefix(c.FullPath(), "/sandbox/") {
		// A temporary password an admin issued: until the person chooses
		// their own, nothing else is done with it.
		if WantsJSON(c) {
			k.Fail(c, service.Forbidden("password_change_required", "请先修改临时密码"))
		} else {
			c.Redirect(http.StatusSeeOther, PasswordPath)
		}
		c.Abort()
		return
	}
	if cl.SessionID == "" {
		// No session yet (the login and activation forms): the token is a
		// double-submit cookie until one starts, which replaces it.
		if tok, err := c.Cookie(k.cookieName(csrfCookie)); err != nil || len(tok) < 32 {
			tok = session.NewToken()
			k.SetCookie(c, csrfCookie, tok, 0)
			cl.preSessionCSRF = tok
		} else {
			cl.preSessionCSRF = tok
		}
	}
	c.Next()
}

// PasswordPath is the page where passwords are changed (and a temporary
// one must be).
const PasswordPath = "/h5/password"

// passwordChangeExempt are the routes an account that must change its
// temporary password may still use: the change itself, logging out, and
// what a client needs for them (its session and CSRF token, the spec).
var passwordChangeExempt = map[string]bool{
	PasswordPath: true, "/h5/logout": true,
	"/api/v1/session": true, "/api/v1/me/password": true, "/api/v1/openapi.yaml": true,
}

// CallerOf is the caller identify found (an anonymous one outside a Group).
func CallerOf(c *gin.Context) *Caller {
	if v, ok := c.Get(callerKey); ok {
		return v.(*Caller)
	}
	return &Caller{}
}

// checkCSRF rejects state-changing requests whose token (form field or
// header) is not the caller's (Caller.csrf): with a session, the token
// stored in it; before one, the CSRF cookie (double submit).
func (k *Kit) checkCSRF(c *gin.Context) {
	switch c.Request.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		c.Next()
		return
	}
	want := CallerOf(c).csrf()
	sent := c.GetHeader(csrfHeader)
	if sent == "" {
		sent = c.PostForm(csrfField)
	}
	if want == "" || subtle.ConstantTimeCompare([]byte(want), []byte(sent)) != 1 {
		k.Fail(c, service.Forbidden("csrf", "页面已过期或请求来源无效，请刷新页面后重试"))
		c.Abort()
		return
	}
	c.Next()
}

// CSRFToken is the caller's CSRF token (pages put it in their forms,
// the API hands it out for X-CSRF-Token). It changes when a session
// starts (login, activation, WeChat authorization).
func CSRFToken(c *gin.Context) string { return CallerOf(c).csrf() }

// SetCookie sets an HttpOnly, SameSite=Lax cookie, Secure on https.
func (k *Kit) SetCookie(c *gin.Context, name, value string, maxAge int) {
	// Secure follows YV_PUBLIC_URL: an http sandbox on localhost must work.
	http.SetCookie(c.Writer, &http.Cookie{ //nolint:gosec // HttpOnly and SameSite set; Secure on https
		Name: k.cookieName(name), Value: value, Path: "/", MaxAge: maxAge,
		HttpOnly: true, Secure: k.secure, SameSite: http.SameSiteLaxMode,
	})
}

// cookieName is name with the __Host- prefix when YV_PUBLIC_URL is https:
// browsers then take the cookie only from this very host, Secure, for
// Path=/ and without Domain, so a sibling subdomain cannot plant a
// session or CSRF cookie. (Plain http, the local sandbox, cannot have it.)
func (k *Kit) cookieName(name string) string {
	if k.secure {
		return "__Host-" + name
	}
	return name
}

// cookie reads one of the kit's cookies.
func (k *Kit) cookie(c *gin.Context, name string) string {
	v, _ := c.Cookie(k.cookieName(name))
	return v
}

// StartSession replaces the browser's session (a new id after every
// login, so a planted id is worthless).
func (k *Kit) StartSession(c *gin.Context, sess session.Session) error {
	cl := CallerOf(c)
	if cl.SessionID != "" {
		_ = k.sessions.Delete(c.Request.Context(), cl.SessionID)
	}
	sess.CSRF = session.NewToken() // never the old session's
	id, err := k.sessions.Create(c.Request.Context(), sess)
	if err != nil {
		return err
	}
	maxAge := int(k.sessions.Idle().Seconds())
	if sess.Idle > 0 {
		// A session with its own short idle expiry is refused by the
		// server once idle; its cookie, not refreshed as the session
		// is, lasts until the browser closes rather than dying while
		// the admin is still at work.
		maxAge = 0
	}
	k.SetCookie(c, sessionCookie, id, maxAge)
	// The session's token (Create made a new one) replaces the cookie's
	// from now on, so drop the cookie.
	k.SetCookie(c, csrfCookie, "", -1)
	cl.SessionID, cl.Session = id, sess
	return nil
}

// SignIn starts a session for u after a password proved who they are,
// keeping the WeChat the browser was identified by (activation and
// login). An admin's idles out after Options.AdminIdle.
func (k *Kit) SignIn(c *gin.Context, u model.User) error {
	sess := session.Session{UserID: u.ID, OpenID: CallerOf(c).Session.OpenID, Via: session.ViaPassword}
	if account.IsAdmin(u) && k.opts.AdminIdle > 0 {
		sess.Idle = k.opts.AdminIdle
	}
	return k.StartSession(c, sess)
}

// SignInByScan starts the PC session of an admin whose bound WeChat
// scanned the login code and confirmed (service/scanlogin): marked as
// begun by a scan, idling out after scanlogin.SessionIdle (or the
// admins' password timeout, if that is longer).
func (k *Kit) SignInByScan(c *gin.Context, u model.User) error {
	return k.StartSession(c, session.Session{UserID: u.ID, Via: session.ViaScan, Idle: max(scanlogin.SessionIdle, k.opts.AdminIdle)})
}

// Cookie reads one of the kit's cookies by name (with the __Host- prefix
// on https, as SetCookie writes it).
func (k *Kit) Cookie(c *gin.Context, name string) string { return k.cookie(c, name) }

// InSandbox reports the sandbox (no WeChat credentials).
func (k *Kit) InSandbox() bool { return k.opts.Sandbox }

// EndSession deletes the browser's session and its cookie.
func (k *Kit) EndSession(c *gin.Context) {
	cl := CallerOf(c)
	if cl.SessionID != "" {
		if err := k.sessions.Delete(c.Request.Context(), cl.SessionID); err != nil {
			k.log.WarnContext(c.Request.Context(), "deleting session failed", "err", err)
		}
	}
	k.SetCookie(c, sessionCookie, "", -1)
}

// InWeChat tells pages opened in WeChat's browser (or the sandbox phone).
func (k *Kit) InWeChat(c *gin.Context) bool {
	if strings.Contains(c.GetHeader("User-Agent"), "MicroMessenger") {
		return true
	}
	if k.opts.Sandbox {
		return k.cookie(c, sandboxWeChatCookie) == "1"
	}
	return false
}

// MarkInWeChat makes this browser count as inside WeChat: the sandbox
// phone and its authorize page set it (InWeChat reads it in the sandbox
// only).
func (k *Kit) MarkInWeChat(c *gin.Context) {
	k.SetCookie(c, sandboxWeChatCookie, "1", 0)
}

// RequireUser returns the signed-in user, or sends the browser where it
// can become one: WeChat OAuth inside WeChat, activation for a WeChat
// that is not bound yet, the login page elsewhere; an API client gets 401.
func (k *Kit) RequireUser(c *gin.Context) (*model.User, bool) {
	cl := CallerOf(c)
	if cl.User != nil {
		return cl.User, true
	}
	next := c.Request.URL.RequestURI()
	if c.Request.Method != http.MethodGet {
		next = "/h5/home" // a form post cannot be replayed as a GET
	}
	switch {
	case WantsJSON(c):
		k.Fail(c, service.Unauthorized("login_required", "请先登录或激活账号", nil))
	case cl.Session.OpenID != "":
		c.Redirect(http.StatusFound, "/h5/activate?next="+url.QueryEscape(next))
	case k.InWeChat(c):
		k.StartOAuth(c, next)
	default:
		c.Redirect(http.StatusFound, "/h5/login?next="+url.QueryEscape(next))
	}
	return nil, false
}

// UserAndID is the signed-in user (RequireUser) and the positive integer
// path parameter name (ParamID; bad when it is not one): the caller and
// what the route acts on. It responds itself when ok is false.
func (k *Kit) UserAndID(c *gin.Context, name string, bad error) (u model.User, id uint64, ok bool) {
	user, signedIn := k.RequireUser(c)
	if !signedIn {
		return u, 0, false
	}
	id, err := ParamID(c, name, bad)
	if err != nil {
		k.Fail(c, err)
		return u, 0, false
	}
	return *user, id, true
}

// StartOAuth sends the browser through WeChat web authorization
// (snsapi_base) with a single-use state that remembers next.
func (k *Kit) StartOAuth(c *gin.Context, next string) {
	// The state is good only in the browser that asked for it: this
	// cookie's secret is stored with it and checked on the way back.
	browser := k.cookie(c, oauthCookie)
	if len(browser) < 32 || len(browser) > 64 {
		browser = session.NewToken()
	}
	k.SetCookie(c, oauthCookie, browser, int(k.sessions.StateTTL().Seconds()))
	state, err := k.sessions.NewState(c.Request.Context(), SafeNext(next), browser)
	if err != nil {
		k.Fail(c, err)
		return
	}
	if k.opts.Sandbox {
		q := url.Values{"appid": {k.opts.AppID}, "redirect_uri": {"/h5/oauth/callback"},
			"response_type": {"code"}, "scope": {"snsapi_base"}, "state": {state}}
		c.Redirect(http.StatusFound, SandboxOAuthPath+"?"+q.Encode())
		return
	}
	target := k.opts.PublicURL + "/h5/oauth/callback"
	u := "https://open.weixin.qq.com/connect/oauth2/authorize?appid=" + url.QueryEscape(k.opts.AppID) +
		"&redirect_uri=" + url.QueryEscape(target) + "&response_type=code&scope=snsapi_base&state=" +
		url.QueryEscape(state) + "#wechat_redirect"
	c.Redirect(http.StatusFound, u)
}

// ConsumeOAuthState spends the ?state= WeChat sent back, in the browser
// that began the authorization, and returns the page it remembered.
func (k *Kit) ConsumeOAuthState(c *gin.Context) (next string, err error) {
	browser := k.cookie(c, oauthCookie)
	return k.sessions.ConsumeState(c.Request.Context(), c.Query("state"), browser)
}

// SafeNext keeps redirects on our own H5 pages.
func SafeNext(next string) string {
	if next == "" || !strings.HasPrefix(next, "/h5/") || strings.HasPrefix(next, "//") || strings.ContainsAny(next, "\\\r\n") {
		return "/h5/home"
	}
	u, err := url.Parse(next)
	if err != nil || u.Host != "" || u.Scheme != "" || u.User != nil {
		return "/h5/home"
	}
	// A browser resolves dot segments (also percent-encoded ones), so
	// /h5/../x would leave the H5 pages.
	for _, seg := range strings.Split(u.Path, "/") {
		if seg == "." || seg == ".." {
			return "/h5/home"
		}
	}
	return next
}
