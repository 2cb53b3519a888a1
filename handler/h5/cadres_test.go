package h5_test

// Tests of the per-cadre assessment (干部考核): the province's table and
// its drill-down, a university admin's own roster, and the downloads.

import (
	"context"
	"encoding/csv"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/gdyouth/youthvoice/handler/internal/webtest"
	"github.com/gdyouth/youthvoice/model"
	"github.com/gdyouth/youthvoice/service/audit"
	"github.com/gdyouth/youthvoice/service/clock"
	"github.com/gdyouth/youthvoice/service/kv"
	"github.com/gdyouth/youthvoice/service/servicetest"
)

// cadreWorld is the assessment's fixture over the ten days before today,
// with the province admin and A's admin signed in.
func cadreWorld(t *testing.T, db *model.DB, store kv.Store) (*webtest.Stack, *servicetest.CadreWorld) {
	t.Helper()
	s := webtest.New(t, db, store, webtest.Opts{})
	b := time.Now().In(clock.Beijing)
	start := time.Date(b.Year(), b.Month(), b.Day(), 0, 0, 0, 0, clock.Beijing).AddDate(0, 0, -10)
	return s, servicetest.NewCadreWorld(t, db, start)
}

// rowCells is the text of the cells of the first table row matching attr
// (links and badges unwrapped).
func rowCells(t *testing.T, r *webtest.Resp, attr string) []string {
	t.Helper()
	m := regexp.MustCompile(`(?s)<tr ` + regexp.QuoteMeta(attr) + `[^>]*>(.*?)</tr>`).FindStringSubmatch(r.Body)
	if m == nil {
		t.Fatalf("%s: no row %s\n%s", r.URL, attr, r.Body)
	}
	var cells []string
	for _, c := range regexp.MustCompile(`(?s)<td[^>]*>(.*?)</td>`).FindAllStringSubmatch(m[1], -1) {
		cells = append(cells, strings.TrimSpace(regexp.MustCompile(`<[^>]*>`).ReplaceAllString(c[1], "")))
	}
	return cells
}

// headIndex is the position of a column by its label (links unwrapped).
func headIndex(t *testing.T, r *webtest.Resp, label string) int {
	t.Helper()
	heads := regexp.MustCompile(`(?s)<th scope="col"[^>]*>(.*?)</th>`).FindAllStringSubmatch(r.Body, -1)
	for i, h := range heads {
		if strings.TrimSpace(strings.TrimRight(regexp.MustCompile(`<[^>]*>`).ReplaceAllString(h[1], ""), " ▲▼")) == label {
			return i
		}
	}
	t.Fatalf("%s: no column %q", r.URL, label)
	return -1
}

