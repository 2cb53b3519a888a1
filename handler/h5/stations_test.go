package h5_test

// Tests of the 青年之家 pages: a university admin sets up the station and
// its team through the forms, a student books, the admin on duty follows
// the alert and accepts, serves, the student rates; referral from a
// question; the province overview; and who may see what. The clock is a
// fake on a Wednesday at 10:00 Beijing time, inside working hours.

import (
	"context"
	"html"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gdyouth/youthvoice/handler/internal/webtest"

	"github.com/gdyouth/youthvoice/model"
	"github.com/gdyouth/youthvoice/service/clock"
	"github.com/gdyouth/youthvoice/service/kv"
	"github.com/gdyouth/youthvoice/service/station"
)

// wednesday10 is the next Wednesday, 10:00 Beijing time.
func wednesday10() time.Time {
	now := time.Now().In(clock.Beijing)
	d := time.Date(now.Year(), now.Month(), now.Day(), 10, 0, 0, 0, clock.Beijing)
	for d.Weekday() != time.Wednesday || !d.After(now) {
		d = d.AddDate(0, 0, 1)
	}
	return d
}

// stationStack is a web stack whose clock is Wednesday 10:00 Beijing.
func stationStack(t *testing.T, db *model.DB, store kv.Store) (*webtest.Stack, *clock.Fake) {
	t.Helper()
	clk := clock.NewFake(wednesday10().UTC())
	return webtest.New(t, db, store, webtest.Opts{Clock: clk}), clk
}

// weekdayHours is 09:00–12:00 and 14:00–18:00 Monday to Friday.
func weekdayHours() [7][]station.Range {
	var w [7][]station.Range
	for d := time.Monday; d <= time.Friday; d++ {
		w[d] = []station.Range{{Open: "09:00", Close: "12:00"}, {Open: "14:00", Close: "18:00"}}
	}
	return w
}

// openStation sets up admin's university station through the service.
func openStation(s *webtest.Stack, admin webtest.Person, capacity int) {
	s.T.Helper()
	_, err := s.Stations.SaveProfile(context.Background(), admin.User, *admin.User.UniversityID, station.Profile{
		Name: "深圳大学青年之家", Building: "学生活动中心", Room: "201", Address: "南海大道3688号", Directions: "南门进，右转第二栋",
		HasOffice: true, HasPlaque: true, HasComputer: true, HasServicePost: true,
		Services: []string{"心理咨询", "学业辅导"}, Weekly: weekdayHours(), SlotMinutes: 60, SlotCapacity: capacity,
	})
	if err != nil {
		s.T.Fatalf("SaveProfile: %v", err)
	}
}

// addMember puts p on admin's station team.
func addMember(s *webtest.Stack, admin, p webtest.Person, category string, days ...time.Weekday) {
	s.T.Helper()
	_, err := s.Stations.AddMember(context.Background(), admin.User, *admin.User.UniversityID, station.Member{
		Account: p.User.Account, Category: category, RealName: "成员" + p.User.Account[:3], Phone: "13800138000", DutyDays: days,
	})
	if err != nil {
		s.T.Fatalf("AddMember: %v", err)
	}
}

var reBookingID = regexp.MustCompile(`^/h5/bookings/(\d+)\?notice=(\w+)$`)

// bookOn submits the booking form and returns the booking's path.
func bookOn(t *testing.T, c *webtest.Client, form url.Values) string {
	t.Helper()
	r := c.Post("/h5/bookings/new", form)
	m := reBookingID.FindStringSubmatch(r.Location)
	if r.Status != http.StatusSeeOther || m == nil || m[2] != "booked" {
		t.Fatalf("book: HTTP %d → %q\n%s", r.Status, r.Location, r.Body)
	}
	return "/h5/bookings/" + m[1]
}

// slotValue is the form value of the slot starting at t.
func slotValue(t time.Time) string { return t.In(clock.Beijing).Format("2006-01-02T15:04") }

// textareaValue is the content of the textarea with id.
func textareaValue(body, id string) string {
	m := regexp.MustCompile(`<textarea[^>]*\sid="` + regexp.QuoteMeta(id) + `"[^>]*>([^<]*)</textarea>`).FindStringSubmatch(body)
	if m == nil {
		return ""
	}
	return strings.TrimPrefix(m[1], "\n")
}

