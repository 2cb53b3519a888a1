package h5_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gdyouth/youthvoice/handler/internal/webtest"

	"github.com/gdyouth/youthvoice/model"
	"github.com/gdyouth/youthvoice/model/dbtest"
	"github.com/gdyouth/youthvoice/service/clock"
	"github.com/gdyouth/youthvoice/service/kv"
	"github.com/gdyouth/youthvoice/service/kv/kvtest"
	"github.com/gdyouth/youthvoice/service/question"
)

// openAlert follows an alert link on a fresh phone of p, through OAuth,
// to a page under under (/h5/questions/, /h5/bookings/), and returns the
// page it lands on.
func openAlert(s *webtest.Stack, p webtest.Person, link, under string) (*webtest.Client, *webtest.Resp) {
	s.T.Helper()
	c := s.Browser(webtest.UAWeChat)
	start := c.Get(s.LocalPath(link))
	state := webtest.StateOf(s.T, start)
	code := webtest.Fake().IssueCode(s.AppID, p.OpenID)
	cb := c.Get("/h5/oauth/callback?code=" + url.QueryEscape(code) + "&state=" + url.QueryEscape(state))
	if cb.Status != http.StatusFound || !strings.HasPrefix(cb.Location, under) {
		s.T.Fatalf("alert link → OAuth callback: HTTP %d → %q", cb.Status, cb.Location)
	}
	return c, c.Get(cb.Location)
}

var reQuestionID = regexp.MustCompile(`^/h5/questions/(\d+)\?notice=(\w+)$`)

func askOn(t *testing.T, c *webtest.Client, form url.Values) (string, string) {
	t.Helper()
	r := c.Post("/h5/ask", form)
	m := reQuestionID.FindStringSubmatch(r.Location)
	if r.Status != http.StatusSeeOther || m == nil {
		t.Fatalf("ask: HTTP %d → %q\n%s", r.Status, r.Location, r.Body)
	}
	return m[1], m[2]
}

