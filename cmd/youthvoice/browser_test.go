package main

// The notice's 附件2, walked in a real (headless) browser posing as
// WeChat on a phone, against the real server in sandbox mode: follow the
// account, tap 青年之声 → 主页, authorize, choose 高校, define an account,
// pick a university and tap 激活; then an old user on a second WeChat, and
// the mistakes users make. Each step leaves a full-page screenshot.
//
// Chromium comes from YV_CHROMIUM, /usr/bin/chromium or
// /usr/bin/chromium-browser. Without one the test is skipped, unless
// YV_REQUIRE_BROWSER=1 (CI), where it fails.

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	cdruntime "github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/device"
)

// brUserAgent is WeChat's in-app browser on an iPhone.
const brUserAgent = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 MicroMessenger/8.0.47(0x18002f2f) NetType/WIFI Language/zh_CN"

// brPhone is the emulated device: a 390×844 phone at device scale 2.
type brPhone struct{}

func (brPhone) Device() device.Info {
	return device.Info{Name: "WeChat on iPhone", UserAgent: brUserAgent, Width: 390, Height: 844, Scale: 2, Mobile: true, Touch: true}
}

func brChromium(t *testing.T) string {
	t.Helper()
	var tried []string
	if p := os.Getenv("YV_CHROMIUM"); p != "" {
		if _, err := os.Stat(p); err == nil {
			return p
		}
		tried = append(tried, "YV_CHROMIUM="+p)
	}
	for _, p := range []string{"/usr/bin/chromium", "/usr/bin/chromium-browser"} {
		if _, err := os.Stat(p); err == nil {
			return p
		}
		tried = append(tried, p)
	}
	msg := "no Chromium found (tried " + strings.Join(tried, ", ") + "); install it (apt-get install chromium) or set YV_CHROMIUM"
	if os.Getenv("YV_REQUIRE_BROWSER") == "1" {
		t.Fatal(msg + "; YV_REQUIRE_BROWSER=1 requires the browser test")
	}
	t.Skip(msg)
	return ""
}

