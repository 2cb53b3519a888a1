package h5

import (
	"net/http"
	"net/url"

	"github.com/gin-gonic/gin"
	"github.com/xuri/excelize/v2"

	"github.com/gdyouth/youthvoice/service/stats"
)

// statsXLSX is the report as an Excel workbook: the same columns as the
// CSV, numbers stored as numbers (rates as fractions formatted 0.0%), the
// header row and the school's code and name frozen while scrolling.
func (w *Pages) statsXLSX(c *gin.Context) {
	r, _, ok := w.statsReport(c)
	if !ok {
		return
	}
	f := excelize.NewFile()
	defer f.Close()
	const sheet = "考核统计"
	if err := f.SetSheetName("Sheet1", sheet); err != nil {
		w.kit.Fail(c, err)
		return
	}
	if err := writeStatsSheet(f, sheet, r); err != nil {
		w.kit.Fail(c, err)
		return
	}
	buf, err := f.WriteToBuffer()
	if err != nil {
		w.kit.Fail(c, err)
		return
	}
	name := "youthvoice-stats-" + r.Period.From + "-" + r.Period.To + ".xlsx"
	cn := "青年之声考核统计_" + r.Period.From + "_" + r.Period.To + ".xlsx"
	c.Header("Content-Disposition", `attachment; filename="`+name+`"; filename*=UTF-8''`+url.PathEscape(cn))
	c.Header("Cache-Control", "no-store")
	c.Data(http.StatusOK, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", buf.Bytes())
}

// statsHead are the columns before the metrics (as in the CSV).
var statsHead = []string{"学校标识码", "学校名称", "所在地", "办学层次", "办学性质", "统计开始", "统计结束"}

func writeStatsSheet(f *excelize.File, sheet string, r stats.Report) error {
	bold, pct, dec, err := sheetStyles(f)
	if err != nil {
		return err
	}
	head := append([]any{}, toAny(statsHead)...)
	for _, m := range stats.Metrics {
		head = append(head, m.Name)
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
	row := 2
	line := func(code, name, city, level, ownership string, data stats.Row) error {
		vals := []any{code, name, city, level, ownership, r.Period.From, r.Period.To}
		for _, m := range stats.Metrics {
			if v := m.Figure(data); v != nil {
				if m.Kind() == stats.Count {
					vals = append(vals, int64(*v))
				} else {
					vals = append(vals, *v)
				}
			} else {
				vals = append(vals, nil) // nothing to measure: an empty cell, not 0
			}
		}
		cell, err := excelize.CoordinatesToCellName(1, row)
		if err != nil {
			return err
		}
		if err := f.SetSheetRow(sheet, cell, &vals); err != nil {
			return err
		}
		row++
		return nil
	}
	if r.Province {
		if err := line("", "全省合计", "", "", "", r.Total); err != nil {
			return err
		}
	}
	for _, data := range r.Rows {
		u := data.University
		if err := line(u.Code, u.Name, u.City, u.Level, u.Ownership, data); err != nil {
			return err
		}
	}
	for i, m := range stats.Metrics {
		style := 0
		switch m.Kind() {
		case stats.Rate:
			style = pct
		case stats.Decimal:
			style = dec
		}
		if style == 0 || row == 2 {
			continue
		}
		col, err := excelize.ColumnNumberToName(len(statsHead) + i + 1)
		if err != nil {
			return err
		}
		if err := f.SetCellStyle(sheet, col+"2", col+itoa(row-1), style); err != nil {
			return err
		}
	}
	if err := f.SetColWidth(sheet, "B", "B", 28); err != nil {
		return err
	}
	return f.SetPanes(sheet, &excelize.Panes{Freeze: true, XSplit: 2, YSplit: 1, TopLeftCell: "C2", ActivePane: "bottomRight"})
}

func toAny(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

func itoa(n int) string {
	cell, _ := excelize.CoordinatesToCellName(1, n)
	return cell[1:]
}

// sheetStyles are the exports' styles: the header row's, percentages'
// (0.0%) and one-decimal numbers'.
func sheetStyles(f *excelize.File) (bold, pct, dec int, err error) {
	if bold, err = f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true},
		Fill: excelize.Fill{Type: "pattern", Color: []string{"F2F2F2"}, Pattern: 1}}); err != nil {
		return
	}
	pctFmt, decFmt := "0.0%", "0.0"
	if pct, err = f.NewStyle(&excelize.Style{CustomNumFmt: &pctFmt}); err != nil {
		return
	}
	dec, err = f.NewStyle(&excelize.Style{CustomNumFmt: &decFmt})
	return
}