func TestStationSetupThroughPages(t *testing.T) {
	webtest.Each(t, func(t *testing.T, db *model.DB, store kv.Store) {
		s, clk := stationStack(t, db, store)
		admin := s.Member("sadm", webtest.CodeSZU, model.RoleUniversityAdm)
		lead := s.Member("lead", webtest.CodeSZU, model.RoleStudent)
		helper := s.Member("help", webtest.CodeSZU, model.RoleStudent)
		student := s.Member("stu", webtest.CodeSZU, model.RoleStudent)
		ap := s.Phone(admin)

		// Nothing yet: a friendly page, and the console offers to set up.
		r := ap.Get("/h5/stations")
		webtest.WantStatus(t, r, http.StatusOK)
		webtest.WantBody(t, r, "深圳大学青年之家尚未开通", `id="setup-link"`)
		r = ap.Get("/h5/stations/" + webtest.CodeSCUT)
		webtest.WantStatus(t, r, http.StatusNotFound)
		webtest.WantBody(t, r, "华南理工大学青年之家尚未开通")
		r = ap.Get("/h5/station")
		webtest.WantStatus(t, r, http.StatusOK)
		webtest.WantBody(t, r, "尚未建立服务站", `id="nav-edit"`)
		sp := s.Phone(student)
		r = sp.Get("/h5/bookings/new")
		webtest.WantStatus(t, r, http.StatusOK)
		webtest.WantBody(t, r, "尚未开通")
		webtest.WantStatus(t, sp.Get("/h5/station/edit"), http.StatusForbidden)

		r = ap.Get("/h5/station/edit")
		webtest.WantStatus(t, r, http.StatusOK)
		if v, _ := webtest.InputValue(r.Body, "name"); v != "深圳大学青年之家" {
			t.Fatalf("new station name %q", v)
		}

		// Mistakes: shown next to their fields, with everything typed kept.
		form := url.Values{
			"name": {"深圳大学青年之家"}, "building": {"学生活动中心"}, "room": {"201"}, "address": {"南海大道3688号"},
			"directions": {"南门进，右转第二栋"}, "has_office": {"1"}, "has_plaque": {"1"}, "has_computer": {"1"}, "has_service_post": {"1"},
			"services": {"心理咨询", "学业辅导"}, "slot_minutes": {"60"}, "slot_capacity": {"2"},
			"closed": {clk.Now().AddDate(0, 0, 7).In(clock.Beijing).Format("2006-01-02") + " 校运会"},
		}
		for d := 1; d <= 5; d++ {
			setPeriod(form, d, 0, "09:00", "12:00")
			setPeriod(form, d, 1, "14:00", "18:00")
		}
		bad := func(key, value, field, msg string) {
			t.Helper()
			f := url.Values{}
			for k, v := range form {
				f[k] = v
			}
			f.Set(key, value)
			r := ap.Post("/h5/station/edit", f)
			webtest.WantStatus(t, r, http.StatusBadRequest)
			if got := webtest.FieldError(r.Body, field); !strings.Contains(got, msg) {
				t.Fatalf("%s=%q: field error %q, want %q\n%s", key, value, got, msg, r.Body)
			}
			webtest.WantBody(t, r, `id="form-error"`)
			if v, _ := webtest.InputValue(r.Body, "building"); v != "学生活动中心" {
				t.Fatalf("building shows %q after an error", v)
			}
			if v, _ := webtest.InputValue(r.Body, "hours_3_1_close"); v != "18:00" {
				t.Fatalf("Wednesday afternoon shows %q after an error", v)
			}
			if !strings.Contains(r.Body, `value="心理咨询" id="service-0" checked`) || !strings.Contains(r.Body, `id="has_plaque" checked`) {
				t.Fatalf("checkboxes lost after an error:\n%s", r.Body)
			}
			if key != "closed" && !strings.Contains(textareaValue(r.Body, "closed"), "校运会") {
				t.Fatalf("closed dates lost after an error")
			}
			if key == "hours_1_0_open" || key == "name" {
				if v, _ := webtest.InputValue(r.Body, key); v != value {
					t.Fatalf("%s shows %q, want what was typed %q", key, v, value)
				}
			}
		}
		bad("hours_1_0_open", "8点", "hours_1", "周一 第1段：时间格式应为 HH:MM")
		bad("hours_2_0_close", "08:00", "hours_2", "周二 第1段：结束时间须晚于开始时间")
		bad("hours_2_1_close", "", "hours_2", "周二 第2段：请填写开始和结束时间")
		bad("open_6", "1", "hours_6", "周六：已设为开放，请至少填写一个时段")
		bad("name", strings.Repeat("青", 31), "name", "站点名称不能超过 30 个字")
		bad("name", "", "name", "请填写站点名称")
		bad("closed", "2026-13-45 节日", "closed", "第 1 行的日期")
		bad("slot_minutes", "五", "slot_minutes", "应为数字")
		bad("slot_minutes", "5", "slot_minutes", "15–240")

		r = ap.Post("/h5/station/edit", form)
		webtest.WantRedirect(t, r, http.StatusSeeOther, "/h5/station?notice=saved")
		r = ap.Get("/h5/station?notice=saved")
		webtest.WantStatus(t, r, http.StatusOK)
		webtest.WantBody(t, r, "服务站信息已保存", "正在开放", `id="nav-team"`, "负责人", "至少一名管理员")
		r = ap.Get("/h5/station/edit")
		webtest.WantStatus(t, r, http.StatusOK)
		if v, _ := webtest.InputValue(r.Body, "hours_3_1_open"); v != "14:00" {
			t.Fatalf("saved Wednesday afternoon shows %q", v)
		}
		webtest.WantBody(t, r, "校运会", "编辑服务站")

		// The list (附近站点): the own station first, open now.
		r = sp.Get("/h5/stations")
		webtest.WantStatus(t, r, http.StatusOK)
		webtest.WantBody(t, r, `<h2 class="section-title" id="own">本校</h2>`, `href="/h5/stations/`+webtest.CodeSZU+`" data-code="`+webtest.CodeSZU+`"`,
			"深圳大学青年之家", `<span class="station-state">正在开放</span>`)
		// The public page.
		r = sp.Get("/h5/stations/" + webtest.CodeSZU)
		webtest.WantStatus(t, r, http.StatusOK)
		webtest.WantBody(t, r, "深圳大学青年之家", "学生活动中心 201", "南门进，右转第二栋", "正在开放", "09:00–12:00<br>14:00–18:00",
			"校运会", "心理咨询", `href="/h5/bookings/new" id="book-link"`)
		if !regexp.MustCompile(`周六( <small>今天</small>)?</th><td><span class="rest">休息</span>`).MatchString(r.Body) {
			t.Fatalf("Saturday is not shown as 休息:\n%s", r.Body)
		}
		webtest.WantNoBody(t, r, `id="console-link"`)
		r = s.Phone(s.Member("scut", webtest.CodeSCUT, model.RoleStudent)).Get("/h5/stations/" + webtest.CodeSZU)
		webtest.WantStatus(t, r, http.StatusOK)
		webtest.WantBody(t, r, "深圳大学青年之家", "仅限本校同学预约")
		webtest.WantNoBody(t, r, `id="book-link"`)

		// The team: mistakes first.
		r = ap.Get("/h5/station/team")
		webtest.WantStatus(t, r, http.StatusOK)
		webtest.WantBody(t, r, "团队还没有成员")
		member := url.Values{"account": {lead.User.Account}, "category": {"负责人"}, "real_name": {"李负责"}, "position": {"校团委副书记"},
			"phone": {"1380013800"}, "qq": {"123456"}, "wechat_id": {"li_fz"}, "duty": {"1", "2"}}
		r = ap.Post("/h5/station/team", member)
		webtest.WantStatus(t, r, http.StatusBadRequest)
		if got := webtest.FieldError(r.Body, "phone"); got != "请填写 11 位手机号" {
			t.Fatalf("phone error %q", got)
		}
		if v, _ := webtest.InputValue(r.Body, "real_name"); v != "李负责" {
			t.Fatalf("name shows %q after an error", v)
		}
		if v, _ := webtest.InputValue(r.Body, "phone"); v != "1380013800" {
			t.Fatalf("phone shows %q after an error", v)
		}
		webtest.WantBody(t, r, `value="1" id="duty-1" checked`, `<option value="负责人" selected>`)
		member.Set("phone", "13800138000")
		member.Set("account", "nobody404")
		r = ap.Post("/h5/station/team", member)
		webtest.WantStatus(t, r, http.StatusNotFound)
		if got := webtest.FieldError(r.Body, "account"); !strings.Contains(got, "账号不存在") {
			t.Fatalf("account error %q", got)
		}
		member.Set("account", lead.User.Account)
		r = ap.Post("/h5/station/team", member)
		webtest.WantRedirect(t, r, http.StatusSeeOther, "/h5/station/team?notice=added")
		r = ap.Post("/h5/station/team", url.Values{"account": {helper.User.Account}, "category": {"负责人"}, "real_name": {"王同学"},
			"phone": {"13900139000"}})
		webtest.WantStatus(t, r, http.StatusConflict)
		webtest.WantBody(t, r, "服务站已有负责人")
		r = ap.Post("/h5/station/team", url.Values{"account": {helper.User.Account}, "category": {"管理员"}, "real_name": {"王同学"},
			"phone": {"13900139000"}, "duty": {"3"}})
		webtest.WantRedirect(t, r, http.StatusSeeOther, "/h5/station/team?notice=added")
		r = ap.Get("/h5/station/team?notice=added")
		webtest.WantStatus(t, r, http.StatusOK)
		webtest.WantBody(t, r, "已添加到服务站团队", "李负责", "13800138000", "周一、周二", "王同学", "周三")

		// The lead manages too; the other member only handles bookings.
		lp := s.Phone(lead)
		r = lp.Get("/h5/station")
		webtest.WantStatus(t, r, http.StatusOK)
		webtest.WantBody(t, r, `id="nav-edit"`, "已达到全部建设要求")
		webtest.WantStatus(t, lp.Get("/h5/station/team"), http.StatusOK)
		hp := s.Phone(helper)
		r = hp.Get("/h5/station")
		webtest.WantStatus(t, r, http.StatusOK)
		webtest.WantNoBody(t, r, `id="nav-edit"`)
		webtest.WantStatus(t, hp.Get("/h5/station/edit"), http.StatusForbidden)
		r = hp.Get("/h5/home")
		webtest.WantBody(t, r, `id="nav-station"`, `id="nav-stations"`)
		webtest.WantStatus(t, hp.Post("/h5/station/edit", form), http.StatusForbidden)

		// Removing a member.
		team, err := s.Stations.Team(context.Background(), admin.User, *admin.User.UniversityID)
		if err != nil || len(team) != 2 {
			t.Fatalf("team %v %v", team, err)
		}
		var helperID uint64
		for _, m := range team {
			if m.UserID == helper.User.ID {
				helperID = m.ID
			}
		}
		r = ap.Post("/h5/station/team/"+strconv.FormatUint(helperID, 10)+"/remove", nil)
		webtest.WantRedirect(t, r, http.StatusSeeOther, "/h5/station/team?notice=removed")
		webtest.WantNoBody(t, ap.Get("/h5/station/team"), "王同学")
		webtest.WantStatus(t, hp.Get("/h5/station"), http.StatusForbidden)
		webtest.WantStatus(t, ap.Post("/h5/station/team/"+strconv.FormatUint(helperID, 10)+"/remove", nil), http.StatusNotFound)

		// Another university's admin may not touch it.
		other := s.Phone(s.Member("oadm", webtest.CodeSCUT, model.RoleUniversityAdm))
		webtest.WantStatus(t, other.Get("/h5/station/edit?uni="+webtest.CodeSZU), http.StatusForbidden)
		webtest.WantStatus(t, other.Get("/h5/station?uni="+webtest.CodeSZU), http.StatusForbidden)
		webtest.WantStatus(t, other.Post("/h5/station/edit?uni="+webtest.CodeSZU, form), http.StatusForbidden)
		webtest.WantStatus(t, other.Post("/h5/station/team?uni="+webtest.CodeSZU, member), http.StatusForbidden)
	})
}