// brLog collects the server's log lines for the failure message.
type brLog struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *brLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *brLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// brServe starts the server as `youthvoice serve` does, in sandbox mode
// on SQLite and the in-process store, and returns its URL and its base
// (database and settings); it stops when the test ends.
func brServe(t *testing.T) (string, *base) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	self := "http://" + ln.Addr().String()
	vars := map[string]string{
		"YV_ADDR": ln.Addr().String(), "YV_PUBLIC_URL": self,
		"YV_DATA_DIR": t.TempDir(), "YV_LOG_LEVEL": "warn", "YV_ALERT_POLL_INTERVAL": "100ms",
	}
	logs := &brLog{}
	ctx, cancel := context.WithCancel(context.Background())
	b, err := open(ctx, "", func(k string) string { return vars[k] }, logs)
	if err != nil {
		cancel()
		ln.Close()
		t.Fatalf("open: %v", err)
	}
	if err := b.migrate(ctx); err != nil {
		cancel()
		ln.Close()
		b.close()
		t.Fatalf("migrate: %v", err)
	}
	done := make(chan error, 1)
	go func() { done <- serveOn(ctx, b, ln) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("serve: %v", err)
			}
		case <-time.After(15 * time.Second):
			t.Error("the server did not stop")
		}
		b.close()
		if t.Failed() {
			t.Logf("server log:\n%s", logs.String())
		}
	})
	deadline := time.Now().Add(10 * time.Second)
	for {
		resp, err := http.Get(self + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return self, b
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("the server never became healthy: %v\n%s", err, logs.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// brTab is one phone (a browser context of its own: its own cookies).
type brTab struct {
	t    *testing.T
	ctx  context.Context
	name string
	base string
	dir  string
	seq  *int
	// cspSeen lists the policy violations so far; cspExpected marks a tab
	// that provokes one on purpose.
	cspSeen     func() []string
	cspExpected bool
}

func (p *brTab) do(what string, steps ...chromedp.Action[chromedp.Void]) {
	p.t.Helper()
	if err := chromedp.Do(p.ctx, steps...); err != nil {
		p.fail(what, err)
	}
}

// fail reports a step that went wrong with where the phone was.
func (p *brTab) fail(what string, err error) {
	p.t.Helper()
	loc, _ := chromedp.Run(p.ctx, chromedp.Location())
	p.shot("FAILED-" + strings.ReplaceAll(what, " ", "-"))
	p.t.Fatalf("%s (%s at %s): %v", what, p.name, loc, err)
}

// nav loads a page of the server and waits for the element with id.
func (p *brTab) nav(path, waitID string) {
	p.t.Helper()
	p.do("open "+path, chromedp.Navigate(p.base+path), chromedp.WaitVisible(chromedp.ID(waitID)))
}

// tap taps an element that leads to another page and waits for the new
// page's element waitSel; it returns the HTTP status of the page.
func (p *brTab) tap(sel chromedp.CSS, waitSel chromedp.CSS) int64 {
	p.t.Helper()
	var resp *network.Response
	var err error
	if resp, err = chromedp.RunResponse(p.ctx, chromedp.Click(sel)); err != nil {
		p.fail("tap "+string(sel), err)
	}
	p.do("wait for "+string(waitSel), chromedp.WaitVisible(waitSel))
	return resp.Status
}

func (p *brTab) text(sel chromedp.CSS) string {
	p.t.Helper()
	s, err := chromedp.Run(p.ctx, chromedp.Text(sel))
	if err != nil {
		p.fail("read "+string(sel), err)
	}
	return strings.TrimSpace(s)
}

func (p *brTab) value(sel chromedp.CSS) string {
	p.t.Helper()
	s, err := chromedp.Run(p.ctx, chromedp.Value(sel))
	if err != nil {
		p.fail("read value of "+string(sel), err)
	}
	return s
}

func (p *brTab) location() *url.URL {
	p.t.Helper()
	loc, err := chromedp.Run(p.ctx, chromedp.Location())
	if err != nil {
		p.fail("location", err)
	}
	u, err := url.Parse(loc)
	if err != nil {
		p.t.Fatalf("location %q: %v", loc, err)
	}
	return u
}

// shot saves a full-page screenshot and checks the page fits the phone's
// width (nothing scrolls sideways).
func (p *brTab) shot(name string) {
	p.t.Helper()
	*p.seq++
	buf, err := chromedp.Run(p.ctx, chromedp.FullScreenshot(100))
	if err != nil {
		p.t.Errorf("screenshot %s: %v", name, err)
		return
	}
	file := filepath.Join(p.dir, fmt.Sprintf("%02d-%s.png", *p.seq, name))
	if err := os.WriteFile(file, buf, 0o644); err != nil {
		p.t.Errorf("save %s: %v", file, err)
	}
	if strings.HasPrefix(name, "FAILED") {
		return
	}
	fits, err := chromedp.Run(p.ctx, chromedp.Evaluate[bool](`document.documentElement.scrollWidth <= window.innerWidth`))
	if err != nil || !fits {
		p.t.Errorf("%s: the page is wider than the phone (%v); see %s", name, err, file)
	}
}

func (p *brTab) wantText(sel chromedp.CSS, want string) {
	p.t.Helper()
	if got := p.text(sel); !strings.Contains(got, want) {
		p.shot("FAILED-text")
		p.t.Fatalf("%s: %s shows %q, want %q", p.name, sel, got, want)
	}
}

// brBrowser starts headless Chromium for a test against base and returns
// the test's deadline context and a maker of phones (each with its own
// cookies). Screenshots go to YV_SCREENSHOT_DIR/<test> or a temp dir.
func brBrowser(t *testing.T, base string) (context.Context, func(name string) *brTab) {
	t.Helper()
	chromium := brChromium(t)
	dir := os.Getenv("YV_SCREENSHOT_DIR")
	if dir == "" {
		dir = t.TempDir()
	} else {
		dir = filepath.Join(dir, t.Name())
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("screenshots: %s", dir)

	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	t.Cleanup(cancel)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(ctx,
		chromedp.ExecPath(chromium),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("no-proxy-server", true),
		chromedp.Flag("lang", "zh-CN"),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(390, 844),
		chromedp.UserAgent(brUserAgent),
	)
	t.Cleanup(cancelAlloc)
	browserCtx, cancelBrowser := chromedp.NewContext(allocCtx)
	t.Cleanup(cancelBrowser)
	if err := chromedp.Do(browserCtx); err != nil {
		t.Fatalf("starting Chromium (%s): %v", chromium, err)
	}
	seq := 0
	return ctx, func(name string) *brTab {
		tabCtx, cancelTab := chromedp.NewContext(browserCtx, chromedp.WithNewBrowserContext())
		t.Cleanup(cancelTab)
		p := &brTab{t: t, ctx: tabCtx, name: name, base: base, dir: dir, seq: &seq}
		p.do("emulate the phone", chromedp.Emulate(brPhone{}))
		p.watchCSP()
		return p
	}
}

// cspReport is the binding the pages call with each violation of their
// Content-Security-Policy.
const cspReport = "yvCSPViolation"

// watchCSP reports every Content-Security-Policy violation on any page
// the phone opens as a test failure: the pages must satisfy their own
// policy (no inline script, style or handler, nothing from elsewhere).
// The listener is installed before any page script runs, in every
// document, and is not itself subject to the policy.
func (p *brTab) watchCSP() {
	t := p.t
	var mu sync.Mutex
	var seen []string
	if err := chromedp.Listen(p.ctx, func(ev any) {
		if e, ok := ev.(*cdruntime.EventBindingCalled); ok && e.Name == cspReport {
			mu.Lock()
			seen = append(seen, e.Payload)
			mu.Unlock()
		}
	}); err != nil {
		p.fail("listen for CSP violations", err)
	}
	p.do("listen for CSP violations", chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		if _, err := chromedp.Call(ctx, cdruntime.AddBinding, cdruntime.AddBindingParams{Name: cspReport}); err != nil {
			return err
		}
		_, err := chromedp.Call(ctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{
			Source: `document.addEventListener("securitypolicyviolation", function (e) {
  window.` + cspReport + `(JSON.stringify({page: location.pathname, directive: e.violatedDirective, blocked: e.blockedURI, source: e.sourceFile + ":" + e.lineNumber}));
});`})
		return err
	}))
	p.cspSeen = func() []string {
		mu.Lock()
		defer mu.Unlock()
		return append([]string(nil), seen...)
	}
	t.Cleanup(func() {
		if v := p.cspSeen(); len(v) > 0 && !p.cspExpected {
			t.Errorf("%s: Content-Security-Policy violations: %s", p.name, strings.Join(v, "; "))
		}
	})
}

func TestBrowserActivateAndBind(t *testing.T) {
	base, _ := brServe(t)
	ctx, newPhone := brBrowser(t, base)

	const (
		acct     = "qingnian2026"
		password = "Qn2026pass"
	)

	// Step 1: in WeChat, follow 广东青年之声 (the sandbox's phone).
	a := newPhone("first WeChat")
	a.nav("/sandbox", "create-identity")
	a.shot("console")
	a.do("name the identity", chromedp.SendKeys(chromedp.ID("nickname"), "小青"))
	a.tap("#create-identity", "#follow")
	openidA := a.location().Query().Get("openid")
	if !strings.HasPrefix(openidA, "oSBX") {
		t.Fatalf("phone URL %s has no openid", a.location())
	}
	a.shot("phone")
	a.tap("#follow", `.bubble.reply a[href="/h5/home"]`)
	a.wantText("#chat", "欢迎关注广东青年之声")
	a.wantText(`.bubble.reply a[href="/h5/home"]`, "主页")
	a.shot("welcome")

	// Step 2: menu 青年之声 → 主页; first use: WeChat authorization.
	a.do("open the menu", chromedp.Click(chromedp.CSS(".menu-bar details:first-of-type > summary")),
		chromedp.WaitVisible(chromedp.CSS(`button[data-menu="主页"]`)))
	a.shot("menu")
	a.tap(`button[data-menu="主页"]`, chromedp.CSS(`button[data-openid="`+openidA+`"]`))
	a.shot("authorize")

	// Step 3: choose the entry 高校.
	a.tap(chromedp.CSS(`button[data-openid="`+openidA+`"]`), `a[data-entry="gaoxiao"]`)
	if got := a.location().Path; got != "/h5/activate" {
		t.Fatalf("after authorization the phone is at %s, want the entry page", got)
	}
	a.shot("entries")
	a.tap(`a[data-entry="gaoxiao"]`, "#activate-submit")
	a.shot("form")

	// Step 4: a new account and password; step 5: the university, then
	// 激活 at the top right.
	a.do("type the account", chromedp.SendKeys(chromedp.ID("account"), acct),
		chromedp.SendKeys(chromedp.ID("password"), password),
		chromedp.SendKeys(chromedp.ID("confirm"), password),
		chromedp.SendKeys(chromedp.ID("university-search"), "深圳"))
	options, err := chromedp.Run(a.ctx, chromedp.Evaluate[[]string](
		`Array.from(document.querySelectorAll("#university option")).slice(1).map(o => o.textContent)`))
	if err != nil {
		a.fail("read the university options", err)
	}
	if len(options) < 5 || len(options) > 20 {
		t.Fatalf("typing 深圳 left %d universities: %v", len(options), options)
	}
	hasSZU := false
	for _, o := range options {
		if !strings.Contains(o, "深圳") {
			t.Errorf("typing 深圳 kept %q", o)
		}
		hasSZU = hasSZU || o == "深圳大学（深圳市）"
	}
	if !hasSZU {
		t.Fatalf("深圳大学 is not among %v", options)
	}
	a.wantText("#university-count", fmt.Sprintf("找到 %d 所学校", len(options)))
	a.do("pick 深圳大学", chromedp.SetValue(chromedp.ID("university"), "4144010590"))
	picked, err := chromedp.Run(a.ctx, chromedp.Evaluate[string](`document.getElementById("university").selectedOptions[0].textContent`))
	if err != nil || picked != "深圳大学（深圳市）" {
		t.Fatalf("selected %q (%v)", picked, err)
	}
	a.shot("filled")
	if st := a.tap("#activate-submit", "#profile"); st != http.StatusOK {
		t.Fatalf("home after activation: HTTP %d", st)
	}

	// Step 6: the home page.
	a.wantText("#notice", "激活成功")
	a.wantText("#profile-name", acct)
	a.wantText("#profile-university", "深圳大学")
	a.shot("home")

	// An old user on a second WeChat: 老用户登录 with the first account.
	b := newPhone("second WeChat")
	b.nav("/sandbox", "create-identity")
	b.do("name the identity", chromedp.SendKeys(chromedp.ID("nickname"), "小声"))
	b.tap("#create-identity", "#follow")
	openidB := b.location().Query().Get("openid")
	b.do("open the menu", chromedp.Click(chromedp.CSS(".menu-bar details:first-of-type > summary")),
		chromedp.WaitVisible(chromedp.CSS(`button[data-menu="主页"]`)))
	b.tap(`button[data-menu="主页"]`, chromedp.CSS(`button[data-openid="`+openidB+`"]`))
	b.tap(chromedp.CSS(`button[data-openid="`+openidB+`"]`), `a[data-entry="gaoxiao"]`)
	b.tap(`a[data-entry="gaoxiao"]`, "#tab-old")
	b.tap("#tab-old", "#tab-old.active")
	b.do("log in", chromedp.SendKeys(chromedp.ID("account"), acct), chromedp.SendKeys(chromedp.ID("password"), password))
	b.shot("old-user")
	if st := b.tap("#activate-submit", "#profile"); st != http.StatusOK {
		t.Fatalf("home after the old-user login: HTTP %d", st)
	}
	b.wantText("#profile-name", acct)
	b.wantText("#profile-university", "深圳大学")
	b.shot("old-user-home")

	// The account moved to the second WeChat: the first one is no longer
	// signed in, and its next authorization leads to activation.
	a.do("open 主页 again", chromedp.Navigate(base+"/h5/home"), chromedp.WaitVisible(chromedp.CSS(`a[data-entry="gaoxiao"]`)))
	if got := a.location().Path; got != "/h5/activate" {
		t.Fatalf("the first WeChat opens 主页 at %s, want activation", got)
	}
	a.do("authorize again", chromedp.Navigate(base+"/h5/oauth/start?next=%2Fh5%2Fhome"),
		chromedp.WaitVisible(chromedp.CSS(`button[data-openid="`+openidA+`"]`)))
	a.tap(chromedp.CSS(`button[data-openid="`+openidA+`"]`), `a[data-entry="gaoxiao"]`)
	if got := a.location().Path; got != "/h5/activate" {
		t.Fatalf("the first WeChat's authorization lands at %s, want activation", got)
	}
	a.shot("first-wechat-unbound")

	// The mistakes users make, each shown next to its field, with what was
	// typed kept (except the passwords).
	type input struct{ id, value string }
	for _, tc := range []struct {
		name, mode string
		fill       []input
		university string
		status     int64
		field, msg string
	}{
		{"short-account", "new", []input{{"account", "abc12"}, {"password", password}, {"confirm", password}}, "4144010590",
			http.StatusOK, "account", "账号须为 6–32 位英文字母或数字"},
		{"account-with-symbols", "new", []input{{"account", "qing@nian.26"}, {"password", password}, {"confirm", password}}, "4144010590",
			http.StatusOK, "account", "账号须为 6–32 位英文字母或数字"},
		{"taken-account", "new", []input{{"account", acct}, {"password", password}, {"confirm", password}}, "4144010561",
			http.StatusOK, "account", "账号已被占用"},
		{"wrong-password", "old", []input{{"account", acct}, {"password", "wrong2026"}}, "",
			http.StatusOK, "password", "账号或密码错误"},
		{"no-university", "new", []input{{"account", "xiaoqing2026"}, {"password", password}, {"confirm", password}}, "",
			http.StatusOK, "university", "请选择学校"},
	} {
		a.nav("/h5/activate/gaoxiao?mode="+tc.mode+"&next=%2Fh5%2Fhome", "activate-submit")
		for _, in := range tc.fill {
			a.do("type "+in.id, chromedp.SendKeys(chromedp.ID(in.id), in.value))
		}
		if tc.university != "" {
			a.do("pick a university", chromedp.SetValue(chromedp.ID("university"), tc.university))
		}
		// A refused form comes back through POST-redirect-GET: the page
		// with the errors is an ordinary GET (200).
		errSel := chromedp.CSS(`p.field-error[data-field="` + tc.field + `"]`)
		if st := a.tap("#activate-submit", errSel); st != tc.status {
			a.shot("FAILED-" + tc.name)
			t.Fatalf("%s: HTTP %d, want %d", tc.name, st, tc.status)
		}
		a.wantText(errSel, tc.msg)
		a.wantText("#form-error", tc.msg)
		if got := a.value("#account"); got != tc.fill[0].value {
			t.Errorf("%s: the account field shows %q, want what was typed (%q)", tc.name, got, tc.fill[0].value)
		}
		if got := a.value("#password"); got != "" {
			t.Errorf("%s: the password field is filled in again", tc.name)
		}
		if got := a.value("#university"); got != tc.university {
			t.Errorf("%s: university %q selected, want %q", tc.name, got, tc.university)
		}
		a.shot(tc.name)
	}
	if err := ctx.Err(); errors.Is(err, context.DeadlineExceeded) {
		t.Fatal("the browser test ran out of time")
	}
}
