package main

// The question flow in a real (headless) browser on a phone viewport,
// against the real server in sandbox mode: a student asks; the university's
// cadre taps the template message in the sandbox inbox, is signed in
// through WeChat authorization on the question page and answers; the
// student taps the "answered" alert and rates the answer. Screenshots of
// every step.

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/gdyouth/youthvoice/model"
	"github.com/gdyouth/youthvoice/service/account"
	"github.com/gdyouth/youthvoice/service/clock"
)

// brMember creates a sandbox WeChat identity on phone p, an account of
// 深圳大学 bound to it with role, and signs the phone in through the
// sandbox's authorization page. It returns the openid.
func brMember(t *testing.T, b *base, p *brTab, nickname, acct, role string) string {
	t.Helper()
	p.nav("/sandbox", "create-identity")
	p.do("name the identity", chromedp.SendKeys(chromedp.ID("nickname"), nickname))
	p.tap("#create-identity", "#follow")
	openid := p.location().Query().Get("openid")
	accounts, err := account.New(b.db, b.store, clock.Real{}, b.log, account.Options{BcryptCost: 4})
	if err != nil {
		t.Fatal(err)
	}
	u, err := accounts.Activate(context.Background(), account.ActivateInput{Entry: "gaoxiao", Mode: account.ModeNew,
		Account: acct, Password: "Pass2026x", Confirm: "Pass2026x", UniversityCode: "4144010590", OpenID: openid})
	if err != nil {
		t.Fatalf("activate %s: %v", acct, err)
	}
	if role != model.RoleStudent {
		if err := b.db.Conn(context.Background()).Model(&model.User{}).Where("id = ?", u.ID).
			Updates(map[string]any{"role": role, "roles": model.RoleBit(role), "name": nickname}).Error; err != nil {
			t.Fatal(err)
		}
	}
	p.do("open 主页", chromedp.Navigate(p.base+"/h5/home"), chromedp.WaitVisible(chromedp.CSS(`button[data-openid="`+openid+`"]`)))
	p.tap(chromedp.CSS(`button[data-openid="`+openid+`"]`), "#profile")
	return openid
}

// brAwaitAlert reloads the identity's sandbox inbox until a template
// message with templateID shows up (the outbox worker sends in the
// background), then taps its link and waits for waitSel.
func brAwaitAlert(t *testing.T, p *brTab, openid, templateID, shot string, waitSel chromedp.CSS) {
	t.Helper()
	sel := chromedp.CSS(`article.template-message[data-template="` + templateID + `"] a.template-link`)
	deadline := time.Now().Add(15 * time.Second)
	for {
		p.nav("/sandbox/inbox?openid="+openid, "inbox")
		n, err := chromedp.Run(p.ctx, chromedp.Evaluate[int](`document.querySelectorAll('article.template-message[data-template="`+templateID+`"]').length`))
		if err != nil {
			p.fail("count alerts", err)
		}
		if n == 1 {
			break
		}
		if n > 1 {
			p.shot("FAILED-duplicate-alerts")
			t.Fatalf("%s received %d %s alerts, want 1", p.name, n, templateID)
		}
		if time.Now().After(deadline) {
			p.shot("FAILED-no-alert")
			t.Fatalf("%s never received a %s alert", p.name, templateID)
		}
		time.Sleep(200 * time.Millisecond)
	}
	p.shot(shot)
	if st := p.tap(sel, chromedp.CSS(`button[data-openid="`+openid+`"]`)); st != http.StatusOK {
		t.Fatalf("alert link: HTTP %d", st)
	}
	p.tap(chromedp.CSS(`button[data-openid="`+openid+`"]`), waitSel)
}

func TestBrowserAskAnswerRate(t *testing.T) {
	base, b := brServe(t)
	ctx, newPhone := brBrowser(t, base)

	student := newPhone("student")
	studentID := brMember(t, b, student, "小青", "xiaoqing2026", model.RoleStudent)
	cadre := newPhone("cadre")
	cadreID := brMember(t, b, cadre, "王老师", "wangls2026", model.RoleCadre)

	// The student asks from the home page.
	student.tap(`a.grid-item[href="/h5/ask"]`, "#ask-submit")
	student.wantText("#board", "深圳大学版区")
	student.do("type the question",
		chromedp.SendKeys(chromedp.ID("title"), "图书馆周末几点开门？"),
		chromedp.SendKeys(chromedp.ID("body"), "期末复习想周末去图书馆自习，请问开放时间是？"))
	student.shot("ask")
	if st := student.tap("#ask-submit", "#notice"); st != http.StatusOK {
		t.Fatalf("question page after asking: HTTP %d", st)
	}
	student.wantText("#notice", "提问成功")
	student.wantText("#question-status", "待答复")
	student.shot("asked")

	// The cadre taps the new-question alert and answers on the phone.
	brAwaitAlert(t, cadre, cadreID, "sandbox-question_new", "cadre-inbox", "#answer-form")
	cadre.wantText("#question-title", "图书馆周末几点开门？")
	cadre.shot("cadre-question")
	cadre.do("type the answer", chromedp.SendKeys(chromedp.ID("answer-body"), "周末8:00–22:00开放，考试周延长到23:00。"))
	cadre.tap("#answer-submit", "#notice")
	cadre.wantText("#notice", "答复已发布")
	cadre.wantText("#answers", "周末8:00–22:00开放")
	cadre.shot("cadre-answered")

	// The student taps the "answered" alert and rates the answer.
	brAwaitAlert(t, student, studentID, "sandbox-answered", "student-inbox", "#resolve-form")
	student.wantText("#answers", "王老师")
	student.do("rate", chromedp.Click(chromedp.ID("rating-0")), chromedp.SendKeys(chromedp.ID("comment"), "谢谢！"))
	student.shot("rate")
	student.tap("#resolve-submit", "#rating")
	student.wantText("#rating", "满意")
	student.wantText("#question-status", "已解决")
	student.shot("resolved")

	if ctx.Err() != nil {
		t.Fatal("the browser test ran out of time")
	}
	if strings.Contains(cadre.text("#question"), "匿名") {
		t.Error("a question asked by name shows as anonymous")
	}
}
