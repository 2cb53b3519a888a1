package scanlogin_test

import (
	"context"
	"errors"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gdyouth/youthvoice/model"
	"github.com/gdyouth/youthvoice/service"
	"github.com/gdyouth/youthvoice/service/account"
	"github.com/gdyouth/youthvoice/service/clock"
	"github.com/gdyouth/youthvoice/service/kv"
	"github.com/gdyouth/youthvoice/service/kv/kvtest"
	"github.com/gdyouth/youthvoice/service/scanlogin"
	"github.com/gdyouth/youthvoice/service/servicetest"
	"github.com/gdyouth/youthvoice/service/wxapi"
)

var ctx = context.Background()

// fakeQR plays qrcode/create: it remembers the scenes asked for.
type fakeQR struct {
	mu     sync.Mutex
	scenes []string
	expire time.Duration
	fail   error
}

func (f *fakeQR) CreateTempQRCode(_ context.Context, scene string, expire time.Duration) (wxapi.QRCode, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fail != nil {
		return wxapi.QRCode{}, f.fail
	}
	f.scenes = append(f.scenes, scene)
	f.expire = expire
	return wxapi.QRCode{Ticket: "t", URL: "http://weixin.qq.com/q/" + scene[len(scene)-8:], Expires: expire}, nil
}

type env struct {
	db  *model.DB
	clk *clock.Fake
	qr  *fakeQR
	svc *scanlogin.Service
}

const (
	browserPC    = "pc-browser-secret-0123456789abcdef0123"
	browserOther = "another-browser-secret-0123456789abcdef"
)

func each(t *testing.T, o scanlogin.Options, fn func(t *testing.T, e *env)) {
	t.Helper()
	servicetest.Each(t, func(t *testing.T, b *servicetest.Backend) {
		clk := clock.NewFake(time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC))
		var store kv.Store = kvtest.Memory(t, clk)
		if b.Redis() {
			store = b.KVOn(clk)
		}
		db := b.DB()
		accounts, err := account.New(db, store, clk, servicetest.DiscardLog(), account.Options{BcryptCost: 4})
		if err != nil {
			t.Fatal(err)
		}
		qr := &fakeQR{}
		if o.PublicURL == "" {
			o.PublicURL = servicetest.PublicURL
		}
		svc, err := scanlogin.New(accounts, store, clk, qr, servicetest.DiscardLog(), o)
		if err != nil {
			t.Fatal(err)
		}
		fn(t, &env{db: db, clk: clk, qr: qr, svc: svc})
	})
}

// start creates a ticket for the PC browser and returns its token and
// the scene its code carries.
func (e *env) start(t *testing.T) (token, scene string) {
	t.Helper()
	st, err := e.svc.Start(ctx, browserPC, "203.0.113.7", "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36")
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	e.qr.mu.Lock()
	scene = e.qr.scenes[len(e.qr.scenes)-1]
	e.qr.mu.Unlock()
	if scene != scanlogin.ScenePrefix+st.Token || len(scene) > 64 {
		t.Fatalf("scene %q for token %q", scene, st.Token)
	}
	return st.Token, scene
}

func (e *env) state(t *testing.T, token string) string {
	t.Helper()
	st, err := e.svc.Poll(ctx, token, browserPC)
	if err != nil {
		t.Fatalf("Poll: %v", err)
	}
	if st.State != scanlogin.StateConfirmed && st.User != nil {
		t.Fatalf("a %s poll carried a user", st.State)
	}
	return st.State
}

var linkRE = regexp.MustCompile(`href="([^"]+)"`)

// confirmToken is the token of the link in a scan's reply.
func confirmToken(t *testing.T, reply string) string {
	t.Helper()
	m := linkRE.FindStringSubmatch(reply)
	if m == nil {
		t.Fatalf("no link in reply %q", reply)
	}
	u, err := url.Parse(m[1])
	if err != nil || u.Scheme+"://"+u.Host != servicetest.PublicURL || u.Path != scanlogin.ConfirmPath {
		t.Fatalf("link %q is not the confirmation page", m[1])
	}
	return u.Query().Get("t")
}