func TestQuestionEndToEnd(t *testing.T) {
	webtest.Each(t, func(t *testing.T, db *model.DB, store kv.Store) {
		clk := clock.NewFake(time.Now().UTC().Truncate(time.Second))
		s := webtest.New(t, db, store, webtest.Opts{Clock: clk})
		student := s.Member("stu", webtest.CodeSZU, model.RoleStudent)
		classmate := s.Member("mate", webtest.CodeSZU, model.RoleStudent)
		cadre := s.Member("cad", webtest.CodeSZU, model.RoleCadre)
		otherCadre := s.Member("oth", webtest.CodeSCUT, model.RoleCadre)
		admin := s.Member("adm", webtest.CodeSZU, model.RoleUniversityAdm)

		// The student asks anonymously on their university's board.
		phone := s.Phone(student)
		form := phone.Get("/h5/ask")
		webtest.WantStatus(t, form, http.StatusOK)
		webtest.WantBody(t, form, "深圳大学版区（本校，默认）", "学业发展（省级）")
		qid, notice := askOn(t, phone, url.Values{"title": {"奖学金什么时候申请？"}, "body": {"想了解今年国家奖学金的申请时间。"}, "anonymous": {"true"}})
		if notice != "asked" {
			t.Fatalf("notice %q, want asked", notice)
		}
		page := phone.Get("/h5/questions/" + qid + "?notice=asked")
		webtest.WantBody(t, page, "提问成功", "奖学金什么时候申请？", "待答复", "答复时限")

		// The university's cadre is alerted (not the other university's),
		// with a link that signs them in on the question page.
		s.Deliver()
		got := webtest.WithTemplate(webtest.Inbox(t, cadre.OpenID), "sandbox-question_new")
		if len(got) != 1 {
			t.Fatalf("cadre got %d new-question alerts, want 1", len(got))
		}
		if got[0].Data["thing1"].Value != "奖学金什么时候申请？" || got[0].Data["thing2"].Value != "深圳大学版区" {
			t.Fatalf("alert data %+v", got[0].Data)
		}
		if n := len(webtest.Inbox(t, otherCadre.OpenID)); n != 0 {
			t.Fatalf("another university's cadre got %d alerts", n)
		}
		if n := len(webtest.Inbox(t, student.OpenID)); n != 0 {
			t.Fatalf("the asker got %d alerts before any answer", n)
		}

		// Another student sees the question but not who asked; the cadre sees who.
		mate := s.Phone(classmate)
		webtest.WantBody(t, mate.Get("/h5/questions/"+qid), "匿名同学")
		cadrePhone, qpage := openAlert(s, cadre, got[0].URL, "/h5/questions/")
		webtest.WantStatus(t, qpage, http.StatusOK)
		webtest.WantBody(t, qpage, model.DefaultDisplayName, `id="answer-form"`) // by display name, never the account
		webtest.WantNoBody(t, qpage, student.User.Account)
		if strings.Contains(mate.Get("/h5/questions/"+qid).Body, student.User.Account) {
			t.Fatal("the anonymous asker's account is shown to another student")
		}

		// A cadre of another university may only reply as 外校干部
		// (TestQuestionCrossBoardReply); a student cannot answer.
		other := s.Phone(otherCadre)
		webtest.WantBody(t, other.Get("/h5/questions/"+qid), `id="cross-board-tip"`, "以外校干部身份回帖")
		if strings.Contains(qpage.Body, `id="cross-board-tip"`) {
			t.Fatal("the university's own cadre is told they reply across boards")
		}
		r := mate.Post("/h5/questions/"+qid+"/answer", url.Values{"body": {"我也不知道"}})
		webtest.WantStatus(t, r, http.StatusForbidden)

		// An empty answer keeps the page with a message.
		r = cadrePhone.Post("/h5/questions/"+qid+"/answer", url.Values{"body": {"   "}})
		webtest.WantStatus(t, r, http.StatusBadRequest)
		if webtest.FieldError(r.Body, "body") == "" {
			t.Fatalf("no field error for an empty answer\n%s", r.Body)
		}

		// The cadre answers two hours later: the promise is kept.
		clk.Advance(2 * time.Hour)
		r = cadrePhone.Post("/h5/questions/"+qid+"/answer", url.Values{"body": {"国家奖学金9月开始申请，请关注学院通知。"}})
		webtest.WantRedirect(t, r, http.StatusSeeOther, "/h5/questions/"+qid+"?notice=answered")
		var q model.Question
		if err := db.Conn(context.Background()).Take(&q, qid).Error; err != nil {
			t.Fatal(err)
		}
		if q.Status != model.QuestionAnswered || q.FirstResponseS == nil || *q.FirstResponseS != 7200 || q.PromiseKept == nil || !*q.PromiseKept {
			t.Fatalf("after the answer: status %q first response %v kept %v", q.Status, q.FirstResponseS, q.PromiseKept)
		}

		// The student is alerted and rates the answer.
		s.Deliver()
		answered := webtest.WithTemplate(webtest.Inbox(t, student.OpenID), "sandbox-answered")
		if len(answered) != 1 || answered[0].Data["thing2"].Value != "cad老师" {
			t.Fatalf("asker's answered alerts: %+v", answered)
		}
		_, spage := openAlert(s, student, answered[0].URL, "/h5/questions/")
		webtest.WantBody(t, spage, "国家奖学金9月开始申请", `id="resolve-form"`, `id="followup-form"`)
		r = phone.Post("/h5/questions/"+qid+"/resolve", url.Values{"rating": {"很好"}})
		webtest.WantStatus(t, r, http.StatusBadRequest)
		webtest.WantBody(t, r, "请选择评价")
		r = phone.Post("/h5/questions/"+qid+"/resolve", url.Values{"rating": {"满意"}, "comment": {"谢谢老师"}})
		webtest.WantRedirect(t, r, http.StatusSeeOther, "/h5/questions/"+qid+"?notice=resolved")
		webtest.WantBody(t, phone.Get("/h5/questions/"+qid), "已解决", "提问者评价：<strong>满意</strong>", "谢谢老师")
		webtest.WantStatus(t, cadrePhone.Post("/h5/questions/"+qid+"/answer", url.Values{"body": {"补充"}}), http.StatusConflict)

		// My questions lists it; the board lists it; search finds it.
		webtest.WantBody(t, phone.Get("/h5/questions/mine"), "奖学金什么时候申请？", "已解决")
		webtest.WantBody(t, mate.Get("/h5/search?q="+url.QueryEscape("国家奖学金")), "奖学金什么时候申请？")
		if strings.Contains(mate.Get("/h5/search?q="+url.QueryEscape("助学贷款")).Body, "question-item") {
			t.Fatal("search for an absent word found questions")
		}

		// The admin hides it with a reason; the author is told and others no longer see it.
		adminPhone := s.Phone(admin)
		r = adminPhone.Post("/h5/moderate", url.Values{"target": {"question"}, "id": {qid}, "action": {"hide"}, "reason": {""}, "back": {"/h5/questions/" + qid}})
		webtest.WantStatus(t, r, http.StatusBadRequest)
		r = adminPhone.Post("/h5/moderate", url.Values{"target": {"question"}, "id": {qid}, "action": {"hide"}, "reason": {"含个人信息"}, "back": {"/h5/questions/" + qid}})
		webtest.WantRedirect(t, r, http.StatusSeeOther, "/h5/questions/"+qid+"?notice=moderated")
		webtest.WantStatus(t, mate.Get("/h5/questions/"+qid), http.StatusNotFound)
		webtest.WantBody(t, phone.Get("/h5/questions/"+qid), "已被管理员隐藏：含个人信息")
		s.Deliver()
		if m := webtest.WithTemplate(webtest.Inbox(t, student.OpenID), "sandbox-moderated"); len(m) != 1 || m[0].Data["phrase2"].Value != "已被隐藏" {
			t.Fatalf("author's moderation alerts: %+v", m)
		}
		r = adminPhone.Post("/h5/moderate", url.Values{"target": {"question"}, "id": {qid}, "action": {"reopen"}, "back": {"/h5/admin"}})
		webtest.WantRedirect(t, r, http.StatusSeeOther, "/h5/admin?notice=moderated")
		webtest.WantStatus(t, mate.Get("/h5/questions/"+qid), http.StatusOK)

		// Students do not reach the admin console.
		webtest.WantStatus(t, mate.Get("/h5/admin"), http.StatusForbidden)
	})
}

