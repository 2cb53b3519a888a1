package h5_test

// Tests of the assessment statistics (考核统计): the page, the CSV and
// the API as the province admin, a university admin and a student meet
// them, over questions asked and answered through the API.

import (
	"encoding/csv"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/gdyouth/youthvoice/handler/internal/webtest"

	"github.com/gdyouth/youthvoice/model"
	"github.com/gdyouth/youthvoice/service/kv"
)

// tableRow is the cells of the statistics table's row with data-code.
func tableRow(t *testing.T, r *webtest.Resp, code string) []string {
	t.Helper()
	m := regexp.MustCompile(`(?s)<tr data-code="` + code + `"[^>]*>(.*?)</tr>`).FindStringSubmatch(r.Body)
	if m == nil {
		t.Fatalf("%s: no table row for %s\n%s", r.URL, code, r.Body)
	}
	var cells []string
	for _, c := range regexp.MustCompile(`<td[^>]*>([^<]*)</td>`).FindAllStringSubmatch(m[1], -1) {
		cells = append(cells, c[1])
	}
	return cells
}

// column is the position of a table header (the first column is 学校).
func column(t *testing.T, r *webtest.Resp, label string) int {
	t.Helper()
	heads := regexp.MustCompile(`<th scope="col"[^>]*>([^<]*)</th>`).FindAllStringSubmatch(r.Body, -1)
	for i, h := range heads {
		if h[1] == label {
			return i
		}
	}
	t.Fatalf("%s: no column %q", r.URL, label)
	return -1
}

