package main

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/gdyouth/youthvoice/handler/web"
	"github.com/gdyouth/youthvoice/model"
)

// The pages carry a Content-Security-Policy and satisfy it: every phone
// of every browser test reports violations as failures (watchCSP); this
// test proves the watcher sees one when there is one, and walks the
// pages the other tests do not (settings, admin, statistics).
func TestBrowserContentSecurityPolicy(t *testing.T) {
	base, b := brServe(t)
	for _, path := range []string{"/h5/login", "/sandbox"} {
		resp, err := http.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if got := resp.Header.Get("Content-Security-Policy"); got != web.ContentSecurityPolicy {
			t.Fatalf("%s: Content-Security-Policy %q, want %q", path, got, web.ContentSecurityPolicy)
		}
	}
	ctx, newPhone := brBrowser(t, base)

	ctl := newPhone("control")
	ctl.cspExpected = true
	ctl.nav("/h5/login", "login-submit")
	if _, err := chromedp.Run(ctl.ctx, chromedp.Evaluate[bool](
		`(function(){ var s = document.createElement("script"); s.src = "https://evil.example/x.js"; document.body.appendChild(s); return true })()`)); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for len(ctl.cspSeen()) == 0 && time.Now().Before(deadline) && ctx.Err() == nil {
		time.Sleep(50 * time.Millisecond)
	}
	if v := ctl.cspSeen(); len(v) == 0 || !strings.Contains(v[0], "script-src") || !strings.Contains(v[0], "evil.example") {
		t.Fatalf("a script from elsewhere reported %v; want a script-src violation", v)
	}

	admin := newPhone("province admin")
	brMember(t, b, admin, "省团委", "cspprov2026", model.RoleProvinceAdmin)
	for _, page := range []struct{ path, id string }{
		{"/h5/home", "profile"}, {"/h5/settings", "unbind"}, {"/h5/admin", "nav-stats"},
		{"/h5/admin/stats", "period-form"}, {"/h5/admin/stations", "counts"}, {"/h5/boards", "board-list"},
		{"/h5/admin/liaisons", "liaison-list"}, {"/h5/admin/liaisons/4144010590", "liaison-form"},
	} {
		admin.nav(page.path, page.id)
		admin.shot(strings.ReplaceAll(strings.TrimPrefix(page.path, "/h5/"), "/", "-"))
	}
	// The unbind button asks first (data-confirm, a dialog of app.js, no
	// inline handler): dismissed, nothing happens.
	admin.nav("/h5/settings", "unbind")
	admin.do("tap 解除绑定", chromedp.Click(chromedp.ID("unbind")), chromedp.WaitVisible(chromedp.ID("dialog-cancel")))
	admin.wantText("#dialog-desc", "解除绑定后")
	admin.do("dismiss the dialog", chromedp.Click(chromedp.ID("dialog-cancel")), chromedp.WaitNotPresent(chromedp.ID("dialog-cancel")))
	if loc := admin.location(); loc.Path != "/h5/settings" {
		t.Fatalf("a dismissed confirmation left the page for %s", loc)
	}
}