// formValues is what submitting the form with id as shown would post:
// every named input's value (checkboxes only when checked) and every
// textarea's content.
func formValues(t *testing.T, body, id string) url.Values {
	t.Helper()
	start := strings.Index(body, `id="`+id+`"`)
	if start < 0 {
		t.Fatalf("no form %q in the page:\n%s", id, body)
	}
	form := body[start:]
	form = form[:strings.Index(form, "</form>")]
	attr := func(tag, name string) (string, bool) {
		m := regexp.MustCompile(`\s` + name + `="([^"]*)"`).FindStringSubmatch(tag)
		if m == nil {
			return "", false
		}
		return html.UnescapeString(m[1]), true
	}
	out := url.Values{}
	for _, tag := range regexp.MustCompile(`<input[^>]*>`).FindAllString(form, -1) {
		name, ok := attr(tag, "name")
		if !ok || name == "_csrf" {
			continue
		}
		if typ, _ := attr(tag, "type"); typ == "checkbox" && !regexp.MustCompile(`\schecked[\s>]`).MatchString(tag) {
			continue
		}
		v, _ := attr(tag, "value")
		out.Add(name, v)
	}
	for _, m := range regexp.MustCompile(`<textarea[^>]*\sname="([^"]+)"[^>]*>([^<]*)</textarea>`).FindAllStringSubmatch(form, -1) {
		out.Add(m[1], html.UnescapeString(strings.TrimPrefix(m[2], "\n")))
	}
	return out
}

// TestStationEditKeepsEveryPeriod: the edit form shows every opening
// period the calendar allows (four a day), so saving it unchanged keeps
// them all, and a day with room left offers an empty input to add one.
func TestStationEditKeepsEveryPeriod(t *testing.T) {
	webtest.Each(t, func(t *testing.T, db *model.DB, store kv.Store) {
		s, _ := stationStack(t, db, store)
		admin := s.Member("kadm", webtest.CodeSZU, model.RoleUniversityAdm)
		uni := *admin.User.UniversityID
		weekly := weekdayHours()
		monday := []station.Range{{Open: "08:00", Close: "10:00"}, {Open: "10:30", Close: "12:00"},
			{Open: "14:00", Close: "16:00"}, {Open: "19:00", Close: "21:00"}}
		weekly[time.Monday] = monday
		weekly[time.Saturday] = nil
		_, err := s.Stations.SaveProfile(context.Background(), admin.User, uni, station.Profile{
			Name: "深圳大学青年之家", Building: "学生活动中心", Room: "201",
			HasOffice: true, HasPlaque: true, HasComputer: true, HasServicePost: true,
			Services: []string{"心理咨询"}, Weekly: weekly, SlotMinutes: 30,
		})
		if err != nil {
			t.Fatal(err)
		}
		ap := s.Phone(admin)
		r := ap.Get("/h5/station/edit")
		webtest.WantStatus(t, r, http.StatusOK)
		for i, want := range []string{"08:00–10:00", "10:30–12:00", "14:00–16:00", "19:00–21:00"} {
			o, _ := webtest.InputValue(r.Body, "hours_1_"+strconv.Itoa(i)+"_open")
			cl, _ := webtest.InputValue(r.Body, "hours_1_"+strconv.Itoa(i)+"_close")
			if o+"–"+cl != want {
				t.Fatalf("Monday period %d shows %q–%q, want %q", i+1, o, cl, want)
			}
		}
		// Every period row is on the page (the form works without script);
		// those after the last filled one are spare, for the script to hide
		// until 添加时段. A day without hours is 休息.
		for _, c := range []struct {
			id    string
			spare bool
		}{{"period-2-2", false}, {"period-2-3", true}, {"period-6-1", false}, {"period-6-2", true}, {"period-1-4", false}} {
			if !strings.Contains(r.Body, `id="`+c.id+`"`) {
				t.Fatalf("no period row %s", c.id)
			}
			if got := strings.Contains(r.Body, `id="`+c.id+`" data-spare="1"`); got != c.spare {
				t.Fatalf("row %s spare %v, want %v", c.id, got, c.spare)
			}
		}
		webtest.WantBody(t, r, `id="open_1" value="1" checked`, `id="open_2" value="1" checked`)
		webtest.WantNoBody(t, r, `id="open_6" value="1" checked`)

		form := formValues(t, r.Body, "profile-form")
		r = ap.Post("/h5/station/edit", form)
		webtest.WantRedirect(t, r, http.StatusSeeOther, "/h5/station?notice=saved")
		v, err := s.Stations.ByUniversity(context.Background(), uni)
		if err != nil {
			t.Fatal(err)
		}
		for d := range 7 {
			if got := v.Calendar.Weekly[d]; len(got) != len(weekly[d]) || (len(got) > 0 && !slices.Equal(got, weekly[d])) {
				t.Fatalf("%s after an unchanged save: %v, want %v", station.WeekdayNames[d], got, weekly[d])
			}
		}

		// Without script a user may pick periods and not think of the
		// switch: the day opens all the same.
		noSwitch := url.Values{}
		for k, v := range form {
			noSwitch[k] = v
		}
		noSwitch.Del("open_4")
		webtest.WantRedirect(t, ap.Post("/h5/station/edit", noSwitch), http.StatusSeeOther, "/h5/station?notice=saved")
		if v, err = s.Stations.ByUniversity(context.Background(), uni); err != nil || !slices.Equal(v.Calendar.Weekly[time.Thursday], weekly[time.Thursday]) {
			t.Fatalf("Thursday without its switch: %v (%v)", v.Calendar.Weekly[time.Thursday], err)
		}

		// A third Tuesday period added in the empty input is saved.
		setPeriod(form, 2, 2, "19:00", "21:00")
		webtest.WantRedirect(t, ap.Post("/h5/station/edit", form), http.StatusSeeOther, "/h5/station?notice=saved")
		if v, err = s.Stations.ByUniversity(context.Background(), uni); err != nil {
			t.Fatal(err)
		}
		if got := v.Calendar.Weekly[time.Tuesday]; len(got) != 3 || got[2] != (station.Range{Open: "19:00", Close: "21:00"}) {
			t.Fatalf("Tuesday after adding a period: %v", got)
		}
		r = ap.Get("/h5/station/edit")
		if v, ok := webtest.InputValue(r.Body, "hours_2_2_close"); !ok || v != "21:00" {
			t.Fatalf("Tuesday's third period ends %q (present %v), want 21:00", v, ok)
		}
		webtest.WantBody(t, r, `id="period-2-4" data-spare="1"`)
	})
}

