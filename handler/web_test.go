package handler_test

// Tests of the H5 pages (/h5): the activate-and-bind flow of the notice's
// 附件2 as a user meets it, through the real router, with WeChat's API
// played by one wxfake server for the whole test binary.

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/gdyouth/youthvoice/config"
	"github.com/gdyouth/youthvoice/handler"
	"github.com/gdyouth/youthvoice/handler/wechat"
	"github.com/gdyouth/youthvoice/model"
	"github.com/gdyouth/youthvoice/model/dbtest"
	"github.com/gdyouth/youthvoice/service/account"
	"github.com/gdyouth/youthvoice/service/alert"
	"github.com/gdyouth/youthvoice/service/cadre"
	"github.com/gdyouth/youthvoice/service/callback"
	"github.com/gdyouth/youthvoice/service/clock"
	"github.com/gdyouth/youthvoice/service/kv"
	"github.com/gdyouth/youthvoice/service/kv/kvtest"
	"github.com/gdyouth/youthvoice/service/menu"
	"github.com/gdyouth/youthvoice/service/notify"
	"github.com/gdyouth/youthvoice/service/question"
	"github.com/gdyouth/youthvoice/service/session"
	"github.com/gdyouth/youthvoice/service/station"
	"github.com/gdyouth/youthvoice/service/stats"
	"github.com/gdyouth/youthvoice/service/wxapi"
	"github.com/gdyouth/youthvoice/service/wxapi/wxfake"
)

// silenceper keeps its HTTP settings in package variables, so the whole
// test binary talks to one fake WeChat API; every stack uses its own appid.
var (
	wxFake    *wxfake.Server
	wxFakeURL string
	appSeq    atomic.Int64
)

func TestMain(m *testing.M) {
	wxFake = wxfake.New()
	srv := httptest.NewServer(wxFake)
	wxFakeURL = srv.URL
	wxapi.Configure(srv.URL, 5*time.Second)
	code := m.Run()
	srv.Close()
	os.Exit(code)
}

// User agents.
const (
	UAPlain  = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36"
	UAWeChat = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 MicroMessenger/8.0.47(0x18002f2f) NetType/WIFI Language/zh_CN"
)

// Universities the tests pick (学校标识码 from the seed).
const (
	CodeSZU  = "4144010590" // 深圳大学, 深圳市
	CodeSCUT = "4144010561" // 华南理工大学, 广州市
)

const (
	webToken  = "yv-web-test-token"
	webAESKey = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
)

// Each runs fn on SQLite + the in-process store, and on MariaDB/MySQL
// (with Redis when YV_TEST_REDIS_ADDR is set) when YV_TEST_MYSQL_DSN is.
func Each(t *testing.T, fn func(t *testing.T, db *model.DB, store kv.Store)) {
	t.Helper()
	dbtest.Each(t, func(t *testing.T, db *model.DB) {
		var store kv.Store
		if db.Dialect() == model.MySQL && os.Getenv(kvtest.EnvRedis) != "" {
			store = kvtest.Redis(t)
		} else {
			store = kvtest.Memory(t, nil)
		}
		fn(t, db, store)
	})
}

type Opts struct {
	// PublicURL defaults to the test server's own URL.
	PublicURL string
	// Real: credentials configured, no sandbox (OAuth goes to WeChat).
	Real bool
	// Clock for sessions and accounts (default: the real clock).
	Clock clock.Clock
}

// Stack is one instance of the service wired as serveOn wires it,
// served by an httptest server (the sandbox calls its own callback).
type Stack struct {
	T         *testing.T
	URL       string
	PublicURL string
	AppID     string
	DB        *model.DB
	Store     kv.Store
	Accounts  *account.Service
	Questions *question.Service
	Cadres    *cadre.Service
	Stations  *station.Service
	Sender    *alert.Sender
	Sessions  *session.Store
	WX        *wxapi.Client
	Router    *gin.Engine
	DataDir   string
}

