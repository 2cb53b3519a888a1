package main

// Drafts, 编辑 and 撤回 in a real (headless) browser on a phone: a long
// question typed on the ask page survives the page being left and opened
// again, and is gone after it was asked; the asker edits it (已编辑),
// then withdraws it through the confirmation page, and the cadre gets the
// 提问已撤回 alert.

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/gdyouth/youthvoice/model"
)

func TestBrowserDraftEditWithdraw(t *testing.T) {
	base, b := brServe(t)
	ctx, newPhone := brBrowser(t, base)

	student := newPhone("student")
	brMember(t, b, student, "小林", "xiaolin2026", model.RoleStudent)
	cadre := newPhone("cadre")
	cadreID := brMember(t, b, cadre, "陈老师", "chenls2026", model.RoleCadre)

	// Type a question, leave the page (as when WeChat closes it), open it
	// again: the draft is back.
	student.nav("/h5/ask", "ask-form")
	student.do("type the question",
		chromedp.SendKeys(chromedp.ID("title"), "奖学金评定有哪些条件"),
		chromedp.SendKeys(chromedp.ID("body"), "想了解国家励志奖学金的评定条件和材料，\n以及什么时候提交。"))
	student.nav("/h5/home", "profile")
	student.nav("/h5/ask", "ask-form")
	if got := student.value("#title"); got != "奖学金评定有哪些条件" {
		t.Fatalf("title after reopening the page: %q", got)
	}
	if got := student.value("#body"); got != "想了解国家励志奖学金的评定条件和材料，\n以及什么时候提交。" {
		t.Fatalf("body after reopening the page: %q", got)
	}
	// A reload keeps it too.
	student.do("reload", chromedp.Reload(), chromedp.WaitVisible(chromedp.ID("ask-form")))
	if got := student.value("#title"); got != "奖学金评定有哪些条件" {
		t.Fatalf("title after a reload: %q", got)
	}
	student.shot("draft-restored")

	// Asked: the draft is cleared.
	student.tap("#ask-submit", "#notice")
	student.wantText("#notice", "提问成功")
	page := student.location().Path
	student.nav("/h5/ask", "ask-form")
	if got := student.value("#title") + student.value("#body"); got != "" {
		t.Fatalf("the draft survived asking: %q", got)
	}
	student.nav(page, "owner-actions")
	student.shot("question-owner-actions")

	// Edit.
	student.tap("#edit-link", "#edit-form")
	student.do("change the title", chromedp.Clear(chromedp.ID("title")), chromedp.SendKeys(chromedp.ID("title"), "国家励志奖学金评定条件"))
	student.shot("edit")
	student.tap("#edit-submit", "#question-edited")
	student.wantText("#question-title", "国家励志奖学金评定条件")
	student.wantText("#notice", "修改已保存")
	student.shot("edited")

	// Withdraw, after confirming.
	student.tap("#withdraw-link", "#withdraw-confirm")
	student.wantText("#withdraw-question", "国家励志奖学金评定条件")
	student.shot("withdraw-confirm")
	student.tap("#withdraw-submit", "#withdrawn")
	student.wantText("#question-status", "已撤回")
	student.wantText("#notice", "问题已撤回")
	student.shot("withdrawn")
	student.nav("/h5/questions/mine", "question-list")
	student.wantText("#question-list", "已撤回")
	student.shot("mine")

	// The cadre's alert leads to the board, where it is gone.
	brAwaitAlert(t, cadre, cadreID, "sandbox-question_withdrawn", "cadre-inbox-withdrawn", "#question-list, #empty")
	if strings.Contains(cadre.text("main"), "国家励志奖学金评定条件") {
		t.Error("the withdrawn question is still on the board")
	}
	cadre.shot("cadre-board")

	if ctx.Err() != nil {
		t.Fatal("the browser test ran out of time")
	}
}
