package cadre

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/width"
	"gorm.io/gorm"

	"github.com/gdyouth/youthvoice/model"
	"github.com/gdyouth/youthvoice/service"
	"github.com/gdyouth/youthvoice/service/audit"
)

// Limits of an uploaded 附件1: a university lists a few dozen people, so
// these only keep a wrong or hostile file from costing the server.
const (
	MaxFormBytes = 5 << 20  // the .xlsx as uploaded
	MaxFormRows  = 2000     // people listed in one file
	maxFormUnzip = 64 << 20 // the workbook's parts once unzipped (a zip bomb stops here)
)

// The notice's texts (附件1), written by the export and recognised by the
// import.
const (
	formTitle  = "广东省高校“青年之声”团学干部注册登记表"
	formTable1 = "学校专兼职团干部（含二级院系）和校级学生组织干部信息："
	formTable2 = "高校“青年之家”服务站管理员信息："
	formNote   = "注：可另外附页。"
	formHead   = "服务站负责人"
	formAdmin  = "服务站管理员"
	// formBlankRows is how many lines each table has at least, as on the
	// printed form, so an office can type in the empty ones.
	formBlankRows = 13
)

var (
	formHeader1 = []string{"职务", "姓名", "手机号", "邮箱", "QQ号", "微信号"}
	formHeader2 = []string{"类别", "姓名", "职务", "手机号", "QQ号", "微信号"}
)

// Workbook is an exported 附件1: the .xlsx and the names to save it under.
type Workbook struct {
	Data []byte
	Name string // Chinese file name
	// ASCIIName is the name for clients that cannot take the Chinese one.
	ASCIIName string
}

// formSheet is one university's form as the export writes it.
type formSheet struct {
	uni    model.University
	table1 []model.RosterEntry
	table2 [][6]string // 类别 姓名 职务 手机号 QQ号 微信号
}

// ExportForm writes 附件1 as the notice prints it, filled in from the
// roster and the station's team: university *uni's form, or with uni nil
// every university's, one sheet each (the province admin; a university
// admin gets their own).
func (s *Service) ExportForm(ctx context.Context, actor model.User, uni *uint64) (Workbook, error) {
	if uni == nil && !actor.Has(model.RoleProvinceAdmin) && actor.UniversityID != nil {
		uni = actor.UniversityID
	}
	switch {
	case uni == nil && !actor.Has(model.RoleProvinceAdmin), uni != nil && !canManage(actor, *uni):
		return Workbook{}, service.Forbidden("forbidden", "只有本校团委管理员或省级管理员可以导出本校的附件1")
	}
	sheets, err := s.formSheets(ctx, uni)
	if err != nil {
		return Workbook{}, service.Wrap("导出附件1", err)
	}
	data, err := writeForm(sheets)
	if err != nil {
		return Workbook{}, service.Wrap("导出附件1", err)
	}
	w := Workbook{Data: data, Name: "附件1_团学干部注册登记表_全省.xlsx", ASCIIName: "registration-form-all.xlsx"}
	if uni != nil {
		u := sheets[0].uni
		w.Name, w.ASCIIName = "附件1_团学干部注册登记表_"+u.Name+".xlsx", "registration-form-"+u.Code+".xlsx"
	}
	// The form lists names and phones: no copy leaves unrecorded.
	rows := 0
	for _, sh := range sheets {
		rows += len(sh.table1) + len(sh.table2)
	}
	if err := audit.Record(ctx, s.db, audit.Entry{Actor: &actor, UniversityID: uni, Action: audit.ActionExportPersonal,
		ObjectType: "file", ObjectID: w.ASCIIName, Summary: fmt.Sprintf("导出附件1（团学干部注册登记表，%d 人）", rows),
		Detail: map[string]any{"what": "附件1", "rows": rows, "file": w.Name}}); err != nil {
		return Workbook{}, service.Wrap("导出附件1", err)
	}
	return w, nil
}

