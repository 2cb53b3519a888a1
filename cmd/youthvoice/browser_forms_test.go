package main

import (
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/gdyouth/youthvoice/model"
	"github.com/gdyouth/youthvoice/service/station"
)

// confirmTap taps an element that asks first (data-confirm), and 确定 in
// the dialog; it waits for the next page's element waitSel.
func (p *brTab) confirmTap(sel, waitSel chromedp.CSS) {
	p.t.Helper()
	p.do("tap "+string(sel), chromedp.Click(sel), chromedp.WaitVisible(chromedp.ID("dialog-ok")))
	p.tap("#dialog-ok", waitSel)
}

// countPosts counts the forms the phone posts (document requests with
// method POST) from now on.
func (p *brTab) countPosts() func() int {
	var mu sync.Mutex
	n := 0
	if err := chromedp.Listen(p.ctx, func(ev any) {
		if e, ok := ev.(*network.EventRequestWillBeSent); ok && e.Request.Method == http.MethodPost && e.Type == network.ResourceTypeDocument {
			mu.Lock()
			n++
			mu.Unlock()
		}
	}); err != nil {
		p.fail("listen for posts", err)
	}
	return func() int {
		mu.Lock()
		defer mu.Unlock()
		return n
	}
}

// wantOurPage checks the phone shows a page of ours at path (not the
// browser's "Confirm Form Resubmission"/ERR_CACHE_MISS page) with the
// element waitSel.
func (p *brTab) wantOurPage(path string, waitSel chromedp.CSS) {
	p.t.Helper()
	if !p.eval("look for "+string(waitSel), `document.querySelector(`+jsStrings([]string{string(waitSel)})+`[0]) !== null`) {
		p.shot("FAILED-not-our-page")
		p.t.Fatalf("%s: %s is not on the page", p.name, waitSel)
	}
	loc := p.location()
	if loc.Scheme != "http" || loc.Path != path {
		p.shot("FAILED-not-our-page")
		p.t.Fatalf("%s: at %s, want our page %s", p.name, loc, path)
	}
	title, err := chromedp.Run(p.ctx, chromedp.Title())
	if err != nil || !strings.HasSuffix(title, "广东青年之声") {
		p.t.Fatalf("%s: page title %q (%v)", p.name, title, err)
	}
}

