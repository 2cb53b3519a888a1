package main

// The booking flow in a real (headless) browser on a phone viewport,
// against the real server in sandbox mode: the station and its team are
// set up through the station service (open around the clock, so the test
// does not depend on the time it runs); a student finds 青年之家 from the
// home page and books; the admin on duty taps the booking alert in the
// sandbox inbox, is signed in on the booking page and accepts; the student
// taps the reply alert and sees the confirmation. Screenshots of every
// step, plus the admin's console, profile and team pages.

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/gdyouth/youthvoice/model"
	"github.com/gdyouth/youthvoice/service/account"
	"github.com/gdyouth/youthvoice/service/alert"
	"github.com/gdyouth/youthvoice/service/clock"
	"github.com/gdyouth/youthvoice/service/notify"
	"github.com/gdyouth/youthvoice/service/servicetest"
	"github.com/gdyouth/youthvoice/service/station"
	"github.com/gdyouth/youthvoice/service/workday"
)

// brStation sets up 深圳大学's station, open every day around the clock,
// with admin as its lead on duty every day.
func brStation(t *testing.T, b *base, adminAccount string) {
	t.Helper()
	ctx := context.Background()
	outbox, err := alert.NewOutbox(b.db, clock.Real{})
	if err != nil {
		t.Fatal(err)
	}
	n, err := notify.New(outbox, servicetest.Inbox(t, b.db, clock.Real{}), notify.FromConfig(b.cfg.Alerts.Templates, true), b.cfg.PublicURL)
	if err != nil {
		t.Fatal(err)
	}
	wd, err := workday.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	stations, err := station.New(b.db, clock.Real{}, n, b.log, wd, 0)
	if err != nil {
		t.Fatal(err)
	}
	var admin model.User
	if err := b.db.Conn(ctx).Where("account_key = ?", account.AccountKey(adminAccount)).Take(&admin).Error; err != nil {
		t.Fatalf("admin %s: %v", adminAccount, err)
	}
	var weekly [7][]station.Range
	for d := range weekly {
		weekly[d] = []station.Range{{Open: "00:00", Close: "24:00"}}
	}
	if _, err := stations.SaveProfile(ctx, admin, *admin.UniversityID, station.Profile{
		Name: "深圳大学青年之家", Building: "学生活动中心", Room: "201", Address: "南海大道3688号 粤海校区",
		Directions: "南门进，沿主干道走到第二个路口右转，学生活动中心二楼。",
		HasOffice:  true, HasPlaque: true, HasComputer: true, HasServicePost: true,
		Services: []string{"心理咨询", "学业辅导", "就业指导"}, Weekly: weekly,
		Closed:      []station.Closure{{Date: time.Now().In(clock.Beijing).AddDate(0, 0, 20).Format("2006-01-02"), Reason: "校运会"}},
		SlotMinutes: 60, SlotCapacity: 2,
	}); err != nil {
		t.Fatalf("SaveProfile: %v", err)
	}
	if _, err := stations.AddMember(ctx, admin, *admin.UniversityID, station.Member{
		Account: adminAccount, Category: model.CategoryLead, RealName: "李老师", Position: "校团委副书记", Phone: "13800138000",
		DutyDays: []time.Weekday{time.Sunday, time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday, time.Saturday},
	}); err != nil {
		t.Fatalf("AddMember: %v", err)
	}
}