// formSheets reads what the forms show: a few queries for one university
// or for the whole province, not a few per university.
func (s *Service) formSheets(ctx context.Context, uni *uint64) ([]formSheet, error) {
	db := s.db.Conn(ctx)
	var unis []model.University
	q := db.Order("code")
	if uni != nil {
		q = q.Where("id = ?", *uni)
	}
	if err := q.Find(&unis).Error; err != nil {
		return nil, err
	}
	if len(unis) == 0 {
		return nil, service.NotFound("university_not_found", "学校不存在")
	}
	var entries []model.RosterEntry
	q = db.Where("status <> ?", model.RosterLeft).Order("id")
	if uni != nil {
		q = q.Where("university_id = ?", *uni)
	}
	if err := q.Find(&entries).Error; err != nil {
		return nil, err
	}
	var stations []model.Station
	q = db.Select("id", "university_id")
	if uni != nil {
		q = q.Where("university_id = ?", *uni)
	}
	if err := q.Find(&stations).Error; err != nil {
		return nil, err
	}
	stationUni := map[uint64]uint64{}
	stationIDs := make([]uint64, 0, len(stations))
	for _, st := range stations {
		stationUni[st.ID] = st.UniversityID
		stationIDs = append(stationIDs, st.ID)
	}
	var team []model.StationAdmin
	if len(stationIDs) > 0 {
		if err := db.Where("station_id IN ?", stationIDs).Order("id").Find(&team).Error; err != nil {
			return nil, err
		}
	}
	// The lead first, as on the form and on the team page.
	slices.SortStableFunc(team, func(a, b model.StationAdmin) int {
		return boolRank(b.Category == model.CategoryLead) - boolRank(a.Category == model.CategoryLead)
	})
	out := make([]formSheet, len(unis))
	byUni := map[uint64]*formSheet{}
	onTeam := map[uint64]map[string]bool{} // university → phones on its team
	for i, u := range unis {
		out[i].uni = u
		byUni[u.ID] = &out[i]
		onTeam[u.ID] = map[string]bool{}
	}
	for _, m := range team {
		sh := byUni[stationUni[m.StationID]]
		if sh == nil {
			continue
		}
		cat := formAdmin
		if m.Category == model.CategoryLead {
			cat = formHead
		}
		sh.table2 = append(sh.table2, [6]string{cat, m.RealName, m.Position, m.Phone, m.QQ, m.WeChatID})
		onTeam[sh.uni.ID][m.Phone] = true
	}
	rank := func(c string) int { return slices.Index(model.Categories, c) }
	slices.SortStableFunc(entries, func(a, b model.RosterEntry) int { return cmp.Compare(rank(a.Category), rank(b.Category)) })
	for _, e := range entries {
		sh := byUni[e.UniversityID]
		if sh == nil {
			continue
		}
		switch e.Category {
		case model.CategoryStationHead, model.CategoryStationAdmin:
			if onTeam[e.UniversityID][e.Phone] {
				continue
			}
			cat := formAdmin
			if e.Category == model.CategoryStationHead {
				cat = formHead
			}
			sh.table2 = append(sh.table2, [6]string{cat, e.RealName, e.Position, e.Phone, e.QQ, e.WeChatID})
		default:
			sh.table1 = append(sh.table1, e)
		}
	}
	return out, nil
}

// formStyles are the cell styles of the form.
type formStyles struct {
	title, label, header, cell, text int
}

func newFormStyles(f *excelize.File) (formStyles, error) {
	var st formStyles
	border := []excelize.Border{{Type: "left", Color: "000000", Style: 1}, {Type: "top", Color: "000000", Style: 1},
		{Type: "right", Color: "000000", Style: 1}, {Type: "bottom", Color: "000000", Style: 1}}
	center := &excelize.Alignment{Horizontal: "center", Vertical: "center", WrapText: true}
	var err error
	if st.title, err = f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true, Size: 16}, Alignment: center}); err != nil {
		return st, err
	}
	if st.label, err = f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true, Size: 11}}); err != nil {
		return st, err
	}
	if st.header, err = f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}, Border: border, Alignment: center,
		Fill: excelize.Fill{Type: "pattern", Color: []string{"F2F2F2"}, Pattern: 1}}); err != nil {
		return st, err
	}
	if st.cell, err = f.NewStyle(&excelize.Style{Border: border, Alignment: &excelize.Alignment{Vertical: "center", WrapText: true}}); err != nil {
		return st, err
	}
	// Text (@): phones and QQ numbers typed into the empty lines stay
	// text instead of turning into 1.38123E+10.
	st.text, err = f.NewStyle(&excelize.Style{Border: border, NumFmt: 49, Alignment: &excelize.Alignment{Vertical: "center"}})
	return st, err
}