// The whole way: a 5-minute code, a province admin's SCAN, the phone's
// confirmation, then the PC's poll signs in once and only once.
func TestTicketLifecycle(t *testing.T) {
	each(t, scanlogin.Options{}, func(t *testing.T, e *env) {
		admin := servicetest.NewUser(t, e.db, model.RoleProvinceAdmin, nil, true)
		openid := servicetest.OpenID(admin)
		token, scene := e.start(t)
		if e.qr.expire != 5*time.Minute {
			t.Fatalf("code asked to live %s, want 5m", e.qr.expire)
		}
		if got := e.state(t, token); got != scanlogin.StatePending {
			t.Fatalf("fresh code: %s", got)
		}
		reply, ok, err := e.svc.Scan(ctx, openid, scene)
		if err != nil || !ok {
			t.Fatalf("Scan: %v %v", ok, err)
		}
		if confirmToken(t, reply) != token || !strings.Contains(reply, "确认登录") || !strings.Contains(reply, "203.0.113.7") {
			t.Fatalf("reply %q", reply)
		}
		if got := e.state(t, token); got != scanlogin.StateScanned {
			t.Fatalf("after the scan: %s", got)
		}
		req, err := e.svc.Pending(ctx, token, openid)
		if err != nil || req.Account != admin.Account || req.IP != "203.0.113.7" || req.Browser != "Chrome · Windows" {
			t.Fatalf("Pending: %+v %v", req, err)
		}
		if err := e.svc.Confirm(ctx, token, openid); err != nil {
			t.Fatalf("Confirm: %v", err)
		}
		st, err := e.svc.Poll(ctx, token, browserPC)
		if err != nil || st.State != scanlogin.StateConfirmed || st.User == nil || st.User.ID != admin.ID {
			t.Fatalf("the poll after confirming: %+v %v", st, err)
		}
		// Single use: the next poll, or a replay of it, gets nothing.
		if got := e.state(t, token); got != scanlogin.StateExpired {
			t.Fatalf("second poll: %s", got)
		}
		if err := e.svc.Confirm(ctx, token, openid); !errors.Is(err, service.ErrInvalid) {
			t.Fatalf("confirming a spent ticket: %v", err)
		}
	})
}

// A follower who is not one yet scans: subscribe with qrscene_login:…
// works the same; a university admin may sign in too.
func TestSubscribeKeyAndUniversityAdmin(t *testing.T) {
	each(t, scanlogin.Options{}, func(t *testing.T, e *env) {
		uni := uint64(1)
		admin := servicetest.NewUser(t, e.db, model.RoleUniversityAdm, &uni, true)
		token, scene := e.start(t)
		reply, ok, err := e.svc.Scan(ctx, servicetest.OpenID(admin), "qrscene_"+scene)
		if err != nil || !ok || confirmToken(t, reply) != token {
			t.Fatalf("subscribe scan: %q %v %v", reply, ok, err)
		}
		if err := e.svc.Confirm(ctx, token, servicetest.OpenID(admin)); err != nil {
			t.Fatal(err)
		}
		if st, err := e.svc.Poll(ctx, token, browserPC); err != nil || st.User == nil || st.User.ID != admin.ID {
			t.Fatalf("poll: %+v %v", st, err)
		}
		if _, ok, _ := e.svc.Scan(ctx, "oX", "qrscene_u-4144010590"); ok {
			t.Fatal("a promotion scene taken for a login")
		}
	})
}

// Five minutes after it was made the code is expired: the PC sees so,
// and a scan is answered with the way to a new one.
func TestExpiresAfterFiveMinutes(t *testing.T) {
	each(t, scanlogin.Options{}, func(t *testing.T, e *env) {
		admin := servicetest.NewUser(t, e.db, model.RoleProvinceAdmin, nil, true)
		token, scene := e.start(t)
		e.clk.Advance(4*time.Minute + 59*time.Second)
		if got := e.state(t, token); got != scanlogin.StatePending {
			t.Fatalf("at 4:59: %s", got)
		}
		e.clk.Advance(time.Second)
		if got := e.state(t, token); got != scanlogin.StateExpired {
			t.Fatalf("at 5:00: %s", got)
		}
		reply, _, err := e.svc.Scan(ctx, servicetest.OpenID(admin), scene)
		if err != nil || !strings.Contains(reply, "已过期") || strings.Contains(reply, "href") {
			t.Fatalf("scanning an expired code: %q %v", reply, err)
		}
		// Scanned in time but confirmed too late: no sign-in either.
		token2, scene2 := e.start(t)
		if _, _, err := e.svc.Scan(ctx, servicetest.OpenID(admin), scene2); err != nil {
			t.Fatal(err)
		}
		e.clk.Advance(5 * time.Minute)
		if err := e.svc.Confirm(ctx, token2, servicetest.OpenID(admin)); !errors.Is(err, service.ErrInvalid) {
			t.Fatalf("confirming after expiry: %v", err)
		}
		if got := e.state(t, token2); got != scanlogin.StateExpired {
			t.Fatalf("poll after a late confirmation: %s", got)
		}
	})
}