// back goes back in the history as the browser's back button does, and
// waits for a new page with waitSel.
func (p *brTab) back(waitSel chromedp.CSS) {
	p.t.Helper()
	p.eval("mark the page", `(window.yvOld = true, true)`)
	p.eval("go back", `(setTimeout(function () { history.back(); }, 0), true)`)
	// The page's context goes away while the browser navigates: ask
	// again until the new page answers.
	for i := 0; ; i++ {
		done, err := chromedp.Run(p.ctx, chromedp.Evaluate[bool](`window.yvOld !== true && document.readyState === "complete" && document.querySelector(`+jsStrings([]string{string(waitSel)})+`[0]) !== null`))
		if err == nil && done {
			break
		}
		if i == 100 {
			p.fail("wait for the previous page", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (p *brTab) eval(what, js string) bool {
	p.t.Helper()
	ok, err := chromedp.Run(p.ctx, chromedp.Evaluate[bool](js))
	if err != nil {
		p.fail(what, err)
	}
	return ok
}

// A failed form comes back as a normal page (POST-redirect-GET) listing
// every field's problem next to its field, with what was typed except the
// passwords; going back or reloading never re-posts (no "Confirm Form
// Resubmission"/ERR_CACHE_MISS page). 取消预约 asks first in a WeUI
// dialog.
func TestBrowserFormsNeverTrip(t *testing.T) {
	base, b := brServe(t)
	_, newPhone := brBrowser(t, base)

	// Activation with a short password and no university.
	a := newPhone("new user")
	a.nav("/sandbox", "create-identity")
	a.do("name the identity", chromedp.SendKeys(chromedp.ID("nickname"), "小青"))
	a.tap("#create-identity", "#follow")
	openid := a.location().Query().Get("openid")
	a.do("open 主页", chromedp.Navigate(a.base+"/h5/home"), chromedp.WaitVisible(chromedp.CSS(`button[data-openid="`+openid+`"]`)))
	a.tap(chromedp.CSS(`button[data-openid="`+openid+`"]`), `a[data-entry="gaoxiao"]`)
	a.tap(`a[data-entry="gaoxiao"]`, "#activate-submit")
	formPath := a.location().Path
	posts := a.countPosts()
	a.do("fill the form badly", chromedp.SendKeys(chromedp.ID("account"), "qingnian2026"),
		chromedp.SendKeys(chromedp.ID("password"), "abc"), chromedp.SendKeys(chromedp.ID("confirm"), "abc"),
		chromedp.SendKeys(chromedp.ID("name"), "小青"))
	if st := a.tap("#activate-submit", `.field-error[data-field="university"]`); st != http.StatusOK {
		t.Fatalf("the failed activation's page: HTTP %d, want 200 (after the redirect)", st)
	}
	if posts() != 1 {
		t.Fatalf("%d posts, want 1", posts())
	}
	a.wantOurPage(formPath, "#form-error")
	a.wantText(`.field-error[data-field="password"]`, "密码须为 6–")
	a.wantText(`.field-error[data-field="university"]`, "请选择学校")
	a.wantText("#form-error", "有 2 处需要修改")
	a.wantText("#form-error", "请选择学校")
	if got := a.value("#account"); got != "qingnian2026" {
		t.Errorf("the account shows %q after the error", got)
	}
	if got := a.value("#name"); got != "小青" {
		t.Errorf("the name shows %q after the error", got)
	}
	if p, c := a.value("#password"), a.value("#confirm"); p != "" || c != "" {
		t.Errorf("the passwords are kept (%q, %q), want them cleared", p, c)
	}
	a.shot("activate-error")
	// Reload: the same page, clean (the message was shown once), no post.
	a.do("reload", chromedp.Reload(), chromedp.WaitVisible(chromedp.ID("activate-submit")))
	a.wantOurPage(formPath, "#activate-submit")
	if a.eval("look for the old message", `document.getElementById("form-error") !== null`) {
		t.Error("a reload shows the old message again")
	}
	// Back: the form as first opened, never a resubmission page.
	a.back("#activate-submit")
	a.wantOurPage(formPath, "#activate-submit")
	if strings.Contains(a.location().RawQuery, "flash") {
		t.Errorf("back leads to %s, want the form as opened", a.location())
	}
	a.shot("activate-back")
	if posts() != 1 {
		t.Fatalf("reload and back posted again: %d posts", posts())
	}

	// Booking with a 10-digit phone and a too long description.
	student := newPhone("student")
	brMember(t, b, student, "小青", "xiaoqing2026", model.RoleStudent)
	admin := newPhone("station admin")
	brMember(t, b, admin, "李老师", "lils2026", model.RoleUniversityAdm)
	brStation(t, b, "lils2026")
	sposts := student.countPosts()
	student.nav("/h5/bookings/new", "book-submit")
	slot, err := chromedp.Run(student.ctx, chromedp.Evaluate[string](
		`document.querySelector('#slot option:not([disabled]):not([value=""])').value`))
	if err != nil || slot == "" {
		student.fail("find a free slot", err)
	}
	long := strings.Repeat("很", station.MaxDescription+1)
	student.do("fill in the booking badly",
		chromedp.SetValue(chromedp.ID("service"), "心理咨询"),
		chromedp.SetValue(chromedp.ID("slot"), slot),
		chromedp.SendKeys(chromedp.ID("phone"), "1391234567"),
		chromedp.SetValue(chromedp.ID("description"), long))
	student.tap("#book-submit", `.field-error[data-field="description"]`)
	student.wantOurPage("/h5/bookings/new", `.field-error[data-field="phone"]`)
	student.wantText(`.field-error[data-field="phone"]`, "请填写 11 位手机号")
	student.wantText(`.field-error[data-field="description"]`, "需求描述不能超过")
	student.wantText("#form-error", "有 2 处需要修改")
	if got := student.value("#phone"); got != "1391234567" {
		t.Errorf("the phone shows %q after the error", got)
	}
	if got := student.value("#slot"); got != slot {
		t.Errorf("the slot shows %q after the error, want %q", got, slot)
	}
	if got := student.value("#service"); got != "心理咨询" {
		t.Errorf("the service shows %q after the error", got)
	}
	if got := student.value("#description"); utf8.RuneCountInString(got) != station.MaxDescription+1 {
		t.Errorf("the description has %d characters after the error, want the %d typed", utf8.RuneCountInString(got), station.MaxDescription+1)
	}
	student.shot("book-errors")
	student.do("fix both", chromedp.SetValue(chromedp.ID("phone"), "13912345678"),
		chromedp.SetValue(chromedp.ID("description"), "期末压力很大，想找老师聊聊。"))
	student.tap("#book-submit", "#notice")
	student.wantText("#notice", "预约已提交")
	// The notice also shows as a toast that fades; the notice stays.
	student.wantText("#toast", "预约已提交")
	student.shot("booked-toast")
	bookingPath := student.location().Path
	student.back("#book-submit")
	student.wantOurPage("/h5/bookings/new", "#book-submit")
	if sposts() != 2 {
		t.Fatalf("%d posts after going back, want the 2 submits", sposts())
	}

	// 取消预约 asks first: 取消 (or Escape) keeps the booking …
	student.nav(bookingPath, "cancel-submit")
	student.do("tap 取消预约", chromedp.Click(chromedp.ID("cancel-submit")), chromedp.WaitVisible(chromedp.ID("dialog-ok")))
	student.wantText("#dialog-title", "取消这次预约？")
	student.wantText("#dialog-desc", "时段会让给其他同学")
	student.wantText("#dialog-cancel", "取消")
	student.wantText("#dialog-ok", "确定")
	if !student.eval("check the focus", `document.activeElement && document.activeElement.id === "dialog-cancel"`) {
		t.Error("the dialog does not focus 取消")
	}
	if !student.eval("check the role", `document.querySelector(".dialog").getAttribute("role") === "alertdialog"`) {
		t.Error("the dialog is not announced as a dialog")
	}
	student.shot("cancel-dialog")
	student.do("tap 取消", chromedp.Click(chromedp.ID("dialog-cancel")), chromedp.WaitNotPresent(chromedp.ID("dialog-ok")))
	student.wantText("#booking-status", "待回复")
	student.do("tap 取消预约 again", chromedp.Click(chromedp.ID("cancel-submit")), chromedp.WaitVisible(chromedp.ID("dialog-ok")))
	student.do("press Escape", chromedp.KeyEvent(kb.Escape), chromedp.WaitNotPresent(chromedp.ID("dialog-ok")))
	student.wantText("#booking-status", "待回复")
	if sposts() != 2 {
		t.Fatalf("dismissing the dialog posted: %d posts", sposts())
	}
	// … 确定 cancels it.
	student.confirmTap("#cancel-submit", "#cancelled")
	student.wantText("#booking-status", "已取消")
	student.shot("cancelled")
	student.nav("/h5/bookings/mine", "booking-list")
	student.wantText("#booking-list", "已取消")
	student.shot("my-bookings-cancelled")
}

// tapTargetsJS lists every visible link, button and control of the page
// smaller than 44×44 CSS px. A checkbox or radio counts by its label (the
// row or chip one taps). Exceptions, each with its reason, are matched
// by selector in allowed.
const tapTargetsJS = `(function (allowed) {
  var small = [];
  var els = document.querySelectorAll('a, button, input, select, textarea, label[for], [role=button]');
  for (var i = 0; i < els.length; i++) {
    var el = els[i];
    if (el.type === "hidden") continue;
    var target = el;
    if (el.type === "checkbox" || el.type === "radio") {
      target = el.closest("label") || document.querySelector('label[for="' + el.id + '"]') || el;
    }
    var r = target.getBoundingClientRect();
    var st = getComputedStyle(target);
    if (r.width === 0 || r.height === 0 || st.visibility === "hidden") continue;
    if (allowed.some(function (sel) { return el.matches(sel); })) continue;
    if (r.width < 44 || r.height < 44) {
      var name = el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") + (el.className ? "." + String(el.className).trim().replace(/\s+/g, ".") : "");
      small.push(name + " «" + (el.textContent || el.value || "").trim().slice(0, 16) + "» " + Math.round(r.width) + "×" + Math.round(r.height));
    }
  }
  return small;
})(%s)`

// tapExceptions are the only controls allowed under 44 px, with why.
var tapExceptions = map[string]string{}

// Every link, button and control on the key pages is at least 44×44 CSS
// px at a 375-px phone width (WeUI's and Apple's minimum for a finger).
func TestBrowserTapTargets(t *testing.T) {
	base, b := brServe(t)
	_, newPhone := brBrowser(t, base)
	student := newPhone("student")
	brMember(t, b, student, "小青", "xiaoqing2026", model.RoleStudent)
	admin := newPhone("admin")
	brMember(t, b, admin, "李老师", "lils2026", model.RoleUniversityAdm)
	brStation(t, b, "lils2026")

	// A question and a booking to show.
	student.nav("/h5/ask", "ask-form")
	student.do("ask", chromedp.SendKeys(chromedp.ID("title"), "图书馆周末几点开门？"))
	student.tap("#ask-submit", "#notice")
	questionPath := student.location().Path
	student.nav("/h5/bookings/new", "book-submit")
	student.do("book", chromedp.SetValue(chromedp.ID("service"), "心理咨询"), chromedp.SendKeys(chromedp.ID("phone"), "13912345678"))
	student.tap("#book-submit", "#notice")

	allowed := []string{}
	for sel := range tapExceptions {
		allowed = append(allowed, sel)
	}
	js := strings.Replace(tapTargetsJS, "%s", jsStrings(allowed), 1)
	for _, pg := range []struct {
		phone *brTab
		path  string
		wait  string
	}{
		{student, "/h5/home", "profile"},
		{student, "/h5/boards/u-4144010590", "main"},
		{student, questionPath, "main"},
		{student, "/h5/bookings/mine", "booking-list"},
		{admin, "/h5/station", "queue"},
		{admin, "/h5/admin/stats", "main"},
		{admin, "/h5/admin", "main"},
	} {
		p := pg.phone
		p.do("set a 375-px phone", chromedp.EmulateViewport(375, 812, chromedp.EmulateMobile, chromedp.EmulateScale(2)))
		p.do("open "+pg.path, chromedp.Navigate(p.base+pg.path), chromedp.WaitVisible(chromedp.CSS(pg.wait+", #"+pg.wait)))
		// Open every details so what it folds is measured too.
		p.eval("unfold", `(document.querySelectorAll("details").forEach(function (d) { d.open = true; }), true)`)
		small, err := chromedp.Run(p.ctx, chromedp.Evaluate[[]string](js))
		if err != nil {
			p.fail("measure "+pg.path, err)
		}
		p.shot("tap-" + strings.ReplaceAll(strings.Trim(pg.path, "/"), "/", "-"))
		if len(small) > 0 {
			t.Errorf("%s: %d tap targets under 44×44 px:\n  %s", pg.path, len(small), strings.Join(small, "\n  "))
		}
	}
}

// jsStrings is a JavaScript array of the strings.
func jsStrings(ss []string) string {
	q := make([]string, len(ss))
	for i, s := range ss {
		q[i] = `"` + strings.ReplaceAll(strings.ReplaceAll(s, `\`, `\\`), `"`, `\"`) + `"`
	}
	return "[" + strings.Join(q, ",") + "]"
}
