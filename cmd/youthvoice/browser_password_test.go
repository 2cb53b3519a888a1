package main

// A forgotten password in a real (headless) browser on a phone viewport:
// the university admin issues a temporary password, the student logs in
// with it and is held on the change page until they choose their own.
// Screenshots of every step.

import (
	"context"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/gdyouth/youthvoice/model"
	"github.com/gdyouth/youthvoice/service/account"
	"github.com/gdyouth/youthvoice/service/clock"
)

func TestBrowserTemporaryPassword(t *testing.T) {
	base, b := brServe(t)
	ctx, newPhone := brBrowser(t, base)

	admin := newPhone("admin")
	brMember(t, b, admin, "李老师", "tuanwei2026", model.RoleUniversityAdm)
	// The student's account, not bound to any WeChat (as after a change
	// of phone).
	accounts, err := account.New(b.db, b.store, clock.Real{}, b.log, account.Options{BcryptCost: 4})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := accounts.Activate(context.Background(), account.ActivateInput{Entry: "gaoxiao", Mode: account.ModeNew,
		Account: "zhangsan2026", Password: "Forgot2026", Confirm: "Forgot2026", UniversityCode: "4144010590"}); err != nil {
		t.Fatal(err)
	}

	admin.nav("/h5/admin", "nav-password")
	admin.tap("#nav-password", "#temporary-submit")
	admin.do("type the account", chromedp.SendKeys(chromedp.ID("account"), "zhangsan2026"))
	admin.confirmTap("#temporary-submit", "#temporary")
	admin.wantText("#temporary", "zhangsan2026")
	temp := admin.text("#temporary-password")
	if len(temp) != account.TemporaryLength {
		t.Fatalf("temporary password %q", temp)
	}
	admin.shot("admin-temporary")

	student := newPhone("student")
	student.nav("/h5/login", "login-submit")
	student.do("log in with the temporary password",
		chromedp.SendKeys(chromedp.ID("account"), "zhangsan2026"),
		chromedp.SendKeys(chromedp.ID("password"), temp))
	student.tap("#login-submit", "#must-change")
	if p := student.location().Path; p != "/h5/password" {
		t.Fatalf("after login at %s, want /h5/password", p)
	}
	student.shot("student-must-change")
	// Anything else leads back to the change page.
	student.nav("/h5/questions/mine", "must-change")
	student.do("choose a password",
		chromedp.SendKeys(chromedp.ID("new"), "Mine2026x"),
		chromedp.SendKeys(chromedp.ID("confirm"), "Mine2026y"))
	student.tap("#password-submit", "#form-error")
	student.wantText(`.field-error[data-field="confirm"]`, "不一致")
	student.shot("student-mismatch")
	student.do("choose a password again",
		chromedp.SendKeys(chromedp.ID("new"), "Mine2026x"),
		chromedp.SendKeys(chromedp.ID("confirm"), "Mine2026x"))
	student.tap("#password-submit", "#notice")
	student.wantText("#notice", "密码已修改")
	student.shot("student-home")
	student.nav("/h5/messages", "message-list")
	student.shot("student-messages")

	if ctx.Err() != nil {
		t.Fatal("the browser test ran out of time")
	}
}