// writeForm writes one sheet per university.
func writeForm(sheets []formSheet) ([]byte, error) {
	f := excelize.NewFile()
	defer f.Close()
	st, err := newFormStyles(f)
	if err != nil {
		return nil, err
	}
	for i, sh := range sheets {
		name := formSheetName(sh.uni)
		if i == 0 {
			err = f.SetSheetName("Sheet1", name)
		} else {
			_, err = f.NewSheet(name)
		}
		if err != nil {
			return nil, err
		}
		if err := writeFormSheet(f, name, sh, st); err != nil {
			return nil, fmt.Errorf("%s: %w", sh.uni.Code, err)
		}
	}
	f.SetActiveSheet(0)
	buf, err := f.WriteToBuffer()
	if err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// formSheetName is the university's code and short name: unique (the
// code) and within Excel's 31 characters, without the characters Excel
// refuses in a sheet name.
func formSheetName(u model.University) string {
	name := strings.Map(func(r rune) rune {
		if strings.ContainsRune(`:\/?*[]'：`, r) {
			return -1
		}
		return r
	}, u.Name)
	name = strings.TrimPrefix(name, "广东")
	if r := []rune(name); len(r) > 20 {
		name = string(r[:20])
	}
	return strings.TrimSpace(u.Code + " " + name)
}

func writeFormSheet(f *excelize.File, sheet string, sh formSheet, st formStyles) error {
	set := func(col, row int, v string, style int) error {
		cell, err := excelize.CoordinatesToCellName(col, row)
		if err != nil {
			return err
		}
		if err := f.SetCellStr(sheet, cell, v); err != nil {
			return err
		}
		return f.SetCellStyle(sheet, cell, cell, style)
	}
	line := func(row int, v string, style int) error {
		if err := set(1, row, v, style); err != nil {
			return err
		}
		return f.MergeCell(sheet, "A"+strconv.Itoa(row), "F"+strconv.Itoa(row))
	}
	header := func(row int, cols []string) error {
		for i, h := range cols {
			if err := set(i+1, row, h, st.header); err != nil {
				return err
			}
		}
		return f.SetRowHeight(sheet, row, 22)
	}
	// textCols are the columns (1-based) kept as text: phone and QQ.
	body := func(row int, vals [6]string, textCols ...int) error {
		for i, v := range vals {
			style := st.cell
			if slices.Contains(textCols, i+1) {
				style = st.text
			}
			if err := set(i+1, row, v, style); err != nil {
				return err
			}
		}
		return f.SetRowHeight(sheet, row, 20)
	}
	for col, w := range map[string]float64{"A": 26, "B": 12, "C": 22, "D": 26, "E": 14, "F": 18} {
		if err := f.SetColWidth(sheet, col, col, w); err != nil {
			return err
		}
	}
	school := "学校名称：" + sh.uni.Name
	row := 1
	if err := line(row, formTitle, st.title); err != nil {
		return err
	}
	if err := f.SetRowHeight(sheet, row, 32); err != nil {
		return err
	}
	row += 2
	for _, l := range []string{school, formTable1} {
		if err := line(row, l, st.label); err != nil {
			return err
		}
		row++
	}
	if err := header(row, formHeader1); err != nil {
		return err
	}
	row++
	for i := range max(len(sh.table1)+3, formBlankRows) {
		var vals [6]string
		if i < len(sh.table1) {
			e := sh.table1[i]
			vals = [6]string{e.Position, e.RealName, e.Phone, e.Email, e.QQ, e.WeChatID}
		}
		if err := body(row, vals, 3, 5); err != nil {
			return err
		}
		row++
	}
	if err := line(row, formNote, st.label); err != nil {
		return err
	}
	row += 2
	for _, l := range []string{school, formTable2} {
		if err := line(row, l, st.label); err != nil {
			return err
		}
		row++
	}
	if err := header(row, formHeader2); err != nil {
		return err
	}
	row++
	lines := slices.Clone(sh.table2)
	// The printed form has a line for the lead and one for an admin: an
	// empty one stays, with its 类别, for the office to fill in.
	if !slices.ContainsFunc(lines, func(l [6]string) bool { return l[0] == formHead }) {
		lines = append([][6]string{{formHead}}, lines...)
	}
	if !slices.ContainsFunc(lines, func(l [6]string) bool { return l[0] == formAdmin }) {
		lines = append(lines, [6]string{formAdmin})
	}
	for i := range max(len(lines)+3, formBlankRows) {
		var vals [6]string
		if i < len(lines) {
			vals = lines[i]
		}
		if err := body(row, vals, 4, 5); err != nil {
			return err
		}
		row++
	}
	return nil
}

// Import actions of a row.
const (
	FormAdd       = "add"       // 新增
	FormUpdate    = "update"    // 更新
	FormUnchanged = "unchanged" // 不变
	FormSame      = "same"      // the person of an earlier row (listed in both tables)
)

// FormRow is one person of an imported form and what the import does
// with them.
type FormRow struct {
	Row   int // the sheet's row, as Excel numbers it
	Table int // 1: 团学干部, 2: 服务站
	Person
	Action  string   // Form*
	Changes []string // the fields an update changes, in Chinese
	// Account is the approved account the entry is linked to (Linked:
	// already) or will be by this import.
	Account string
	Linked  bool
	// SameAs is the earlier row of the same person (FormSame).
	SameAs int
	uid    uint64
}

// ActionName is the row's action in Chinese.
func (r FormRow) ActionName() string {
	switch r.Action {
	case FormAdd:
		return "新增"
	case FormUpdate:
		return "更新"
	case FormUnchanged:
		return "不变"
	case FormSame:
		return fmt.Sprintf("同第 %d 行", r.SameAs)
	}
	return r.Action
}

// CategoryName is the row's category in Chinese.
func (r FormRow) CategoryName() string { return model.CategoryName(r.Category) }

// ChangeList is the fields an update changes, for a sentence.
func (r FormRow) ChangeList() string { return strings.Join(r.Changes, "、") }

// FormProblem is one thing wrong with a form: Row is the sheet's row (0:
// the file as a whole).
type FormProblem struct {
	Row    int
	Reason string
}

// String is the problem as the user reads it.
func (p FormProblem) String() string {
	if p.Row > 0 {
		return fmt.Sprintf("第 %d 行：%s", p.Row, p.Reason)
	}
	return p.Reason
}

// FormImport is what an import of 附件1 does (did, unless DryRun): every
// person's row with its action, or the problems that stop it.
type FormImport struct {
	University model.University
	Sheet      string // the sheet read
	School     string // what the form says after 学校名称
	Warnings   []string
	Rows       []FormRow
	Problems   []FormProblem
	Added      int
	Updated    int
	Unchanged  int
	Linking    int // rows linked to an account by this import
	DryRun     bool
}

// ImportForm reads 附件1 as a university fills it in and puts every
// person on university uni's roster: table 1's with the category their
// 职务 suggests, table 2's as the station's lead or admins. An entry with
// the same phone is updated (a blank 邮箱, QQ号 or 微信号 keeps the stored
// one), and an approved account with the phone is linked. With dryRun
// nothing is written. A file with any problem is refused as a whole
// (service.ErrInvalid, code form_rejected) and the result lists every
// problem by row; otherwise every row is written in one transaction.
func (s *Service) ImportForm(ctx context.Context, actor model.User, uni uint64, r io.Reader, dryRun bool) (FormImport, error) {
	if !canManage(actor, uni) {
		return FormImport{}, service.Forbidden("forbidden", "只有本校团委管理员或省级管理员可以导入本校的附件1")
	}
	res := FormImport{DryRun: dryRun}
	err := s.db.Conn(ctx).Take(&res.University, uni).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return FormImport{}, service.NotFound("university_not_found", "学校不存在")
	}
	if err != nil {
		return FormImport{}, service.Wrap("读取学校", err)
	}
	rows, err := parseForm(r, &res)
	if err != nil {
		return FormImport{}, service.Wrap("读取附件1", err)
	}
	if len(res.Problems) > 0 {
		return res, formRejected(res)
	}
	if res.School != "" && !sameSchool(res.School, res.University.Name) {
		res.Warnings = append(res.Warnings, fmt.Sprintf("表中的学校名称是「%s」，导入的学校是「%s」，请确认没有选错文件", res.School, res.University.Name))
	}
	if dryRun {
		err = s.planForm(ctx, uni, rows, &res, false)
	} else {
		err = s.db.WithTx(ctx, func(ctx context.Context) error {
			// One import of a university at a time: the second waits,
			// then sees the first's entries.
			var u model.University
			if err := s.db.ForUpdate(ctx).Take(&u, uni).Error; err != nil {
				return err
			}
			if err := s.planForm(ctx, uni, rows, &res, true); err != nil {
				return err
			}
			return audit.Record(ctx, s.db, audit.Entry{Actor: &actor, UniversityID: &uni, Action: audit.ActionRosterImport,
				ObjectType: "university", ObjectID: audit.ID(uni),
				Summary: fmt.Sprintf("导入附件1：新增 %d 人，更新 %d 人，未变 %d 人", res.Added, res.Updated, res.Unchanged),
				Detail:  map[string]any{"added": res.Added, "updated": res.Updated, "unchanged": res.Unchanged, "linked": res.Linking}})
		})
	}
	if errors.Is(err, service.ErrInvalid) || errors.Is(err, service.ErrConflict) {
		return res, err
	}
	if err != nil {
		return FormImport{}, service.Wrap("导入附件1", err)
	}
	return res, nil
}

