package h5

import (
	"bytes"
	"encoding/csv"
	"errors"
	"net/http"
	"net/url"
	"strconv"

	"github.com/gin-gonic/gin"
	"github.com/xuri/excelize/v2"

	"github.com/gdyouth/youthvoice/handler/web"
	"github.com/gdyouth/youthvoice/model"
	"github.com/gdyouth/youthvoice/service"
	"github.com/gdyouth/youthvoice/service/clock"
	"github.com/gdyouth/youthvoice/service/stats"
)

// registerCadrePages mounts the per-cadre assessment (干部考核) and its
// downloads.
func (w *Pages) registerCadrePages(h gin.IRouter) {
	h.GET("/admin/cadres", w.cadresPage)
	h.GET("/admin/cadres.csv", w.cadresCSV)
	h.GET("/admin/cadres.xlsx", w.cadresXLSX)
}

// cadresRequest is the university (学校标识码; empty: the admin's own, or
// the province's table), period and order asked for.
type cadresRequest struct {
	Uni  string `form:"uni" binding:"max=20"`
	From string `form:"from" binding:"max=20"`
	To   string `form:"to" binding:"max=20"`
	Sort string `form:"sort" binding:"max=40"`
}

func (r cadresRequest) query() stats.CadreQuery {
	return stats.CadreQuery{University: r.Uni, From: r.From, To: r.To, Sort: r.Sort}
}

// cadresView is the page's data.
type cadresView struct {
	Report  stats.CadreReport
	Columns []stats.CadreColumn
	// Links keep the period: Self(sort) orders the table, Drill(code)
	// opens a university's roster, Back returns to the province's table.
	Uni       string
	XLSXURL   string
	CSVURL    string
	BackURL   string
	Generated string
	AsOf      string // active days as of (Beijing), "" before the roll-ups
	CanDrill  bool   // the province admin (links between the two tables)
}

// SortURL is the page ordered by key, the period and university kept.
func (v cadresView) SortURL(key string) string {
	return "/h5/admin/cadres?" + v.params(v.Uni, key).Encode()
}

// DrillURL is university code's roster, the period and order kept.
func (v cadresView) DrillURL(code string) string {
	return "/h5/admin/cadres?" + v.params(code, v.Report.Sort).Encode()
}

// QuickURL is the page over a ready-made period.
func (v cadresView) QuickURL(q stats.QuickRange) string {
	p := url.Values{"from": {q.From}, "to": {q.To}, "sort": {v.Report.Sort}}
	if v.Uni != "" {
		p.Set("uni", v.Uni)
	}
	return "/h5/admin/cadres?" + p.Encode()
}

func (v cadresView) params(uni, sort string) url.Values {
	p := url.Values{"from": {v.Report.Period.From}, "to": {v.Report.Period.To}}
	if sort != "" && sort != stats.SortCode {
		p.Set("sort", sort)
	}
	if uni != "" {
		p.Set("uni", uni)
	}
	return p
}

func (w *Pages) cadresPage(c *gin.Context) {
	u, signedIn := w.kit.RequireUser(c)
	if !signedIn {
		return
	}
	var req cadresRequest
	var periodErr error
	if err := web.BindQuery(c, &req); err != nil {
		periodErr = err
	}
	var r stats.CadreReport
	if periodErr == nil {
		r, periodErr = w.svc.Stats.Cadres(c.Request.Context(), *u, req.query())
	}
	if errors.Is(periodErr, service.ErrInvalid) {
		// A period the form cannot use: the default period, and what was
		// wrong above the form.
		var err error
		if r, err = w.svc.Stats.Cadres(c.Request.Context(), *u, stats.CadreQuery{University: req.Uni}); err != nil {
			w.kit.Fail(c, err)
			return
		}
	} else if periodErr != nil {
		w.kit.Fail(c, periodErr) // not allowed, no such university, or the database failed
		return
	}
	v := cadresView{Report: r, Columns: stats.CadreColumns, CanDrill: r.Province || (req.Uni != "" && u.Has(model.RoleProvinceAdmin)),
		Generated: r.GeneratedAt.In(clock.Beijing).Format("2006-01-02 15:04")}
	if r.University != nil && req.Uni != "" {
		v.Uni = r.University.Code
	}
	if r.ActivityAsOf != nil {
		v.AsOf = r.ActivityAsOf.In(clock.Beijing).Format("2006-01-02 15:04:05")
	}
	q := v.params(v.Uni, r.Sort).Encode()
	v.XLSXURL, v.CSVURL = "/h5/admin/cadres.xlsx?"+q, "/h5/admin/cadres.csv?"+q
	v.BackURL = "/h5/admin/cadres?" + v.params("", r.Sort).Encode()
	w.pages.RenderForm(c, http.StatusOK, "cadres", web.Page{Title: "干部考核", Extra: v}, periodErr)
}

