package main

// The audit trail on a phone: the university admin issues a temporary
// password, then opens 审计日志 from the admin page, sees the record (who,
// role, IP), filters by action and opens its details. Screenshots.

import (
	"context"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/gdyouth/youthvoice/model"
	"github.com/gdyouth/youthvoice/service/account"
	"github.com/gdyouth/youthvoice/service/clock"
)

func TestBrowserAuditTrail(t *testing.T) {
	base, b := brServe(t)
	_, newPhone := brBrowser(t, base)

	admin := newPhone("admin")
	brMember(t, b, admin, "李老师", "tuanwei2027", model.RoleUniversityAdm)
	accounts, err := account.New(b.db, b.store, clock.Real{}, b.log, account.Options{BcryptCost: 4})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := accounts.Activate(context.Background(), account.ActivateInput{Entry: "gaoxiao", Mode: account.ModeNew,
		Account: "wangwu2026", Password: "Forgot2026", Confirm: "Forgot2026", UniversityCode: "4144010590"}); err != nil {
		t.Fatal(err)
	}
	admin.nav("/h5/admin/password", "temporary-submit")
	admin.do("type the account", chromedp.SendKeys(chromedp.ID("account"), "wangwu2026"))
	admin.confirmTap("#temporary-submit", "#temporary")

	admin.nav("/h5/admin", "nav-audit")
	admin.tap("#nav-audit", "#audit-filter")
	admin.wantText("#audit-list", "为账号 wangwu2026 发放临时密码")
	admin.wantText("#audit-list", "高校团委管理员")
	admin.shot("audit-list")
	admin.do("filter by action", chromedp.SetValue(chromedp.ID("action"), "password.temporary"))
	admin.tap(`#audit-filter button[type=submit]`, "#audit-list")
	if got := admin.location().Query().Get("action"); got != "password.temporary" {
		t.Fatalf("filter not applied: %s", admin.location())
	}
	admin.do("open the details", chromedp.Click(chromedp.CSS(".audit-detail summary")))
	admin.wantText(".audit-detail pre", `"method":"admin"`)
	admin.shot("audit-filtered-detail")
}