func TestQuestionReminderAndOverdue(t *testing.T) {
	webtest.Each(t, func(t *testing.T, db *model.DB, store kv.Store) {
		clk := clock.NewFake(time.Now().UTC().Truncate(time.Second))
		s := webtest.New(t, db, store, webtest.Opts{Clock: clk})
		student := s.Member("stu", webtest.CodeSZU, model.RoleStudent)
		cadre := s.Member("cad", webtest.CodeSZU, model.RoleCadre)
		admin := s.Member("adm", webtest.CodeSZU, model.RoleUniversityAdm)
		otherAdmin := s.Member("oadm", webtest.CodeSCUT, model.RoleUniversityAdm)
		province := s.Member("prov", webtest.CodeSCUT, model.RoleProvinceAdmin)
		ctx := context.Background()

		qid, _ := askOn(t, s.Phone(student), url.Values{"title": {"宿舍空调坏了找谁？"}})
		s.Deliver()

		clk.Advance(20*time.Hour - time.Second)
		if r, o, err := s.Questions.Sweep(ctx); err != nil || r+o != 0 {
			t.Fatalf("sweep at 19:59:59: %d reminders, %d overdue, %v", r, o, err)
		}
		clk.Advance(time.Second)
		if r, o, err := s.Questions.Sweep(ctx); err != nil || r != 1 || o != 0 {
			t.Fatalf("sweep at 20h: %d reminders, %d overdue, %v", r, o, err)
		}
		if r, o, err := s.Questions.Sweep(ctx); err != nil || r+o != 0 {
			t.Fatalf("second sweep at 20h: %d, %d, %v", r, o, err)
		}
		s.Deliver()
		for _, p := range []webtest.Person{cadre, admin} {
			m := webtest.WithTemplate(webtest.Inbox(t, p.OpenID), "sandbox-reminder")
			if len(m) != 1 || m[0].Data["thing1"].Value != "宿舍空调坏了找谁？" || !strings.Contains(m[0].URL, url.QueryEscape("/h5/questions/"+qid)) {
				t.Fatalf("reminders to %s: %+v", p.User.Account, m)
			}
		}
		if n := len(webtest.WithTemplate(webtest.Inbox(t, otherAdmin.OpenID), "sandbox-reminder")); n != 0 {
			t.Fatalf("another university's admin got %d reminders", n)
		}

		clk.Advance(4*time.Hour + time.Second)
		if r, o, err := s.Questions.Sweep(ctx); err != nil || r != 0 || o != 1 {
			t.Fatalf("sweep after 24h: %d reminders, %d overdue, %v", r, o, err)
		}
		s.Deliver()
		for _, p := range []webtest.Person{admin, province} {
			if m := webtest.WithTemplate(webtest.Inbox(t, p.OpenID), "sandbox-overdue"); len(m) != 1 || m[0].Data["thing2"].Value != "深圳大学" {
				t.Fatalf("overdue alerts to %s: %+v", p.User.Account, m)
			}
		}
		if n := len(webtest.WithTemplate(webtest.Inbox(t, cadre.OpenID), "sandbox-overdue")); n != 0 {
			t.Fatalf("the cadre got %d overdue alerts (admins only)", n)
		}
		adminPage := s.Phone(admin).Get("/h5/admin")
		webtest.WantStatus(t, adminPage, http.StatusOK)
		webtest.WantBody(t, adminPage, `id="overdue-list"`, "宿舍空调坏了找谁？", "已超时")
		if strings.Contains(s.Phone(otherAdmin).Get("/h5/admin").Body, "宿舍空调坏了找谁？") {
			t.Fatal("another university's admin sees the overdue question")
		}
		provPage := s.Phone(province).Get("/h5/admin")
		webtest.WantBody(t, provPage, `id="overdue-by-university"`, "深圳大学", "宿舍空调坏了找谁？")

		// Answered late: the promise is recorded as broken.
		cadrePhone := s.Phone(cadre)
		webtest.WantRedirect(t, cadrePhone.Post("/h5/questions/"+qid+"/answer", url.Values{"body": {"请联系宿管中心报修。"}}),
			http.StatusSeeOther, "/h5/questions/"+qid+"?notice=answered")
		var q model.Question
		if err := db.Conn(ctx).Take(&q, qid).Error; err != nil {
			t.Fatal(err)
		}
		if q.PromiseKept == nil || *q.PromiseKept || q.FirstResponseS == nil || *q.FirstResponseS != int64((24*time.Hour+time.Second)/time.Second) {
			t.Fatalf("late answer: kept %v, first response %v", q.PromiseKept, q.FirstResponseS)
		}
		webtest.WantBody(t, s.Phone(admin).Get("/h5/admin"), "没有超时的问题")
	})
}