func formRejected(res FormImport) error {
	var b strings.Builder
	fmt.Fprintf(&b, "附件1 有 %d 处问题，未导入任何数据", len(res.Problems))
	if res.Sheet != "" {
		fmt.Fprintf(&b, "（工作表「%s」）", res.Sheet)
	}
	b.WriteString("：")
	fields := map[string]string{}
	for _, p := range res.Problems {
		b.WriteString("\n" + p.String())
		key := "file"
		if p.Row > 0 {
			key = "row_" + strconv.Itoa(p.Row)
		}
		if fields[key] != "" {
			fields[key] += "；"
		}
		fields[key] += p.Reason
	}
	return service.Invalid("form_rejected", b.String(), fields)
}

// sameSchool tells whether the form's 学校名称 names the university (the
// office may shorten it).
func sameSchool(form, name string) bool {
	form, name = squeeze(form), squeeze(name)
	return strings.Contains(form, name) || strings.Contains(name, form)
}

// planForm decides each row's action against the roster and, with
// apply, writes it.
func (s *Service) planForm(ctx context.Context, uni uint64, rows []FormRow, res *FormImport, apply bool) error {
	var entries []model.RosterEntry
	if err := s.db.Conn(ctx).Where("university_id = ?", uni).Find(&entries).Error; err != nil {
		return err
	}
	byPhone := make(map[string]model.RosterEntry, len(entries))
	for _, e := range entries {
		byPhone[e.Phone] = e
	}
	linked := map[uint64]bool{}
	res.Rows = res.Rows[:0]
	for _, row := range rows {
		if row.Action == FormSame {
			res.Rows = append(res.Rows, row)
			continue
		}
		old, exists := byPhone[row.Phone]
		p := row.Person
		if exists {
			// Blank optional cells keep what the roster has: a form
			// typed with names and phones only wipes nothing.
			p.Email, p.QQ, p.WeChatID = cmp.Or(p.Email, old.Email), cmp.Or(p.QQ, old.QQ), cmp.Or(p.WeChatID, old.WeChatID)
			// A category the office corrected by hand stays while the
			// 职务 and the table are the same.
			if p.Position == old.Position && tableOf(old.Category) == row.Table {
				p.Category = old.Category
			}
		}
		row.Person = p
		switch {
		case !exists:
			row.Action = FormAdd
		case old.Status == model.RosterLeft:
			row.Action, row.Changes = FormUpdate, []string{"重新列入名册（曾离任）"}
		default:
			row.Changes = personChanges(old, p)
			row.Action = FormUnchanged
			if len(row.Changes) > 0 {
				row.Action = FormUpdate
			}
		}
		var uid uint64
		if exists && old.Status != model.RosterLeft && old.UserID != nil {
			uid, row.Linked = *old.UserID, true
		} else {
			var err error
			if uid, err = s.approvedAccount(ctx, uni, row.Phone); err != nil {
				return err
			}
			if uid != 0 {
				res.Linking++
				if row.Action == FormUnchanged {
					row.Action, row.Changes = FormUpdate, []string{"关联账号"}
				}
			}
		}
		if uid != 0 {
			linked[uid], row.uid = true, uid
		}
		switch row.Action {
		case FormAdd:
			res.Added++
		case FormUpdate:
			res.Updated++
		default:
			res.Unchanged++
		}
		if apply && row.Action != FormUnchanged {
			if _, err := s.upsertPerson(ctx, uni, p, "form", true); err != nil {
				if errors.Is(err, gorm.ErrDuplicatedKey) {
					return service.Conflict("import_conflict", "导入期间名册被修改，已全部回滚，请重新导入", nil)
				}
				return err
			}
		}
		res.Rows = append(res.Rows, row)
	}
	if len(linked) > 0 {
		ids := make([]uint64, 0, len(linked))
		for id := range linked {
			ids = append(ids, id)
		}
		var us []model.User
		if err := s.db.Conn(ctx).Select("id", "account").Where("id IN ?", ids).Find(&us).Error; err != nil {
			return err
		}
		names := map[uint64]string{}
		for _, u := range us {
			names[u.ID] = u.Account
		}
		for i := range res.Rows {
			if id := res.Rows[i].uid; id != 0 {
				res.Rows[i].Account = names[id]
			}
		}
	}
	return nil
}