func TestBookingEndToEnd(t *testing.T) {
	webtest.Each(t, func(t *testing.T, db *model.DB, store kv.Store) {
		s, clk := stationStack(t, db, store)
		admin := s.Member("badm", webtest.CodeSZU, model.RoleUniversityAdm)
		onDuty := s.Member("duty", webtest.CodeSZU, model.RoleStudent)
		offDuty := s.Member("offd", webtest.CodeSZU, model.RoleStudent)
		student := s.Member("stu", webtest.CodeSZU, model.RoleStudent)
		classmate := s.Member("mate", webtest.CodeSZU, model.RoleStudent)
		openStation(s, admin, 0)
		addMember(s, admin, onDuty, model.CategoryLead, time.Wednesday)
		addMember(s, admin, offDuty, model.CategoryAdmin, time.Thursday)

		sp := s.Phone(student)
		r := sp.Get("/h5/bookings/new")
		webtest.WantStatus(t, r, http.StatusOK)
		eleven := clk.Now().Add(time.Hour)
		webtest.WantBody(t, r, "任意时间，请联系我", "心理咨询", `value="`+slotValue(eleven)+`"`, "正在开放")
		webtest.WantNoBody(t, r, `value="`+slotValue(clk.Now())+`"`) // 10:00 has begun

		// Bad input: 400 with the message at the field, input kept.
		good := url.Values{"service": {"心理咨询"}, "slot": {slotValue(eleven)}, "phone": {"13912345678"}, "description": {"最近压力很大，想找老师聊聊。"}}
		for _, tc := range []struct {
			key, value, field, msg string
		}{
			{"phone", "12345", "phone", "请填写 11 位手机号"},
			{"service", "", "service", "请选择服务项目"},
			{"service", "法律援助", "service", "请选择服务项目"},
			{"description", strings.Repeat("难", 501), "description", "需求描述不能超过 500 个字"},
			{"slot", "明天下午", "slot", "时间格式无效"},
			{"slot", slotValue(clk.Now().Add(90 * time.Minute)), "slot", "时段无效"},
		} {
			f := url.Values{}
			for k, v := range good {
				f[k] = v
			}
			f.Set(tc.key, tc.value)
			r := sp.Post("/h5/bookings/new", f)
			webtest.WantStatus(t, r, http.StatusBadRequest)
			if got := webtest.FieldError(r.Body, tc.field); !strings.Contains(got, tc.msg) {
				t.Fatalf("%s=%q: field error %q, want %q", tc.key, tc.value, got, tc.msg)
			}
			if tc.key != "phone" {
				if v, _ := webtest.InputValue(r.Body, "phone"); v != "13912345678" {
					t.Fatalf("phone shows %q after an error", v)
				}
			}
			if tc.key != "description" && textareaValue(r.Body, "description") != "最近压力很大，想找老师聊聊。" {
				t.Fatalf("description lost after an error")
			}
			if tc.key != "slot" && !strings.Contains(r.Body, `value="`+slotValue(eleven)+`" selected`) {
				t.Fatalf("slot not kept after an error")
			}
		}

		// The booking: the promise and its deadline.
		path := bookOn(t, sp, good)
		r = sp.Get(path + "?notice=booked")
		webtest.WantStatus(t, r, http.StatusOK)
		due := clk.Now().Add(time.Hour).In(clock.Beijing)
		webtest.WantBody(t, r, "预约已提交", "1 小时内回复你（最晚 "+due.Format("01-02")+" 周三 11:00）", "待回复", "回复时限")
		webtest.WantNoBody(t, r, `id="accept-form"`)
		webtest.WantBody(t, sp.Get("/h5/bookings/mine"), path, "心理咨询", "待回复")

		// The member on duty today is alerted; the one on Thursday is not.
		s.Deliver()
		got := webtest.WithTemplate(webtest.Inbox(t, onDuty.OpenID), "sandbox-booking_new")
		if len(got) != 1 {
			t.Fatalf("the member on duty got %d booking alerts, want 1", len(got))
		}
		if n := len(webtest.Inbox(t, offDuty.OpenID)); n != 0 {
			t.Fatalf("the member off duty got %d alerts", n)
		}
		dp, page := openAlert(s, onDuty, got[0].URL, "/h5/bookings/")
		webtest.WantStatus(t, page, http.StatusOK)
		webtest.WantBody(t, page, `id="accept-form"`, "13912345678", "最近压力很大")
		if v, _ := webtest.InputValue(page.Body, "accept-time"); v != slotValue(eleven) {
			t.Fatalf("accept time defaults to %q, want the slot %q", v, slotValue(eleven))
		}
		if v, _ := webtest.InputValue(page.Body, "accept-place"); v != "学生活动中心 201" {
			t.Fatalf("accept place defaults to %q", v)
		}

		// Scoping.
		other := s.Phone(s.Member("oadm", webtest.CodeSCUT, model.RoleUniversityAdm))
		webtest.WantStatus(t, other.Get(path), http.StatusNotFound)
		webtest.WantStatus(t, other.Post(path+"/respond", url.Values{"action": {"accept"}, "place": {"x"}}), http.StatusNotFound)
		mp := s.Phone(classmate)
		webtest.WantStatus(t, mp.Get(path), http.StatusNotFound)
		webtest.WantStatus(t, mp.Post(path+"/cancel", nil), http.StatusNotFound)
		r = sp.Post(path+"/respond", url.Values{"action": {"accept"}, "place": {"x"}})
		webtest.WantStatus(t, r, http.StatusForbidden)
		webtest.WantBody(t, r, "只有服务站管理员可以处理预约")
		webtest.WantStatus(t, sp.Get("/h5/station"), http.StatusForbidden)
		webtest.WantStatus(t, sp.Get("/h5/station/edit"), http.StatusForbidden)
		webtest.WantStatus(t, sp.Get("/h5/station/team"), http.StatusForbidden)
		webtest.WantStatus(t, sp.Get("/h5/admin/stations"), http.StatusForbidden)
		webtest.WantStatus(t, sp.Post("/h5/admin/stations/"+webtest.CodeSZU+"/confirm", nil), http.StatusForbidden)
		webtest.WantStatus(t, sp.Get("/h5/bookings/999999"), http.StatusNotFound)
		webtest.WantStatus(t, sp.Get("/h5/bookings/abc"), http.StatusNotFound)
		webtest.WantStatus(t, sp.Get("/h5/bookings/18446744073709551615"), http.StatusNotFound)
		webtest.WantStatus(t, sp.Get("/h5/questions/9223372036854775808"), http.StatusNotFound)

		// The station console lists it, waiting first.
		r = dp.Get("/h5/station")
		webtest.WantStatus(t, r, http.StatusOK)
		webtest.WantBody(t, r, "待回复 1 个", `href="`+path+`"`)

		// Accept: the place is required; then accepted.
		r = dp.Post(path+"/respond", url.Values{"action": {"accept"}, "time": {slotValue(eleven)}, "place": {" "}, "note": {"请带学生证"}})
		webtest.WantStatus(t, r, http.StatusBadRequest)
		if got := webtest.FieldError(r.Body, "place"); got != "请填写地点" {
			t.Fatalf("place error %q", got)
		}
		if v, _ := webtest.InputValue(r.Body, "accept-note"); v != "请带学生证" {
			t.Fatalf("note shows %q after an error", v)
		}
		r = dp.Post(path+"/respond", url.Values{"action": {"accept"}, "time": {slotValue(eleven)}, "place": {"学生活动中心 201"}, "note": {"请带学生证"}})
		webtest.WantRedirect(t, r, http.StatusSeeOther, path+"?notice=responded")
		r = dp.Get(path + "?notice=responded")
		webtest.WantBody(t, r, "已回复", "预约已确认", "按时回复", `id="serve-form"`)
		r = dp.Post(path+"/respond", url.Values{"action": {"decline"}, "reason": {"太忙"}})
		webtest.WantStatus(t, r, http.StatusConflict)
		webtest.WantBody(t, r, "该预约已处理")

		// The student is told, and sees the confirmation.
		s.Deliver()
		reply := webtest.WithTemplate(webtest.Inbox(t, student.OpenID), "sandbox-booking_reply")
		if len(reply) != 1 {
			t.Fatalf("the student got %d reply alerts, want 1", len(reply))
		}
		sp2, page := openAlert(s, student, reply[0].URL, "/h5/bookings/")
		webtest.WantStatus(t, page, http.StatusOK)
		webtest.WantBody(t, page, "预约已确认", due.Format("01-02")+" 周三 11:00", "学生活动中心 201", "请带学生证", `id="cancel-form"`)
		webtest.WantNoBody(t, page, `id="serve-form"`, `id="rate-form"`)

		// Served: the result is required.
		clk.Advance(2 * time.Hour)
		r = dp.Post(path+"/serve", url.Values{"result": {""}, "follow_up": {"true"}})
		webtest.WantStatus(t, r, http.StatusBadRequest)
		if got := webtest.FieldError(r.Body, "result"); got != "请填写服务结果" {
			t.Fatalf("result error %q", got)
		}
		webtest.WantBody(t, r, `id="serve-followup" checked`)
		r = dp.Post(path+"/serve", url.Values{"result": {"聊了一小时，建议每周来一次。"}, "follow_up": {"true"}})
		webtest.WantRedirect(t, r, http.StatusSeeOther, path+"?notice=served")
		webtest.WantStatus(t, dp.Post(path+"/noshow", nil), http.StatusConflict)
		s.Deliver()
		served := webtest.WithTemplate(webtest.Inbox(t, student.OpenID), "sandbox-booking_served")
		if len(served) != 1 {
			t.Fatalf("the student got %d served alerts, want 1", len(served))
		}
		_, page = openAlert(s, student, served[0].URL, "/h5/bookings/")
		webtest.WantBody(t, page, "服务已完成", "建议每周来一次", "服务站会继续跟进", `id="rate-form"`)

		// Rating: a star count is required; then five stars.
		r = sp2.Post(path+"/rate", url.Values{"comment": {"很有帮助"}})
		webtest.WantStatus(t, r, http.StatusBadRequest)
		if got := webtest.FieldError(r.Body, "rating"); got != "请选择 1–5 星" {
			t.Fatalf("rating error %q", got)
		}
		if v, _ := webtest.InputValue(r.Body, "rate-comment"); v != "很有帮助" {
			t.Fatalf("comment shows %q after an error", v)
		}
		r = sp2.Post(path+"/rate", url.Values{"rating": {"5"}, "comment": {"很有帮助"}})
		webtest.WantRedirect(t, r, http.StatusSeeOther, path+"?notice=rated")
		r = sp2.Get(path + "?notice=rated")
		webtest.WantBody(t, r, "感谢你的评价", "★★★★★", "很有帮助")
		webtest.WantNoBody(t, r, `id="rate-form"`, `id="cancel-form"`)
		webtest.WantStatus(t, sp2.Post(path+"/rate", url.Values{"rating": {"1"}}), http.StatusConflict)
		r = dp.Get("/h5/station")
		webtest.WantBody(t, r, "待回复 0 个", "已服务")
	})
}

