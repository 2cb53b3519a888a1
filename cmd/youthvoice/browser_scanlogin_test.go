package main

// 微信扫码登录 in real (headless) browsers: the PC's login page at a
// desktop viewport shows the QR code; the sandbox phone (a phone
// viewport, WeChat's user agent) scans it through the signed callback,
// opens the confirmation link from the reply, confirms, and the PC page
// — polling from its own script — lands on /h5/admin signed in as that
// admin. Screenshots: the PC page with the code, the phone's
// confirmation page, the PC after signing in.

import (
	"net/url"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/device"

	"github.com/gdyouth/youthvoice/model"
)

// brDesktop is a PC: 1280×800, Chrome on Windows.
type brDesktop struct{}

func (brDesktop) Device() device.Info {
	return device.Info{Name: "Desktop Chrome",
		UserAgent: "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36",
		Width:     1280, Height: 800, Scale: 1}
}

func TestBrowserScanLogin(t *testing.T) {
	base, b := brServe(t)
	_, newTab := brBrowser(t, base)
	phone := newTab("phone")
	openid := brMember(t, b, phone, "扫码管理员", "scanadmin1", model.RoleProvinceAdmin)

	pc := newTab("pc")
	pc.do("emulate a PC", chromedp.Emulate(brDesktop{}))
	pc.nav("/h5/login", "scan-login-link")
	pc.shot("pc-login")
	pc.tap("#scan-login-link", "#scan-qr")
	// The code's image loaded and decoded, and the countdown runs.
	w, err := chromedp.Run(pc.ctx, chromedp.Evaluate[int](`new Promise(r => {
  const img = document.getElementById("scan-qr");
  const done = () => r(img.naturalWidth);
  if (img.complete) done(); else { img.onload = done; img.onerror = done; }
})`, chromedp.EvalAwaitPromise))
	if err != nil || w < 200 {
		pc.shot("FAILED-qr")
		t.Fatalf("the code's image: naturalWidth %d (%v)", w, err)
	}
	if _, err := chromedp.Run(pc.ctx, chromedp.Poll[bool](`document.getElementById("scan-countdown").textContent.indexOf("后过期") > 0`,
		chromedp.WithPollingInterval(100*time.Millisecond))); err != nil {
		pc.fail("wait for the countdown", err)
	}
	pc.wantText("#scan-state", "请使用已绑定管理员账号的微信扫描二维码")
	pc.shot("pc-qr")
	qr := pc.text("#scan-qr-url")

	// The sandbox phone scans what the code encodes.
	phone.nav("/sandbox/phone?openid="+url.QueryEscape(openid)+"&qr="+url.QueryEscape(qr), "scanqr")
	if got := phone.value("#scanqr-url"); got != qr {
		t.Fatalf("the phone's scan field holds %q, want %q", got, qr)
	}
	link := chromedp.CSS(`#chat a[href^="/h5/login/scan/confirm?t="]`)
	phone.tap("#scanqr", link)
	phone.shot("phone-reply")
	// The PC's script notices the scan.
	pc.do("wait for 已扫码", chromedp.WaitVisible(chromedp.CSS("#scan-state.state-scanned")))
	pc.wantText("#scan-state", "已扫码，请在手机上确认")

	phone.tap(link, "#scan-confirm")
	phone.wantText("#scan-question", "确认在电脑上登录 广东青年之声管理后台？")
	phone.wantText("#scan-account", "scanadmin1")
	phone.wantText("#scan-ua", "Chrome · Windows")
	phone.shot("phone-confirm")
	phone.tap("#scan-confirm", "#scan-done")
	phone.wantText("#scan-done", "已确认")

	// The PC lands on the admin pages, signed in as that admin.
	pc.do("wait for the admin page", chromedp.WaitVisible(chromedp.ID("nav-stats")))
	if p := pc.location().Path; p != "/h5/admin" {
		t.Fatalf("the PC is at %s, want /h5/admin", p)
	}
	pc.shot("pc-admin")
	pc.nav("/h5/settings", "logout")
	pc.wantText("main", "scanadmin1")
	pc.shot("pc-signed-in")
}
