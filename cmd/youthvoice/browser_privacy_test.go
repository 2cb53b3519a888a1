package main

// 设置 → 显示名称 and 注销账号 in a real (headless) browser on a phone
// viewport, with screenshots: a classmate sees the chosen name, never
// the account; after 注销 the question shows 已注销用户.

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/gdyouth/youthvoice/model"
)

func TestBrowserPrivacySettings(t *testing.T) {
	base, b := brServe(t)
	ctx, newPhone := brBrowser(t, base)

	me := newPhone("student")
	brMember(t, b, me, "小明的微信", "xiaoming2026", model.RoleStudent)
	me.nav("/h5/settings", "display_name")
	me.wantText("#display-name", model.DefaultDisplayName)
	me.do("type a phone number", chromedp.SendKeys(chromedp.ID("display_name"), "小明13800138000"))
	me.tap("#save-display-name", "#form-error")
	me.wantText(`.field-error[data-field="display_name"]`, "手机号")
	me.shot("settings-bad-name")
	me.do("type a name", chromedp.SetValue(chromedp.ID("display_name"), "小明同学"))
	me.tap("#save-display-name", "#notice")
	me.wantText("#display-name", "小明同学")
	me.shot("settings-named")

	me.nav("/h5/ask", "title")
	me.do("ask", chromedp.SendKeys(chromedp.ID("title"), "补考在哪里报名"))
	me.tap("#ask-submit", "#question")
	qpath := me.location().Path

	mate := newPhone("classmate")
	brMember(t, b, mate, "同学的微信", "tongxue2026", model.RoleStudent)
	mate.nav(qpath, "question")
	mate.wantText("#question", "小明同学")
	if got := mate.text("body"); containsFold(got, "xiaoming2026") {
		t.Fatalf("the classmate sees the account name on %s", qpath)
	}
	mate.shot("classmate-sees-display-name")

	me.nav("/h5/settings/close", "close-account")
	me.shot("close-confirm")
	me.do("type 注销", chromedp.SendKeys(chromedp.ID("confirm"), "注销"))
	me.tap("#close-account", ".alert-ok")
	me.wantText(".alert-ok", "账号已注销")
	me.shot("closed-login")

	mate.nav(qpath, "question")
	mate.wantText("#question", model.ClosedName)
	mate.shot("classmate-sees-closed")

	if ctx.Err() != nil {
		t.Fatal("the browser test ran out of time")
	}
}

func containsFold(s, sub string) bool {
	return strings.Contains(strings.ToLower(s), strings.ToLower(sub))
}
