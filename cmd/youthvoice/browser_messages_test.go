package main

// 我的消息 in a real (headless) browser on a phone viewport: a student
// asks, a cadre answers; the student sees the unread count on the 消息
// tile of 主页, opens 我的消息, taps the message and lands on the
// question, and the badge is gone.

import (
	"net/http"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/gdyouth/youthvoice/model"
)

func TestBrowserMessages(t *testing.T) {
	base, b := brServe(t)
	ctx, newPhone := brBrowser(t, base)

	student := newPhone("student")
	brMember(t, b, student, "小青", "xiaoqing2026", model.RoleStudent)
	cadre := newPhone("cadre")
	brMember(t, b, cadre, "王老师", "wangls2026", model.RoleCadre)

	student.tap(`a.grid-item[href="/h5/ask"]`, "#ask-submit")
	student.do("type the question",
		chromedp.SendKeys(chromedp.ID("title"), "图书馆周末几点开门？"),
		chromedp.SendKeys(chromedp.ID("body"), "期末复习想周末去图书馆自习，请问开放时间是？"))
	if st := student.tap("#ask-submit", "#notice"); st != http.StatusOK {
		t.Fatalf("question page after asking: HTTP %d", st)
	}
	question := student.location().Path

	cadre.nav(question, "answer-form")
	cadre.do("type the answer", chromedp.SendKeys(chromedp.ID("answer-body"), "周末8:00–22:00开放，考试周延长到23:00。"))
	cadre.tap("#answer-submit", "#notice")
	cadre.wantText("#notice", "答复已发布")

	student.nav("/h5/home", "nav-messages")
	student.wantText("#message-unread", "1")
	student.shot("home-unread")
	student.tap("#nav-messages", "#message-list")
	student.wantText("#message-list .message-item.unread", "提问已答复")
	student.wantText("#message-list .message-item.unread", "「图书馆周末几点开门？」由 王老师 答复")
	student.shot("messages")
	student.tap("#message-list .message-item.unread", "#answers")
	if got := student.location().Path; got != question {
		t.Fatalf("the message opened %s, want the question %s", got, question)
	}
	student.wantText("#answers", "周末8:00–22:00开放")
	student.shot("question")

	student.nav("/h5/home", "nav-messages")
	if n, err := chromedp.Run(student.ctx, chromedp.Evaluate[int](`document.querySelectorAll('#message-unread').length`)); err != nil || n != 0 {
		t.Fatalf("the badge is still on 主页 after reading (%d, %v)", n, err)
	}
	student.nav("/h5/messages", "message-list")
	if !strings.Contains(student.text("#message-list"), "已读") {
		t.Error("the opened message is not marked 已读")
	}
	student.shot("messages-read")
	if ctx.Err() != nil {
		t.Fatal("the browser test ran out of time")
	}
}
