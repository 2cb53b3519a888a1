// Package webtest is the test stack the handler packages' tests share:
// one instance of the service wired as cmd/youthvoice wires it (callback,
// ops, kit, pages, API, sandbox, router) on an httptest server, a browser
// that keeps cookies, the people and phones of a university, and the
// assertions on pages and API answers. WeChat's API is played by one
// wxfake server for the whole test binary.
package webtest

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/gdyouth/youthvoice/config"
	"github.com/gdyouth/youthvoice/handler"
	"github.com/gdyouth/youthvoice/handler/api"
	"github.com/gdyouth/youthvoice/handler/h5"
	"github.com/gdyouth/youthvoice/handler/sandbox"
	"github.com/gdyouth/youthvoice/handler/web"
	"github.com/gdyouth/youthvoice/handler/wechat"
	"github.com/gdyouth/youthvoice/model"
	"github.com/gdyouth/youthvoice/service/account"
	"github.com/gdyouth/youthvoice/service/alert"
	"github.com/gdyouth/youthvoice/service/audit"
	"github.com/gdyouth/youthvoice/service/cadre"
	"github.com/gdyouth/youthvoice/service/callback"
	"github.com/gdyouth/youthvoice/service/clock"
	"github.com/gdyouth/youthvoice/service/inbox"
	"github.com/gdyouth/youthvoice/service/kv"
	"github.com/gdyouth/youthvoice/service/menu"
	"github.com/gdyouth/youthvoice/service/notice"
	"github.com/gdyouth/youthvoice/service/notify"
	"github.com/gdyouth/youthvoice/service/onboarding"
	"github.com/gdyouth/youthvoice/service/photo"
	"github.com/gdyouth/youthvoice/service/privacy"
	"github.com/gdyouth/youthvoice/service/promotion"
	"github.com/gdyouth/youthvoice/service/question"
	"github.com/gdyouth/youthvoice/service/scanlogin"
	"github.com/gdyouth/youthvoice/service/servicetest"
	"github.com/gdyouth/youthvoice/service/session"
	"github.com/gdyouth/youthvoice/service/station"
	"github.com/gdyouth/youthvoice/service/stats"
	"github.com/gdyouth/youthvoice/service/storage"
	"github.com/gdyouth/youthvoice/service/wxapi"
	"github.com/gdyouth/youthvoice/service/wxapi/wxfake"
)

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
	webToken  = "yv-web-test-token" //nolint:gosec // the test stack's callback token
	webAESKey = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
)

func init() { gin.SetMode(gin.ReleaseMode) }

// Fake is the fake WeChat API of the test binary, started on first use:
// silenceper keeps its HTTP settings in package variables, so the whole
// binary talks to one fake, and every stack uses its own appid.
var Fake = sync.OnceValue(func() *wxfake.Server {
	f := wxfake.New()
	srv := httptest.NewServer(f)
	wxapi.Configure(srv.URL, 5*time.Second)
	return f
})

// appSeq numbers the stacks' appids.
var appSeq atomic.Int64

// Each runs fn on every database × kv pair of the run: the services'
// one backend matrix (servicetest.Each), handed out as the stack takes
// them.
func Each(t *testing.T, fn func(t *testing.T, db *model.DB, store kv.Store)) {
	t.Helper()
	servicetest.Each(t, func(t *testing.T, b *servicetest.Backend) { fn(t, b.DB(), b.KV()) })
}

// Opts configure a stack.
type Opts struct {
	// PublicURL defaults to the test server's own URL.
	PublicURL string
	// Real: credentials configured, no sandbox (OAuth goes to WeChat).
	Real bool
	// Clock for sessions and accounts (default: the real clock).
	Clock clock.Clock
	// PosterFont is the promotion posters' font (default: the installed
	// CJK font, see promotion.DefaultFonts).
	PosterFont string
	// AdminScanOnly is YV_ADMIN_LOGIN=scan.
	AdminScanOnly bool
	// AdminIdle is YV_ADMIN_IDLE_TIMEOUT (default 30 minutes).
	AdminIdle time.Duration
}

// Stack is one instance of the service wired as serveOn wires it,
// served by an httptest server (the sandbox calls its own callback).
type Stack struct {
	T          *testing.T
	URL        string
	PublicURL  string
	AppID      string
	DB         *model.DB
	Store      kv.Store
	Accounts   *account.Service
	Passwords  *account.Passwords
	Privacy    *privacy.Service
	Audit      *audit.Service
	Questions  *question.Service
	Cadres     *cadre.Service
	Stations   *station.Service
	Stats      *stats.Service
	Onboarding *onboarding.Service
	Notices    *notice.Service
	Promotion  *promotion.Service
	Inbox      *inbox.Inbox
	Sender     *alert.Sender
	Sessions   *session.Store
	ScanLogins *scanlogin.Service
	WX         *wxapi.Client
	Photos     *photo.Service
	Files      storage.Store // the photos' files
	Router     *gin.Engine
	DataDir    string
}

