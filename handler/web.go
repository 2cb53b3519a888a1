package handler

import (
	"context"
	"crypto/subtle"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/gdyouth/youthvoice/model"
	"github.com/gdyouth/youthvoice/service"
	"github.com/gdyouth/youthvoice/service/account"
	"github.com/gdyouth/youthvoice/service/alert"
	"github.com/gdyouth/youthvoice/service/cadre"
	"github.com/gdyouth/youthvoice/service/question"
	"github.com/gdyouth/youthvoice/service/session"
	"github.com/gdyouth/youthvoice/service/station"
	"github.com/gdyouth/youthvoice/service/stats"
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

// OAuthClient exchanges a WeChat web-authorization code for an openid.
type OAuthClient interface {
	OAuthOpenID(ctx context.Context, code string) (string, error)
}

// WebOptions configures the H5 pages and the JSON API.
type WebOptions struct {
	PublicURL string
	AppID     string
	Sandbox   bool
}

// Services are the services behind the pages and the API.
type Services struct {
	Accounts  *account.Service
	Questions *question.Service
	Cadres    *cadre.Service
	Stations  *station.Service
	Stats     *stats.Service
	// Outbox reports alert configuration errors to admins.
	Outbox *alert.Outbox
}

// Web serves the H5 pages (/h5) and the JSON API (/api/v1).
type Web struct {
	accounts  *account.Service
	questions *question.Service
	cadres    *cadre.Service
	stations  *station.Service
	stats     *stats.Service
	outbox    *alert.Outbox
	sessions  *session.Store
	oauth     OAuthClient
	pages     *pages
	log       *slog.Logger
	opts      WebOptions
	secure    bool
}

// NewWeb builds the web layer.
func NewWeb(svc Services, sessions *session.Store, oauth OAuthClient, log *slog.Logger, o WebOptions) (*Web, error) {
	if svc.Accounts == nil || svc.Questions == nil || svc.Cadres == nil || svc.Stations == nil || svc.Stats == nil || svc.Outbox == nil ||
		sessions == nil || oauth == nil || log == nil {
		return nil, errNilDependency("NewWeb")
	}
	p, err := loadPages(o.Sandbox)
	if err != nil {
		return nil, err
	}
	return &Web{
		accounts: svc.Accounts, questions: svc.Questions, cadres: svc.Cadres, stations: svc.Stations, stats: svc.Stats, outbox: svc.Outbox, sessions: sessions, oauth: oauth, pages: p, log: log, opts: o,
		secure: strings.HasPrefix(o.PublicURL, "https://"),
	}, nil
}

// caller is who is asking: the session (possibly anonymous) and its user.
type caller struct {
	SessionID string
	Session   session.Session
	User      *model.User
}

const callerKey = "yv.caller"

// identify loads the session and user, and makes sure the browser has a
// CSRF cookie, for every /h5 and /api request.
func (w *Web) identify(c *gin.Context) {
	var cl caller
	if id, err := c.Cookie(sessionCookie); err == nil && id != "" {
		sess, err := w.sessions.Get(c.Request.Context(), id)
		switch {
		case err == nil:
			cl.SessionID, cl.Session = id, sess
		case !errors.Is(err, service.ErrUnauthorized):
			w.fail(c, err)
			c.Abort()
			return
		}
	}
	if cl.Session.UserID != 0 {
		u, err := w.accounts.UserByID(c.Request.Context(), cl.Session.UserID)
		switch {
		case err == nil && cl.Session.OpenID != "" && (u.OpenID == nil || *u.OpenID != cl.Session.OpenID):
			// The session was opened by a WeChat the account is no longer
			// bound to (unbound, or moved to another WeChat): that WeChat
			// no longer signs in to the account.
			cl.Session.UserID = 0
		case err == nil:
			cl.User = &u
		case errors.Is(err, service.ErrNotFound):
			cl.Session.UserID = 0
		default:
			w.fail(c, err)
			c.Abort()
			return
		}
	}
	c.Set(callerKey, &cl)
	if tok, err := c.Cookie(csrfCookie); err != nil || len(tok) < 32 {
		tok = session.NewToken()
		w.setCookie(c, csrfCookie, tok, 0)
		// Make it readable for this request's forms too.
		c.Request.AddCookie(&http.Cookie{Name: csrfCookie, Value: tok}) //nolint:gosec // a request cookie, never sent to the browser
	}
	c.Next()
}

func callerOf(c *gin.Context) *caller {
	if v, ok := c.Get(callerKey); ok {
		return v.(*caller)
	}
	return &caller{}
}

// checkCSRF rejects state-changing requests whose token (form field or
// header) does not match the CSRF cookie (double submit).
func (w *Web) checkCSRF(c *gin.Context) {
	switch c.Request.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		c.Next()
		return
	}
	cookie, _ := c.Cookie(csrfCookie)
	sent := c.GetHeader(csrfHeader)
	if sent == "" {
		sent = c.PostForm(csrfField)
	}
	if cookie == "" || subtle.ConstantTimeCompare([]byte(cookie), []byte(sent)) != 1 {
		w.fail(c, service.Forbidden("csrf", "页面已过期或请求来源无效，请刷新页面后重试"))
		c.Abort()
		return
	}
	c.Next()
}