// Only the browser that made the code learns its state or gets the
// session: someone who saw the QR code (its token) gets nothing.
func TestOtherBrowserRefused(t *testing.T) {
	each(t, scanlogin.Options{}, func(t *testing.T, e *env) {
		admin := servicetest.NewUser(t, e.db, model.RoleProvinceAdmin, nil, true)
		token, scene := e.start(t)
		if _, _, err := e.svc.Scan(ctx, servicetest.OpenID(admin), scene); err != nil {
			t.Fatal(err)
		}
		if err := e.svc.Confirm(ctx, token, servicetest.OpenID(admin)); err != nil {
			t.Fatal(err)
		}
		for _, b := range []string{browserOther, ""} {
			st, err := e.svc.Poll(ctx, token, b)
			if !errors.Is(err, service.ErrForbidden) || st.User != nil {
				t.Fatalf("poll from browser %q: %+v %v", b, st, err)
			}
			if _, err := e.svc.QRURL(ctx, token, b); !errors.Is(err, service.ErrForbidden) {
				t.Fatalf("QR of another browser %q: %v", b, err)
			}
		}
		// The right browser still signs in: the attempts spent nothing.
		if st, err := e.svc.Poll(ctx, token, browserPC); err != nil || st.User == nil {
			t.Fatalf("the PC's own poll: %+v %v", st, err)
		}
	})
}

// A WeChat that is not bound, or bound to someone who is no admin, is
// told why on the phone; the PC only learns the login failed.
func TestNonAdminRefused(t *testing.T) {
	each(t, scanlogin.Options{}, func(t *testing.T, e *env) {
		uni := uint64(1)
		for _, c := range []struct {
			name, openid, says string
		}{
			{"student", servicetest.OpenID(servicetest.NewUser(t, e.db, model.RoleStudent, &uni, true)), "仅供省级管理员和高校团委管理员"},
			{"cadre", servicetest.OpenID(servicetest.NewUser(t, e.db, model.RoleCadre, &uni, true)), "仅供省级管理员和高校团委管理员"},
			{"station admin", servicetest.OpenID(servicetest.NewUser(t, e.db, model.RoleStationAdmin, &uni, true)), "仅供省级管理员和高校团委管理员"},
			{"unbound WeChat", "oNeverBound0000000000000000", "尚未绑定账号"},
		} {
			token, scene := e.start(t)
			reply, ok, err := e.svc.Scan(ctx, c.openid, scene)
			if err != nil || !ok || !strings.Contains(reply, c.says) || strings.Contains(reply, "href") {
				t.Fatalf("%s: reply %q %v", c.name, reply, err)
			}
			if got := e.state(t, token); got != scanlogin.StateRefused {
				t.Fatalf("%s: PC sees %s, want refused", c.name, got)
			}
			if err := e.svc.Confirm(ctx, token, c.openid); err == nil {
				t.Fatalf("%s confirmed", c.name)
			}
		}
	})
}

// Only the WeChat that scanned can confirm (or cancel); a second
// admin's scan does not take the code over; cancelling refuses it.
func TestOtherWeChatCannotConfirm(t *testing.T) {
	each(t, scanlogin.Options{}, func(t *testing.T, e *env) {
		a := servicetest.NewUser(t, e.db, model.RoleProvinceAdmin, nil, true)
		b := servicetest.NewUser(t, e.db, model.RoleProvinceAdmin, nil, true)
		token, scene := e.start(t)
		if _, _, err := e.svc.Scan(ctx, servicetest.OpenID(a), scene); err != nil {
			t.Fatal(err)
		}
		reply, _, err := e.svc.Scan(ctx, servicetest.OpenID(b), scene)
		if err != nil || !strings.Contains(reply, "已被使用") {
			t.Fatalf("second admin's scan: %q %v", reply, err)
		}
		for _, f := range []func(context.Context, string, string) error{e.svc.Confirm, e.svc.Cancel} {
			if err := f(ctx, token, servicetest.OpenID(b)); !errors.Is(err, service.ErrForbidden) {
				t.Fatalf("the other WeChat answered: %v", err)
			}
		}
		if _, err := e.svc.Pending(ctx, token, servicetest.OpenID(b)); !errors.Is(err, service.ErrForbidden) {
			t.Fatalf("the other WeChat saw the request: %v", err)
		}
		if got := e.state(t, token); got != scanlogin.StateScanned {
			t.Fatalf("after the other WeChat: %s", got)
		}
		if err := e.svc.Cancel(ctx, token, servicetest.OpenID(a)); err != nil {
			t.Fatal(err)
		}
		if got := e.state(t, token); got != scanlogin.StateRefused {
			t.Fatalf("after 取消: %s", got)
		}
	})
}