// tableOf is the table of 附件1 a category belongs to.
func tableOf(category string) int {
	if category == model.CategoryStationHead || category == model.CategoryStationAdmin {
		return 2
	}
	return 1
}

// personChanges names the fields p changes in e.
func personChanges(e model.RosterEntry, p Person) []string {
	var out []string
	for _, c := range []struct {
		name     string
		old, new string
	}{{"类别", e.Category, p.Category}, {"职务", e.Position, p.Position}, {"姓名", e.RealName, p.RealName},
		{"邮箱", e.Email, p.Email}, {"QQ号", e.QQ, p.QQ}, {"微信号", e.WeChatID, p.WeChatID}} {
		if c.old != c.new {
			out = append(out, c.name)
		}
	}
	return out
}

// formColumns are the fields a header row may name, with the spellings
// accepted (compared after squeeze).
var formColumns = map[string][]string{
	"category":  {"类别", "类型"},
	"position":  {"职务", "职位"},
	"real_name": {"姓名", "名字"},
	"phone":     {"手机号", "手机", "手机号码", "联系电话", "电话"},
	"email":     {"邮箱", "电子邮箱", "邮件", "email", "e-mail"},
	"qq":        {"qq号", "qq", "qq号码"},
	"wechat_id": {"微信号", "微信", "微信号码"},
}