func TestCadresPage(t *testing.T) {
	webtest.Each(t, func(t *testing.T, db *model.DB, store kv.Store) {
		s, w := cadreWorld(t, db, store)
		province, adminA, student := s.SignIn(w.Province), s.SignIn(w.AdminA), s.SignIn(w.Student)
		period := "from=" + w.From + "&to=" + w.To

		// The statistics page links here.
		webtest.WantBody(t, province.Get("/h5/admin/stats"), `id="cadres-link"`, "干部考核")

		// The province's table: every university, each linking to its roster.
		r := province.Get("/h5/admin/cadres?" + period + "&sort=answers")
		webtest.WantStatus(t, r, http.StatusOK)
		webtest.WantBody(t, r, "干部考核", "全省合计", `id="cadres-table"`, `id="xlsx-link"`, `id="csv-link"`, "指标说明", "近一年",
			"其他高校版区答复", `value="answers" selected`)
		if n := strings.Count(r.Body, `<tr data-code="`); n != 166 {
			t.Fatalf("table has %d universities, want 166", n)
		}
		drill := "/h5/admin/cadres?" + url.Values{"from": {w.From}, "to": {w.To}, "sort": {"answers"}, "uni": {w.UniA.Code}}.Encode()
		webtest.WantBody(t, r, `href="`+strings.ReplaceAll(drill, "&", "&amp;")+`"`)
		a := rowCells(t, r, `data-code="`+w.UniA.Code+`"`)
		if a[0] != w.UniA.Name || a[1] != "5" || a[headIndex(t, r, "答复总数")] != "7" || a[headIndex(t, r, "首次答复按时率")] != "75.0%" {
			t.Errorf("A's row %v", a)
		}
		if first := regexp.MustCompile(`<tr data-code="(\d+)"`).FindStringSubmatch(r.Body); first[1] != w.UniA.Code {
			t.Errorf("sorted by answers, the first row is %s", first[1])
		}

		// The drill-down: A's roster, each person.
		r = province.Get(drill)
		webtest.WantStatus(t, r, http.StatusOK)
		webtest.WantBody(t, r, w.UniA.Name, "陈一", "校团委副书记", "待注册", "已离任", `id="back-link"`)
		if n := strings.Count(r.Body, `<tr data-roster="`); n != 5 {
			t.Fatalf("%d roster lines, want 5", n)
		}
		c1 := rowCells(t, r, `data-roster="`)
		for label, want := range map[string]string{"姓名": "陈一", "答复总数": "3", "本校版区答复": "3", "首次答复": "2", "24小时内首次答复": "1",
			"超时首次答复": "1", "首次答复按时率": "50.0%", "首次答复用时中位数（小时）": "16.0", "评价满意": "1", "已评价": "2", "满意率": "50.0%"} {
			if got := c1[headIndex(t, r, label)]; got != want {
				t.Errorf("陈一 %s = %q, want %q", label, got, want)
			}
		}
		pending := rowCells(t, r, `data-roster="`+strconv.FormatUint(w.P.ID, 10)+`"`)
		if pending[3] != "待注册" || pending[headIndex(t, r, "答复总数")] != "0" || pending[headIndex(t, r, "满意率")] != "—" {
			t.Errorf("待注册 %v", pending)
		}
		if left := rowCells(t, r, `data-roster="`+strconv.FormatUint(w.EntryC3.ID, 10)+`"`); !strings.HasPrefix(left[3], "已离任") || left[headIndex(t, r, "答复总数")] != "2" {
			t.Errorf("已离任 %v", left)
		}

		// A's admin: their own roster without naming it; not B's.
		r = adminA.Get("/h5/admin/cadres?" + period)
		webtest.WantStatus(t, r, http.StatusOK)
		webtest.WantBody(t, r, w.UniA.Name, "陈一")
		webtest.WantNoBody(t, r, `<tr data-code="`)
		webtest.WantStatus(t, adminA.Get("/h5/admin/cadres?uni="+w.UniB.Code), http.StatusForbidden)
		webtest.WantStatus(t, student.Get("/h5/admin/cadres"), http.StatusForbidden)
		// A period the form cannot use: the default one, and why, above
		// the form.
		r = adminA.Get("/h5/admin/cadres?from=2026-3-1")
		webtest.WantStatus(t, r, http.StatusBadRequest)
		webtest.WantBody(t, r, `id="form-error"`, "日期格式应为 YYYY-MM-DD", `id="period-form"`, `id="cadres-table"`)
	})
}

