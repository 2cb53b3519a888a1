package main

// 附件1's import in a real (headless) browser on a phone: a university
// admin picks the filled form (chromedp sets the file input), previews it,
// sees a bad file's problems by row, then a good file's 新增 and 确认导入,
// which imports without a second upload. Screenshots of each step.

import (
	"context"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/xuri/excelize/v2"

	"github.com/gdyouth/youthvoice/model"
	"github.com/gdyouth/youthvoice/service/account"
	"github.com/gdyouth/youthvoice/service/alert"
	"github.com/gdyouth/youthvoice/service/cadre"
	"github.com/gdyouth/youthvoice/service/clock"
	"github.com/gdyouth/youthvoice/service/notify"
	"github.com/gdyouth/youthvoice/service/servicetest"
)

// brFormFile writes 附件1 as an office fills it: the title merged, a
// blank line between people, a phone with spaces and full-width digits.
func brFormFile(t *testing.T, name string, people ...[3]string) string {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	rows := [][]string{{"广东省高校“青年之声”团学干部注册登记表"}, {"学校名称：深圳大学"}, {"职务", "姓名", "手机号", "邮箱", "QQ号", "微信号"}}
	for _, p := range people {
		rows = append(rows, p[:], nil)
	}
	rows = append(rows, []string{"注：可另外附页。"})
	for i, r := range rows {
		if err := f.SetSheetRow("Sheet1", fmt.Sprintf("A%d", i+1), &r); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.MergeCell("Sheet1", "A1", "F1"); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), name)
	if err := f.SaveAs(path); err != nil {
		t.Fatal(err)
	}
	return path
}

// brApproved files app for applicant and has admin approve it.
func brApproved(t *testing.T, b *base, adminAccount, applicant string, app cadre.Application) {
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
	cadres, err := cadre.New(b.db, clock.Real{}, n)
	if err != nil {
		t.Fatal(err)
	}
	var admin, u model.User
	if err := b.db.Conn(ctx).Where("account_key = ?", account.AccountKey(adminAccount)).Take(&admin).Error; err != nil {
		t.Fatal(err)
	}
	if err := b.db.Conn(ctx).Where("account_key = ?", account.AccountKey(applicant)).Take(&u).Error; err != nil {
		t.Fatal(err)
	}
	a, err := cadres.Apply(ctx, u, app)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cadres.Decide(ctx, admin, a.ID, true, ""); err != nil {
		t.Fatal(err)
	}
}

func TestBrowserRosterImport(t *testing.T) {
	base, b := brServe(t)
	ctx, newPhone := brBrowser(t, base)
	admin := newPhone("university admin")
	brMember(t, b, admin, "李老师", "rosteradm2026", model.RoleUniversityAdm)
	// 赵强 applied and was approved: he is on the roster, 已注册; the
	// office's form lists him too.
	student := newPhone("student")
	brMember(t, b, student, "赵强", "zhaoqiang2026", model.RoleStudent)
	brApproved(t, b, "rosteradm2026", "zhaoqiang2026", cadre.Application{Position: "计算机学院团委书记", RealName: "赵强", Phone: "13800000003"})

	admin.nav("/h5/admin/roster/import", "upload-form")
	admin.wantText("#school", "深圳大学")
	if href, err := chromedp.Run(admin.ctx, chromedp.Evaluate[string](`document.getElementById("download").getAttribute("href")`)); err != nil ||
		href != "/h5/admin/roster/form.xlsx?uni=4144010590" {
		t.Fatalf("下载附件1 links to %q (%v)", href, err)
	}
	admin.shot("roster-import")

	bad := brFormFile(t, "附件1-有误.xlsx", [3]string{"校团委副书记", "李明", "13800000001"}, [3]string{"校学生会主席", "", "1380000"})
	admin.do("pick the bad file", chromedp.SetUploadFiles(chromedp.ID("file"), []string{bad}))
	if st := admin.tap("#preview-submit", "#problems"); st != http.StatusBadRequest {
		t.Fatalf("preview of a bad file: HTTP %d", st)
	}
	admin.wantText("#problems", "第 6 行：请填写真实姓名")
	admin.wantText("#problems", "第 6 行：手机号「1380000」有误")
	admin.shot("roster-import-problems")

	good := brFormFile(t, "附件1.xlsx", [3]string{"校团委副书记", "李明", "13800000001"},
		[3]string{"校学生会主席", "王 芳", "１３８ ０００００００２"}, [3]string{"计算机学院团委书记", "赵强", "138-0000-0003"})
	admin.do("pick the good file", chromedp.SetUploadFiles(chromedp.ID("file"), []string{good}))
	if st := admin.tap("#preview-submit", "#confirm"); st != http.StatusOK {
		t.Fatalf("preview: HTTP %d", st)
	}
	admin.wantText("#counts", "新增 2 人")
	admin.wantText("#counts", "不变 1 人")
	admin.wantText(`.form-row[data-row="8"] .link-account`, "已关联账号 zhaoqiang2026（已注册）")
	admin.wantText(`.form-row[data-row="6"]`, "王芳")
	admin.wantText(`.form-row[data-row="6"]`, "13800000002")
	admin.wantText(`.form-row[data-row="8"] .badge`, "不变")
	admin.wantText(`.form-row[data-row="8"]`, "二级院系团委书记")
	admin.shot("roster-import-preview")
	var n int64
	if err := b.db.Conn(context.Background()).Model(&model.RosterEntry{}).Where("phone IN ?", []string{"13800000001", "13800000002"}).Count(&n).Error; err != nil || n != 0 {
		t.Fatalf("the preview wrote %d roster entries (%v)", n, err)
	}

	if st := admin.tap("#confirm", "#to-roster"); st != http.StatusOK {
		t.Fatalf("确认导入: HTTP %d", st)
	}
	admin.wantText("#notice", "导入完成")
	admin.wantText("#counts", "已导入：新增 2 人")
	admin.shot("roster-import-done")
	var entries []model.RosterEntry
	if err := b.db.Conn(context.Background()).Where("phone LIKE ?", "1380000000%").Order("phone").Find(&entries).Error; err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range entries {
		got = append(got, e.RealName+"/"+e.Category+"/"+e.Status)
	}
	if strings.Join(got, ",") != "李明/league/pending,王芳/student_leader/pending,赵强/college/registered" {
		t.Fatalf("roster after the import: %v", got)
	}
	if ctx.Err() != nil {
		t.Fatal("the browser test ran out of time")
	}
}
