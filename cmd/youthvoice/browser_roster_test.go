package main

// The cadre roster in a real (headless) browser on a phone viewport: the
// university admin lists a student leader (待注册), the leader applies
// with the listed phone and is approved (已注册), the admin ends the role
// with a reason (已离任); the province sees the university's
// completeness. Screenshots of every step.

import (
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/gdyouth/youthvoice/model"
)

func TestBrowserRoster(t *testing.T) {
	base, b := brServe(t)
	ctx, newPhone := brBrowser(t, base)

	admin := newPhone("admin")
	brMember(t, b, admin, "李老师", "tuanwei2026", model.RoleUniversityAdm)
	leader := newPhone("leader")
	brMember(t, b, leader, "王同学", "wangtx2026", model.RoleStudent)

	admin.nav("/h5/admin", "nav-roster")
	admin.tap("#nav-roster", "#roster-empty")
	admin.tap("#add-person", "#person-form")
	admin.do("fill the person",
		chromedp.SendKeys(chromedp.ID("position"), "校学生会主席"),
		chromedp.SendKeys(chromedp.ID("real_name"), "王同学"),
		chromedp.SendKeys(chromedp.ID("phone"), "13912345678"))
	admin.shot("roster-add")
	admin.tap("#person-submit", "#notice")
	admin.wantText("#notice", "已列入名册")
	admin.wantText("#roster-summary", "已注册 0 / 应注册 1")
	admin.wantText(`.roster-line[data-phone="13912345678"]`, "待注册")
	admin.shot("roster-pending")

	// The leader applies with the listed phone; the admin approves.
	leader.nav("/h5/cadre/apply", "apply-submit")
	leader.do("fill the application",
		chromedp.SendKeys(chromedp.ID("position"), "校学生会主席"),
		chromedp.SendKeys(chromedp.ID("real_name"), "王同学"),
		chromedp.SendKeys(chromedp.ID("phone"), "13912345678"))
	leader.tap("#apply-submit", "#notice")
	admin.nav("/h5/admin", "application-list")
	admin.tap("#application-list .approve", "#nav-roster")
	admin.tap("#nav-roster", "#roster-summary")
	admin.wantText("#roster-summary", "已注册 1 / 应注册 1")
	admin.wantText(`.roster-line[data-phone="13912345678"]`, "已注册")
	admin.wantText(`.roster-line[data-phone="13912345678"]`, "wangtx2026")
	admin.shot("roster-registered")

	// 离任 with a reason: kept on the roster, marked.
	admin.tap(`.roster-line[data-phone="13912345678"]`, "#entry-card")
	admin.wantText("#entry-phone", "13912345678")
	admin.do("fill the reason", chromedp.SendKeys(chromedp.ID("reason"), "毕业离校"))
	admin.shot("roster-entry")
	admin.confirmTap("#leave-submit", "#notice")
	admin.wantText("#notice", "已办理离任")
	admin.wantText(`.roster-line[data-phone="13912345678"]`, "已离任")
	admin.wantText("#roster-summary", "已注册 0 / 应注册 0")
	admin.shot("roster-left")

	province := newPhone("province")
	brMember(t, b, province, "省团委", "shengtw2026", model.RoleProvinceAdmin)
	province.nav("/h5/admin/roster?sort=-expected", "completeness-table")
	province.wantText("#province-summary", "166 所高校")
	province.shot("roster-province")

	if ctx.Err() != nil {
		t.Fatal("the browser test ran out of time")
	}
}