// fieldLabels are the fields' names in the problems.
var fieldLabels = map[string]string{"category": "类别", "position": "职务", "real_name": "姓名", "phone": "手机号",
	"email": "邮箱", "qq": "QQ号", "wechat_id": "微信号"}

// squeeze is a cell as compared with the form's texts: half-width,
// lower case, without any space or trailing colon.
func squeeze(s string) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) || unicode.Is(unicode.Cf, r) {
			return -1
		}
		return r
	}, width.Narrow.String(s))
	return strings.ToLower(strings.TrimRight(s, ":*"))
}

// headerOf maps a row's cells to fields when the row is the header of
// table 1 (职务, 姓名, 手机号 …) or table 2 (类别, 姓名, 手机号 …); 0 when
// it is neither.
func headerOf(cells []string) (int, map[string]int) {
	cols := map[string]int{}
	for i, c := range cells {
		c = squeeze(c)
		for field, names := range formColumns {
			if _, seen := cols[field]; !seen && slices.Contains(names, c) {
				cols[field] = i
			}
		}
	}
	_, name := cols["real_name"]
	_, phone := cols["phone"]
	if !name || !phone {
		return 0, nil
	}
	if _, ok := cols["category"]; ok {
		return 2, cols
	}
	if _, ok := cols["position"]; ok {
		return 1, cols
	}
	return 0, nil
}

// labelRow tells the form's own lines (学校名称, a table's title, 注) from
// a person: what they write in the first filled cell.
func labelRow(cells []string) (label string, ok bool) {
	for _, c := range cells {
		if c = strings.TrimSpace(c); c == "" {
			continue
		}
		sq := squeeze(c)
		switch {
		case strings.HasPrefix(sq, "学校名称"), strings.HasPrefix(sq, "注:"), strings.HasPrefix(sq, "注："),
			strings.HasPrefix(sq, "备注"), strings.HasPrefix(sq, "附件"), strings.Contains(sq, "登记表"),
			strings.HasSuffix(strings.TrimSpace(width.Narrow.String(c)), ":"):
			return c, true
		}
		return "", false
	}
	return "", false
}

// schoolOf is the name after 学校名称 on a label row.
func schoolOf(cells []string) string {
	for i, c := range cells {
		sq := squeeze(c)
		if !strings.HasPrefix(sq, "学校名称") {
			continue
		}
		if rest := strings.TrimLeft(strings.TrimPrefix(sq, "学校名称"), ":："); rest != "" {
			return rest
		}
		for _, next := range cells[i+1:] {
			if next = strings.TrimSpace(next); next != "" {
				return next
			}
		}
	}
	return ""
}

var (
	// numberRE is a number Excel stored for a phone typed as a number:
	// 13812345678, 13812345678.0 or 1.3812345678E10.
	numberRE = regexp.MustCompile(`^[0-9]+(\.[0-9]+)?([eE]\+?[0-9]+)?$`)
	hanRE    = regexp.MustCompile(`^[\p{Han}·•\s]+$`)
)