func (w *Web) csrfToken(c *gin.Context) string {
	tok, _ := c.Cookie(csrfCookie)
	return tok
}

func (w *Web) setCookie(c *gin.Context, name, value string, maxAge int) {
	// Secure follows YV_PUBLIC_URL: an http sandbox on localhost must work.
	http.SetCookie(c.Writer, &http.Cookie{ //nolint:gosec // HttpOnly and SameSite set; Secure on https
		Name: name, Value: value, Path: "/", MaxAge: maxAge,
		HttpOnly: true, Secure: w.secure, SameSite: http.SameSiteLaxMode,
	})
}

// startSession replaces the browser's session (a new id after every login,
// so a planted id is worthless).
func (w *Web) startSession(c *gin.Context, sess session.Session) error {
	cl := callerOf(c)
	if cl.SessionID != "" {
		_ = w.sessions.Delete(c.Request.Context(), cl.SessionID)
	}
	id, err := w.sessions.Create(c.Request.Context(), sess)
	if err != nil {
		return err
	}
	w.setCookie(c, sessionCookie, id, int(w.sessions.Idle().Seconds()))
	cl.SessionID, cl.Session = id, sess
	return nil
}

func (w *Web) endSession(c *gin.Context) {
	cl := callerOf(c)
	if cl.SessionID != "" {
		if err := w.sessions.Delete(c.Request.Context(), cl.SessionID); err != nil {
			w.log.WarnContext(c.Request.Context(), "deleting session failed", "err", err)
		}
	}
	w.setCookie(c, sessionCookie, "", -1)
}

// inWeChat tells pages opened in WeChat's browser (or the sandbox phone).
func (w *Web) inWeChat(c *gin.Context) bool {
	if strings.Contains(c.GetHeader("User-Agent"), "MicroMessenger") {
		return true
	}
	if w.opts.Sandbox {
		v, _ := c.Cookie(sandboxWeChatCookie)
		return v == "1"
	}
	return false
}

// safeNext keeps redirects on our own H5 pages.
func safeNext(next string) string {
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

// fail responds with the error: JSON under /api, a Chinese page otherwise.
// Unmatched shows the error page for an unknown page under /h5 (or a
// method it does not take): a phone should never land on a JSON body.
func (w *Web) Unmatched(c *gin.Context, status int, msg string) bool {
	if p := c.Request.URL.Path; p != "/h5" && !strings.HasPrefix(p, "/h5/") {
		return false
	}
	w.render(c, status, "error", pageData{Title: "出错了", Error: msg})
	return true
}

func (w *Web) fail(c *gin.Context, err error) {
	status, body := describe(c, w.log, err)
	if wantsJSON(c) {
		c.JSON(status, body)
		return
	}
	w.render(c, status, "error", pageData{Title: "出错了", Error: body.Message, Retry: c.Request.URL.RequestURI()})
}
