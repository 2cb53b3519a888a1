package cadre_test

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"

	"github.com/gdyouth/youthvoice/model"
	"github.com/gdyouth/youthvoice/model/dbtest"
	"github.com/gdyouth/youthvoice/service"
	"github.com/gdyouth/youthvoice/service/cadre"
	"github.com/gdyouth/youthvoice/service/servicetest"
)

// formWorld is university A with two people on its roster, a station
// whose lead is one of them (so the form lists him in both tables), and
// an approved applicant whose roster line is gone (the office lists him
// again on the form).
type formWorld struct {
	fixture
	applicant model.User
}

func newFormWorld(t *testing.T, db *model.DB) formWorld {
	t.Helper()
	ctx := context.Background()
	w := formWorld{fixture: setup(t, db)}
	for _, p := range []cadre.Person{
		{Position: "校团委副书记", RealName: "李明", Phone: "13800000001", Email: "lm@example.edu.cn"},
		{Position: "校学生会主席", RealName: "王芳", Phone: "13800000002", QQ: "12345678"},
	} {
		if _, err := w.svc.AddPerson(ctx, w.adminA, w.uniA, p); err != nil {
			t.Fatal(err)
		}
	}
	now := time.Now().UTC()
	st := model.Station{UniversityID: w.uniA, Name: "青年之家", Services: "[]", Hours: "{}", ClosedDates: "[]", CreatedAt: now, UpdatedAt: now}
	if err := db.Conn(ctx).Create(&st).Error; err != nil {
		t.Fatal(err)
	}
	lead := servicetest.NewUser(t, db, model.RoleStationAdmin, &w.uniA, true)
	if err := db.Conn(ctx).Create(&model.StationAdmin{StationID: st.ID, UserID: lead.ID, Category: model.CategoryLead,
		RealName: "李明", Position: "校团委副书记", Phone: "13800000001", CreatedAt: now, UpdatedAt: now}).Error; err != nil {
		t.Fatal(err)
	}
	w.applicant = servicetest.NewUser(t, db, model.RoleStudent, &w.uniA, true)
	app, err := w.svc.Apply(ctx, w.applicant, cadre.Application{Position: "计算机学院团委书记", RealName: "赵强", Phone: "13900000003"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.svc.Decide(ctx, w.adminA, app.ID, true, ""); err != nil {
		t.Fatal(err)
	}
	// Approval put him on the roster; his line was deleted since (as if
	// approved before the roster existed), so only the form brings it back.
	if err := db.Conn(ctx).Where("phone = ?", "13900000003").Delete(&model.RosterEntry{}).Error; err != nil {
		t.Fatal(err)
	}
	return w
}

func (w formWorld) roster(t *testing.T) []cadre.RosterLine {
	t.Helper()
	r, err := w.svc.Roster(context.Background(), w.adminA, w.uniA)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func openForm(t *testing.T, data []byte) *excelize.File {
	t.Helper()
	f, err := excelize.OpenReader(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("the export is not a workbook: %v", err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

// findRow is the first row of sheet whose column col holds v.
func findRow(t *testing.T, f *excelize.File, sheet, col, v string) int {
	t.Helper()
	rows, err := f.GetRows(sheet)
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range rows {
		c := int(col[0] - 'A')
		if c < len(r) && r[c] == v {
			return i + 1
		}
	}
	t.Fatalf("no row of %s has %q in column %s", sheet, v, col)
	return 0
}

func set(t *testing.T, f *excelize.File, sheet, cell string, v any) {
	t.Helper()
	if err := f.SetCellValue(sheet, cell, v); err != nil {
		t.Fatal(err)
	}
}

func save(t *testing.T, f *excelize.File) []byte {
	t.Helper()
	buf, err := f.WriteToBuffer()
	if err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// rowOf is the preview's line of sheet row n.
func rowOf(t *testing.T, res cadre.FormImport, n int) cadre.FormRow {
	t.Helper()
	for _, r := range res.Rows {
		if r.Row == n {
			return r
		}
	}
	t.Fatalf("the preview has no row %d: %+v", n, res.Rows)
	return cadre.FormRow{}
}

// The round trip a university office makes: download its 附件1, fill it
// in Excel the way people do (blank lines between people, full-width
// digits and spaces in a phone, a phone typed as a number, a sheet of
// notes in front, a note under the table, a header retyped), preview,
// import, and find everyone on the roster; the approved applicant listed
// again is 已注册 with his account. Imported again, nothing changes.
func TestFormRoundTrip(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *model.DB) {
		w := newFormWorld(t, db)
		ctx := context.Background()

		wb, err := w.svc.ExportForm(ctx, w.adminA, &w.uniA)
		if err != nil {
			t.Fatal(err)
		}
		var uni model.University
		if err := db.Conn(ctx).Take(&uni, w.uniA).Error; err != nil {
			t.Fatal(err)
		}
		if !strings.HasSuffix(wb.Name, uni.Name+".xlsx") || wb.ASCIIName != "registration-form-"+uni.Code+".xlsx" {
			t.Fatalf("file names %q / %q", wb.Name, wb.ASCIIName)
		}
		f := openForm(t, wb.Data)
		sheets := f.GetSheetList()
		if len(sheets) != 1 {
			t.Fatalf("a university's form has sheets %v, want one", sheets)
		}
		sh := sheets[0]
		if v, _ := f.GetCellValue(sh, "A1"); !strings.Contains(v, "团学干部注册登记表") {
			t.Fatalf("A1 = %q, want the form's title", v)
		}
		merged, err := f.GetMergeCells(sh)
		if err != nil || !slices.ContainsFunc(merged, func(m excelize.MergeCell) bool { return m.GetStartAxis() == "A1" && m.GetEndAxis() == "F1" }) {
			t.Fatalf("the title is not merged across the table: %v, %v", merged, err)
		}
		if row := findRow(t, f, sh, "A", "学校名称："+uni.Name); row != 3 {
			t.Fatalf("学校名称 on row %d", row)
		}
		h1 := findRow(t, f, sh, "A", "职务")
		if got, _ := f.GetRows(sh); strings.Join(got[h1-1], ",") != "职务,姓名,手机号,邮箱,QQ号,微信号" {
			t.Fatalf("table 1 header %v", got[h1-1])
		}
		li := findRow(t, f, sh, "B", "李明")
		if li != h1+1 {
			t.Fatalf("李明 (专兼职团干) on row %d, want first under the header (%d)", li, h1+1)
		}
		if typ, _ := f.GetCellType(sh, fmt.Sprintf("C%d", li)); typ == excelize.CellTypeNumber {
			t.Fatal("the phone is stored as a number")
		}
		styleID, _ := f.GetCellStyle(sh, fmt.Sprintf("C%d", h1+12))
		if st, err := f.GetStyle(styleID); err != nil || st.NumFmt != 49 {
			t.Fatalf("an empty phone cell is not formatted as text: %+v, %v", st, err)
		}
		if bold, _ := f.GetStyle(mustStyle(t, f, sh, fmt.Sprintf("A%d", h1))); bold.Font == nil || !bold.Font.Bold {
			t.Fatal("the header is not bold")
		}
		h2 := findRow(t, f, sh, "A", "类别")
		lead := findRow(t, f, sh, "A", "服务站负责人")
		if lead != h2+1 {
			t.Fatalf("服务站负责人 on row %d, want under table 2's header (%d)", lead, h2+1)
		}
		if v, _ := f.GetCellValue(sh, fmt.Sprintf("B%d", lead)); v != "李明" {
			t.Fatalf("the station's lead is %q, want 李明 from the team", v)
		}
		adminRow := findRow(t, f, sh, "A", "服务站管理员") // an empty line the office fills

		// The office at work.
		set(t, f, sh, fmt.Sprintf("A%d", li+1), "校学生会执行主席")                                      // 王芳, promoted
		set(t, f, sh, fmt.Sprintf("C%d", h1), " 手 机 号 ")                                         // a header retyped
		set(t, f, sh, fmt.Sprintf("E%d", h1), "ＱＱ号")                                             // full-width
		for col, v := range map[string]string{"A": "团委宣传部部长", "B": "陈晓", "C": "１３９ ００００－０００４"} { // full-width, spaced
			set(t, f, sh, col+fmt.Sprint(li+3), v)
		}
		set(t, f, sh, fmt.Sprintf("A%d", li+5), "校研究生会主席")
		set(t, f, sh, fmt.Sprintf("B%d", li+5), "孙丽")
		if err := f.SetCellInt(sh, fmt.Sprintf("C%d", li+5), 13900000005); err != nil { // typed as a number
			t.Fatal(err)
		}
		set(t, f, sh, fmt.Sprintf("A%d", li+7), "计算机学院团委书记")
		set(t, f, sh, fmt.Sprintf("B%d", li+7), "赵 强")
		set(t, f, sh, fmt.Sprintf("C%d", li+7), "13900000003")
		for col, v := range map[string]string{"B": "周杰", "C": "站长助理", "D": "13900000006"} {
			set(t, f, sh, col+fmt.Sprint(adminRow), v)
		}
		for col, v := range map[string]string{"B": "吴敏", "C": "志愿者", "D": "13900000007"} { // no 类别
			set(t, f, sh, col+fmt.Sprint(adminRow+1), v)
		}
		set(t, f, sh, fmt.Sprintf("A%d", adminRow+14), "注：以上信息经校团委审核。")
		if _, err := f.NewSheet("填表说明"); err != nil {
			t.Fatal(err)
		}
		set(t, f, "填表说明", "A1", "请各学院于周五前填报")
		if err := f.MoveSheet("填表说明", sh); err != nil {
			t.Fatal(err)
		}
		filled := save(t, f)
		before := w.roster(t)

		res, err := w.svc.ImportForm(ctx, w.adminA, w.uniA, bytes.NewReader(filled), true)
		if err != nil {
			t.Fatalf("preview: %v (%+v)", err, res.Problems)
		}
		if res.Sheet != sh || res.Added != 5 || res.Updated != 1 || res.Unchanged != 1 || res.Linking != 1 {
			t.Fatalf("preview of sheet %q: %d 新增, %d 更新, %d 不变, %d 关联; want %q 5/1/1/1\n%+v",
				res.Sheet, res.Added, res.Updated, res.Unchanged, res.Linking, sh, res.Rows)
		}
		if r := rowOf(t, res, li); r.ActionName() != "不变" {
			t.Fatalf("李明: %+v", r)
		}
		if r := rowOf(t, res, li+1); r.ActionName() != "更新" || !slices.Equal(r.Changes, []string{"职务"}) {
			t.Fatalf("王芳: %s %v, want 更新 of 职务", r.ActionName(), r.Changes)
		}
		if r := rowOf(t, res, li+3); r.ActionName() != "新增" || r.Phone != "13900000004" || r.Category != model.CategoryLeagueCadre {
			t.Fatalf("陈晓 (full-width phone): %+v", r)
		}
		if r := rowOf(t, res, li+5); r.Phone != "13900000005" || r.Category != model.CategoryStudentLeader {
			t.Fatalf("孙丽 (phone as a number): %+v", r)
		}
		if r := rowOf(t, res, li+7); r.ActionName() != "新增" || r.RealName != "赵强" || r.Account != w.applicant.Account || r.Linked {
			t.Fatalf("赵强: %+v; want 新增, to be linked to %s", r, w.applicant.Account)
		}
		if r := rowOf(t, res, lead); r.Action != cadre.FormSame || r.SameAs != li {
			t.Fatalf("李明 in table 2: %+v; want the same person as row %d", r, li)
		}
		if r := rowOf(t, res, adminRow+1); r.Category != model.CategoryStationAdmin || r.Table != 2 {
			t.Fatalf("吴敏 without 类别: %+v", r)
		}
		if got := w.roster(t); len(got) != len(before) {
			t.Fatalf("the preview changed the roster: %d → %d entries", len(before), len(got))
		}

		res, err = w.svc.ImportForm(ctx, w.adminA, w.uniA, bytes.NewReader(filled), false)
		if err != nil || res.Added != 5 || res.Updated != 1 {
			t.Fatalf("import: %+v, %v", res, err)
		}
		after := map[string]cadre.RosterLine{}
		for _, l := range w.roster(t) {
			after[l.Phone] = l
		}
		want := map[string]string{"13800000001": model.CategoryLeagueCadre, "13800000002": model.CategoryStudentLeader,
			"13900000004": model.CategoryLeagueCadre, "13900000005": model.CategoryStudentLeader,
			"13900000003": model.CategoryCollegeSecretary, "13900000006": model.CategoryStationAdmin, "13900000007": model.CategoryStationAdmin}
		if len(after) != len(want) {
			t.Fatalf("roster after import: %+v", after)
		}
		for phone, cat := range want {
			if l, ok := after[phone]; !ok || l.Category != cat {
				t.Errorf("roster line of %s: %+v, want category %s", phone, l, cat)
			}
		}
		if l := after["13800000002"]; l.Position != "校学生会执行主席" || l.QQ != "12345678" {
			t.Errorf("王芳 after import: %+v; want the new 职务 and her QQ kept", l)
		}
		if l := after["13900000003"]; l.Status != model.RosterRegistered || l.UserID == nil || *l.UserID != w.applicant.ID || l.Account != w.applicant.Account {
			t.Errorf("赵强 after import: %+v; want 已注册 with %s", l, w.applicant.Account)
		}

		// Exported again and imported unchanged: nothing to do.
		wb, err = w.svc.ExportForm(ctx, w.adminA, nil)
		if err != nil {
			t.Fatal(err)
		}
		again, err := w.svc.ImportForm(ctx, w.adminA, w.uniA, bytes.NewReader(wb.Data), true)
		if err != nil || again.Added != 0 || again.Updated != 0 || again.Unchanged != 7 {
			t.Fatalf("re-importing the export: %d/%d/%d, %v\n%+v", again.Added, again.Updated, again.Unchanged, err, again.Rows)
		}
	})
}

func mustStyle(t *testing.T, f *excelize.File, sheet, cell string) int {
	t.Helper()
	id, err := f.GetCellStyle(sheet, cell)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// A form with mistakes is refused as a whole, with every problem by row
// in Chinese; the roster stays as it was, also when the only mistake is
// on the last line and the lines before it were good.
func TestFormImportRefusesBadFiles(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *model.DB) {
		w := newFormWorld(t, db)
		ctx := context.Background()
		wb, err := w.svc.ExportForm(ctx, w.adminA, &w.uniA)
		if err != nil {
			t.Fatal(err)
		}
		before := w.roster(t)
		check := func(name string, data []byte, want ...string) {
			t.Helper()
			for _, dry := range []bool{true, false} {
				res, err := w.svc.ImportForm(ctx, w.adminA, w.uniA, bytes.NewReader(data), dry)
				se := servicetest.WantErr(t, name, err, service.ErrInvalid, "form_rejected")
				var got []string
				for _, p := range res.Problems {
					got = append(got, p.String())
				}
				for _, wnt := range want {
					if !slices.ContainsFunc(got, func(g string) bool { return strings.Contains(g, wnt) }) || !strings.Contains(se.Message, wnt) {
						t.Fatalf("%s: problems %q; message %q; want %q", name, got, se.Message, wnt)
					}
				}
				if len(got) != len(want) {
					t.Fatalf("%s: problems %q, want %d", name, got, len(want))
				}
				if after := w.roster(t); !slices.EqualFunc(before, after, func(a, b cadre.RosterLine) bool { return a.RosterEntry == b.RosterEntry }) {
					t.Fatalf("%s changed the roster", name)
				}
			}
		}
		edit := func(fn func(f *excelize.File, sh string, first int)) []byte {
			f := openForm(t, wb.Data)
			sh := f.GetSheetList()[0]
			fn(f, sh, findRow(t, f, sh, "B", "李明"))
			return save(t, f)
		}

		check("bad phone and missing name", edit(func(f *excelize.File, sh string, li int) {
			for col, v := range map[string]string{"A": "团委委员", "B": "陈晓", "C": "1381234"} {
				set(t, f, sh, col+fmt.Sprint(li+3), v)
			}
			for col, v := range map[string]string{"A": "团委委员", "C": "13900000008"} {
				set(t, f, sh, col+fmt.Sprint(li+5), v)
			}
		}), fmt.Sprintf("第 %d 行：手机号「1381234」有误：请填写 11 位中国大陆手机号", 9), "第 11 行：请填写真实姓名")

		check("a good line, then a bad one on the last line", edit(func(f *excelize.File, sh string, li int) {
			for col, v := range map[string]string{"A": "团委委员", "B": "陈晓", "C": "13900000009"} {
				set(t, f, sh, col+fmt.Sprint(li+3), v)
			}
			last := findRow(t, f, sh, "A", "服务站管理员")
			for col, v := range map[string]string{"B": "周杰", "C": "站长助理", "D": "13900000010", "E": "QQ12"} {
				set(t, f, sh, col+fmt.Sprint(last), v)
			}
		}), "QQ号「QQ12」有误")

		check("a phone twice", edit(func(f *excelize.File, sh string, li int) {
			for col, v := range map[string]string{"A": "团委委员", "B": "陈晓", "C": "13800000002"} {
				set(t, f, sh, col+fmt.Sprint(li+3), v)
			}
		}), "手机号 13800000002 与第 7 行重复")

		check("not a workbook", []byte("职务,姓名,手机号\n"), "不是 Excel 工作簿")
		check("too large", bytes.Repeat([]byte{'x'}, cadre.MaxFormBytes+1), "文件超过 5 MiB")
		noForm := excelize.NewFile()
		set(t, noForm, "Sheet1", "A1", "名单")
		set(t, noForm, "Sheet1", "A2", "张三")
		check("no header", save(t, noForm), "没有找到附件1的表头")
		many := excelize.NewFile()
		if err := many.SetSheetRow("Sheet1", "A1", &[]string{"职务", "姓名", "手机号"}); err != nil {
			t.Fatal(err)
		}
		for i := range cadre.MaxFormRows + 1 {
			if err := many.SetSheetRow("Sheet1", fmt.Sprintf("A%d", i+2), &[]string{"干事", "张三", fmt.Sprintf("139%08d", i)}); err != nil {
				t.Fatal(err)
			}
		}
		check("too many rows", save(t, many), "超过 2000")
	})
}

// A university admin exports and imports their own university's form
// only; the province any, and without a university all 166, one sheet
// each.
func TestFormScoping(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *model.DB) {
		w := newFormWorld(t, db)
		ctx := context.Background()
		_, err := w.svc.ExportForm(ctx, w.adminB, &w.uniA)
		servicetest.WantErr(t, "another university's export", err, service.ErrForbidden, "forbidden")
		_, err = w.svc.ExportForm(ctx, w.student, nil)
		servicetest.WantErr(t, "a student's export", err, service.ErrForbidden, "forbidden")
		own, err := w.svc.ExportForm(ctx, w.adminA, &w.uniA)
		if err != nil {
			t.Fatal(err)
		}
		_, err = w.svc.ImportForm(ctx, w.adminB, w.uniA, bytes.NewReader(own.Data), true)
		servicetest.WantErr(t, "another university's import", err, service.ErrForbidden, "forbidden")
		if l := w.roster(t); len(l) != 2 {
			t.Fatalf("roster after a refused import: %+v", l)
		}
		mine, err := w.svc.ExportForm(ctx, w.adminB, nil)
		if err != nil || len(openForm(t, mine.Data).GetSheetList()) != 1 {
			t.Fatalf("a university admin without a university: %v", err)
		}
		if bytes.Contains(mine.Data, []byte("13800000001")) {
			t.Fatal("university B's form shows A's people")
		}

		all, err := w.svc.ExportForm(ctx, w.province, nil)
		if err != nil {
			t.Fatal(err)
		}
		var n int64
		if err := db.Conn(ctx).Model(&model.University{}).Count(&n).Error; err != nil {
			t.Fatal(err)
		}
		f := openForm(t, all.Data)
		sheets := f.GetSheetList()
		if len(sheets) != int(n) || n != 166 {
			t.Fatalf("province export: %d sheets for %d universities", len(sheets), n)
		}
		seen := map[string]bool{}
		for _, s := range sheets {
			if utf8.RuneCountInString(s) > 31 || seen[s] {
				t.Fatalf("sheet name %q too long or repeated", s)
			}
			seen[s] = true
		}
		var a model.University
		if err := db.Conn(ctx).Take(&a, w.uniA).Error; err != nil {
			t.Fatal(err)
		}
		i := slices.IndexFunc(sheets, func(s string) bool { return strings.HasPrefix(s, a.Code+" ") })
		if i < 0 {
			t.Fatalf("no sheet for %s in %v", a.Code, sheets[:3])
		}
		if row := findRow(t, f, sheets[i], "B", "王芳"); row == 0 {
			t.Fatal("university A's sheet misses its roster")
		}
		res, err := w.svc.ImportForm(ctx, w.province, w.uniA, bytes.NewReader(all.Data), true)
		if err != nil || res.Sheet != sheets[0] {
			t.Fatalf("the province's workbook imported for A reads sheet %q (the first with a form), %v", res.Sheet, err)
		}
		if warned := slices.ContainsFunc(res.Warnings, func(s string) bool { return strings.Contains(s, "学校名称") }); warned != (i != 0) {
			t.Fatalf("importing sheet %q for %s: warnings %v", res.Sheet, a.Name, res.Warnings)
		}
	})
}

// Merged cells as offices draw them: one 职务 for two people, one 类别
// down the station's admins, a title across the table; and a QQ number
// typed as a number.
func TestFormImportReadsMergedCells(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *model.DB) {
		w := newFormWorld(t, db)
		f := excelize.NewFile()
		defer f.Close()
		rows := [][]any{
			{"广东省高校“青年之声”团学干部注册登记表"},
			{"学校名称：", "某某大学"},
			{"职务", "姓名", "手机号", "邮箱", "QQ号", "微信号"},
			{"校学生会副主席", "甲同学", "13900000011", "", 123456789},
			{nil, "乙同学", "13900000012"},
			{},
			{"高校“青年之家”服务站管理员信息："},
			{"类别", "姓名", "职务", "手机号", "QQ号", "微信号"},
			{"服务站\n负责人", "丙老师", "团委副书记", "13900000013"},
			{"服务站\n管理员", "丁同学", "志愿者", "13900000014"},
			{nil, "戊同学", "志愿者", "13900000015"},
			{nil},
		}
		for i, r := range rows {
			if err := f.SetSheetRow("Sheet1", fmt.Sprintf("A%d", i+1), &r); err != nil {
				t.Fatal(err)
			}
		}
		for _, m := range [][2]string{{"A1", "F1"}, {"A4", "A5"}, {"A10", "A12"}} {
			if err := f.MergeCell("Sheet1", m[0], m[1]); err != nil {
				t.Fatal(err)
			}
		}
		res, err := w.svc.ImportForm(context.Background(), w.adminA, w.uniA, bytes.NewReader(save(t, f)), true)
		if err != nil {
			t.Fatalf("%v: %+v", err, res.Problems)
		}
		want := map[int]string{4: "校学生会副主席/student_leader/123456789", 5: "校学生会副主席/student_leader/",
			9: "团委副书记/station_head/", 10: "志愿者/station_admin/", 11: "志愿者/station_admin/"}
		if len(res.Rows) != len(want) {
			t.Fatalf("rows %+v", res.Rows)
		}
		for n, wnt := range want {
			r := rowOf(t, res, n)
			if got := r.Position + "/" + r.Category + "/" + r.QQ; got != wnt {
				t.Errorf("row %d: %s, want %s", n, got, wnt)
			}
		}
		if res.School != "某某大学" || len(res.Warnings) != 1 {
			t.Fatalf("school %q, warnings %v; want the other school's name warned about", res.School, res.Warnings)
		}
	})
}