func TestCadreApplicationPages(t *testing.T) {
	webtest.Each(t, func(t *testing.T, db *model.DB, store kv.Store) {
		s := webtest.New(t, db, store, webtest.Opts{})
		student := s.Member("stu", webtest.CodeSZU, model.RoleStudent)
		admin := s.Member("adm", webtest.CodeSZU, model.RoleUniversityAdm)
		otherAdmin := s.Member("oadm", webtest.CodeSCUT, model.RoleUniversityAdm)
		phone := s.Phone(student)

		webtest.WantBody(t, phone.Get("/h5/home"), `id="nav-apply"`)
		r := phone.Post("/h5/cadre/apply", url.Values{"position": {"学生会主席"}, "real_name": {"李四"}, "phone": {"1381234567"}})
		webtest.WantStatus(t, r, http.StatusBadRequest)
		if webtest.FieldError(r.Body, "phone") == "" {
			t.Fatalf("no phone error\n%s", r.Body)
		}
		if v, _ := webtest.InputValue(r.Body, "real_name"); v != "李四" {
			t.Fatalf("typed name not kept: %q", v)
		}
		r = phone.Post("/h5/cadre/apply", url.Values{"position": {"学生会主席"}, "real_name": {"李四"}, "phone": {"13812345678"}})
		webtest.WantRedirect(t, r, http.StatusSeeOther, "/h5/cadre/apply?notice=applied")
		webtest.WantBody(t, phone.Get("/h5/cadre/apply?notice=applied"), "申请已提交", "待审核")

		// Another university's admin does not see it; the own admin sees a masked phone.
		if strings.Contains(s.Phone(otherAdmin).Get("/h5/admin").Body, "李四") {
			t.Fatal("another university's admin sees the application")
		}
		adminPhone := s.Phone(admin)
		page := adminPhone.Get("/h5/admin")
		webtest.WantBody(t, page, "李四", "138****5678")
		if strings.Contains(page.Body, "13812345678") {
			t.Fatal("the full phone number is shown in the list")
		}
		id := regexp.MustCompile(`action="/h5/admin/applications/(\d+)"`).FindStringSubmatch(page.Body)
		if id == nil {
			t.Fatalf("no decision form\n%s", page.Body)
		}
		webtest.WantStatus(t, s.Phone(otherAdmin).Post("/h5/admin/applications/"+id[1], url.Values{"decision": {"approve"}}), http.StatusNotFound)
		webtest.WantStatus(t, adminPhone.Post("/h5/admin/applications/"+id[1], url.Values{"decision": {"reject"}}), http.StatusBadRequest)
		webtest.WantRedirect(t, adminPhone.Post("/h5/admin/applications/"+id[1], url.Values{"decision": {"approve"}}),
			http.StatusSeeOther, "/h5/admin?notice=decided")
		s.Deliver()
		m := webtest.WithTemplate(webtest.Inbox(t, student.OpenID), "sandbox-application_decided")
		if len(m) != 1 || m[0].Data["phrase1"].Value != "已通过" {
			t.Fatalf("applicant alerts: %+v", m)
		}
		webtest.WantBody(t, phone.Get("/h5/cadre/apply"), "已通过")
		webtest.WantBody(t, phone.Get("/h5/home"), "团学干部", `id="nav-workbench"`)
	})
}