func TestStatsPage(t *testing.T) {
	webtest.Each(t, func(t *testing.T, db *model.DB, store kv.Store) {
		w := webtest.NewStatsWorld(t, db, store)

		admin := w.Province.Get("/h5/admin")
		webtest.WantStatus(t, admin, http.StatusOK)
		webtest.WantBody(t, admin, `href="/h5/admin/stats" id="nav-stats"`, "考核统计")

		r := w.Province.Get("/h5/admin/stats")
		webtest.WantStatus(t, r, http.StatusOK)
		webtest.WantBody(t, r, "全省合计", "深圳大学", "华南理工大学", `id="stats-table"`, "指标说明", "按时答复率",
			"24 小时内得到首次干部答复", `id="csv-link"`, "近7天", "近30天", "本学期", "近一年", `id="as-of">数据截至 `)
		if n := strings.Count(r.Body, `<tr data-code="`); n != 166 {
			t.Fatalf("table has %d universities, want all 166", n)
		}
		// Read from the primary: the figures are as of the report's time.
		asOf := regexp.MustCompile(`生成于 (\S+ \S+) · <span id="as-of">数据截至 (\S+ \S+)</span>`).FindStringSubmatch(r.Body)
		if asOf == nil || !strings.HasPrefix(asOf[2], asOf[1]+":") {
			t.Fatalf("no 数据截至 matching 生成于 in the page: %v", asOf)
		}
		webtest.WantNoBody(t, r, `id="as-of-lag"`)
		szu, scut, total := tableRow(t, r, webtest.CodeSZU), tableRow(t, r, webtest.CodeSCUT), tableRowTotal(t, r)
		want := func(name string, row []string, label, value string) {
			t.Helper()
			if got := row[column(t, r, label)]; got != value {
				t.Errorf("%s %s = %q, want %q", name, label, got, value)
			}
		}
		want("深圳大学", szu, "学校", "深圳大学")
		want("深圳大学", szu, "注册用户", "3")
		want("深圳大学", szu, "团学干部", "1")
		want("深圳大学", szu, "微信互动", "3")
		want("深圳大学", szu, "活跃用户", "2") // the asker and the cadre
		want("深圳大学", szu, "提问数", "1")
		want("深圳大学", szu, "按时答复率", "100.0%")
		want("深圳大学", szu, "平均首次答复用时（小时）", "1.0")
		want("深圳大学", szu, "答复满意率", "100.0%")
		want("深圳大学", szu, "干部答复数", "1")
		want("华南理工大学", scut, "按时答复率", "0.0%")
		want("华南理工大学", scut, "当前超时未答复", "1")
		want("华南理工大学", scut, "答复满意率", "—")
		want("全省合计", total, "提问数", "2")
		want("全省合计", total, "按时答复率", "50.0%")
		want("全省合计", total, "注册用户", "5")

		// By default the page lists the most active universities first
		// (the API keeps the code): 深圳大学 with 2 active users heads
		// the table, and the figures never rise down the table.
		webtest.WantBody(t, r, `<option value="active" selected>按活跃用户</option>`)
		first := regexp.MustCompile(`<tr data-code="(\d+)"`).FindStringSubmatch(r.Body)
		if first == nil || first[1] != webtest.CodeSZU {
			t.Fatalf("the default order does not start with 深圳大学 (most active): %v", first)
		}
		activeCol, prev := column(t, r, "活跃用户"), 1<<30
		for _, m := range regexp.MustCompile(`<tr data-code="(\d+)"`).FindAllStringSubmatch(r.Body, -1) {
			n, err := strconv.Atoi(tableRow(t, r, m[1])[activeCol])
			if err != nil || n > prev {
				t.Fatalf("row %s: 活跃用户 %d after %d (%v): not sorted by activity", m[1], n, prev, err)
			}
			prev = n
		}
		// A university without active users is greyed (class idle, the
		// caption's 灰色), its name not red.
		webtest.WantBody(t, r, "灰色为区间内没有活跃用户的学校")
		if n := strings.Count(r.Body, `" class="idle"><td`); n < 160 {
			t.Fatalf("%d idle rows, want the 164 universities without activity", n)
		}
		css := w.Province.Get("/static/app.css")
		webtest.WantStatus(t, css, http.StatusOK)
		webtest.WantBody(t, css, ".stats-table tr.idle td{color:#b2b2b2}")
		webtest.WantNoBody(t, css, "#c62828}\n.stats-table tr.idle", "tr.idle td:first-child{color")
		// The school's name wraps rather than being cut off.
		webtest.WantNoBody(t, css, "max-width:9em;overflow:hidden;text-overflow:ellipsis")
		// The API's default order is still the code (as documented).
		api := w.Province.API(http.MethodGet, "/api/v1/admin/stats", nil)
		webtest.WantStatus(t, api, http.StatusOK)
		webtest.WantBody(t, api, `"sort":"code"`)

		// Sorted by questions, the two universities with one come first.
		r = w.Province.Get("/h5/admin/stats?sort=questions")
		codes := regexp.MustCompile(`<tr data-code="(\d+)"`).FindAllStringSubmatch(r.Body, 3)
		if len(codes) < 3 || codes[0][1] != webtest.CodeSCUT && codes[0][1] != webtest.CodeSZU || codes[1][1] != webtest.CodeSCUT && codes[1][1] != webtest.CodeSZU {
			t.Fatalf("sorted by questions: %v", codes)
		}

		// A university admin sees their own university only.
		own := w.AdminSZU.Get("/h5/admin/stats")
		webtest.WantStatus(t, own, http.StatusOK)
		webtest.WantBody(t, own, `<h2 class="section-title" id="head-title">深圳大学</h2>`, "指标说明")
		webtest.WantNoBody(t, own, "华南理工大学", "全省合计", `id="stats-table"`)

		// A student is refused with a Chinese page.
		no := w.Student.Get("/h5/admin/stats")
		webtest.WantStatus(t, no, http.StatusForbidden)
		webtest.WantBody(t, no, "只有高校团委管理员和省级管理员可以查看考核统计")
		if !strings.HasPrefix(no.Header.Get("Content-Type"), "text/html") {
			t.Fatalf("student gets %s", no.Header.Get("Content-Type"))
		}

		bad := w.Province.Get("/h5/admin/stats?from=2026-03-10&to=2026-03-01")
		webtest.WantStatus(t, bad, http.StatusBadRequest)
		// Shown above the form, with the default period's report, so it
		// can be corrected there (not an error page whose 重试 repeats it).
		webtest.WantBody(t, bad, `id="form-error"`, "开始日期不能晚于结束日期", `id="period-form"`, `id="row-total"`)
		bad = w.Province.Get("/h5/admin/stats?from=2026-3-1")
		webtest.WantStatus(t, bad, http.StatusBadRequest)
		webtest.WantBody(t, bad, `id="form-error"`, "日期格式应为 YYYY-MM-DD", `id="period-form"`)
	})
}

func tableRowTotal(t *testing.T, r *webtest.Resp) []string {
	t.Helper()
	m := regexp.MustCompile(`(?s)<tr class="total" id="row-total">(.*?)</tr>`).FindStringSubmatch(r.Body)
	if m == nil {
		t.Fatalf("no total row")
	}
	var cells []string
	for _, c := range regexp.MustCompile(`<td[^>]*>([^<]*)</td>`).FindAllStringSubmatch(m[1], -1) {
		cells = append(cells, c[1])
	}
	return cells
}