// digits cleans a phone or QQ number as typed: half-width, without the
// spaces and dashes that group its digits, and a number Excel stored
// written out again.
func digits(s string) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) || unicode.Is(unicode.Cf, r) || strings.ContainsRune("-‐‑–—―－()（）", r) {
			return -1
		}
		return r
	}, width.Narrow.String(s))
	s = strings.TrimPrefix(s, "+86")
	if numberRE.MatchString(s) && strings.ContainsAny(s, ".eE") {
		if f, err := strconv.ParseFloat(s, 64); err == nil && f == float64(int64(f)) && f < 1e15 {
			s = strconv.FormatInt(int64(f), 10)
		}
	}
	return s
}

// cleanName drops the spaces an office types to align a two-character
// Chinese name (张  三).
func cleanName(s string) string {
	if hanRE.MatchString(s) {
		return strings.Join(strings.Fields(s), "")
	}
	return s
}

// parseForm reads the workbook into the people it lists, with their
// problems in res.Problems (nil rows then), and notes the sheet and the
// school it names.
func parseForm(r io.Reader, res *FormImport) ([]FormRow, error) {
	raw, err := io.ReadAll(io.LimitReader(r, MaxFormBytes+1))
	if err != nil {
		return nil, err
	}
	bad := func(row int, reason string) { res.Problems = append(res.Problems, FormProblem{row, reason}) }
	switch {
	case len(raw) == 0:
		bad(0, "文件为空，请选择填好的附件1（.xlsx）")
		return nil, nil
	case len(raw) > MaxFormBytes:
		bad(0, fmt.Sprintf("文件超过 %d MiB，请只保留附件1的内容后重试", MaxFormBytes>>20))
		return nil, nil
	}
	f, err := excelize.OpenReader(bytes.NewReader(raw), excelize.Options{RawCellValue: true, UnzipSizeLimit: maxFormUnzip, UnzipXMLSizeLimit: 16 << 20})
	if err != nil {
		bad(0, "无法读取：文件不是 Excel 工作簿（.xlsx）。若是 .xls、.doc 或 WPS 格式，请在 Excel 或 WPS 中「另存为」Excel 工作簿（*.xlsx）后再上传")
		return nil, nil //nolint:nilerr // a bad file is the user's problem, reported as one
	}
	defer f.Close()
	for _, sheet := range f.GetSheetList() {
		cells, tooMany, err := readSheet(f, sheet)
		if err != nil {
			continue // a sheet excelize cannot read (a chart sheet): not the form
		}
		if !slices.ContainsFunc(cells, func(c sheetRow) bool { t, _ := headerOf(c.cells); return t == 1 }) {
			continue
		}
		res.Sheet = sheet
		if tooMany {
			bad(0, fmt.Sprintf("工作表「%s」填写的行数超过 %d 行，请分成几个文件导入", sheet, MaxFormRows))
			return nil, nil
		}
		rows := formRows(cells, res)
		if len(res.Problems) > 0 {
			return nil, nil
		}
		return rows, nil
	}
	bad(0, "没有找到附件1的表头（职务、姓名、手机号、邮箱、QQ号、微信号）：请使用附件1的格式填写，可在本页下载本校的附件1")
	return nil, nil
}

// sheetRow is a row with something in it.
type sheetRow struct {
	num   int
	cells []string
}

// readSheet reads the rows of sheet that have something in them, with
// merged cells spanning several rows filled down into the rows below
// that have something else in them (a 职务 or 类别 written once for
// several people). tooMany: more rows than a form may have.
func readSheet(f *excelize.File, sheet string) (out []sheetRow, tooMany bool, err error) {
	it, err := f.Rows(sheet)
	if err != nil {
		return nil, false, err
	}
	defer it.Close()
	n := 0
	for it.Next() {
		n++
		cells, err := it.Columns(excelize.Options{RawCellValue: true})
		if err != nil {
			return nil, false, err
		}
		if !slices.ContainsFunc(cells, func(c string) bool { return strings.TrimSpace(c) != "" }) {
			continue
		}
		// The form's own lines (title, headers, labels) come on top of
		// the people.
		if len(out) > MaxFormRows+50 {
			return out, true, nil
		}
		out = append(out, sheetRow{num: n, cells: cells})
	}
	if err := it.Error(); err != nil {
		return nil, false, err
	}
	merges, err := f.GetMergeCells(sheet)
	if err != nil {
		return out, false, nil //nolint:nilerr // without the merges the cells are still read
	}
	byNum := make(map[int]int, len(out))
	for i, r := range out {
		byNum[r.num] = i
	}
	for _, m := range merges {
		c1, r1, err1 := excelize.CellNameToCoordinates(m.GetStartAxis())
		_, r2, err2 := excelize.CellNameToCoordinates(m.GetEndAxis())
		if err1 != nil || err2 != nil || r2 <= r1 || c1 > 50 {
			continue
		}
		v := m.GetCellValue()
		for num := r1 + 1; num <= min(r2, r1+MaxFormRows); num++ {
			i, ok := byNum[num]
			if !ok {
				continue
			}
			for len(out[i].cells) < c1 {
				out[i].cells = append(out[i].cells, "")
			}
			if strings.TrimSpace(out[i].cells[c1-1]) == "" {
				out[i].cells[c1-1] = v
			}
		}
	}
	return out, false, nil
}