func TestBrowserBookAcceptConfirm(t *testing.T) {
	base, b := brServe(t)
	ctx, newPhone := brBrowser(t, base)

	student := newPhone("student")
	studentID := brMember(t, b, student, "小青", "xiaoqing2026", model.RoleStudent)
	admin := newPhone("station admin")
	adminID := brMember(t, b, admin, "李老师", "lils2026", model.RoleUniversityAdm)
	brStation(t, b, "lils2026")

	// The student finds 青年之家 on the home page.
	student.shot("home")
	// 附近站点 lists the own university's station first.
	student.tap(`#nav-stations`, "#own-station")
	student.wantText("#own-station", "深圳大学青年之家")
	student.wantText("#own-station", "正在开放")
	student.shot("stations")
	student.tap("#own-station", "#station-name")
	student.wantText("#station-name", "深圳大学青年之家")
	student.wantText("#open-state", "正在开放")
	student.wantText("#hours", "00:00–24:00")
	student.wantText("#venue", "学生活动中心 201")
	student.shot("station")

	// … and books the first free slot.
	student.tap("#book-link", "#book-submit")
	slot, err := chromedp.Run(student.ctx, chromedp.Evaluate[string](
		`document.querySelector('#slot option:not([disabled]):not([value=""])').value`))
	if err != nil || slot == "" {
		student.fail("find a free slot", err)
	}
	// A mistyped phone number: the message at the field, the rest kept.
	student.do("fill in the booking",
		chromedp.SetValue(chromedp.ID("service"), "心理咨询"),
		chromedp.SetValue(chromedp.ID("slot"), slot),
		chromedp.SendKeys(chromedp.ID("phone"), "1391234567"),
		chromedp.SendKeys(chromedp.ID("description"), "期末压力很大，想找老师聊聊。"))
	errSel := chromedp.CSS(`p.field-error[data-field="phone"]`)
	// POST-redirect-GET: the form comes back as a normal page (200) with
	// the message.
	if st := student.tap("#book-submit", errSel); st != http.StatusOK {
		t.Fatalf("booking with a 10-digit phone: HTTP %d, want 200 after the redirect", st)
	}
	student.wantText(errSel, "请填写 11 位手机号")
	if got := student.value("#slot"); got != slot {
		t.Errorf("the slot shows %q after the error, want %q", got, slot)
	}
	if got := student.value("#description"); got != "期末压力很大，想找老师聊聊。" {
		t.Errorf("the description shows %q after the error", got)
	}
	student.shot("book-error")
	student.do("fix the phone", chromedp.SetValue(chromedp.ID("phone"), "13912345678"))
	student.shot("book-form")
	student.tap("#book-submit", "#notice")
	student.wantText("#notice", "预约已提交")
	student.wantText("#notice", "1 小时内回复你")
	student.wantText("#booking-status", "待回复")
	student.shot("booked")

	// The admin on duty taps the alert and accepts on the booking page.
	brAwaitAlert(t, admin, adminID, "sandbox-booking_new", "admin-inbox", "#accept-form")
	admin.wantText("#student-name", "某某同学") // the display name, never the account name
	admin.wantText("#description", "期末压力很大")
	if got := admin.value("#accept-time"); got != slot {
		t.Errorf("the accept time defaults to %q, want the booked slot %q", got, slot)
	}
	if got := admin.value("#accept-place"); got != "学生活动中心 201" {
		t.Errorf("the accept place defaults to %q", got)
	}
	admin.do("add a note", chromedp.SendKeys(chromedp.ID("accept-note"), "请带上学生证"))
	admin.shot("admin-booking")
	admin.tap("#accept-submit", "#notice")
	admin.wantText("#notice", "已回复")
	admin.wantText("#booking-status", "已确认")
	admin.wantText("#confirmed-place", "学生活动中心 201")
	admin.shot("admin-accepted")

	// The student taps the reply and sees the confirmation.
	brAwaitAlert(t, student, studentID, "sandbox-booking_reply", "student-inbox", "#confirmation")
	student.wantText("#booking-status", "已确认")
	student.wantText("#confirmed-place", "学生活动中心 201")
	student.wantText("#confirmed-note", "请带上学生证")
	student.shot("student-confirmed")
	student.nav("/h5/bookings/mine", "booking-list")
	student.wantText("#booking-list", "心理咨询")
	if strings.Contains(student.text("#booking-list"), "已超时") {
		t.Error("a fresh booking shows as overdue")
	}
	student.shot("my-bookings")

	// After the appointment: the admin records the result, the student
	// gives five stars. The server runs on the real clock, so the
	// appointment is moved to a minute ago (results are refused before it
	// starts).
	bookingPath := admin.location().Path
	id := strings.TrimPrefix(bookingPath, "/h5/bookings/")
	if res := b.db.Conn(context.Background()).Model(&model.Booking{}).Where("id = ?", id).
		Update("confirmed_at", time.Now().UTC().Add(-time.Minute)); res.Error != nil || res.RowsAffected != 1 {
		t.Fatalf("move booking %q's appointment to a minute ago: %v (%d rows)", id, res.Error, res.RowsAffected)
	}
	admin.do("record the result", chromedp.SendKeys(chromedp.ID("serve-result"), "聊了一小时，建议每周来一次。"),
		chromedp.Click(chromedp.ID("serve-followup")))
	admin.shot("admin-serve")
	admin.tap("#serve-submit", "#served")
	admin.wantText("#booking-status", "已服务")
	student.nav(bookingPath, "rate-form")
	student.do("rate", chromedp.Click(chromedp.CSS(`label[for="star-5"]`)), chromedp.SendKeys(chromedp.ID("rate-comment"), "很有帮助"))
	if checked, err := chromedp.Run(student.ctx, chromedp.Evaluate[bool](`document.getElementById("star-5").checked`)); err != nil || !checked {
		student.fail("tap the fifth star", err)
	}
	student.shot("rate")
	student.tap("#rate-submit", "#rating")
	student.wantText("#notice", "感谢你的评价")
	student.wantText("#rating", "★★★★★")
	student.shot("rated")

	// The admin's console, profile form and team.
	admin.nav("/h5/station", "queue")
	admin.wantText("#queue", "心理咨询")
	admin.shot("console")
	admin.nav("/h5/station/edit", "profile-form")
	// Around the clock: a time picker cannot show 24:00, so the end is
	// 00:00 (midnight).
	if o, cl := admin.value("#hours_3_0_open"), admin.value("#hours_3_0_close"); o != "00:00" || cl != "00:00" {
		t.Errorf("Wednesday's hours show %q–%q", o, cl)
	}
	admin.shot("profile-form")
	admin.nav("/h5/station/team", "member-form")
	admin.wantText("#team-list", "李老师")
	admin.shot("team")

	// The province admin's overview of every university.
	province := newPhone("province admin")
	brMember(t, b, province, "省团委", "gdprov2026", model.RoleProvinceAdmin)
	province.tap("#nav-station-overview", "#counts")
	province.nav("/h5/admin/stations?q="+url.QueryEscape("深圳大学"), "construction-list")
	province.wantText("#row-4144010590", "深圳大学")
	province.wantText("#row-4144010590", "已开放")
	province.shot("province-overview")

	if ctx.Err() != nil {
		t.Fatal("the browser test ran out of time")
	}
}
