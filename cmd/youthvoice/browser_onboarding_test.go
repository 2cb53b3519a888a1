package main

// Onboarding in a real (headless) browser on a phone viewport: the
// province appoints a university's first admin, which launches the
// university that day; the admin sees the checklist card on /h5/admin
// and follows its link; the province sees the 166 with counts and
// filters, and one university's page with the launch date form.
// Screenshots of every step.

import (
	"context"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/gdyouth/youthvoice/model"
	"github.com/gdyouth/youthvoice/service/clock"
)

func TestBrowserOnboarding(t *testing.T) {
	base, b := brServe(t)
	ctx, newPhone := brBrowser(t, base)
	db := b.db.Conn(context.Background())

	province := newPhone("province")
	brMember(t, b, province, "省团委", "shengtw2026", model.RoleProvinceAdmin)
	admin := newPhone("admin")
	brMember(t, b, admin, "李老师", "tuanwei2026", model.RoleStudent)

	// Other universities at other stages, for the table: one late, one
	// operating.
	now := time.Now()
	var unis []model.University
	if err := db.Where("code <> ?", "4144010590").Order("code").Limit(2).Find(&unis).Error; err != nil || len(unis) != 2 {
		t.Fatalf("universities: %v", err)
	}
	day := func(d time.Time) string { return d.In(clock.Beijing).Format(time.DateOnly) }
	operatingOn := day(now.AddDate(0, 0, -20))
	for _, r := range []model.UniversityOnboarding{
		{UniversityID: unis[0].ID, LaunchedOn: day(now.AddDate(0, 0, -30)), LaunchSource: model.LaunchByProvince, UpdatedAt: now},
		{UniversityID: unis[1].ID, LaunchedOn: day(now.AddDate(0, 0, -24)), LaunchSource: model.LaunchByProvince, OperatingOn: &operatingOn, UpdatedAt: now},
	} {
		if err := db.Create(&r).Error; err != nil {
			t.Fatal(err)
		}
	}

	// The province appoints 深圳大学's first admin.
	province.nav("/h5/admin", "appoint-form")
	province.do("type the account", chromedp.SendKeys(chromedp.ID("appoint-account"), "tuanwei2026"))
	province.tap("#appoint-submit", "#notice")
	province.wantText("#notice", "已任命")

	// Its liaison is named already: one item met besides the admin and
	// the questions (none asked).
	var szu model.University
	if err := db.Where("code = ?", "4144010590").Take(&szu).Error; err != nil {
		t.Fatal(err)
	}
	if err := db.Create(&model.Liaison{UniversityID: szu.ID, RealName: "王联络", Position: "校团委副书记", Phone: "13912345678",
		UpdatedAt: now.UTC()}).Error; err != nil {
		t.Fatal(err)
	}

	admin.nav("/h5/admin", "onboarding-card")
	admin.wantText("#onboarding-status", "进行中")
	admin.wantText("#onboarding-dates", "上线 "+day(now))
	admin.wantText("#onboarding-dates", "还剩")
	admin.wantText(`#onboarding-items li[data-key="liaison"]`, "✓")
	admin.wantText(`#onboarding-items li[data-key="cadres"]`, "✗")
	admin.wantText(`#onboarding-items li[data-key="station"]`, "填写「青年之家」服务站资料")
	admin.shot("onboarding-admin-card")
	admin.tap(`#onboarding-items li[data-key="cadres"] a.check-link`, "#roster-summary")

	province.nav("/h5/admin/onboarding", "onboarding-table")
	province.wantText("#count-in_progress", "进行中 1")
	province.wantText("#count-late", "逾期 1")
	province.wantText("#count-operating", "已正常运营 1")
	province.wantText("#count-not_launched", "未上线 163")
	province.wantText(`#onboarding-table tr[data-code="4144010590"]`, "进行中")
	province.shot("onboarding-province-table")
	province.tap("#count-in_progress", `#onboarding-table tr[data-status="in_progress"]`)
	province.wantText("#onboarding-table tbody", "差干部注册、服务站资料")
	province.shot("onboarding-province-in-progress")
	province.tap("#count-operating", `#onboarding-table tr[data-status="operating"]`)
	province.wantText("#onboarding-table tbody", operatingOn+" 起")
	province.shot("onboarding-province-operating")
	province.tap("#count-late", `#onboarding-table tr[data-status="late"]`)
	province.wantText("#onboarding-table tbody", unis[0].Name)
	province.shot("onboarding-province-late")

	province.tap(chromedp.CSS(`#onboarding-table tr[data-code="`+unis[0].Code+`"] a`), "#launch-form")
	province.wantText("#onboarding-status", "逾期")
	province.shot("onboarding-province-one")

	if ctx.Err() != nil {
		t.Fatal("the browser test ran out of time")
	}
}
