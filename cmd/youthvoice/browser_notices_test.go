package main

// Province notices in a real (headless) browser on a phone viewport: the
// province picks 深圳大学 from the chooser, attaches a PDF and publishes;
// the university admin gets the alert in WeChat (the sandbox inbox),
// opens the notice with its attachment; the province's receipts count
// the reading. Screenshots of every step.

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/gdyouth/youthvoice/model"
)

func TestBrowserNotices(t *testing.T) {
	base, b := brServe(t)
	ctx, newPhone := brBrowser(t, base)

	province := newPhone("province")
	brMember(t, b, province, "省团委", "shengtw2026", model.RoleProvinceAdmin)
	admin := newPhone("admin")
	adminOpenID := brMember(t, b, admin, "李老师", "tuanwei2026", model.RoleUniversityAdm)

	pdf := filepath.Join(t.TempDir(), "推广方案.pdf")
	if err := os.WriteFile(pdf, []byte("%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	province.nav("/h5/admin", "nav-notices")
	province.shot("notice-admin-link")
	province.tap("#nav-notices", "#sent-empty")
	province.tap("#new-notice", "#notice-form")
	province.do("fill the notice",
		chromedp.SendKeys(chromedp.ID("title"), "关于推广青年之声平台的通知"),
		chromedp.SendKeys(chromedp.ID("body"), "各高校团委：\n请于 5 个工作日内完成推广，方案见附件。"),
		chromedp.Click(chromedp.ID("target-chosen")),
		chromedp.Click(chromedp.CSS("#universities details:first-of-type summary")),
		chromedp.Click(chromedp.CSS(`input[name="universities"][value="4144010590"]`)),
		chromedp.SetUploadFiles(chromedp.ID("attachment"), []string{pdf}))
	province.shot("notice-new")
	province.tap("#notice-submit", "#notice")
	province.wantText("#notice", "通知已发布")
	province.wantText("#count-recipients", "1")
	province.wantText(`#reads-table tr[data-code="4144010590"]`, "李老师")
	province.shot("notice-reads-unread")

	admin.nav("/h5/home", "notice-unread")
	admin.wantText("#notice-unread", "1")
	admin.shot("notice-home-badge")
	brAwaitAlert(t, admin, adminOpenID, "sandbox-notice", "notice-alert", "#notice-title")
	admin.wantText("#notice-title", "关于推广青年之声平台的通知")
	admin.wantText("#notice-body", "5 个工作日")
	admin.wantText("#notice-attachment", "推广方案.pdf")
	admin.wantText("#notice-read", "已读")
	admin.shot("notice-open")
	admin.nav("/h5/notices", "notice-list")
	admin.wantText("#notice-summary", "全部已读")
	admin.shot("notice-list")

	province.nav("/h5/admin/notices", "sent-list")
	province.wantText("#sent-list", "已读 1/1")
	province.shot("notice-sent")
	province.tap("#sent-list a", "#reads-table")
	province.wantText("#count-read", "1")
	province.wantText("#count-unread", "0")
	province.shot("notice-reads-read")

	if ctx.Err() != nil {
		t.Fatal("the browser test ran out of time")
	}
}