func TestBookingDeclineProposeCancel(t *testing.T) {
	webtest.Each(t, func(t *testing.T, db *model.DB, store kv.Store) {
		s, clk := stationStack(t, db, store)
		admin := s.Member("cadm", webtest.CodeSZU, model.RoleUniversityAdm)
		student := s.Member("stu", webtest.CodeSZU, model.RoleStudent)
		openStation(s, admin, 0)
		ap, sp := s.Phone(admin), s.Phone(student)

		// Any time: declined with a reason and alternatives.
		p1 := bookOn(t, sp, url.Values{"service": {"学业辅导"}, "slot": {""}, "phone": {"13912345678"}})
		r := ap.Get(p1)
		webtest.WantStatus(t, r, http.StatusOK)
		if v, _ := webtest.InputValue(r.Body, "accept-time"); v != "" {
			t.Fatalf("accept time for any time defaults to %q", v)
		}
		r = ap.Post(p1+"/respond", url.Values{"action": {"decline"}, "alternatives": {"可改约下周"}})
		webtest.WantStatus(t, r, http.StatusBadRequest)
		if got := webtest.FieldError(r.Body, "reason"); got != "请填写原因" {
			t.Fatalf("reason error %q", got)
		}
		webtest.WantBody(t, r, `id="decline-box" open`)
		if v, _ := webtest.InputValue(r.Body, "decline-alternatives-input"); v != "可改约下周" {
			t.Fatalf("alternatives show %q after an error", v)
		}
		r = ap.Post(p1+"/respond", url.Values{"action": {"accept"}, "place": {"201"}})
		webtest.WantStatus(t, r, http.StatusBadRequest)
		webtest.WantBody(t, r, "请填写确认的服务时间")
		webtest.WantRedirect(t, ap.Post(p1+"/respond", url.Values{"action": {"decline"}, "reason": {"本周老师外出培训"}, "alternatives": {"可改约下周"}}),
			http.StatusSeeOther, p1+"?notice=responded")
		r = sp.Get(p1)
		webtest.WantBody(t, r, "服务站未能安排", "本周老师外出培训", "可改约下周", "重新预约")
		webtest.WantNoBody(t, r, `id="cancel-form"`)

		// A proposed time: the student accepts it.
		p2 := bookOn(t, sp, url.Values{"service": {"学业辅导"}, "slot": {slotValue(clk.Now().Add(time.Hour))}, "phone": {"13912345678"}})
		r = ap.Get(p2)
		if v, _ := webtest.InputValue(r.Body, "propose-place"); v != "学生活动中心 201" {
			t.Fatalf("the proposal's place shows %q, want the station's room", v)
		}
		r = ap.Post(p2+"/respond", url.Values{"action": {"propose"}, "time": {"2020-01-01T10:00"}, "place": {"学生活动中心 201"}})
		webtest.WantStatus(t, r, http.StatusBadRequest)
		webtest.WantBody(t, r, `id="propose-box" open`)
		if got := webtest.FieldError(r.Body, "time"); got != "时间须晚于现在" {
			t.Fatalf("propose time error %q", got)
		}
		r = ap.Post(p2+"/respond", url.Values{"action": {"propose"}, "time": {slotValue(clk.Now().Add(24*time.Hour + 4*time.Hour))}, "place": {""}})
		webtest.WantStatus(t, r, http.StatusBadRequest)
		if got := webtest.FieldError(r.Body, "place"); got != "请填写地点" {
			t.Fatalf("propose place error %q", got)
		}
		next := clk.Now().Add(24*time.Hour + 4*time.Hour) // Thursday 14:00
		webtest.WantRedirect(t, ap.Post(p2+"/respond", url.Values{"action": {"propose"}, "time": {slotValue(next)}, "place": {"学生活动中心 201"}, "note": {"上午有课"}}),
			http.StatusSeeOther, p2+"?notice=responded")
		r = sp.Get(p2)
		webtest.WantBody(t, r, "服务站建议改到其他时间", next.In(clock.Beijing).Format("01-02")+" 周四 14:00", "上午有课", `id="accept-proposal-form"`, `id="cancel-form"`)
		webtest.WantRedirect(t, sp.Post(p2+"/accept-proposal", nil), http.StatusSeeOther, p2+"?notice=accepted")
		r = sp.Get(p2 + "?notice=accepted")
		webtest.WantBody(t, r, "已接受新的时间", "预约已确认", " 周四 14:00")

		// Cancelled by the student; the admin marks nothing any more.
		webtest.WantRedirect(t, sp.Post(p2+"/cancel", nil), http.StatusSeeOther, p2+"?notice=cancelled")
		r = ap.Get(p2)
		webtest.WantBody(t, r, "已取消")
		webtest.WantNoBody(t, r, `id="serve-form"`)
		webtest.WantStatus(t, ap.Post(p2+"/noshow", nil), http.StatusConflict)
		// The admin who proposed the time was told both changes, and the
		// alert opens the booking on their phone.
		s.Deliver()
		changed := map[string]webtest.SentTemplate{} // by what changed (the sender delivers in any order)
		for _, m := range webtest.WithTemplate(webtest.Inbox(t, admin.OpenID), "sandbox-booking_changed") {
			changed[m.Data["phrase2"].Value] = m
		}
		accepted, cancelled := changed["接受新时间"], changed["学生已取消"]
		if len(changed) != 2 || accepted.URL == "" || cancelled.URL == "" {
			t.Fatalf("the admin got booking_changed alerts %+v, want 接受新时间 and 学生已取消", changed)
		}
		when := next.In(clock.Beijing).Format("01-02 15:04")
		// (the place follows the time, cut to the template's 20 characters)
		if !strings.HasPrefix(accepted.Data["thing3"].Value, when+" 学生活动中心") || cancelled.Data["thing3"].Value != "原定 "+when {
			t.Fatalf("times in the alerts: %q, %q", accepted.Data["thing3"].Value, cancelled.Data["thing3"].Value)
		}
		_, page := openAlert(s, admin, cancelled.URL, "/h5/bookings/")
		webtest.WantBody(t, page, "已取消")

		// No-show.
		p3 := bookOn(t, sp, url.Values{"service": {"心理咨询"}, "slot": {slotValue(clk.Now().Add(time.Hour))}, "phone": {"13912345678"}})
		webtest.WantRedirect(t, ap.Post(p3+"/respond", url.Values{"action": {"accept"}, "time": {slotValue(clk.Now().Add(time.Hour))}, "place": {"201"}}),
			http.StatusSeeOther, p3+"?notice=responded")
		// Not before the appointment starts.
		r = ap.Post(p3+"/noshow", nil)
		webtest.WantStatus(t, r, http.StatusConflict)
		webtest.WantBody(t, r, "还没到，不能标记未到场")
		clk.Advance(time.Hour)
		webtest.WantRedirect(t, ap.Post(p3+"/noshow", nil), http.StatusSeeOther, p3+"?notice=noshow")
		webtest.WantBody(t, sp.Get(p3), "未到场")

		// Overdue: past the deadline without a response.
		p4 := bookOn(t, sp, url.Values{"service": {"心理咨询"}, "phone": {"13912345678"}})
		clk.Advance(2 * time.Hour)
		r = ap.Get(p4)
		webtest.WantBody(t, r, "已超时")
		webtest.WantBody(t, ap.Get("/h5/station"), "已超时")
		webtest.WantRedirect(t, ap.Post(p4+"/respond", url.Values{"action": {"accept"}, "time": {slotValue(clk.Now().Add(3 * time.Hour))}, "place": {"201"}}),
			http.StatusSeeOther, p4+"?notice=responded")
		webtest.WantBody(t, ap.Get(p4), "超时回复")
	})
}