// A form that cannot be read says why: a value too long, or a value of
// the wrong kind (a yes/no or number field holding something else).
func TestPageFormBindErrors(t *testing.T) {
	webtest.Each(t, func(t *testing.T, db *model.DB, store kv.Store) {
		s := webtest.New(t, db, store, webtest.Opts{})
		student := s.Member("stu", webtest.CodeSZU, model.RoleStudent)
		admin := s.Member("adm", webtest.CodeSZU, model.RoleUniversityAdm)
		cases := []struct {
			name string
			who  webtest.Person
			path string
			form url.Values
			want string
		}{
			{"ask: anonymous not a yes/no", student, "/h5/ask", url.Values{"title": {"标题"}, "anonymous": {"maybe"}}, "提交的内容格式不正确"},
			{"ask: title far over its limit", student, "/h5/ask", url.Values{"title": {strings.Repeat("长", 401)}}, "标题不能超过 50 个字"},
			{"moderate: id not a number", admin, "/h5/moderate", url.Values{"target": {"question"}, "id": {"abc"}, "action": {"hide"}, "reason": {"违规"}}, "提交的内容格式不正确"},
			{"moderate: id past the largest", admin, "/h5/moderate", url.Values{"target": {"question"}, "id": {"18446744073709551615"}, "action": {"hide"}, "reason": {"违规"}}, "提交的内容格式不正确"},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				r := s.Phone(tc.who).Post(tc.path, tc.form)
				webtest.WantStatus(t, r, http.StatusBadRequest)
				webtest.WantBody(t, r, tc.want)
			})
		}
	})
}