// cadresReport is the signed-in admin's report for a download; it
// responds itself when ok is false.
func (w *Pages) cadresReport(c *gin.Context) (stats.CadreReport, bool) {
	u, signedIn := w.kit.RequireUser(c)
	if !signedIn {
		return stats.CadreReport{}, false
	}
	var req cadresRequest
	if err := web.BindQuery(c, &req); err != nil {
		w.kit.Fail(c, err)
		return stats.CadreReport{}, false
	}
	r, err := w.svc.Stats.Cadres(c.Request.Context(), *u, req.query())
	if err != nil {
		w.kit.Fail(c, err)
		return stats.CadreReport{}, false
	}
	return r, true
}

// cadreSheet is a download's rows: the head columns before the figures,
// then one line per roster entry (or university), the total first.
type cadreSheet struct {
	head  []string
	lines []cadreSheetLine
}

type cadreSheetLine struct {
	cells []string // the head columns
	figs  stats.CadreFigures
}

// cadreSheetOf lays a report out for the downloads.
func cadreSheetOf(r stats.CadreReport) cadreSheet {
	var s cadreSheet
	if r.Province {
		s.head = []string{"学校标识码", "学校名称", "所在地", "统计开始", "统计结束", "名册人数", "已关联账号", "已离任", "活跃干部"}
		s.lines = append(s.lines, cadreSheetLine{[]string{"", "全省合计", "", r.Period.From, r.Period.To, "", "", "", ""}, r.Total})
		for _, u := range r.Universities {
			s.lines = append(s.lines, cadreSheetLine{[]string{u.University.Code, u.University.Name, u.University.City, r.Period.From, r.Period.To,
				itoa64(u.Listed), itoa64(u.Registered), itoa64(u.Left), itoa64(u.ActiveCadres)}, u.CadreFigures})
		}
		return s
	}
	s.head = []string{"学校标识码", "学校名称", "统计开始", "统计结束", "姓名", "职务", "类别", "状态", "已关联账号"}
	uni := r.University
	s.lines = append(s.lines, cadreSheetLine{[]string{uni.Code, uni.Name, r.Period.From, r.Period.To, "本校合计", "", "", "", ""}, r.Total})
	for _, l := range r.Cadres {
		linked := "否"
		if l.Registered {
			linked = "是"
		}
		s.lines = append(s.lines, cadreSheetLine{[]string{uni.Code, uni.Name, r.Period.From, r.Period.To, l.RealName, l.Position,
			l.CategoryName, l.StatusName, linked}, l.CadreFigures})
	}
	return s
}

// numericHead: the head columns that are counts (stored as numbers).
func numericHead(name string) bool {
	switch name {
	case "名册人数", "已关联账号", "已离任", "活跃干部":
		return true
	}
	return false
}

func itoa64(n int64) string { return strconv.FormatInt(n, 10) }

// cadresFileName is the download's ASCII and Chinese names.
func cadresFileName(r stats.CadreReport, ext string) (string, string) {
	who, cn := "province", "全省"
	if r.University != nil {
		who, cn = r.University.Code, r.University.Name
	}
	return "youthvoice-cadres-" + who + "-" + r.Period.From + "-" + r.Period.To + ext,
		"干部考核_" + cn + "_" + r.Period.From + "_" + r.Period.To + ext
}

// cadresCSV is the report as CSV (UTF-8 with a BOM, for Excel).
func (w *Pages) cadresCSV(c *gin.Context) {
	r, ok := w.cadresReport(c)
	if !ok {
		return
	}
	sh := cadreSheetOf(r)
	var buf bytes.Buffer
	buf.WriteString(utf8BOM)
	cw := csv.NewWriter(&buf)
	head := append([]string{}, sh.head...)
	for _, col := range stats.CadreColumns {
		head = append(head, col.Name)
	}
	_ = cw.Write(head)
	for _, l := range sh.lines {
		rec := append([]string{}, l.cells...)
		for _, col := range stats.CadreColumns {
			v := col.Value(l.figs)
			if v == "—" {
				v = ""
			}
			rec = append(rec, v)
		}
		_ = cw.Write(rec)
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		w.kit.Fail(c, err)
		return
	}
	name, cn := cadresFileName(r, ".csv")
	if err := w.recordCadresExport(c, r, cn); err != nil {
		w.kit.Fail(c, err)
		return
	}
	c.Header("Content-Disposition", `attachment; filename="`+name+`"; filename*=UTF-8''`+url.PathEscape(cn))
	c.Header("Cache-Control", "no-store")
	c.Data(http.StatusOK, "text/csv; charset=utf-8", buf.Bytes())
}

