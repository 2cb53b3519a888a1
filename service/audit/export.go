package audit

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/gdyouth/youthvoice/service/clock"
)

// exportHead are the columns of a download of the trail.
var exportHead = []string{"编号", "时间（北京）", "操作人账号", "操作人姓名", "角色", "学校", "IP", "操作", "操作代码",
	"对象类型", "对象编号", "摘要", "详情", "前一条哈希", "哈希"}

func exportRow(r View) []string {
	return []string{fmt.Sprint(r.ID), r.At.In(clock.Beijing).Format("2006-01-02 15:04:05.000"), r.ActorAccount, r.ActorName,
		r.RoleName, r.UniversityName, r.IP, r.ActionName, r.Action, r.ObjectType, r.ObjectID, r.Summary, r.Detail, r.PrevHash, r.Hash}
}

// inert keeps a spreadsheet from reading a cell as a formula: text
// people typed (a question's title in a summary) must not run in the
// auditor's Excel.
func inert(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// ExportName is a download's file name for the time it was made.
func ExportName(now time.Time, ext string) (ascii, chinese string) {
	d := now.In(clock.Beijing).Format("20060102-150405")
	return "youthvoice-audit-" + d + ext, "审计日志_" + d + ext
}

// CSV is recs as CSV, UTF-8 with a BOM (Excel reads it as GBK otherwise).
func CSV(recs []View) ([]byte, error) {
	var buf bytes.Buffer
	buf.WriteString("\ufeff")
	w := csv.NewWriter(&buf)
	_ = w.Write(exportHead)
	for _, r := range recs {
		row := exportRow(r)
		for i := range row {
			row[i] = inert(row[i])
		}
		_ = w.Write(row)
	}
	w.Flush()
	return buf.Bytes(), w.Error()
}

// XLSX is recs as an Excel workbook, streamed row by row (an export holds
// up to MaxExport rows), the header frozen.
func XLSX(recs []View) ([]byte, error) {
	f := excelize.NewFile()
	defer f.Close()
	const sheet = "审计日志"
	if err := f.SetSheetName("Sheet1", sheet); err != nil {
		return nil, err
	}
	sw, err := f.NewStreamWriter(sheet)
	if err != nil {
		return nil, err
	}
	if err := sw.SetPanes(&excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
		return nil, err
	}
	cells := func(ss []string) []any {
		out := make([]any, len(ss))
		for i, s := range ss {
			// Text cells are never formulas in a stream writer; keep
			// them as written.
			out[i] = s
		}
		return out
	}
	if err := sw.SetRow("A1", cells(exportHead)); err != nil {
		return nil, err
	}
	for i, r := range recs {
		cell, err := excelize.CoordinatesToCellName(1, i+2)
		if err != nil {
			return nil, err
		}
		row := cells(exportRow(r))
		row[0] = r.ID
		if err := sw.SetRow(cell, row); err != nil {
			return nil, err
		}
	}
	if err := sw.Flush(); err != nil {
		return nil, err
	}
	buf, err := f.WriteToBuffer()
	if err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