// A referred question says so on its page and in the API: to the asker
// with a link to the booking, to the university's cadres without one, and
// not at all to other students.
func TestQuestionShowsReferral(t *testing.T) {
	webtest.Each(t, func(t *testing.T, db *model.DB, store kv.Store) {
		s, _ := stationStack(t, db, store)
		admin := s.Member("radm", webtest.CodeSZU, model.RoleUniversityAdm)
		cadre := s.Member("rcad", webtest.CodeSZU, model.RoleCadre)
		student := s.Member("rstu", webtest.CodeSZU, model.RoleStudent)
		mate := s.Member("rmat", webtest.CodeSZU, model.RoleStudent)
		openStation(s, admin, 0)
		sp, cp, mp := s.Phone(student), s.Phone(cadre), s.Phone(mate)
		qid, _ := askOn(t, sp, url.Values{"title": {"最近总是失眠怎么办？"}})
		webtest.WantNoBody(t, sp.Get("/h5/questions/"+qid), `id="referral"`)

		r := cp.Post("/h5/questions/"+qid+"/refer", url.Values{"service": {"心理咨询"}})
		m := reReferBooking.FindStringSubmatch(r.Location)
		if r.Status != http.StatusSeeOther || m == nil {
			t.Fatalf("referral: HTTP %d → %q", r.Status, r.Location)
		}
		r = sp.Get("/h5/questions/" + qid)
		webtest.WantBody(t, r, `id="referral"`, "已转介到本校「青年之家」线下服务", `<span id="referral-status">待回复</span>`,
			`href="/h5/bookings/`+m[1]+`" id="referral-link"`)
		r = cp.Get("/h5/questions/" + qid)
		webtest.WantBody(t, r, `id="referral"`, "待回复")
		webtest.WantNoBody(t, r, `id="referral-link"`)
		webtest.WantNoBody(t, mp.Get("/h5/questions/"+qid), `id="referral"`)

		var detail struct {
			Referral *struct {
				BookingID  uint64 `json:"booking_id"`
				Status     string `json:"status"`
				StatusName string `json:"status_name"`
			} `json:"referral"`
		}
		webtest.WantData(t, sp.API(http.MethodGet, "/api/v1/questions/"+qid, nil), http.StatusOK, &detail)
		if detail.Referral == nil || strconv.FormatUint(detail.Referral.BookingID, 10) != m[1] ||
			detail.Referral.Status != model.BookingSubmitted || detail.Referral.StatusName != "待回复" {
			t.Fatalf("API referral = %+v, want booking %s 待回复", detail.Referral, m[1])
		}
		detail.Referral = nil
		webtest.WantData(t, mp.API(http.MethodGet, "/api/v1/questions/"+qid, nil), http.StatusOK, &detail)
		if detail.Referral != nil {
			t.Fatalf("another student sees the referral: %+v", detail.Referral)
		}
	})
}