// formRows turns the rows of the form's sheet into people: the rows
// under a table's header, less the form's own lines. Every problem goes
// to res.Problems.
func formRows(rows []sheetRow, res *FormImport) []FormRow {
	bad := func(row int, reason string) { res.Problems = append(res.Problems, FormProblem{row, reason}) }
	var (
		out   []FormRow
		table int
		cols  map[string]int
		seen  = map[string]FormRow{} // phone → the row that listed it first
	)
	for _, r := range rows {
		if t, c := headerOf(r.cells); t != 0 {
			table, cols = t, c
			continue
		}
		if _, ok := labelRow(r.cells); ok {
			if school := schoolOf(r.cells); school != "" && res.School == "" {
				res.School = school
			}
			continue
		}
		if table == 0 {
			continue // above the first table: the title and the like
		}
		get := func(field string) string {
			i, ok := cols[field]
			if !ok || i >= len(r.cells) {
				return ""
			}
			return strings.TrimSpace(r.cells[i])
		}
		p := Person{Position: get("position"), RealName: cleanName(service.CleanLine(get("real_name"))),
			Phone: digits(get("phone")), Email: strings.TrimSpace(width.Narrow.String(get("email"))),
			QQ: digits(get("qq")), WeChatID: strings.TrimSpace(width.Narrow.String(get("wechat_id")))}
		if p.Position == "" && p.RealName == "" && p.Phone == "" && p.Email == "" && p.QQ == "" && p.WeChatID == "" {
			continue // an empty line of the form (table 2's keep their 类别)
		}
		if len(out) >= MaxFormRows {
			bad(r.num, fmt.Sprintf("表中人员超过 %d 人，请分成几个文件导入", MaxFormRows))
			return nil
		}
		if table == 2 {
			switch cat := squeeze(get("category")); {
			case strings.Contains(cat, "负责人"):
				p.Category = model.CategoryStationHead
			case cat == "" || strings.Contains(cat, "管理员"):
				// A blank 类别 in table 2 is one more admin: the printed
				// form labels only its first admin line.
				p.Category = model.CategoryStationAdmin
			default:
				bad(r.num, "类别「"+get("category")+"」应为服务站负责人或服务站管理员")
				continue
			}
		}
		typed := p
		if err := p.validate(); err != nil {
			var se *service.Error
			if !errors.As(err, &se) {
				bad(r.num, err.Error())
				continue
			}
			for _, field := range []string{"position", "real_name", "phone", "email", "qq", "wechat_id", "category"} {
				msg, ok := se.Fields[field]
				if !ok {
					continue
				}
				value := map[string]string{"phone": typed.Phone, "email": typed.Email, "qq": typed.QQ, "wechat_id": typed.WeChatID}[field]
				if value != "" {
					msg = fieldLabels[field] + "「" + value + "」有误：" + msg
				}
				bad(r.num, msg)
			}
			continue
		}
		row := FormRow{Row: r.num, Table: table, Person: p}
		if first, dup := seen[p.Phone]; dup {
			switch {
			case first.Table == table:
				bad(r.num, fmt.Sprintf("手机号 %s 与第 %d 行重复", p.Phone, first.Row))
				continue
			case first.RealName != p.RealName:
				bad(r.num, fmt.Sprintf("手机号 %s 与第 %d 行相同，但姓名不同（%s / %s）", p.Phone, first.Row, first.RealName, p.RealName))
				continue
			}
			// One person in both tables (a 团委副书记 who leads the
			// station): one roster entry, as table 1 lists them.
			row.Action, row.SameAs = FormSame, first.Row
		} else {
			seen[p.Phone] = row
		}
		out = append(out, row)
	}
	if len(out) == 0 && len(res.Problems) == 0 {
		bad(0, "表中没有填写任何人员")
	}
	return out
}