// An account that stops being an admin (or moves its WeChat) between the
// scan and the poll is not signed in.
func TestRoleLostBeforePoll(t *testing.T) {
	each(t, scanlogin.Options{}, func(t *testing.T, e *env) {
		admin := servicetest.NewUser(t, e.db, model.RoleProvinceAdmin, nil, true)
		token, scene := e.start(t)
		if _, _, err := e.svc.Scan(ctx, servicetest.OpenID(admin), scene); err != nil {
			t.Fatal(err)
		}
		if err := e.svc.Confirm(ctx, token, servicetest.OpenID(admin)); err != nil {
			t.Fatal(err)
		}
		if err := e.db.Conn(ctx).Model(&model.User{}).Where("id = ?", admin.ID).
			Updates(map[string]any{"role": model.RoleStudent, "roles": 0}).Error; err != nil {
			t.Fatal(err)
		}
		if st, err := e.svc.Poll(ctx, token, browserPC); err != nil || st.State != scanlogin.StateRefused || st.User != nil {
			t.Fatalf("poll: %+v %v", st, err)
		}
	})
}

// Codes are limited per client IP; WeChat refusing one is a 503.
func TestStartLimits(t *testing.T) {
	each(t, scanlogin.Options{MaxPerIP: 3}, func(t *testing.T, e *env) {
		for range 3 {
			if _, err := e.svc.Start(ctx, browserPC, "198.51.100.1", "ua"); err != nil {
				t.Fatal(err)
			}
		}
		_, err := e.svc.Start(ctx, browserPC, "198.51.100.1", "ua")
		servicetest.WantErr(t, "fourth code", err, service.ErrTooMany, "scan_login_too_many")
		if _, err := e.svc.Start(ctx, browserPC, "198.51.100.2", "ua"); err != nil {
			t.Fatalf("another IP: %v", err)
		}
		e.clk.Advance(11 * time.Minute)
		if _, err := e.svc.Start(ctx, browserPC, "198.51.100.1", "ua"); err != nil {
			t.Fatalf("after the window: %v", err)
		}
		e.qr.fail = errors.New("45009")
		_, err = e.svc.Start(ctx, browserPC, "198.51.100.3", "ua")
		servicetest.WantErr(t, "WeChat refusing", err, service.ErrUnavailable, "scan_login_unavailable")
		if _, err := e.svc.Start(ctx, "short", "198.51.100.3", "ua"); err == nil {
			t.Fatal("a short browser secret accepted")
		}
	})
}

// Bad tokens are expired, never an error or a lookup.
func TestBadTokens(t *testing.T) {
	each(t, scanlogin.Options{}, func(t *testing.T, e *env) {
		for _, tok := range []string{"", "x", strings.Repeat("a", 44), strings.Repeat("é", 22)} {
			if st, err := e.svc.Poll(ctx, tok, browserPC); err != nil || st.State != scanlogin.StateExpired {
				t.Fatalf("Poll(%q): %+v %v", tok, st, err)
			}
			if reply, ok, err := e.svc.Scan(ctx, "oX", scanlogin.ScenePrefix+tok); err != nil || !ok || !strings.Contains(reply, "已过期") {
				t.Fatalf("Scan(%q): %q %v %v", tok, reply, ok, err)
			}
		}
	})
}

func TestSummary(t *testing.T) {
	for ua, want := range map[string]string{
		"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36 Edg/126.0": "Edge · Windows",
		"Mozilla/5.0 (Macintosh; Intel Mac OS X 14_0) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Safari/605.1.15":    "Safari · macOS",
		"Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0":                                                "Firefox · Linux",
		"": "未知浏览器 · 未知系统",
	} {
		if got := scanlogin.Summary(ua); got != want {
			t.Errorf("Summary(%q) = %q, want %q", ua, got, want)
		}
	}
}