// A field's limit is the service's, once: the form's maxlength, the
// page's refusal and the API's are the same number and message.
func TestFieldLimitOneSource(t *testing.T) {
	s := webtest.New(t, dbtest.SQLite(t), kvtest.Memory(t, nil), webtest.Opts{})
	student := s.Member("lim", webtest.CodeSZU, model.RoleStudent)
	c := s.Phone(student)
	page := c.Get("/h5/ask")
	for field, n := range map[string]int{"title": question.MaxTitle, "body": question.MaxBody} {
		if !regexp.MustCompile(`name="` + field + `"[^>]*maxlength="` + strconv.Itoa(n) + `"`).MatchString(page.Body) {
			t.Fatalf("the ask form's %s has no maxlength %d", field, n)
		}
	}
	long := strings.Repeat("长", question.MaxTitle+1)
	want := fmt.Sprintf("标题不能超过 %d 个字", question.MaxTitle)
	webtest.WantBody(t, c.Post("/h5/ask", url.Values{"title": {long}}), want)
	e := webtest.WantAPIError(t, c.API(http.MethodPost, "/api/v1/questions", map[string]string{"title": long}), http.StatusBadRequest, "title_too_long", "title")
	if !strings.Contains(e.Fields["title"], want) {
		t.Fatalf("API: %v, want %q", e.Fields, want)
	}
}

// A cadre of another university replies on the question page: the reply
// shows as 外校干部 · their university and the question stays 待答复.
func TestQuestionCrossBoardReply(t *testing.T) {
	webtest.Each(t, func(t *testing.T, db *model.DB, store kv.Store) {
		s := webtest.New(t, db, store, webtest.Opts{})
		student := s.Member("xstu", webtest.CodeSZU, model.RoleStudent)
		otherCadre := s.Member("xoth", webtest.CodeSCUT, model.RoleCadre)
		phone := s.Phone(student)
		qid, _ := askOn(t, phone, url.Values{"title": {"校园网怎么报修？"}})

		other := s.Phone(otherCadre)
		page := other.Get("/h5/questions/" + qid)
		webtest.WantBody(t, page, `id="cross-board-tip"`, `id="answer-form"`, "以外校干部身份回帖")
		if strings.Contains(page.Body, `id="refer-link"`) {
			t.Fatal("another university's cadre is offered to refer the question to the station")
		}
		webtest.WantStatus(t, other.Get("/h5/questions/"+qid+"/refer"), http.StatusForbidden)
		r := other.Post("/h5/questions/"+qid+"/answer", url.Values{"body": {"我们学校是在网络中心报修"}})
		webtest.WantRedirect(t, r, http.StatusSeeOther, "/h5/questions/"+qid+"?notice=crossed")
		webtest.WantBody(t, other.Get("/h5/questions/"+qid+"?notice=crossed"), "回帖已发布", "不算作该校的答复")

		mine := phone.Get("/h5/questions/" + qid)
		webtest.WantBody(t, mine, "answer-cross", "外校干部 · 华南理工大学", "我们学校是在网络中心报修", "待答复")
		if strings.Contains(mine.Body, `id="resolve-form"`) {
			t.Fatal("a cross-board reply lets the asker resolve the question")
		}
		var q model.Question
		if err := db.Conn(context.Background()).Take(&q, qid).Error; err != nil {
			t.Fatal(err)
		}
		if q.Status != model.QuestionOpen || q.FirstAnsweredAt != nil {
			t.Fatalf("after the cross-board reply: status %q, first answered %v", q.Status, q.FirstAnsweredAt)
		}
		s.Deliver()
		if got := webtest.WithTemplate(webtest.Inbox(t, student.OpenID), "sandbox-answered"); len(got) != 1 || got[0].Data["thing2"].Value != "xoth老师（外校干部）" {
			t.Fatalf("asker's answered alerts: %+v", got)
		}

		r = other.Post("/h5/questions/"+qid+"/answer", url.Values{"body": {"我认识赌博 网站的人"}})
		webtest.WantRedirect(t, r, http.StatusSeeOther, "/h5/questions/"+qid+"?notice=cross_held")
		webtest.WantBody(t, other.Get("/h5/questions/"+qid+"?notice=cross_held"), "提问者所在学校的团委审核")
	})
}