func New(t *testing.T, db *model.DB, store kv.Store, o Opts) *Stack {
	t.Helper()
	srv := httptest.NewUnstartedServer(nil)
	self := "http://" + srv.Listener.Addr().String()
	s := &Stack{
		T: t, URL: self, PublicURL: o.PublicURL, DB: db, Store: store,
		AppID: fmt.Sprintf("wxweb%013d", appSeq.Add(1)), DataDir: t.TempDir(),
	}
	if s.PublicURL == "" {
		s.PublicURL = self
	}
	secret := "secret-" + s.AppID
	wxFake.AddApp(s.AppID, secret)

	clk := o.Clock
	if clk == nil {
		clk = clock.Real{}
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	reg := prometheus.NewRegistry()
	m, err := menu.Parse(config.DefaultMenu, s.PublicURL)
	if err != nil {
		t.Fatalf("menu: %v", err)
	}
	s.WX, err = wxapi.New(wxapi.Credentials{AppID: s.AppID, Secret: secret, Token: webToken, AESKey: webAESKey}, store, log)
	if err != nil {
		t.Fatalf("wxapi.New: %v", err)
	}
	rec := callback.NewRecorder(db, log, reg, callback.RecorderOptions{FlushEvery: 10 * time.Millisecond})
	t.Cleanup(rec.Close)
	cb, err := callback.New(db, store, m, clock.Real{}, rec, log, reg, callback.Options{})
	if err != nil {
		t.Fatalf("callback.New: %v", err)
	}
	wxCallback, err := wechat.New(s.WX.OfficialAccount(), webToken, cb, clock.Real{}, log, reg, wechat.Options{MaxSkew: 5 * time.Minute})
	if err != nil {
		t.Fatalf("wechat.New: %v", err)
	}
	ops, err := handler.NewOps(map[string]handler.Pinger{"database": db, "kv": store}, reg)
	if err != nil {
		t.Fatalf("NewOps: %v", err)
	}
	s.Accounts, err = account.New(db, store, clk, log, account.Options{BcryptCost: 4})
	if err != nil {
		t.Fatalf("account.New: %v", err)
	}
	s.Sessions, err = session.New(store, clk, 0, 0)
	if err != nil {
		t.Fatalf("session.New: %v", err)
	}
	outbox, err := alert.NewOutbox(db, clk)
	if err != nil {
		t.Fatalf("alert.NewOutbox: %v", err)
	}
	n, err := notify.New(outbox, notify.FromConfig(config.Default().Alerts.Templates, true), s.PublicURL)
	if err != nil {
		t.Fatalf("notify.New: %v", err)
	}
	words := question.ParseWords(config.DefaultSensitiveWords)
	if s.Questions, err = question.New(db, clk, n, words, log); err != nil {
		t.Fatalf("question.New: %v", err)
	}
	if s.Cadres, err = cadre.New(db, clk, n); err != nil {
		t.Fatalf("cadre.New: %v", err)
	}
	if s.Stations, err = station.New(db, clk, n, log, 0); err != nil {
		t.Fatalf("station.New: %v", err)
	}
	if s.Sender, err = alert.NewSender(db, s.WX, clk, log, reg, alert.Options{Workers: 4}); err != nil {
		t.Fatalf("alert.NewSender: %v", err)
	}
	statistics, err := stats.New(db, clk)
	if err != nil {
		t.Fatalf("stats.New: %v", err)
	}
	web, err := handler.NewWeb(handler.Services{Accounts: s.Accounts, Questions: s.Questions, Cadres: s.Cadres, Stations: s.Stations, Stats: statistics, Outbox: outbox},
		s.Sessions, s.WX, log, handler.WebOptions{
			PublicURL: s.PublicURL, AppID: s.AppID, Sandbox: !o.Real,
		})
	if err != nil {
		t.Fatalf("NewWeb: %v", err)
	}
	groups := []handler.Registrar{ops, wxCallback, web}
	if !o.Real {
		// NewSandbox sets the fake's OnTemplate hook; the fake's mutex
		// (taken by Calls) orders that write with the fake's readers.
		wxFake.Calls()
		sb, err := handler.NewSandbox(web, wxFake, handler.SandboxOptions{
			AppID: s.AppID, Token: webToken, CallbackURL: self + "/wechat/callback",
			PublicURL: s.PublicURL, DataDir: s.DataDir, Menu: m.Buttons(),
		})
		if err != nil {
			t.Fatalf("NewSandbox: %v", err)
		}
		wxFake.Calls()
		groups = append(groups, handler.NewSandboxAPI(wxFake), sb)
	}
	s.Router, err = handler.NewRouter(log, reg, nil, groups...)
	if err != nil {
		t.Fatalf("NewRouter: %v", err)
	}
	srv.Config.Handler = s.Router
	srv.Start()
	t.Cleanup(srv.Close)
	return s
}

// Activate creates an account through the service (no page involved).
func (s *Stack) Activate(account, password, uni, openid string) model.User {
	s.T.Helper()
	u, err := s.Accounts.Activate(context.Background(), newAccountInput(account, password, uni, openid))
	if err != nil {
		s.T.Fatalf("activate %s: %v", account, err)
	}
	return u
}

func newAccountInput(acct, password, uni, openid string) account.ActivateInput {
	return account.ActivateInput{Entry: "gaoxiao", Mode: account.ModeNew, Account: acct, Password: password,
		Confirm: password, UniversityCode: uni, OpenID: openid}
}

// UserByAccount reads an account as stored.
func (s *Stack) UserByAccount(acct string) model.User {
	s.T.Helper()
	var u model.User
	if err := s.DB.Conn(context.Background()).Where("account_key = ?", account.AccountKey(acct)).Take(&u).Error; err != nil {
		s.T.Fatalf("user %s: %v", acct, err)
	}
	return u
}

func countUsers(t *testing.T, db *model.DB) int64 {
	t.Helper()
	var n int64
	if err := db.Conn(context.Background()).Model(&model.User{}).Count(&n).Error; err != nil {
		t.Fatalf("count users: %v", err)
	}
	return n
}

func OpenIDOf(u model.User) string {
	if u.OpenID == nil {
		return ""
	}
	return *u.OpenID
}

// --- a browser ---------------------------------------------------------------

// Client is a browser: it keeps cookies (Secure ones too, so https
// public URLs can be tested against the http test server), follows no
// redirects by itself, and sends a user agent.
type Client struct {
	T       *testing.T
	Stack   *Stack
	UA      string
	Cookies map[string]string
	HTTP    *http.Client
}

func (s *Stack) Browser(ua string) *Client {
	return &Client{T: s.T, Stack: s, UA: ua, Cookies: map[string]string{}, HTTP: &http.Client{
		Timeout:       10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

// Resp is a response with its body read.
type Resp struct {
	Status   int
	Header   http.Header
	Body     string
	Cookies  []*http.Cookie
	Location string
	URL      string // the request's path
}

func (r *Resp) Cookie(name string) *http.Cookie {
	for _, c := range r.Cookies {
		if c.Name == name {
			return c
		}
	}
	return nil
}

func (r *Resp) Decode(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal([]byte(r.Body), v); err != nil {
		t.Fatalf("%s: body is not JSON: %v\n%s", r.URL, err, r.Body)
	}
}

func (c *Client) Do(method, path string, body io.Reader, header http.Header) *Resp {
	c.T.Helper()
	req, err := http.NewRequest(method, c.Stack.URL+path, body)
	if err != nil {
		c.T.Fatalf("request %s %s: %v", method, path, err)
	}
	for k, vs := range header {
		req.Header[k] = vs
	}
	if c.UA != "" {
		req.Header.Set("User-Agent", c.UA)
	}
	for name, value := range c.Cookies {
		req.AddCookie(&http.Cookie{Name: name, Value: value})
	}
	resp, err := c.HTTP.Do(req)
	if err != nil {
		c.T.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		c.T.Fatalf("%s %s: reading body: %v", method, path, err)
	}
	r := &Resp{Status: resp.StatusCode, Header: resp.Header, Body: string(raw), Cookies: resp.Cookies(),
		Location: resp.Header.Get("Location"), URL: path}
	for _, ck := range r.Cookies {
		if ck.MaxAge < 0 || ck.Value == "" {
			delete(c.Cookies, ck.Name)
		} else {
			c.Cookies[ck.Name] = ck.Value
		}
	}
	return r
}

func (c *Client) Get(path string) *Resp {
	c.T.Helper()
	return c.Do(http.MethodGet, path, nil, nil)
}

// CSRF returns the browser's CSRF token, fetching a page first if needed.
func (c *Client) CSRF() string {
	c.T.Helper()
	if c.Cookies["yv_csrf"] == "" {
		c.Get("/api/v1/session")
	}
	return c.Cookies["yv_csrf"]
}

// Post submits a form as the page would: with the CSRF token unless the
// form sets _csrf itself.
func (c *Client) Post(path string, form url.Values) *Resp {
	c.T.Helper()
	f := url.Values{}
	for k, v := range form {
		f[k] = v
	}
	if _, ok := f["_csrf"]; !ok {
		f.Set("_csrf", c.CSRF())
	}
	return c.Do(http.MethodPost, path, strings.NewReader(f.Encode()),
		http.Header{"Content-Type": {"application/x-www-form-urlencoded"}})
}

// OAuth goes through WeChat web authorization as openid: /h5/OAuth/start
// with next, the code WeChat would issue, and the callback. It returns the
// callback's response.
func (c *Client) OAuth(openid, next string) *Resp {
	c.T.Helper()
	start := c.Get("/h5/oauth/start?next=" + url.QueryEscape(next))
	state := StateOf(c.T, start)
	code := wxFake.IssueCode(c.Stack.AppID, openid)
	return c.Get("/h5/oauth/callback?code=" + url.QueryEscape(code) + "&state=" + url.QueryEscape(state))
}

// StateOf reads the OAuth state from a redirect to the authorize page
// (the sandbox's or WeChat's).
func StateOf(t *testing.T, r *Resp) string {
	t.Helper()
	if r.Status != http.StatusFound {
		t.Fatalf("%s: HTTP %d, want 302 to the authorize page\n%s", r.URL, r.Status, r.Body)
	}
	u, err := url.Parse(r.Location)
	if err != nil {
		t.Fatalf("bad Location %q: %v", r.Location, err)
	}
	st := u.Query().Get("state")
	if st == "" {
		t.Fatalf("no state in %q", r.Location)
	}
	return st
}

// --- reading pages -------------------------------------------------------------

var (
	reCSRFField = regexp.MustCompile(`name="_csrf" value="([^"]+)"`)
	reSelected  = regexp.MustCompile(`<option value="([^"]*)"[^>]*\sselected>`)
)

func PageCSRF(t *testing.T, r *Resp) string {
	t.Helper()
	m := reCSRFField.FindStringSubmatch(r.Body)
	if m == nil {
		t.Fatalf("%s: no CSRF field in the page\n%s", r.URL, r.Body)
	}
	return html.UnescapeString(m[1])
}

// FieldError is the message shown next to a form field.
func FieldError(body, field string) string {
	m := regexp.MustCompile(`<p class="field-error" data-field="` + regexp.QuoteMeta(field) + `">([^<]*)</p>`).FindStringSubmatch(body)
	if m == nil {
		return ""
	}
	return html.UnescapeString(m[1])
}

// InputValue is the value attribute of the input with id.
func InputValue(body, id string) (string, bool) {
	m := regexp.MustCompile(`<input[^>]*\sid="` + regexp.QuoteMeta(id) + `"[^>]*>`).FindString(body)
	if m == "" {
		return "", false
	}
	v := regexp.MustCompile(`\svalue="([^"]*)"`).FindStringSubmatch(m)
	if v == nil {
		return "", true
	}
	return html.UnescapeString(v[1]), true
}

func selectedUniversity(body string) string {
	m := reSelected.FindStringSubmatch(body)
	if m == nil {
		return ""
	}
	return m[1]
}

func WantStatus(t *testing.T, r *Resp, status int) {
	t.Helper()
	if r.Status != status {
		t.Fatalf("%s: HTTP %d, want %d\nLocation: %s\n%s", r.URL, r.Status, status, r.Location, r.Body)
	}
}

func WantRedirect(t *testing.T, r *Resp, status int, location string) {
	t.Helper()
	if r.Status != status || r.Location != location {
		t.Fatalf("%s: HTTP %d to %q, want %d to %q\n%s", r.URL, r.Status, r.Location, status, location, r.Body)
	}
}

func WantBody(t *testing.T, r *Resp, parts ...string) {
	t.Helper()
	for _, p := range parts {
		if !strings.Contains(r.Body, p) {
			t.Fatalf("%s (HTTP %d) lacks %q:\n%s", r.URL, r.Status, p, r.Body)
		}
	}
}

// activationForm fills in the new-user form as a user would.
func activationForm(acct, password, confirm, uni, next string) url.Values {
	return url.Values{"mode": {"new"}, "account": {acct}, "password": {password}, "confirm": {confirm},
		"university": {uni}, "next": {next}}
}

// --- tests -----------------------------------------------------------------------

func TestH5HomeSendsVisitorsToSignIn(t *testing.T) {
	Each(t, func(t *testing.T, db *model.DB, store kv.Store) {
		sandbox := New(t, db, store, Opts{})

		t.Run("plain browser goes to the login page", func(t *testing.T) {
			r := sandbox.Browser(UAPlain).Get("/h5/home")
			WantRedirect(t, r, http.StatusFound, "/h5/login?next=%2Fh5%2Fhome")
			login := sandbox.Browser(UAPlain).Get(r.Location)
			WantStatus(t, login, http.StatusOK)
			WantBody(t, login, `id="login-submit"`, `name="next" value="/h5/home"`, "激活新账号")
		})

		t.Run("WeChat goes through sandbox OAuth", func(t *testing.T) {
			r := sandbox.Browser(UAWeChat).Get("/h5/home")
			if r.Status != http.StatusFound || !strings.HasPrefix(r.Location, handler.SandboxOAuthPath+"?") {
				t.Fatalf("HTTP %d to %q, want 302 to %s", r.Status, r.Location, handler.SandboxOAuthPath)
			}
			u, _ := url.Parse(r.Location)
			q := u.Query()
			if q.Get("appid") != sandbox.AppID || q.Get("scope") != "snsapi_base" || q.Get("redirect_uri") != "/h5/oauth/callback" || len(q.Get("state")) < 16 {
				t.Fatalf("authorize query %v", q)
			}
		})

		t.Run("the sandbox phone's cookie counts as WeChat", func(t *testing.T) {
			c := sandbox.Browser(UAPlain)
			c.Cookies["yv_sbx_wx"] = "1"
			r := c.Get("/h5/home")
			if r.Status != http.StatusFound || !strings.HasPrefix(r.Location, handler.SandboxOAuthPath+"?") {
				t.Fatalf("HTTP %d to %q, want 302 to sandbox OAuth", r.Status, r.Location)
			}
		})

		realMode := New(t, db, store, Opts{Real: true, PublicURL: "https://yv.example.org"})
		t.Run("WeChat goes to WeChat's authorize page in real mode", func(t *testing.T) {
			c := realMode.Browser(UAWeChat)
			r := c.Get("/h5/home")
			want := "https://open.weixin.qq.com/connect/oauth2/authorize?appid=" + realMode.AppID +
				"&redirect_uri=" + url.QueryEscape("https://yv.example.org/h5/oauth/callback") +
				"&response_type=code&scope=snsapi_base&state="
			if r.Status != http.StatusFound || !strings.HasPrefix(r.Location, want) || !strings.HasSuffix(r.Location, "#wechat_redirect") {
				t.Fatalf("HTTP %d to\n%q\nwant 302 to\n%q…#wechat_redirect", r.Status, r.Location, want)
			}
			state := StateOf(t, r)
			// The state comes back with WeChat's code, in the same browser,
			// and is accepted.
			code := wxFake.IssueCode(realMode.AppID, "oREALUSER0000000000000001")
			cb := c.Get("/h5/oauth/callback?code=" + code + "&state=" + url.QueryEscape(state))
			WantRedirect(t, cb, http.StatusFound, "/h5/activate?next=%2Fh5%2Fhome")
		})

		t.Run("an authorization begun in another browser signs nobody in", func(t *testing.T) {
			// An attacker begins WeChat authorization in their browser, gets a
			// code for their own WeChat and sends the victim the callback link.
			// Followed, it would sign the victim's browser in as the
			// attacker's WeChat, and the victim's next login would bind the
			// victim's account to it.
			realMode.Activate("victim01", "victim123", CodeSZU, "")
			attacker := realMode.Browser(UAWeChat)
			var link string
			for _, ua := range []string{UAPlain, UAWeChat} {
				state := StateOf(t, attacker.Get("/h5/oauth/start?next=%2Fh5%2Fhome"))
				link = "/h5/oauth/callback?code=" + wxFake.IssueCode(realMode.AppID, "oATTACKER000000000000000001") + "&state=" + url.QueryEscape(state)
				victim := realMode.Browser(ua)
				r := victim.Get(link)
				WantStatus(t, r, http.StatusBadRequest)
				WantBody(t, r, "授权不是在当前浏览器中发起的", "重试")
				if _, ok := victim.Cookies["yv_sess"]; ok {
					t.Fatalf("%s: the link opened a session", ua)
				}
				WantRedirect(t, victim.Post("/h5/login", url.Values{"account": {"victim01"}, "password": {"victim123"}, "next": {"/h5/home"}}),
					http.StatusSeeOther, "/h5/home")
			}
			if got := OpenIDOf(realMode.UserByAccount("victim01")); got != "" {
				t.Fatalf("victim01 bound to %q", got)
			}
			// The attacker's state was spent by the refused attempt.
			r := attacker.Get(link)
			WantStatus(t, r, http.StatusBadRequest)
			WantBody(t, r, "授权已过期或已使用")
		})

		t.Run("the sandbox cookie means nothing in real mode", func(t *testing.T) {
			c := realMode.Browser(UAPlain)
			c.Cookies["yv_sbx_wx"] = "1"
			WantRedirect(t, c.Get("/h5/home"), http.StatusFound, "/h5/login?next=%2Fh5%2Fhome")
		})

		t.Run("menu pages not built yet need a user too", func(t *testing.T) {
			WantRedirect(t, sandbox.Browser(UAPlain).Get("/h5/ask"), http.StatusFound, "/h5/login?next=%2Fh5%2Fask")
		})
	})
}

func TestOAuthCallback(t *testing.T) {
	Each(t, func(t *testing.T, db *model.DB, store kv.Store) {
		s := New(t, db, store, Opts{})
		ctx := context.Background()

		t.Run("unbound WeChat is sent to activation with next", func(t *testing.T) {
			c := s.Browser(UAWeChat)
			r := c.OAuth("oUNBOUND000000000000000001", "/h5/settings")
			WantRedirect(t, r, http.StatusFound, "/h5/activate?next=%2Fh5%2Fsettings")
			sessCookie := r.Cookie("yv_sess")
			if sessCookie == nil {
				t.Fatal("no session cookie after OAuth")
			}
			sess, err := s.Sessions.Get(ctx, sessCookie.Value)
			if err != nil || sess.OpenID != "oUNBOUND000000000000000001" || sess.UserID != 0 {
				t.Fatalf("session %+v, %v; want the openid and no user", sess, err)
			}
			// The entry page is shown, not another OAuth round.
			entries := c.Get(r.Location)
			WantStatus(t, entries, http.StatusOK)
			WantBody(t, entries, `data-entry="gaoxiao"`, `href="/h5/activate/gaoxiao?next=%2fh5%2fsettings"`)
		})

		t.Run("bound WeChat goes straight to next", func(t *testing.T) {
			u := s.Activate("boundUser01", "secret123", CodeSZU, "oBOUND00000000000000000001")
			c := s.Browser(UAWeChat)
			r := c.OAuth("oBOUND00000000000000000001", "/h5/settings")
			WantRedirect(t, r, http.StatusFound, "/h5/settings")
			sess, err := s.Sessions.Get(ctx, r.Cookie("yv_sess").Value)
			if err != nil || sess.UserID != u.ID {
				t.Fatalf("session %+v, %v; want user %d", sess, err, u.ID)
			}
			page := c.Get("/h5/settings")
			WantStatus(t, page, http.StatusOK)
			WantBody(t, page, "boundUser01", "深圳大学", "已绑定")
		})

		retry := func(t *testing.T, r *Resp, next string) {
			t.Helper()
			WantStatus(t, r, http.StatusBadRequest)
			WantBody(t, r, "授权失败", `href="/h5/oauth/start?next=`+url.QueryEscape(next), "重试")
			if r.Cookie("yv_sess") != nil {
				t.Fatalf("a failed authorization set a session cookie")
			}
		}

		t.Run("a reused code is refused", func(t *testing.T) {
			c := s.Browser(UAWeChat)
			code := wxFake.IssueCode(s.AppID, "oREUSE000000000000000000001")
			st1 := StateOf(t, c.Get("/h5/oauth/start?next=%2Fh5%2Fhome"))
			WantStatus(t, c.Get("/h5/oauth/callback?code="+code+"&state="+st1), http.StatusFound)
			st2 := StateOf(t, c.Get("/h5/oauth/start?next=%2Fh5%2Fsettings"))
			r := c.Get("/h5/oauth/callback?code=" + code + "&state=" + st2)
			retry(t, r, "/h5/settings")
			WantBody(t, r, "微信授权码无效或已使用")
		})

		t.Run("an unknown code is refused", func(t *testing.T) {
			c := s.Browser(UAWeChat)
			st := StateOf(t, c.Get("/h5/oauth/start?next=%2Fh5%2Fhome"))
			retry(t, c.Get("/h5/oauth/callback?code=nosuchcode&state="+st), "/h5/home")
		})

		t.Run("a missing code is refused", func(t *testing.T) {
			c := s.Browser(UAWeChat)
			st := StateOf(t, c.Get("/h5/oauth/start?next=%2Fh5%2Fhome"))
			retry(t, c.Get("/h5/oauth/callback?state="+st), "/h5/home")
		})

		t.Run("a code of another app is refused", func(t *testing.T) {
			c := s.Browser(UAWeChat)
			st := StateOf(t, c.Get("/h5/oauth/start?next=%2Fh5%2Fhome"))
			code := wxFake.IssueCode("wxsomeotherapp0000", "oOTHERAPP00000000000000001")
			retry(t, c.Get("/h5/oauth/callback?code="+code+"&state="+st), "/h5/home")
		})

		t.Run("a wrong state is refused", func(t *testing.T) {
			c := s.Browser(UAWeChat)
			code := wxFake.IssueCode(s.AppID, "oWRONGSTATE0000000000000001")
			r := c.Get("/h5/oauth/callback?code=" + code + "&state=forgedstate0000000000000000000000")
			retry(t, r, "/h5/home")
			WantBody(t, r, "微信授权已过期或无效")
			retry(t, c.Get("/h5/oauth/callback?code="+code), "/h5/home")
			retry(t, c.Get("/h5/oauth/callback?code="+code+"&state="+strings.Repeat("x", 100)), "/h5/home")
		})

		t.Run("a used state is refused", func(t *testing.T) {
			c := s.Browser(UAWeChat)
			st := StateOf(t, c.Get("/h5/oauth/start?next=%2Fh5%2Fhome"))
			code := wxFake.IssueCode(s.AppID, "oUSEDSTATE00000000000000001")
			WantStatus(t, c.Get("/h5/oauth/callback?code="+code+"&state="+st), http.StatusFound)
			code2 := wxFake.IssueCode(s.AppID, "oUSEDSTATE00000000000000001")
			retry(t, s.Browser(UAWeChat).Get("/h5/oauth/callback?code="+code2+"&state="+st), "/h5/home")
		})

		t.Run("the retry link starts over", func(t *testing.T) {
			r := s.Browser(UAWeChat).Get("/h5/oauth/start?next=%2Fh5%2Fhome")
			if r.Status != http.StatusFound || !strings.HasPrefix(r.Location, handler.SandboxOAuthPath) {
				t.Fatalf("retry: HTTP %d to %q", r.Status, r.Location)
			}
		})
	})
}

// TestOAuthStateAndSessionExpire needs a clock the store obeys, so it runs
// on the in-process store only.
func TestOAuthStateAndSessionExpire(t *testing.T) {
	clk := clock.NewFake(time.Date(2026, 3, 24, 9, 0, 0, 0, time.UTC))
	s := New(t, dbtest.SQLite(t), kvtest.Memory(t, clk), Opts{Clock: clk})

	c := s.Browser(UAWeChat)
	st := StateOf(t, c.Get("/h5/oauth/start?next=%2Fh5%2Fhome"))
	clk.Advance(11 * time.Minute) // states live 10 minutes
	code := wxFake.IssueCode(s.AppID, "oEXPIRED000000000000000001")
	r := c.Get("/h5/oauth/callback?code=" + code + "&state=" + st)
	WantStatus(t, r, http.StatusBadRequest)
	WantBody(t, r, "微信授权已过期或无效", `href="/h5/oauth/start?next=%2Fh5%2Fhome"`)

	// A session idle longer than its lifetime is gone.
	s.Activate("idleUser01", "secret123", CodeSZU, "")
	p := s.Browser(UAPlain)
	login := p.Post("/h5/login", url.Values{"account": {"idleUser01"}, "password": {"secret123"}, "next": {"/h5/home"}})
	WantRedirect(t, login, http.StatusSeeOther, "/h5/home")
	WantStatus(t, p.Get("/h5/home"), http.StatusOK)
	clk.Advance(session.DefaultIdle + time.Minute)
	WantRedirect(t, p.Get("/h5/home"), http.StatusFound, "/h5/login?next=%2Fh5%2Fhome")
}

func TestActivateEntriesPage(t *testing.T) {
	Each(t, func(t *testing.T, db *model.DB, store kv.Store) {
		s := New(t, db, store, Opts{})
		c := s.Browser(UAWeChat)
		WantRedirect(t, c.OAuth("oENTRIES00000000000000000001", "/h5/home"), http.StatusFound, "/h5/activate?next=%2Fh5%2Fhome")
		r := c.Get("/h5/activate?next=%2Fh5%2Fhome")
		WantStatus(t, r, http.StatusOK)
		WantBody(t, r, "选择入口", ">高校<", ">地市<", "暂未开放", `data-entry="gaoxiao"`)
		if strings.Contains(r.Body, `data-entry="dishi"`) {
			t.Fatal("a disabled entry is a link")
		}

		disabled := c.Get("/h5/activate/dishi")
		WantStatus(t, disabled, http.StatusBadRequest)
		WantBody(t, disabled, "「地市」入口暂未开放")
		WantStatus(t, c.Get("/h5/activate/nosuchentry"), http.StatusNotFound)

		// In WeChat without an authorized session the entry page first
		// identifies the WeChat.
		fresh := s.Browser(UAWeChat).Get("/h5/activate?next=%2Fh5%2Fhome")
		if fresh.Status != http.StatusFound || !strings.HasPrefix(fresh.Location, handler.SandboxOAuthPath) {
			t.Fatalf("entry page without OAuth: HTTP %d to %q", fresh.Status, fresh.Location)
		}
		form := s.Browser(UAWeChat).Get("/h5/activate/gaoxiao?next=%2Fh5%2Fhome")
		if form.Status != http.StatusFound || !strings.HasPrefix(form.Location, handler.SandboxOAuthPath) {
			t.Fatalf("form without OAuth: HTTP %d to %q", form.Status, form.Location)
		}
	})
}

func TestActivateNewUserThroughForm(t *testing.T) {
	Each(t, func(t *testing.T, db *model.DB, store kv.Store) {
		s := New(t, db, store, Opts{})
		const openid = "oNEWUSER000000000000000001"
		c := s.Browser(UAWeChat)
		WantRedirect(t, c.OAuth(openid, "/h5/home"), http.StatusFound, "/h5/activate?next=%2Fh5%2Fhome")

		form := c.Get("/h5/activate/gaoxiao?next=%2Fh5%2Fhome")
		WantStatus(t, form, http.StatusOK)
		WantBody(t, form, "高校激活", `id="activate-submit"`, `id="university-search"`, "深圳大学（深圳市）", `name="mode" value="new"`)
		tok := PageCSRF(t, form)

		f := activationForm("Student2026", "pass2026", "pass2026", CodeSZU, "/h5/home")
		f.Set("_csrf", tok)
		r := c.Post("/h5/activate/gaoxiao", f)
		WantRedirect(t, r, http.StatusSeeOther, "/h5/home?notice=activated")

		home := c.Get(r.Location)
		WantStatus(t, home, http.StatusOK)
		WantBody(t, home, "激活成功", `id="profile-name">Student2026<`, "深圳大学 · 深圳市", "青年学生")

		u := s.UserByAccount("student2026")
		if OpenIDOf(u) != openid || u.EntryKey != "gaoxiao" || u.ActivatedAt == nil || u.BoundAt == nil {
			t.Fatalf("stored user %+v: want bound to %s, entry gaoxiao, activated", u, openid)
		}
		// The WeChat now signs in by itself.
		again := s.Browser(UAWeChat)
		WantRedirect(t, again.OAuth(openid, "/h5/home"), http.StatusFound, "/h5/home")
		WantBody(t, again.Get("/h5/home"), "Student2026")

		// A name, when given, is what the home page greets.
		c2 := s.Browser(UAWeChat)
		c2.OAuth("oNEWUSER000000000000000002", "/h5/home")
		f = activationForm("named2026", "pass2026", "pass2026", CodeSCUT, "/h5/settings")
		f.Set("name", "李青")
		WantRedirect(t, c2.Post("/h5/activate/gaoxiao", f), http.StatusSeeOther, "/h5/settings")
		WantBody(t, c2.Get("/h5/home"), `id="profile-name">李青<`, "华南理工大学 · 广州市", "账号 named2026")

		// Outside WeChat the account is created without a binding.
		p := s.Browser(UAPlain)
		entryPage := p.Get("/h5/activate/gaoxiao")
		WantStatus(t, entryPage, http.StatusOK)
		WantBody(t, entryPage, "当前不在微信中打开")
		WantRedirect(t, p.Post("/h5/activate/gaoxiao", activationForm("desktop2026", "pass2026", "pass2026", CodeSZU, "")),
			http.StatusSeeOther, "/h5/home?notice=activated")
		if u := s.UserByAccount("desktop2026"); u.OpenID != nil {
			t.Fatalf("a desktop activation bound WeChat %s", *u.OpenID)
		}
		WantBody(t, p.Get("/h5/home"), "desktop2026")
	})
}

func TestActivateFormErrorsKeepInput(t *testing.T) {
	Each(t, func(t *testing.T, db *model.DB, store kv.Store) {
		s := New(t, db, store, Opts{})
		s.Activate("takenAcct1", "secret123", CodeSZU, "")

		c := s.Browser(UAWeChat)
		c.OAuth("oFORMERRORS000000000000001", "/h5/home")

		cases := []struct {
			name, acct, password, confirm, uni string
			status                             int
			field, msg                         string
		}{
			{"five characters", "abc12", "pass2026", "pass2026", CodeSZU, 400, "account", "账号须为 6–32 位英文字母或数字"},
			{"symbols", "abc_12!", "pass2026", "pass2026", CodeSZU, 400, "account", "账号须为 6–32 位英文字母或数字"},
			{"Chinese", "青年之声账号", "pass2026", "pass2026", CodeSZU, 400, "account", "账号须为 6–32 位英文字母或数字"},
			{"empty account", "", "pass2026", "pass2026", CodeSZU, 400, "account", "请输入账号"},
			{"short password", "goodacct1", "pw1", "pw1", CodeSZU, 400, "password", "密码须为 6–32 位英文字母或数字"},
			{"password with symbols", "goodacct1", "pass-2026", "pass-2026", CodeSZU, 400, "password", "密码须为 6–32 位英文字母或数字"},
			{"confirm differs", "goodacct1", "pass2026", "pass2027", CodeSZU, 400, "confirm", "两次输入的密码不一致"},
			{"no university", "goodacct1", "pass2026", "pass2026", "", 400, "university", "请选择学校"},
			{"unknown university", "goodacct1", "pass2026", "pass2026", "9999999999", 400, "university", "所选学校不存在，请重新选择"},
			{"taken account", "takenAcct1", "pass2026", "pass2026", CodeSCUT, 409, "account", "账号已被占用"},
			{"taken account in other case", "TAKENACCT1", "pass2026", "pass2026", CodeSCUT, 409, "account", "账号已被占用"},
			{"too long", strings.Repeat("a", 65), "pass2026", "pass2026", CodeSZU, 400, "", "输入内容过长"},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				r := c.Post("/h5/activate/gaoxiao", activationForm(tc.acct, tc.password, tc.confirm, tc.uni, "/h5/home"))
				WantStatus(t, r, tc.status)
				WantBody(t, r, `id="form-error"`, tc.msg, `id="activate-submit"`)
				if tc.field != "" {
					if got := FieldError(r.Body, tc.field); got != tc.msg {
						t.Fatalf("error next to %s: %q, want %q\n%s", tc.field, got, tc.msg, r.Body)
					}
				}
				// What the user typed is kept …
				if v, _ := InputValue(r.Body, "account"); v != tc.acct {
					t.Fatalf("account field shows %q, want what was typed (%q)", v, tc.acct)
				}
				if got := selectedUniversity(r.Body); got != tc.uni && tc.uni != "9999999999" {
					t.Fatalf("selected university %q, want %q", got, tc.uni)
				}
				// … except the passwords.
				for _, id := range []string{"password", "confirm"} {
					if v, ok := InputValue(r.Body, id); !ok || v != "" {
						t.Fatalf("%s field: present %v, value %q; want an empty field", id, ok, v)
					}
				}
				if len(tc.password) >= 6 && strings.Contains(r.Body, tc.password) {
					t.Fatalf("the page echoes the password")
				}
				WantBody(t, r, `name="next" value="/h5/home"`, `name="mode" value="new"`)
			})
		}
		if n := countUsers(t, s.DB); n != 1 {
			t.Fatalf("%d users after only failed activations, want 1", n)
		}
	})
}

func TestActivateOldUserBindsWeChat(t *testing.T) {
	Each(t, func(t *testing.T, db *model.DB, store kv.Store) {
		s := New(t, db, store, Opts{})
		const first, second = "oOLDFIRST00000000000000001", "oOLDSECOND0000000000000001"
		s.Activate("veteran01", "oldpass1", CodeSZU, first)

		// The first WeChat is signed in.
		one := s.Browser(UAWeChat)
		WantRedirect(t, one.OAuth(first, "/h5/home"), http.StatusFound, "/h5/home")
		WantBody(t, one.Get("/h5/home"), "veteran01")

		// A second WeChat logs in to the account (老用户登录).
		two := s.Browser(UAWeChat)
		WantRedirect(t, two.OAuth(second, "/h5/home"), http.StatusFound, "/h5/activate?next=%2Fh5%2Fhome")
		form := two.Get("/h5/activate/gaoxiao?mode=old&next=%2Fh5%2Fhome")
		WantStatus(t, form, http.StatusOK)
		WantBody(t, form, `name="mode" value="old"`, `class="tab active" id="tab-old"`, "原有账号")
		if strings.Contains(form.Body, `id="confirm"`) {
			t.Fatal("the old-user form asks to confirm the password")
		}

		wrong := two.Post("/h5/activate/gaoxiao", url.Values{"mode": {"old"}, "account": {"veteran01"}, "password": {"wrongpass1"}, "next": {"/h5/home"}})
		WantStatus(t, wrong, http.StatusUnauthorized)
		if got := FieldError(wrong.Body, "password"); got != "账号或密码错误" {
			t.Fatalf("wrong password: field error %q\n%s", got, wrong.Body)
		}
		if v, _ := InputValue(wrong.Body, "account"); v != "veteran01" {
			t.Fatalf("account not kept: %q", v)
		}
		WantBody(t, wrong, `name="mode" value="old"`)

		ok := two.Post("/h5/activate/gaoxiao", url.Values{"mode": {"old"}, "account": {"VETERAN01"}, "password": {"oldpass1"}, "next": {"/h5/home"}})
		WantRedirect(t, ok, http.StatusSeeOther, "/h5/home?notice=activated")
		WantBody(t, two.Get("/h5/home"), "veteran01", "深圳大学")
		if u := s.UserByAccount("veteran01"); OpenIDOf(u) != second {
			t.Fatalf("account bound to %q, want the second WeChat", OpenIDOf(u))
		}

		// One account, one WeChat: the first WeChat no longer signs in …
		r := one.Get("/h5/home")
		WantRedirect(t, r, http.StatusFound, "/h5/activate?next=%2Fh5%2Fhome")
		WantStatus(t, one.Get("/api/v1/me"), http.StatusUnauthorized)
		// … and its next authorization leads to activation.
		WantRedirect(t, s.Browser(UAWeChat).OAuth(first, "/h5/home"), http.StatusFound, "/h5/activate?next=%2Fh5%2Fhome")

		// An imported account without a university picks one when activating.
		imported := model.User{Account: "import001", AccountKey: "import001", Role: model.RoleStudent, Source: "import",
			CreatedAt: time.Now(), UpdatedAt: time.Now()}
		imported.PasswordHash = s.UserByAccount("veteran01").PasswordHash // "oldpass1"
		if err := s.DB.Conn(context.Background()).Create(&imported).Error; err != nil {
			t.Fatal(err)
		}
		three := s.Browser(UAWeChat)
		three.OAuth("oOLDTHIRD00000000000000001", "/h5/home")
		need := three.Post("/h5/activate/gaoxiao", url.Values{"mode": {"old"}, "account": {"import001"}, "password": {"oldpass1"}})
		WantStatus(t, need, http.StatusBadRequest)
		if got := FieldError(need.Body, "university"); got != "请选择学校" {
			t.Fatalf("imported account without university: %q", got)
		}
		WantRedirect(t, three.Post("/h5/activate/gaoxiao", url.Values{"mode": {"old"}, "account": {"import001"}, "password": {"oldpass1"}, "university": {CodeSCUT}}),
			http.StatusSeeOther, "/h5/home?notice=activated")
		got := s.UserByAccount("import001")
		if OpenIDOf(got) != "oOLDTHIRD00000000000000001" || got.UniversityID == nil || got.EntryKey != "gaoxiao" || got.ActivatedAt == nil {
			t.Fatalf("imported account after activation: %+v", got)
		}
	})
}

// A WeChat bound to one account cannot be used to log into another: the
// form is not offered (as the entry page is not), and submitting it anyway
// is refused with what to do, leaving the other account's binding alone.
func TestBoundWeChatDoesNotTakeOverAnotherAccount(t *testing.T) {
	Each(t, func(t *testing.T, db *model.DB, store kv.Store) {
		s := New(t, db, store, Opts{})
		const mine, theirs = "oBOUNDMINE0000000000000001", "oBOUNDTHEIRS00000000000001"
		s.Activate("boundMine01", "mypass01", CodeSZU, mine)
		s.Activate("cadreOther1", "herpass1", CodeSZU, theirs)

		c := s.Browser(UAWeChat)
		WantRedirect(t, c.OAuth(mine, "/h5/home"), http.StatusFound, "/h5/home")
		WantRedirect(t, c.Get("/h5/activate?next=%2Fh5%2Fhome"), http.StatusFound, "/h5/home")
		WantRedirect(t, c.Get("/h5/activate/gaoxiao?mode=old&next=%2Fh5%2Fhome"), http.StatusFound, "/h5/home")
		WantRedirect(t, c.Get("/h5/activate/gaoxiao?next=%2Fh5%2Fask"), http.StatusFound, "/h5/ask")

		// Posting the old-user form anyway.
		r := c.Post("/h5/activate/gaoxiao", url.Values{"mode": {"old"}, "account": {"cadreOther1"}, "password": {"herpass1"}, "next": {"/h5/home"}})
		WantStatus(t, r, http.StatusConflict)
		WantBody(t, r, `id="form-error"`, "该微信已绑定账号 boundMine01，请先在「设置」中解除绑定")
		// Nor a new account, nor the JSON API, nor the login page.
		WantStatus(t, c.Post("/h5/activate/gaoxiao", activationForm("another01", "pass2026", "pass2026", CodeSZU, "/h5/home")), http.StatusConflict)
		WantAPIError(t, c.API(http.MethodPost, "/api/v1/entries/gaoxiao/activate", map[string]string{"mode": "old", "account": "cadreOther1", "password": "herpass1"}),
			http.StatusConflict, "wechat_bound", "")
		WantStatus(t, c.Post("/h5/login", url.Values{"account": {"cadreOther1"}, "password": {"herpass1"}, "next": {"/h5/home"}}), http.StatusConflict)

		if got := OpenIDOf(s.UserByAccount("cadreOther1")); got != theirs {
			t.Fatalf("the other account is bound to %q, want its own WeChat", got)
		}
		if got := OpenIDOf(s.UserByAccount("boundMine01")); got != mine {
			t.Fatalf("this WeChat's account is bound to %q", got)
		}
		if n := countUsers(t, s.DB); n != 2 {
			t.Fatalf("%d users, want 2", n)
		}
		WantBody(t, c.Get("/h5/home"), "boundMine01")

		// After 设置 → 解除微信绑定 the WeChat may log into the other account
		// (which moves that account's binding here).
		settings := c.Get("/h5/settings")
		WantStatus(t, c.Post("/h5/settings/unbind", url.Values{"_csrf": {PageCSRF(t, settings)}}), http.StatusSeeOther)
		again := s.Browser(UAWeChat)
		WantRedirect(t, again.OAuth(mine, "/h5/home"), http.StatusFound, "/h5/activate?next=%2Fh5%2Fhome")
		WantStatus(t, again.Get("/h5/activate/gaoxiao?mode=old&next=%2Fh5%2Fhome"), http.StatusOK)
		WantRedirect(t, again.Post("/h5/activate/gaoxiao", url.Values{"mode": {"old"}, "account": {"cadreOther1"}, "password": {"herpass1"}, "next": {"/h5/home"}}),
			http.StatusSeeOther, "/h5/home?notice=activated")
		if got := OpenIDOf(s.UserByAccount("cadreOther1")); got != mine {
			t.Fatalf("after unbinding, the other account is bound to %q, want this WeChat", got)
		}
	})
}

func TestCSRF(t *testing.T) {
	Each(t, func(t *testing.T, db *model.DB, store kv.Store) {
		s := New(t, db, store, Opts{})
		s.Activate("csrfUser01", "secret123", CodeSZU, "")
		form := url.Values{"account": {"csrfUser01"}, "password": {"secret123"}, "next": {"/h5/home"}}

		for name, tok := range map[string]string{"no token": "", "wrong token": strings.Repeat("A", 43)} {
			t.Run("page, "+name, func(t *testing.T) {
				c := s.Browser(UAPlain)
				c.CSRF()
				f := url.Values{"_csrf": {tok}}
				for k, v := range form {
					f[k] = v
				}
				r := c.Post("/h5/login", f)
				WantStatus(t, r, http.StatusForbidden)
				WantBody(t, r, "页面已过期或请求来源无效，请刷新页面后重试", "<html")
				if r.Cookie("yv_sess") != nil {
					t.Fatal("a rejected login set a session")
				}
			})
			t.Run("API, "+name, func(t *testing.T) {
				c := s.Browser("")
				c.CSRF()
				h := http.Header{"Content-Type": {"application/json"}}
				if tok != "" {
					h.Set("X-CSRF-Token", tok)
				}
				r := c.Do(http.MethodPost, "/api/v1/session", strings.NewReader(`{"account":"csrfUser01","password":"secret123"}`), h)
				WantStatus(t, r, http.StatusForbidden)
				var e handler.APIError
				r.Decode(t, &e)
				if e.Code != "csrf" || !strings.Contains(e.Message, "请刷新页面后重试") {
					t.Fatalf("API CSRF error %+v", e)
				}
			})
		}

		t.Run("no CSRF cookie at all", func(t *testing.T) {
			c := s.Browser(UAPlain)
			r := c.Do(http.MethodPost, "/h5/logout", strings.NewReader("_csrf="), http.Header{"Content-Type": {"application/x-www-form-urlencoded"}})
			WantStatus(t, r, http.StatusForbidden)
		})

		t.Run("a token from another browser", func(t *testing.T) {
			other := s.Browser(UAPlain).CSRF()
			c := s.Browser(UAPlain)
			c.CSRF()
			f := url.Values{"_csrf": {other}}
			for k, v := range form {
				f[k] = v
			}
			WantStatus(t, c.Post("/h5/login", f), http.StatusForbidden)
		})

		t.Run("the page's token is accepted", func(t *testing.T) {
			c := s.Browser(UAPlain)
			page := c.Get("/h5/login?next=%2Fh5%2Fhome")
			f := url.Values{"_csrf": {PageCSRF(t, page)}}
			for k, v := range form {
				f[k] = v
			}
			WantRedirect(t, c.Post("/h5/login", f), http.StatusSeeOther, "/h5/home")
		})

		t.Run("the header is accepted", func(t *testing.T) {
			c := s.Browser("")
			h := http.Header{"Content-Type": {"application/json"}, "X-Csrf-Token": {c.CSRF()}}
			r := c.Do(http.MethodPost, "/api/v1/session", strings.NewReader(`{"account":"csrfUser01","password":"secret123"}`), h)
			WantStatus(t, r, http.StatusOK)
			// A form post may carry the header too.
			p := s.Browser(UAPlain)
			hf := http.Header{"Content-Type": {"application/x-www-form-urlencoded"}, "X-CSRF-Token": {p.CSRF()}}
			WantRedirect(t, p.Do(http.MethodPost, "/h5/login", strings.NewReader(form.Encode()), hf), http.StatusSeeOther, "/h5/home")
		})

		t.Run("GET needs no token", func(t *testing.T) {
			WantStatus(t, s.Browser(UAPlain).Get("/h5/login"), http.StatusOK)
		})
	})
}

func TestSessionCookies(t *testing.T) {
	Each(t, func(t *testing.T, db *model.DB, store kv.Store) {
		for _, tc := range []struct {
			publicURL string
			secure    bool
		}{{"", false}, {"https://yv.example.org", true}} {
			t.Run(fmt.Sprintf("secure=%v", tc.secure), func(t *testing.T) {
				s := New(t, db, store, Opts{PublicURL: tc.publicURL})
				acct := fmt.Sprintf("cookie%v01", tc.secure)
				s.Activate(acct, "secret123", CodeSZU, "")
				c := s.Browser(UAPlain)
				first := c.Get("/h5/login")
				csrf := first.Cookie("yv_csrf")
				if csrf == nil || !csrf.HttpOnly || csrf.Secure != tc.secure || csrf.SameSite != http.SameSiteLaxMode || csrf.Path != "/" {
					t.Fatalf("CSRF cookie %+v", csrf)
				}
				// A session id planted before login is worthless.
				c.Cookies["yv_sess"] = "planted-session-id-000000000000000000000000"
				r := c.Post("/h5/login", url.Values{"account": {acct}, "password": {"secret123"}, "next": {"/h5/home"}})
				WantRedirect(t, r, http.StatusSeeOther, "/h5/home")
				sc := r.Cookie("yv_sess")
				if sc == nil {
					t.Fatal("no session cookie after login")
				}
				if !sc.HttpOnly || sc.SameSite != http.SameSiteLaxMode || sc.Secure != tc.secure || sc.Path != "/" {
					t.Fatalf("session cookie %q: HttpOnly=%v SameSite=%v Secure=%v Path=%q; want HttpOnly, Lax, Secure=%v",
						sc.Raw, sc.HttpOnly, sc.SameSite, sc.Secure, sc.Path, tc.secure)
				}
				if sc.MaxAge != int(session.DefaultIdle.Seconds()) {
					t.Fatalf("session cookie Max-Age %d, want %d", sc.MaxAge, int(session.DefaultIdle.Seconds()))
				}
				if sc.Value == "planted-session-id-000000000000000000000000" || len(sc.Value) < 40 {
					t.Fatalf("session id %q: want a fresh random id", sc.Value)
				}
				WantStatus(t, c.Get("/h5/home"), http.StatusOK)

				// Logging in again issues another id and ends the old one.
				old := sc.Value
				r = c.Post("/h5/login", url.Values{"account": {acct}, "password": {"secret123"}, "next": {"/h5/settings"}})
				WantRedirect(t, r, http.StatusSeeOther, "/h5/settings")
				if r.Cookie("yv_sess") == nil || r.Cookie("yv_sess").Value == old {
					t.Fatal("a second login kept the session id")
				}
				if _, err := s.Sessions.Get(context.Background(), old); err == nil {
					t.Fatal("the previous session still exists after a new login")
				}

				// Logout deletes the session; the old cookie no longer works.
				current := c.Cookies["yv_sess"]
				out := c.Post("/h5/logout", nil)
				WantRedirect(t, out, http.StatusSeeOther, "/h5/login")
				if del := out.Cookie("yv_sess"); del == nil || del.MaxAge >= 0 {
					t.Fatalf("logout did not delete the cookie: %+v", del)
				}
				replay := s.Browser(UAPlain)
				replay.Cookies["yv_sess"] = current
				WantRedirect(t, replay.Get("/h5/home"), http.StatusFound, "/h5/login?next=%2Fh5%2Fhome")
				WantRedirect(t, c.Get("/h5/home"), http.StatusFound, "/h5/login?next=%2Fh5%2Fhome")
			})
		}

		t.Run("a new id after WeChat activation", func(t *testing.T) {
			s := New(t, db, store, Opts{})
			c := s.Browser(UAWeChat)
			c.OAuth("oFIXATION000000000000000001", "/h5/home")
			anon := c.Cookies["yv_sess"]
			r := c.Post("/h5/activate/gaoxiao", activationForm("fixation01", "pass2026", "pass2026", CodeSZU, "/h5/home"))
			WantStatus(t, r, http.StatusSeeOther)
			if c.Cookies["yv_sess"] == anon {
				t.Fatal("activation kept the pre-login session id")
			}
			if _, err := s.Sessions.Get(context.Background(), anon); err == nil {
				t.Fatal("the pre-login session still exists")
			}
		})
	})
}

func TestLoginPage(t *testing.T) {
	Each(t, func(t *testing.T, db *model.DB, store kv.Store) {
		s := New(t, db, store, Opts{})
		s.Activate("loginUser1", "rightpass1", CodeSZU, "")
		c := s.Browser(UAPlain)

		r := c.Post("/h5/login", url.Values{"account": {"loginUser1"}, "password": {"wrongpass1"}, "next": {"/h5/settings"}})
		WantStatus(t, r, http.StatusUnauthorized)
		WantBody(t, r, `id="form-error"`, "账号或密码错误", `name="next" value="/h5/settings"`)
		if v, _ := InputValue(r.Body, "account"); v != "loginUser1" {
			t.Fatalf("account not kept: %q", v)
		}
		if strings.Contains(r.Body, "wrongpass1") {
			t.Fatal("the login page echoes the password")
		}
		// Unknown accounts get the same answer.
		r = c.Post("/h5/login", url.Values{"account": {"nosuchuser"}, "password": {"wrongpass1"}})
		WantStatus(t, r, http.StatusUnauthorized)
		WantBody(t, r, "账号或密码错误")
		r = c.Post("/h5/login", url.Values{"account": {""}, "password": {""}})
		WantStatus(t, r, http.StatusBadRequest)
		if FieldError(r.Body, "account") != "请输入账号" || FieldError(r.Body, "password") != "请输入密码" {
			t.Fatalf("empty login:\n%s", r.Body)
		}

		// Throttled after five failures, even with the right password.
		var last *Resp
		for i := 0; i < 4; i++ {
			last = c.Post("/h5/login", url.Values{"account": {"loginUser1"}, "password": {"wrongpass1"}})
		}
		WantStatus(t, last, http.StatusTooManyRequests)
		r = c.Post("/h5/login", url.Values{"account": {"loginUser1"}, "password": {"rightpass1"}})
		WantStatus(t, r, http.StatusTooManyRequests)
		WantBody(t, r, "登录失败次数过多，请 15 分钟后再试")
		if r.Cookie("yv_sess") != nil {
			t.Fatal("a throttled login set a session")
		}

		// A signed-in visitor skips the login page. (The test client's IP is
		// throttled now, so this runs on a stack with a fresh store.)
		s.Activate("loginUser2", "rightpass2", CodeSZU, "")
		s2 := New(t, db, kvtest.Memory(t, nil), Opts{})
		p := s2.Browser(UAPlain)
		WantRedirect(t, p.Post("/h5/login", url.Values{"account": {"loginUser2"}, "password": {"rightpass2"}, "next": {"/h5/settings"}}),
			http.StatusSeeOther, "/h5/settings")
		WantRedirect(t, p.Get("/h5/login?next=%2Fh5%2Fsettings"), http.StatusFound, "/h5/settings")
	})
}

func TestSettingsUnbind(t *testing.T) {
	Each(t, func(t *testing.T, db *model.DB, store kv.Store) {
		s := New(t, db, store, Opts{})
		const openid = "oSETTINGS00000000000000001"
		c := s.Browser(UAWeChat)
		c.OAuth(openid, "/h5/home")
		WantStatus(t, c.Post("/h5/activate/gaoxiao", activationForm("settings01", "pass2026", "pass2026", CodeSZU, "/h5/settings")), http.StatusSeeOther)

		page := c.Get("/h5/settings")
		WantStatus(t, page, http.StatusOK)
		WantBody(t, page, "settings01", "深圳大学", "已绑定 oSET…0001", `id="unbind"`, `id="logout"`)

		r := c.Post("/h5/settings/unbind", nil)
		WantRedirect(t, r, http.StatusSeeOther, "/h5/settings?notice=unbound")
		after := c.Get(r.Location)
		WantStatus(t, after, http.StatusOK)
		WantBody(t, after, "已解除微信绑定", `id="binding">未绑定<`)
		if strings.Contains(after.Body, `id="unbind"`) {
			t.Fatal("the unbind button is still offered")
		}
		if u := s.UserByAccount("settings01"); u.OpenID != nil || u.BoundAt != nil {
			t.Fatalf("still bound: %+v", u)
		}
		// Unbinding twice is refused politely.
		twice := c.Post("/h5/settings/unbind", nil)
		WantStatus(t, twice, http.StatusBadRequest)
		WantBody(t, twice, "当前账号没有绑定微信")

		// The next visit from that WeChat goes to activation.
		WantRedirect(t, s.Browser(UAWeChat).OAuth(openid, "/h5/home"), http.StatusFound, "/h5/activate?next=%2Fh5%2Fhome")

		// Settings need a user.
		WantRedirect(t, s.Browser(UAPlain).Get("/h5/settings"), http.StatusFound, "/h5/login?next=%2Fh5%2Fsettings")
		// A form post cannot be replayed as a GET after login.
		WantRedirect(t, s.Browser(UAPlain).Post("/h5/settings/unbind", nil), http.StatusFound, "/h5/login?next=%2Fh5%2Fhome")
	})
}

// TestSafeNext: whatever next says, redirects stay on the H5 pages.
func TestSafeNext(t *testing.T) {
	Each(t, func(t *testing.T, db *model.DB, store kv.Store) {
		s := New(t, db, store, Opts{})
		s.Activate("nextUser01", "secret123", CodeSZU, "oSAFENEXT00000000000000001")
		bad := []string{
			"//evil.com", "//evil.com/h5/home", "https://evil.com", "https://evil.com/h5/home", "http:evil.com",
			"/h5/../x", "/h5/%2e%2e/x", "/h5/./../../x", "/\\evil.com", "/h5/\\evil.com", "\\\\evil.com",
			"javascript:alert(1)", "/h5/home\r\nLocation: https://evil.com", "evil.com", "/x", "/api/v1/me",
			"/h5@evil.com", "https://yv.example.org@evil.com/h5/home",
		}
		ok := []string{"/h5/home", "/h5/settings", "/h5/home?notice=loggedin"}

		// onSite checks a Location: it must resolve, on this origin, to an
		// H5 page.
		onSite := func(t *testing.T, next, loc string) {
			t.Helper()
			base, _ := url.Parse(s.URL + "/h5/login")
			u, err := url.Parse(loc)
			if err != nil {
				t.Fatalf("next=%q: Location %q does not parse", next, loc)
			}
			abs := base.ResolveReference(u)
			if abs.Host != base.Host || !strings.HasPrefix(abs.Path, "/h5/") || strings.ContainsAny(loc, "\\\r\n") {
				t.Fatalf("next=%q redirects to %q (%s), off the H5 pages", next, loc, abs)
			}
		}
		for _, next := range append(bad, ok...) {
			want := "/h5/home"
			for _, o := range ok {
				if next == o {
					want = o
				}
			}
			t.Run(strings.NewReplacer("/", "_", "\r", "", "\n", "").Replace(next), func(t *testing.T) {
				// The login page of a signed-in visitor.
				c := s.Browser(UAPlain)
				WantRedirect(t, c.Post("/h5/login", url.Values{"account": {"nextUser01"}, "password": {"secret123"}, "next": {next}}), http.StatusSeeOther, want)
				r := c.Get("/h5/login?next=" + url.QueryEscape(next))
				onSite(t, next, r.Location)
				if r.Location != want {
					t.Fatalf("login page: %q, want %q", r.Location, want)
				}
				// Through WeChat authorization (the state remembers next).
				w := s.Browser(UAWeChat)
				cb := w.OAuth("oSAFENEXT00000000000000001", next)
				onSite(t, next, cb.Location)
				if cb.Location != want {
					t.Fatalf("OAuth: %q, want %q", cb.Location, want)
				}
				// The activation form.
				a := s.Browser(UAPlain)
				act := a.Post("/h5/activate/gaoxiao", url.Values{"mode": {"old"}, "account": {"nextUser01"}, "password": {"secret123"}, "next": {next}})
				onSite(t, next, act.Location)
			})
		}
	})
}

// An unknown page, or a method a page does not take, shows the Chinese
// error page on a phone; the API and everything else keep the JSON body.
func TestUnmatchedRoutes(t *testing.T) {
	Each(t, func(t *testing.T, db *model.DB, store kv.Store) {
		s := New(t, db, store, Opts{})
		c := s.Browser(UAWeChat)
		cases := []struct {
			method, path string
			status       int
			page         bool
			msg          string
		}{
			{http.MethodGet, "/h5/nonexistent", http.StatusNotFound, true, "页面不存在"},
			{http.MethodGet, "/h5", http.StatusNotFound, true, "页面不存在"},
			{http.MethodPut, "/h5/home", http.StatusMethodNotAllowed, true, "不支持该请求方法"},
			{http.MethodGet, "/api/v1/nonexistent", http.StatusNotFound, false, "页面不存在"},
			{http.MethodGet, "/h5x", http.StatusNotFound, false, "页面不存在"},
		}
		for _, tc := range cases {
			t.Run(tc.method+" "+tc.path, func(t *testing.T) {
				r := c.Do(tc.method, tc.path, nil, nil)
				WantStatus(t, r, tc.status)
				ct := r.Header.Get("Content-Type")
				if tc.page {
					if !strings.HasPrefix(ct, "text/html") {
						t.Fatalf("Content-Type %q, want the HTML error page", ct)
					}
					WantBody(t, r, `id="error-message"`, tc.msg, "返回主页")
					return
				}
				var body handler.ErrorBody
				if err := json.Unmarshal([]byte(r.Body), &body); err != nil || body.Message != tc.msg {
					t.Fatalf("body %q (%v), want the JSON error %q", r.Body, err, tc.msg)
				}
			})
		}
	})
}

// Pages link the stylesheet and script by a hash of their content, so a
// phone that cached the old ones gets the new ones with the new pages;
// such a URL is cached for a year, any other revalidated.
func TestStaticAssetsAreVersioned(t *testing.T) {
	Each(t, func(t *testing.T, db *model.DB, store kv.Store) {
		s := New(t, db, store, Opts{})
		c := s.Browser(UAPlain)
		page := c.Get("/h5/login")
		WantStatus(t, page, http.StatusOK)
		for _, name := range []string{"app.css", "app.js"} {
			t.Run(name, func(t *testing.T) {
				m := regexp.MustCompile(`"(/static/` + regexp.QuoteMeta(name) + `\?v=([0-9a-f]+))"`).FindStringSubmatch(page.Body)
				if m == nil {
					t.Fatalf("the page does not link a versioned %s:\n%s", name, page.Body)
				}
				r := c.Get(m[1])
				WantStatus(t, r, http.StatusOK)
				sum := sha256.Sum256([]byte(r.Body))
				if !strings.HasPrefix(hex.EncodeToString(sum[:]), m[2]) || len(m[2]) < 8 {
					t.Fatalf("version %q is not the content's hash", m[2])
				}
				if cc := r.Header.Get("Cache-Control"); !strings.Contains(cc, "immutable") || !strings.Contains(cc, "max-age=31536000") {
					t.Fatalf("current version: Cache-Control %q", cc)
				}
				for _, other := range []string{"/static/" + name, "/static/" + name + "?v=0123456789ab"} {
					o := c.Get(other)
					WantStatus(t, o, http.StatusOK)
					if cc := o.Header.Get("Cache-Control"); cc != "no-cache" || o.Body != r.Body {
						t.Fatalf("%s: Cache-Control %q (want no-cache), same body %v", other, cc, o.Body == r.Body)
					}
				}
			})
		}
		WantStatus(t, c.Get("/static/nosuch.css"), http.StatusNotFound)
	})
}