func TestStatsCSV(t *testing.T) {
	webtest.Each(t, func(t *testing.T, db *model.DB, store kv.Store) {
		w := webtest.NewStatsWorld(t, db, store)
		r := w.Province.Get("/h5/admin/stats.csv")
		webtest.WantStatus(t, r, http.StatusOK)
		if ct := r.Header.Get("Content-Type"); ct != "text/csv; charset=utf-8" {
			t.Fatalf("Content-Type %q", ct)
		}
		if cd := r.Header.Get("Content-Disposition"); !strings.HasPrefix(cd, "attachment;") || !strings.Contains(cd, ".csv") {
			t.Fatalf("Content-Disposition %q", cd)
		}
		body, ok := strings.CutPrefix(r.Body, "\ufeff")
		if !ok {
			t.Fatalf("CSV does not start with the UTF-8 BOM Excel needs: %q", r.Body[:min(20, len(r.Body))])
		}
		recs, err := csv.NewReader(strings.NewReader(body)).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		if len(recs) != 1+1+166 {
			t.Fatalf("%d lines, want header, total and 166 universities", len(recs))
		}
		head := recs[0]
		col := map[string]int{}
		for i, h := range head {
			col[h] = i
		}
		for _, h := range []string{"学校标识码", "学校名称", "统计开始", "统计结束", "注册用户", "活跃用户", "微信互动", "提问数", "按时答复率", "答复满意率", "干部答复数", "预约数", "按时反馈率", "服务满意率"} {
			if _, ok := col[h]; !ok {
				t.Fatalf("no column %s in %v", h, head)
			}
		}
		if recs[1][col["学校名称"]] != "全省合计" || recs[1][col["提问数"]] != "2" || recs[1][col["按时答复率"]] != "50.0%" {
			t.Fatalf("total line %v", recs[1])
		}
		var szu []string
		for _, rec := range recs[2:] {
			if rec[col["学校标识码"]] == webtest.CodeSZU {
				szu = rec
			}
		}
		if szu == nil || szu[col["学校名称"]] != "深圳大学" || szu[col["微信互动"]] != "3" || szu[col["干部答复数"]] != "1" ||
			szu[col["预约数"]] != "0" || szu[col["按时反馈率"]] != "" {
			t.Fatalf("深圳大学 line %v", szu)
		}

		own := w.AdminSZU.Get("/h5/admin/stats.csv")
		webtest.WantStatus(t, own, http.StatusOK)
		recs, err = csv.NewReader(strings.NewReader(strings.TrimPrefix(own.Body, "\ufeff"))).ReadAll()
		if err != nil || len(recs) != 2 || recs[1][0] != webtest.CodeSZU {
			t.Fatalf("university admin's CSV: %v %v", recs, err)
		}
		webtest.WantStatus(t, w.Student.Get("/h5/admin/stats.csv"), http.StatusForbidden)
	})
}