// cadresXLSX is the report as an Excel workbook: numbers stored as
// numbers (rates as fractions formatted 0.0%, the median in hours), the
// header row frozen.
func (w *Pages) cadresXLSX(c *gin.Context) {
	r, ok := w.cadresReport(c)
	if !ok {
		return
	}
	f := excelize.NewFile()
	defer f.Close()
	const sheet = "干部考核"
	if err := f.SetSheetName("Sheet1", sheet); err != nil {
		w.kit.Fail(c, err)
		return
	}
	if err := writeCadreSheet(f, sheet, cadreSheetOf(r)); err != nil {
		w.kit.Fail(c, err)
		return
	}
	buf, err := f.WriteToBuffer()
	if err != nil {
		w.kit.Fail(c, err)
		return
	}
	name, cn := cadresFileName(r, ".xlsx")
	if err := w.recordCadresExport(c, r, cn); err != nil {
		w.kit.Fail(c, err)
		return
	}
	c.Header("Content-Disposition", `attachment; filename="`+name+`"; filename*=UTF-8''`+url.PathEscape(cn))
	c.Header("Cache-Control", "no-store")
	c.Data(http.StatusOK, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", buf.Bytes())
}

func writeCadreSheet(f *excelize.File, sheet string, sh cadreSheet) error {
	bold, pct, dec, err := sheetStyles(f)
	if err != nil {
		return err
	}
	head := toAny(sh.head)
	for _, col := range stats.CadreColumns {
		head = append(head, col.Name)
	}
	if err := f.SetSheetRow(sheet, "A1", &head); err != nil {
		return err
	}
	last, err := excelize.CoordinatesToCellName(len(head), 1)
	if err != nil {
		return err
	}
	if err := f.SetCellStyle(sheet, "A1", last, bold); err != nil {
		return err
	}
	for i, l := range sh.lines {
		vals := make([]any, 0, len(head))
		for k, cell := range l.cells {
			if numericHead(sh.head[k]) && cell != "" {
				n, _ := strconv.ParseInt(cell, 10, 64)
				vals = append(vals, n)
				continue
			}
			vals = append(vals, cell)
		}
		for _, col := range stats.CadreColumns {
			v := col.Figure(l.figs)
			switch {
			case v == nil:
				vals = append(vals, nil) // nothing to measure: empty, not 0
			case col.Kind == stats.Count:
				vals = append(vals, int64(*v))
			default:
				vals = append(vals, *v)
			}
		}
		cell, err := excelize.CoordinatesToCellName(1, i+2)
		if err != nil {
			return err
		}
		if err := f.SetSheetRow(sheet, cell, &vals); err != nil {
			return err
		}
	}
	if n := len(sh.lines); n > 0 {
		for i, col := range stats.CadreColumns {
			style := 0
			switch col.Kind {
			case stats.Rate:
				style = pct
			case stats.Decimal:
				style = dec
			}
			if style == 0 {
				continue
			}
			name, err := excelize.ColumnNumberToName(len(sh.head) + i + 1)
			if err != nil {
				return err
			}
			if err := f.SetCellStyle(sheet, name+"2", name+itoa(n+1), style); err != nil {
				return err
			}
		}
	}
	if err := f.SetColWidth(sheet, "B", "B", 24); err != nil {
		return err
	}
	return f.SetPanes(sheet, &excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"})
}

// recordCadresExport records a download of a university's cadre report,
// which names its cadres, before it is sent (the province's report is by
// university, with no one named).
func (w *Pages) recordCadresExport(c *gin.Context, r stats.CadreReport, file string) error {
	if r.University == nil {
		return nil
	}
	return w.svc.Audit.RecordExport(c.Request.Context(), *web.CallerOf(c).User, &r.University.ID, "干部考核（含干部姓名、职务）", len(r.Cadres), file)
}