func TestCadresDownloads(t *testing.T) {
	webtest.Each(t, func(t *testing.T, db *model.DB, store kv.Store) {
		s, w := cadreWorld(t, db, store)
		province, adminA := s.SignIn(w.Province), s.SignIn(w.AdminA)
		period := "from=" + w.From + "&to=" + w.To

		// XLSX: the header frozen, numbers stored as numbers, rates as
		// fractions shown as percentages, nothing for nothing to measure.
		r := adminA.Get("/h5/admin/cadres.xlsx?" + period)
		webtest.WantStatus(t, r, http.StatusOK)
		if ct := r.Header.Get("Content-Type"); ct != "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" {
			t.Fatalf("Content-Type %q", ct)
		}
		if cd := r.Header.Get("Content-Disposition"); !strings.HasPrefix(cd, "attachment;") || !strings.Contains(cd, ".xlsx") {
			t.Fatalf("Content-Disposition %q", cd)
		}
		f, err := excelize.OpenReader(strings.NewReader(r.Body))
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		const sheet = "干部考核"
		rows, err := f.GetRows(sheet)
		if err != nil || len(rows) != 1+1+5 {
			t.Fatalf("%d rows (%v), want header, total and 5 roster lines", len(rows), err)
		}
		col := map[string]int{}
		for i, h := range rows[0] {
			col[h] = i
		}
		var c1Row, pRow int
		for i, row := range rows {
			switch row[col["姓名"]] {
			case "陈一":
				c1Row = i + 1
			case "陈四":
				pRow = i + 1
			}
		}
		cell := func(name string, row int) string {
			c, err := excelize.CoordinatesToCellName(col[name]+1, row)
			if err != nil {
				t.Fatal(err)
			}
			return c
		}
		for name, want := range map[string]string{"答复总数": "3", "首次答复": "2", "首次答复按时率": "0.5", "首次答复用时中位数（小时）": "16"} {
			raw, err := f.GetCellValue(sheet, cell(name, c1Row), excelize.Options{RawCellValue: true})
			if err != nil || raw != want {
				t.Errorf("陈一 %s = %q (%v), want %s", name, raw, err, want)
			}
			typ, err := f.GetCellType(sheet, cell(name, c1Row))
			if err != nil || (typ != excelize.CellTypeNumber && typ != excelize.CellTypeUnset) {
				t.Errorf("陈一 %s is of type %v, want a number", name, typ)
			}
		}
		if shown, _ := f.GetCellValue(sheet, cell("首次答复按时率", c1Row)); shown != "50.0%" {
			t.Errorf("陈一 首次答复按时率 shows %q, want 50.0%%", shown)
		}
		if v, _ := f.GetCellValue(sheet, cell("满意率", pRow)); v != "" || rows[pRow-1][col["状态"]] != "待注册" {
			t.Errorf("待注册 满意率 %q, status %q: want an empty cell", v, rows[pRow-1][col["状态"]])
		}
		panes, err := f.GetPanes(sheet)
		if err != nil || !panes.Freeze || panes.YSplit != 1 {
			t.Fatalf("panes %+v, %v: want the header row frozen", panes, err)
		}
		webtest.WantStatus(t, adminA.Get("/h5/admin/cadres.xlsx?uni="+w.UniB.Code), http.StatusForbidden)

		// CSV: the province's table, with a BOM for Excel.
		r = province.Get("/h5/admin/cadres.csv?" + period)
		webtest.WantStatus(t, r, http.StatusOK)
		if ct := r.Header.Get("Content-Type"); ct != "text/csv; charset=utf-8" || !strings.HasPrefix(r.Body, "\ufeff") {
			t.Fatalf("Content-Type %q, BOM %v", ct, strings.HasPrefix(r.Body, "\ufeff"))
		}
		recs, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(r.Body, "\ufeff"))).ReadAll()
		if err != nil || len(recs) != 1+1+166 {
			t.Fatalf("%d records (%v), want header, total and 166", len(recs), err)
		}
		head := map[string]int{}
		for i, h := range recs[0] {
			head[h] = i
		}
		if recs[1][head["学校名称"]] != "全省合计" || recs[1][head["答复总数"]] != "8" {
			t.Errorf("total %v", recs[1])
		}
		for _, rec := range recs {
			if rec[0] == w.UniA.Code && (rec[head["名册人数"]] != "5" || rec[head["答复总数"]] != "7" || rec[head["其他高校版区答复"]] != "1") {
				t.Errorf("A %v", rec)
			}
		}
		// CSV of one roster, for its admin.
		r = adminA.Get("/h5/admin/cadres.csv?" + period)
		recs, err = csv.NewReader(strings.NewReader(strings.TrimPrefix(r.Body, "\ufeff"))).ReadAll()
		if err != nil || len(recs) != 1+1+5 || recs[1][4] != "本校合计" {
			t.Fatalf("A's CSV: %v, %v", recs, err)
		}
		// The roster's downloads name people: each is in the audit trail
		// (the XLSX and this CSV); the province's table names no one.
		var exports []model.AuditLog
		if err := db.Conn(context.Background()).Where("action = ?", audit.ActionExportPersonal).Order("id").Find(&exports).Error; err != nil {
			t.Fatal(err)
		}
		if len(exports) != 2 || !strings.HasSuffix(exports[1].ObjectID, ".csv") || exports[1].UniversityID == nil || *exports[1].UniversityID != w.UniA.ID {
			t.Fatalf("export records %+v, want the roster's XLSX and CSV", exports)
		}
	})
}