// postStatus posts a form from another goroutine: no t.Fatal there.
func postStatus(c *webtest.Client, path string, form url.Values, csrf string) (int, string, error) {
	f := url.Values{}
	for k, v := range form {
		f[k] = v
	}
	f.Set("_csrf", csrf)
	req, err := http.NewRequest(http.MethodPost, c.Stack.URL+path, strings.NewReader(f.Encode()))
	if err != nil {
		return 0, "", err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("User-Agent", c.UA)
	for name, value := range c.Cookies {
		req.AddCookie(&http.Cookie{Name: name, Value: value})
	}
	resp, err := c.HTTP.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if loc := resp.Header.Get("Location"); resp.StatusCode == http.StatusSeeOther && strings.Contains(loc, "flash=") {
		// Refused: the form comes back with the message (POST-redirect-GET).
		page := c.Get(loc)
		return page.Status, page.Body, nil
	}
	return resp.StatusCode, string(body), err
}

func TestBookingCapacity(t *testing.T) {
	webtest.Each(t, func(t *testing.T, db *model.DB, store kv.Store) {
		s, clk := stationStack(t, db, store)
		admin := s.Member("kadm", webtest.CodeSZU, model.RoleUniversityAdm)
		openStation(s, admin, 1)
		a := s.Phone(s.Member("aaa", webtest.CodeSZU, model.RoleStudent))
		b := s.Phone(s.Member("bbb", webtest.CodeSZU, model.RoleStudent))
		eleven := slotValue(clk.Now().Add(time.Hour))

		// A opens the form; B takes the last place meanwhile.
		r := a.Get("/h5/bookings/new")
		webtest.WantBody(t, r, `<option value="`+eleven+`">`, "（余 1 个名额）")
		bookOn(t, b, url.Values{"service": {"心理咨询"}, "slot": {eleven}, "phone": {"13912345678"}})
		r = a.Get("/h5/bookings/new")
		webtest.WantBody(t, r, `<option value="`+eleven+`" disabled class="full">11:00–12:00 已约满</option>`)

		// A's stale form: 409 with the message, the form kept.
		r = a.Post("/h5/bookings/new", url.Values{"service": {"心理咨询"}, "slot": {eleven}, "phone": {"13812345678"}, "description": {"想聊聊"}})
		webtest.WantStatus(t, r, http.StatusConflict)
		webtest.WantBody(t, r, "该时段已约满，请选择其他时段")
		if got := webtest.FieldError(r.Body, "slot"); got != "该时段已约满" {
			t.Fatalf("slot error %q", got)
		}
		if v, _ := webtest.InputValue(r.Body, "phone"); v != "13812345678" {
			t.Fatalf("phone shows %q", v)
		}
		// The time select does not fall back to "any time": it asks A to
		// choose again, and sending the form unchanged is refused.
		webtest.WantBody(t, r, `<option value="choose" selected>请重新选择时间</option>`)
		if strings.Contains(r.Body, `<option value="" selected>`) {
			t.Fatal("the refused form preselects 任意时间")
		}
		r = a.Post("/h5/bookings/new", url.Values{"service": {"心理咨询"}, "slot": {"choose"}, "phone": {"13812345678"}})
		webtest.WantStatus(t, r, http.StatusBadRequest)
		if got := webtest.FieldError(r.Body, "slot"); got != "请重新选择时间" {
			t.Fatalf("slot error %q", got)
		}
		webtest.WantBody(t, r, `<option value="choose" selected>请重新选择时间</option>`)

		// Several students at once for the same place: exactly one gets it.
		two := slotValue(clk.Now().Add(4 * time.Hour)) // 14:00
		const n = 4
		phones := make([]*webtest.Client, n)
		tokens := make([]string, n)
		for i := range phones {
			phones[i] = s.Phone(s.Member("con", webtest.CodeSZU, model.RoleStudent))
			tokens[i] = phones[i].CSRF()
		}
		var wg sync.WaitGroup
		statuses := make([]int, n)
		bodies := make([]string, n)
		errs := make([]error, n)
		for i := range phones {
			wg.Add(1)
			go func() {
				defer wg.Done()
				statuses[i], bodies[i], errs[i] = postStatus(phones[i], "/h5/bookings/new",
					url.Values{"service": {"学业辅导"}, "slot": {two}, "phone": {"13912345678"}}, tokens[i])
			}()
		}
		wg.Wait()
		won := 0
		for i := range n {
			if errs[i] != nil {
				t.Fatalf("post %d: %v", i, errs[i])
			}
			switch statuses[i] {
			case http.StatusSeeOther:
				won++
			case http.StatusOK, http.StatusConflict:
				if !strings.Contains(bodies[i], "该时段已约满，请选择其他时段") {
					t.Fatalf("409 without the message:\n%s", bodies[i])
				}
			default:
				t.Fatalf("concurrent booking %d: HTTP %d\n%s", i, statuses[i], bodies[i])
			}
		}
		if won != 1 {
			t.Fatalf("%d of %d concurrent bookings of a one-place slot succeeded", won, n)
		}
	})
}

var reReferBooking = regexp.MustCompile(`^/h5/bookings/(\d+)\?notice=referred$`)

func TestReferralFromQuestion(t *testing.T) {
	webtest.Each(t, func(t *testing.T, db *model.DB, store kv.Store) {
		s, _ := stationStack(t, db, store)
		admin := s.Member("radm", webtest.CodeSZU, model.RoleUniversityAdm)
		cadre := s.Member("rcad", webtest.CodeSZU, model.RoleCadre)
		student := s.Member("rstu", webtest.CodeSZU, model.RoleStudent)
		otherCadre := s.Member("ocad", webtest.CodeSCUT, model.RoleCadre)
		sp := s.Phone(student)
		qid, _ := askOn(t, sp, url.Values{"title": {"最近总是失眠怎么办？"}, "body": {"考试周压力很大。"}})
		qid2, _ := askOn(t, sp, url.Values{"title": {"想找人聊聊学业规划"}})

		// Before the station exists: the referral page says so.
		cp := s.Phone(cadre)
		r := cp.Get("/h5/questions/" + qid)
		webtest.WantBody(t, r, `id="refer-link"`)
		r = cp.Get("/h5/questions/" + qid + "/refer")
		webtest.WantStatus(t, r, http.StatusOK)
		webtest.WantBody(t, r, "青年之家尚未开通")
		openStation(s, admin, 0)

		// The asker and another university's cadre cannot refer.
		webtest.WantNoBody(t, sp.Get("/h5/questions/"+qid), `id="refer-link"`)
		webtest.WantStatus(t, sp.Get("/h5/questions/"+qid+"/refer"), http.StatusForbidden)
		webtest.WantStatus(t, sp.Post("/h5/questions/"+qid+"/refer", url.Values{"service": {"心理咨询"}}), http.StatusForbidden)
		op := s.Phone(otherCadre)
		webtest.WantStatus(t, op.Get("/h5/questions/"+qid+"/refer"), http.StatusForbidden)
		webtest.WantStatus(t, op.Post("/h5/questions/"+qid+"/refer", url.Values{"service": {"心理咨询"}}), http.StatusForbidden)

		// The cadre refers: a service is required, the note is kept.
		r = cp.Get("/h5/questions/" + qid + "/refer")
		webtest.WantStatus(t, r, http.StatusOK)
		webtest.WantBody(t, r, "最近总是失眠怎么办？", "深圳大学青年之家", `<option value="心理咨询">`)
		r = cp.Post("/h5/questions/"+qid+"/refer", url.Values{"service": {""}, "note": {"建议心理老师跟进"}})
		webtest.WantStatus(t, r, http.StatusBadRequest)
		if got := webtest.FieldError(r.Body, "service"); got != "请选择服务项目" {
			t.Fatalf("service error %q", got)
		}
		if textareaValue(r.Body, "refer-note") != "建议心理老师跟进" {
			t.Fatal("note lost after an error")
		}
		r = cp.Post("/h5/questions/"+qid+"/refer", url.Values{"service": {"心理咨询"}, "note": {strings.Repeat("长", 501)}})
		webtest.WantStatus(t, r, http.StatusBadRequest)
		webtest.WantBody(t, r, "说明不能超过 500 个字")
		r = cp.Post("/h5/questions/"+qid+"/refer", url.Values{"service": {"心理咨询"}, "note": {"建议心理老师跟进"}})
		m := reReferBooking.FindStringSubmatch(r.Location)
		if r.Status != http.StatusSeeOther || m == nil {
			t.Fatalf("referral by the cadre: HTTP %d → %q\n%s", r.Status, r.Location, r.Body)
		}
		// The cadre follows the booking, without acting for the station.
		r = cp.Get(r.Location)
		webtest.WantStatus(t, r, http.StatusOK)
		webtest.WantBody(t, r, "已转介到「深圳大学青年之家」", "【转介自提问】最近总是失眠怎么办？", "建议心理老师跟进", `href="/h5/questions/`+qid+`" class="bar-btn"`)
		webtest.WantNoBody(t, r, `id="accept-form"`, `id="cancel-form"`)
		webtest.WantStatus(t, cp.Post("/h5/bookings/"+m[1]+"/respond", url.Values{"action": {"decline"}, "reason": {"x"}}), http.StatusForbidden)
		r = cp.Post("/h5/questions/"+qid+"/refer", url.Values{"service": {"心理咨询"}})
		webtest.WantStatus(t, r, http.StatusConflict)
		webtest.WantBody(t, r, "该问题已转介")

		// The university admin (who runs the station) lands on the booking.
		ap := s.Phone(admin)
		r = ap.Post("/h5/questions/"+qid2+"/refer", url.Values{"service": {"学业辅导"}})
		m = reReferBooking.FindStringSubmatch(r.Location)
		if r.Status != http.StatusSeeOther || m == nil {
			t.Fatalf("referral by the admin: HTTP %d → %q\n%s", r.Status, r.Location, r.Body)
		}
		r = ap.Get(r.Location)
		webtest.WantBody(t, r, "已转介到「深圳大学青年之家」", "【转介自提问】想找人聊聊学业规划", `id="question-link"`, `id="accept-form"`)

		// The student is told of both and finds them among their bookings.
		s.Deliver()
		got := webtest.WithTemplate(webtest.Inbox(t, student.OpenID), "sandbox-booking_referral")
		if len(got) != 2 {
			t.Fatalf("the student got %d referral alerts, want 2", len(got))
		}
		_, page := openAlert(s, student, got[0].URL, "/h5/bookings/")
		webtest.WantStatus(t, page, http.StatusOK)
		webtest.WantBody(t, page, "【转介自提问】", "由团学干部从提问转介", `id="cancel-form"`)
		r = sp.Get("/h5/bookings/mine")
		webtest.WantBody(t, r, "心理咨询", "学业辅导")

		// A referred booking has no phone: the student is asked for one.
		bookingPath := "/h5/bookings/" + m[1]
		r = sp.Get(bookingPath)
		webtest.WantBody(t, r, "请留下联系电话", `id="phone-form"`)
		webtest.WantNoBody(t, r, `id="contact-phone"`)
		webtest.WantNoBody(t, ap.Get(bookingPath), `id="phone-form"`) // the admin cannot set it
		r = sp.Post(bookingPath+"/phone", url.Values{"phone": {"020-8718"}})
		webtest.WantStatus(t, r, http.StatusBadRequest)
		if got := webtest.FieldError(r.Body, "phone"); got != "请填写 11 位手机号" {
			t.Fatalf("phone error %q", got)
		}
		if v, _ := webtest.InputValue(r.Body, "phone-input"); v != "020-8718" {
			t.Fatalf("typed phone lost after an error: %q", v)
		}
		webtest.WantStatus(t, ap.Post(bookingPath+"/phone", url.Values{"phone": {"13900139000"}}), http.StatusForbidden)
		webtest.WantRedirect(t, sp.Post(bookingPath+"/phone", url.Values{"phone": {"13900139000"}}), http.StatusSeeOther, bookingPath+"?notice=phone")
		r = sp.Get(bookingPath + "?notice=phone")
		webtest.WantBody(t, r, "联系电话已保存", `id="contact-phone">13900139000`, "修改联系电话")
		webtest.WantBody(t, ap.Get(bookingPath), `href="tel:13900139000"`)
		// The same through the API.
		webtest.WantAPIError(t, sp.API(http.MethodPost, "/api/v1/bookings/"+m[1]+"/phone", map[string]any{"phone": "123"}), http.StatusBadRequest, "bad_phone", "")
		webtest.WantStatus(t, sp.API(http.MethodPost, "/api/v1/bookings/"+m[1]+"/phone", map[string]any{"phone": "13700137000"}), http.StatusOK)
		webtest.WantBody(t, ap.Get(bookingPath), `href="tel:13700137000"`)
	})
}

func TestStationOverview(t *testing.T) {
	webtest.Each(t, func(t *testing.T, db *model.DB, store kv.Store) {
		s, clk := stationStack(t, db, store)
		prov := s.Member("prov", webtest.CodeSZU, model.RoleProvinceAdmin)
		admin := s.Member("oadm", webtest.CodeSZU, model.RoleUniversityAdm)
		lead := s.Member("olead", webtest.CodeSZU, model.RoleStudent)
		pp := s.Phone(prov)
		webtest.WantBody(t, pp.Get("/h5/home"), `id="nav-station-overview"`)
		webtest.WantBody(t, s.Phone(admin).Get("/h5/home"), `id="nav-station"`)

		// Set up but not ready: 建设中 with what is missing.
		openStation(s, admin, 0)
		r := pp.Get("/h5/admin/stations")
		webtest.WantStatus(t, r, http.StatusOK)
		webtest.WantBody(t, r, `data-code="`+webtest.CodeSZU+`"`, "负责人、至少一名管理员", `id="count-late"`)
		webtest.WantNoBody(t, r, `id="confirm-`+webtest.CodeSZU+`"`)
		r = pp.Post("/h5/admin/stations/"+webtest.CodeSZU+"/confirm", nil)
		webtest.WantStatus(t, r, http.StatusConflict)
		webtest.WantBody(t, r, "尚未达到建设要求")

		// Ready: confirmed by the province.
		addMember(s, admin, lead, model.CategoryLead, time.Monday)
		addMember(s, admin, s.Member("ohelp", webtest.CodeSZU, model.RoleStudent), model.CategoryAdmin, time.Tuesday)
		r = pp.Get("/h5/admin/stations")
		webtest.WantBody(t, r, `id="confirm-`+webtest.CodeSZU+`"`)

		// Past its deadline (本科: 30 April) and still unconfirmed, a ready
		// station waits under 待确认, marked 已逾期, not among the late.
		was := clk.Now()
		clk.Set(time.Date(was.In(clock.Beijing).Year(), time.November, 2, 10, 0, 0, 0, clock.Beijing))
		pp = s.Phone(prov)
		r = pp.Get("/h5/admin/stations?status=ready")
		webtest.WantStatus(t, r, http.StatusOK)
		webtest.WantBody(t, r, `data-code="`+webtest.CodeSZU+`" data-status="ready"`, "待确认（已逾期）", `id="confirm-`+webtest.CodeSZU+`"`)
		if n := strings.Count(r.Body, `class="st-row"`); n != 1 {
			t.Fatalf("the 待确认 filter lists %d universities after the deadline, want 1", n)
		}
		if !regexp.MustCompile(`id="count-ready"><strong>1</strong>待确认<`).MatchString(r.Body) {
			t.Fatalf("the 待确认 count does not include the overdue ready station:\n%s", r.Body)
		}
		webtest.WantNoBody(t, pp.Get("/h5/admin/stations?status=late"), `data-code="`+webtest.CodeSZU+`"`)
		clk.Set(was)
		pp = s.Phone(prov)
		webtest.WantRedirect(t, pp.Post("/h5/admin/stations/"+webtest.CodeSZU+"/confirm", nil), http.StatusSeeOther, "/h5/admin/stations?notice=confirmed")
		r = pp.Get("/h5/admin/stations?notice=confirmed&status=built")
		webtest.WantBody(t, r, "已确认建成", `data-code="`+webtest.CodeSZU+`" data-status="built"`, "已建成")
		if strings.Count(r.Body, `class="st-row"`) != 1 {
			t.Fatalf("the built filter lists %d universities, want 1", strings.Count(r.Body, `class="st-row"`))
		}
		webtest.WantStatus(t, pp.Post("/h5/admin/stations/"+webtest.CodeSZU+"/confirm", nil), http.StatusConflict)
		webtest.WantStatus(t, pp.Post("/h5/admin/stations/0000000000/confirm", nil), http.StatusNotFound)

		// The province admin visits a university's console by code.
		webtest.WantRedirect(t, pp.Get("/h5/station"), http.StatusFound, "/h5/admin/stations")
		r = pp.Get("/h5/station?uni=" + webtest.CodeSZU)
		webtest.WantStatus(t, r, http.StatusOK)
		webtest.WantBody(t, r, "已建成", `href="/h5/station/edit?uni=`+webtest.CodeSZU+`"`)
		webtest.WantNoBody(t, r, `id="missing"`)
		// A built station that loses its lead stays built, with the loss shown.
		if err := db.Conn(context.Background()).Where("category = ?", model.CategoryLead).Delete(&model.StationAdmin{}).Error; err != nil {
			t.Fatal(err)
		}
		webtest.WantBody(t, pp.Get("/h5/admin/stations?status=built"), `data-status="built"`, "建成后缺失：负责人")
		webtest.WantBody(t, pp.Get("/h5/station?uni="+webtest.CodeSZU), "已建成", "不再满足以下要求", `<li>负责人</li>`)
		r = pp.Get("/h5/station/edit?uni=" + webtest.CodeSCUT)
		webtest.WantStatus(t, r, http.StatusOK)
		webtest.WantBody(t, r, "建立服务站", "华南理工大学青年之家")

		// A university admin sees their own university only, without the
		// province's tiles or 确认建成; a lead does not see the list.
		r = s.Phone(admin).Get("/h5/admin/stations")
		webtest.WantStatus(t, r, http.StatusOK)
		if n := strings.Count(r.Body, `class="st-row"`); n != 1 || !strings.Contains(r.Body, `data-code="`+webtest.CodeSZU+`"`) {
			t.Fatalf("a university admin's list has %d rows:\n%s", n, r.Body)
		}
		webtest.WantNoBody(t, r, `id="counts"`, `id="confirm-`)
		webtest.WantStatus(t, s.Phone(lead).Get("/h5/admin/stations"), http.StatusForbidden)
	})
}

// setPeriod fills period i of weekday d in the station form, the day set
// to 开放, as the time pickers send it.
func setPeriod(form url.Values, d, i int, from, to string) {
	form.Set("open_"+strconv.Itoa(d), "1")
	form.Set("hours_"+strconv.Itoa(d)+"_"+strconv.Itoa(i)+"_open", from)
	form.Set("hours_"+strconv.Itoa(d)+"_"+strconv.Itoa(i)+"_close", to)
}