// The Excel download: the CSV's columns, numbers as numbers (rates as
// fractions shown 0.0%), nothing for a rate with nothing to measure, the
// header and the school columns frozen; scoped as the page is.
func TestStatsXLSX(t *testing.T) {
	webtest.Each(t, func(t *testing.T, db *model.DB, store kv.Store) {
		w := webtest.NewStatsWorld(t, db, store)
		webtest.WantBody(t, w.Province.Get("/h5/admin/stats"), `id="xlsx-link"`, "/h5/admin/stats.xlsx?")
		r := w.Province.Get("/h5/admin/stats.xlsx")
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
		const sheet = "考核统计"
		rows, err := f.GetRows(sheet)
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) != 1+1+166 {
			t.Fatalf("%d rows, want header, total and 166 universities", len(rows))
		}
		col := map[string]int{}
		for i, h := range rows[0] {
			col[h] = i
		}
		cell := func(name string, row int) string {
			c, err := excelize.CoordinatesToCellName(col[name]+1, row)
			if err != nil {
				t.Fatal(err)
			}
			return c
		}
		// The total: 2 questions (a number), on time 50% (the fraction 0.5,
		// formatted as a percentage).
		if rows[1][col["学校名称"]] != "全省合计" {
			t.Fatalf("row 2 is %v", rows[1])
		}
		for name, want := range map[string]string{"提问数": "2", "按时答复率": "0.5"} {
			raw, err := f.GetCellValue(sheet, cell(name, 2), excelize.Options{RawCellValue: true})
			if err != nil || raw != want {
				t.Fatalf("total %s = %q (%v), want %s", name, raw, err, want)
			}
			typ, err := f.GetCellType(sheet, cell(name, 2))
			if err != nil || (typ != excelize.CellTypeNumber && typ != excelize.CellTypeUnset) {
				t.Fatalf("total %s is of type %v, want a number", name, typ)
			}
		}
		if shown, _ := f.GetCellValue(sheet, cell("按时答复率", 2)); shown != "50.0%" {
			t.Fatalf("total 按时答复率 shows %q, want 50.0%%", shown)
		}
		panes, err := f.GetPanes(sheet)
		if err != nil || !panes.Freeze || panes.YSplit != 1 || panes.XSplit != 2 {
			t.Fatalf("panes %+v, %v: want the header row and two columns frozen", panes, err)
		}
		var szu int
		for i, row := range rows {
			if len(row) > 0 && row[0] == webtest.CodeSZU {
				szu = i + 1
			}
		}
		if v, _ := f.GetCellValue(sheet, cell("按时反馈率", szu)); szu == 0 || v != "" {
			t.Fatalf("深圳大学 按时反馈率 %q (row %d): want an empty cell (nothing to measure)", v, szu)
		}

		own := w.AdminSZU.Get("/h5/admin/stats.xlsx")
		webtest.WantStatus(t, own, http.StatusOK)
		of, err := excelize.OpenReader(strings.NewReader(own.Body))
		if err != nil {
			t.Fatal(err)
		}
		defer of.Close()
		if ownRows, _ := of.GetRows(sheet); len(ownRows) != 2 || ownRows[1][0] != webtest.CodeSZU {
			t.Fatalf("university admin's workbook: %v", ownRows)
		}
		webtest.WantStatus(t, w.Student.Get("/h5/admin/stats.xlsx"), http.StatusForbidden)
	})
}

// TestStatsPageCharts: the page carries the charts' containers (hidden
// until the script shows them), ECharts and the page's script as files
// (the policy allows no inline script), and the tables as before.
func TestStatsPageCharts(t *testing.T) {
	webtest.Each(t, func(t *testing.T, db *model.DB, store kv.Store) {
		w := webtest.NewStatsWorld(t, db, store)
		r := w.Province.Get("/h5/admin/stats?sort=bookings")
		webtest.WantStatus(t, r, http.StatusOK)
		webtest.WantBody(t, r, `<section class="charts" id="charts" hidden`, `id="trend-chart"`, `id="rank-chart"`,
			`id="trend-university"`, `<option value="">全省合计</option>`, `<option value="`+webtest.CodeSZU+`">深圳大学</option>`,
			`data-series="users"`, `data-series="questions"`, `data-series="bookings"`,
			`<option value="on_time_rate" data-rate="1">按时答复率</option>`, `<option value="bookings" selected>预约数</option>`,
			`<script src="/static/echarts.min.js?v=`, `<script src="/static/stats-charts.js?v=`,
			`id="stats-table"`, `id="row-total"`, `id="period-form"`)
		if strings.Index(r.Body, "/static/app.js?v=") > strings.Index(r.Body, "/static/echarts.min.js?v=") ||
			strings.Index(r.Body, "/static/echarts.min.js?v=") > strings.Index(r.Body, "/static/stats-charts.js?v=") {
			t.Fatal("scripts out of order: app.js, echarts.min.js, then stats-charts.js")
		}
		if strings.Contains(r.Body, "<script>") || strings.Contains(r.Body, " style=") {
			t.Fatal("inline script or style on the page")
		}
		if n := strings.Count(r.Body, `<tr data-code="`); n != 166 {
			t.Fatalf("table has %d universities, want all 166", n)
		}

		// A university admin: the trend of their own university, no
		// picker, no ranking.
		own := w.AdminSZU.Get("/h5/admin/stats")
		webtest.WantStatus(t, own, http.StatusOK)
		webtest.WantBody(t, own, `id="charts" hidden data-from="`, `data-university="`+webtest.CodeSZU+`"`, `id="trend-chart"`,
			`/static/stats-charts.js?v=`)
		webtest.WantNoBody(t, own, `id="rank-chart"`, `id="trend-university"`, "华南理工大学")

		// The other pages load no charts.
		webtest.WantNoBody(t, w.Province.Get("/h5/admin"), "echarts.min.js", "stats-charts.js")

		// The files are served, versioned, with the licence beside them.
		for _, name := range []string{"echarts.min.js", "stats-charts.js", "echarts-LICENSE.txt", "echarts-NOTICE.txt"} {
			webtest.WantStatus(t, w.Province.Get("/static/"+name), http.StatusOK)
		}
	})
}