// New starts a stack on db and store.
func New(t *testing.T, db *model.DB, store kv.Store, o Opts) *Stack {
	t.Helper()
	wxFake := Fake()
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
	Fake().AddApp(s.AppID, secret)

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
	rec, err := callback.NewRecorder(db, log, reg, callback.RecorderOptions{FlushEvery: 10 * time.Millisecond})
	if err != nil {
		t.Fatalf("callback.NewRecorder: %v", err)
	}
	t.Cleanup(rec.Close)
	words := question.ParseWords(config.DefaultSensitiveWords)
	s.Accounts, err = account.New(db, store, clk, log, account.Options{BcryptCost: 4, AdminScanOnly: o.AdminScanOnly, Words: words})
	if err != nil {
		t.Fatalf("account.New: %v", err)
	}
	if s.ScanLogins, err = scanlogin.New(s.Accounts, store, clk, s.WX, log, scanlogin.Options{PublicURL: s.PublicURL}); err != nil {
		t.Fatalf("scanlogin.New: %v", err)
	}
	cb, err := callback.New(db, store, m, clock.Real{}, rec, log, reg, callback.Options{Logins: s.ScanLogins})
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
	s.Sessions, err = session.New(store, clk, 0, 0)
	if err != nil {
		t.Fatalf("session.New: %v", err)
	}
	outbox, err := alert.NewOutbox(db, clk)
	if err != nil {
		t.Fatalf("alert.NewOutbox: %v", err)
	}
	if s.Inbox, err = inbox.New(db, clk); err != nil {
		t.Fatalf("inbox.New: %v", err)
	}
	n, err := notify.New(outbox, s.Inbox, notify.FromConfig(config.Default().Alerts.Templates, true), s.PublicURL)
	if err != nil {
		t.Fatalf("notify.New: %v", err)
	}
	if s.Questions, err = question.New(db, clk, n, words, log); err != nil {
		t.Fatalf("question.New: %v", err)
	}
	if s.Cadres, err = cadre.New(db, clk, n); err != nil {
		t.Fatalf("cadre.New: %v", err)
	}
	if s.Stations, err = station.New(db, clk, n, log, servicetest.Workdays(t), 0); err != nil {
		t.Fatalf("station.New: %v", err)
	}
	if s.Sender, err = alert.NewSender(db, s.WX, clk, log, reg, alert.Options{Workers: 4}); err != nil {
		t.Fatalf("alert.NewSender: %v", err)
	}
	statistics, err := stats.New(db, clk)
	if err != nil {
		t.Fatalf("stats.New: %v", err)
	}
	if s.Onboarding, err = onboarding.New(db, clk, n, log, servicetest.Workdays(t)); err != nil {
		t.Fatalf("onboarding.New: %v", err)
	}
	if s.Notices, err = notice.New(db, clk, n); err != nil {
		t.Fatalf("notice.New: %v", err)
	}
	adminIdle := o.AdminIdle
	if adminIdle == 0 {
		adminIdle = config.DefaultAdminIdleTimeout
	}
	kit, err := web.New(s.Accounts, s.Sessions, store, log, web.Options{PublicURL: s.PublicURL, AppID: s.AppID, Sandbox: !o.Real, AdminIdle: adminIdle})
	if err != nil {
		t.Fatalf("web.New: %v", err)
	}
	s.Stats = statistics
	if s.Promotion, err = promotion.New(db, s.WX, clk, log, promotion.Options{FontPath: o.PosterFont}); err != nil {
		t.Fatalf("promotion.New: %v", err)
	}
	if s.Passwords, err = account.NewPasswords(s.Accounts, n); err != nil {
		t.Fatalf("account.NewPasswords: %v", err)
	}
	if s.Audit, err = audit.New(db, clk, audit.Options{}); err != nil {
		t.Fatalf("audit.New: %v", err)
	}
	if s.Privacy, err = privacy.New(db, store, clk, log); err != nil {
		t.Fatalf("privacy.New: %v", err)
	}
	if s.Files, err = storage.NewDir(filepath.Join(s.DataDir, "photos")); err != nil {
		t.Fatalf("storage.NewDir: %v", err)
	}
	if s.Photos, err = photo.New(db, s.Files, s.Questions, s.WX, clk, log, s.PublicURL); err != nil {
		t.Fatalf("photo.New: %v", err)
	}
	svc := web.Services{Accounts: s.Accounts, Questions: s.Questions, Cadres: s.Cadres, Stations: s.Stations, Stats: statistics,
		Onboarding: s.Onboarding, Notices: s.Notices, Promotion: s.Promotion, Inbox: s.Inbox, Outbox: outbox, Passwords: s.Passwords,
		Photos: s.Photos, Privacy: s.Privacy, Audit: s.Audit, ScanLogins: s.ScanLogins}
	pages, err := h5.New(kit, svc, s.WX)
	if err != nil {
		t.Fatalf("h5.New: %v", err)
	}
	jsonAPI, err := api.New(kit, svc)
	if err != nil {
		t.Fatalf("api.New: %v", err)
	}
	groups := []handler.Registrar{ops, wxCallback, pages, jsonAPI}
	if !o.Real {
		fakeAPI, err := sandbox.NewAPI(kit, wxFake)
		if err != nil {
			t.Fatalf("sandbox.NewAPI: %v", err)
		}
		// sandbox.New sets the fake's OnTemplate hook; the fake's mutex
		// (taken by Calls) orders that write with the fake's readers.
		Fake().Calls()
		sb, err := sandbox.New(kit, wxFake, sandbox.Options{
			AppID: s.AppID, Token: webToken, CallbackURL: self + "/wechat/callback",
			PublicURL: s.PublicURL, DataDir: s.DataDir, Menu: m.Buttons(),
		})
		if err != nil {
			t.Fatalf("sandbox.New: %v", err)
		}
		Fake().Calls()
		groups = append(groups, fakeAPI, sb)
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

var openidSeq atomic.Int64

// Person is a signed-up user with a WeChat identity.
type Person struct {
	User   model.User
	OpenID string
}

// Member activates an account of university uni bound to a fresh openid
// and gives it role (as an admin's decision or appointment would).
func (s *Stack) Member(prefix, uni, role string) Person {
	s.T.Helper()
	n := openidSeq.Add(1)
	openid := strings.ReplaceAll(fmt.Sprintf("o%-5s%022d", prefix, n), " ", "x")
	u := s.Activate(fmt.Sprintf("%s%06d", prefix, n), "secret123", uni, openid)
	if role != model.RoleStudent {
		if err := s.DB.Conn(context.Background()).Model(&model.User{}).Where("id = ?", u.ID).
			Updates(map[string]any{"role": role, "roles": model.RoleBit(role), "name": prefix + "老师"}).Error; err != nil {
			s.T.Fatal(err)
		}
		u.Role, u.Roles = role, model.RoleBit(role)
	}
	return Person{User: u, OpenID: openid}
}

// Phone is person's WeChat browser, signed in through OAuth.
func (s *Stack) Phone(p Person) *Client {
	s.T.Helper()
	c := s.Browser(UAWeChat)
	r := c.OAuth(p.OpenID, "/h5/home")
	if r.Status != http.StatusFound || r.Location != "/h5/home" {
		s.T.Fatalf("sign-in of %s: HTTP %d → %q", p.OpenID, r.Status, r.Location)
	}
	return c
}

// Deliver runs the outbox sender until no message waits. A message the
// sender tried and could not send fails the test with its error: what
// a test then finds missing in the fake's inbox is explained, not a
// silent flake.
func (s *Stack) Deliver() {
	s.T.Helper()
	ctx := context.Background()
	for range 50 {
		n, err := s.Sender.RunOnce(ctx)
		if err != nil {
			s.T.Fatalf("sender: %v", err)
		}
		if n > 0 {
			continue
		}
		var waiting []model.TemplateMessage
		if err := s.DB.Conn(ctx).Where("status = ?", model.TemplatePending).Find(&waiting).Error; err != nil {
			s.T.Fatalf("outbox: %v", err)
		}
		if len(waiting) == 0 {
			return
		}
		for _, m := range waiting {
			if m.Attempts > 0 {
				s.T.Fatalf("alert %s to %s not sent after %d attempt(s): %s", m.TemplateKey, m.OpenID, m.Attempts, m.LastError)
			}
		}
		time.Sleep(10 * time.Millisecond) // due a moment later than the clock said
	}
	s.T.Fatal("the outbox never emptied")
}

// LocalPath turns an alert's link into the path a phone opens.
func (s *Stack) LocalPath(link string) string {
	s.T.Helper()
	if !strings.HasPrefix(link, s.PublicURL+"/h5/") {
		s.T.Fatalf("alert link %q is not under %s/h5/", link, s.PublicURL)
	}
	return strings.TrimPrefix(link, s.PublicURL)
}

// Account activates a bound account of university uni with role.
func (s *Stack) Account(acct, uni, openid, role string) model.User {
	s.T.Helper()
	u := s.Activate(acct, "pass2026", uni, openid)
	if role != model.RoleStudent {
		if err := s.DB.Conn(context.Background()).Model(&model.User{}).Where("id = ?", u.ID).
			Updates(map[string]any{"role": role, "roles": model.RoleBit(role)}).Error; err != nil {
			s.T.Fatalf("role of %s: %v", acct, err)
		}
		u.Role, u.Roles = role, model.RoleBit(role)
	}
	return u
}

// SignIn opens a WeChat browser signed in as u (through OAuth).
func (s *Stack) SignIn(u model.User) *Client {
	s.T.Helper()
	c := s.Browser(UAWeChat)
	WantRedirect(s.T, c.OAuth(OpenIDOf(u), "/h5/home"), http.StatusFound, "/h5/home")
	return c
}

// CookieName is the name the stack's server gives cookie name: with the
// __Host- prefix when its public URL is https.
func (s *Stack) CookieName(name string) string {
	if strings.HasPrefix(s.PublicURL, "https://") {
		return "__Host-" + name
	}
	return name
}
