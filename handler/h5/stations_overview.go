package h5

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"
	"github.com/xuri/excelize/v2"

	"github.com/gdyouth/youthvoice/handler/web"
	"github.com/gdyouth/youthvoice/model"
	"github.com/gdyouth/youthvoice/service"
	"github.com/gdyouth/youthvoice/service/station"
)

// registerOverviewPages mounts the station list (the province's, or a
// university admin's own), its exports and the confirmation of 建成.
func (w *Pages) registerOverviewPages(h gin.IRouter) {
	h.GET("/admin/stations", w.overviewPage)
	h.GET("/admin/stations.csv", w.overviewCSV)
	h.GET("/admin/stations.xlsx", w.overviewXLSX)
	h.POST("/admin/stations/:code/confirm", w.confirmSubmit)
}

// listRequest is the station list's filter, from the query string (a GET
// form, so a filtered list can be shared as a link).
type listRequest struct {
	Q      string `form:"q" binding:"max=200"`
	City   string `form:"city" binding:"max=40"`
	Batch  int    `form:"batch" binding:"min=0,max=3"`
	Status string `form:"status" binding:"max=20"`
	Sort   string `form:"sort" binding:"max=20"`
	Page   int    `form:"page" binding:"min=0,max=100000"`
}

func (r listRequest) filter() station.ListFilter {
	return station.ListFilter{Query: r.Q, City: r.City, Batch: r.Batch, Status: r.Status, Sort: r.Sort, Page: r.Page}
}

// filterQuery is f as a query string (without the page), for the export
// links, the pages and the confirm forms.
func filterQuery(f station.ListFilter) url.Values {
	q := url.Values{}
	set := func(k, v string) {
		if v != "" {
			q.Set(k, v)
		}
	}
	set("q", f.Query)
	set("city", f.City)
	if f.Batch != 0 {
		q.Set("batch", strconv.Itoa(f.Batch))
	}
	set("status", f.Status)
	if f.Sort != station.ListSorts[0].Key {
		set("sort", f.Sort)
	}
	return q
}

// constructionRow is a university's row in the list.
type constructionRow struct {
	station.ListRow
	StatusName string // construction
	StateKey   string // open, no_hours, no_station
	StateName  string
	BatchName  string
	CanConfirm bool
}

func batchName(b int) string {
	switch b {
	case model.BatchUndergraduate:
		return "第一批（本科）"
	case model.BatchPublicVocational:
		return "第二批（公办专科）"
	}
	return "第三批（民办专科）"
}

func newConstructionRow(r station.ListRow) constructionRow {
	c := r.Construction
	row := constructionRow{ListRow: r, StatusName: constructionStatusName(c.Status), BatchName: batchName(c.Batch)}
	if c.Status == station.StatusReady && c.Overdue {
		row.StatusName += "（已逾期）" // still awaiting confirmation, listed under 待确认
	}
	for _, k := range []string{station.StateOpen, station.StateNoHours, station.StateNoStation} {
		if r.Has(k) {
			row.StateKey, row.StateName = k, listStatusName(k)
		}
	}
	row.CanConfirm = c.Status != station.StatusBuilt && c.StationID != 0 && len(c.Missing) == 0
	return row
}

func constructionStatusName(s string) string {
	switch s {
	case station.StatusBuilt:
		return "已建成"
	case station.StatusReady:
		return "待确认"
	case station.StatusPending:
		return "建设中"
	case station.StatusLate:
		return "已逾期"
	}
	return s
}

func listStatusName(key string) string {
	for _, s := range station.ListStatuses {
		if s.Key == key {
			return s.Name
		}
	}
	return key
}

type statusCount struct {
	Key, Name string
	Count     int
}

// overviewView is the station list's data.
type overviewView struct {
	Rows       []constructionRow
	Counts     []statusCount // construction statuses, the tiles on top
	Statuses   []statusCount // every status, the filter's options
	Sorts      []station.ListStatus
	Cities     []string
	Batches    []statusCount
	Filter     station.ListFilter
	Total, All int
	Page       int
	Pages      int
	Query      string // the filter as a query string, "" or "?…"
	PrevURL    string
	NextURL    string
	CSVURL     string
	XLSXURL    string
	Province   bool
}

func (w *Pages) overviewPage(c *gin.Context) {
	u, ok := w.kit.RequireUser(c)
	if !ok {
		return
	}
	w.showOverview(c, *u, http.StatusOK, nil)
}

// showOverview shows the list for the query string's filter; a filter the
// service refuses shows the page with its message and no rows.
func (w *Pages) showOverview(c *gin.Context, u model.User, status int, err error) {
	var req listRequest
	bindErr := web.BindQuery(c, &req)
	if bindErr != nil {
		req = listRequest{}
	}
	l, lerr := w.svc.Stations.StationList(c.Request.Context(), u, req.filter())
	if lerr != nil && !errors.Is(lerr, service.ErrInvalid) {
		w.kit.Fail(c, lerr) // refuses everyone but the province and university admins
		return
	}
	if lerr != nil {
		bindErr = lerr
		l.Filter = req.filter()
	}
	if err == nil {
		err = bindErr
	}
	p := overviewView{Filter: l.Filter, Total: l.Total, All: l.All, Page: l.Page, Pages: l.Pages, Cities: l.Cities,
		Sorts: station.ListSorts, Province: u.Has(model.RoleProvinceAdmin)}
	for _, r := range l.Rows {
		p.Rows = append(p.Rows, newConstructionRow(r))
	}
	for _, k := range []string{station.StatusBuilt, station.StatusReady, station.StatusPending, station.StatusLate} {
		p.Counts = append(p.Counts, statusCount{Key: k, Name: constructionStatusName(k), Count: l.Counts[k]})
	}
	for _, s := range station.ListStatuses {
		p.Statuses = append(p.Statuses, statusCount{Key: s.Key, Name: s.Name, Count: l.Counts[s.Key]})
	}
	for _, b := range []int{model.BatchUndergraduate, model.BatchPublicVocational, model.BatchPrivateVocational} {
		p.Batches = append(p.Batches, statusCount{Key: strconv.Itoa(b), Name: batchName(b)})
	}
	q := filterQuery(l.Filter)
	if enc := q.Encode(); enc != "" {
		p.Query = "?" + enc
	}
	page := func(n int) string {
		pq := filterQuery(l.Filter)
		pq.Set("page", strconv.Itoa(n))
		return "/h5/admin/stations?" + pq.Encode()
	}
	if p.Page > 1 {
		p.PrevURL = page(p.Page - 1)
	}
	if p.Page < p.Pages {
		p.NextURL = page(p.Page + 1)
	}
	p.CSVURL, p.XLSXURL = "/h5/admin/stations.csv"+p.Query, "/h5/admin/stations.xlsx"+p.Query
	title := "服务站"
	if p.Province {
		title = "服务站建设"
	}
	d := web.Page{Title: title, FormURL: "/h5/admin/stations" + p.Query, Extra: p}
	if c.Query("notice") == "confirmed" {
		d.Notice = "已确认建成。"
	}
	w.pages.RenderForm(c, status, "stations_overview", d, err)
}

func (w *Pages) confirmSubmit(c *gin.Context) {
	u, ok := w.kit.RequireUser(c)
	if !ok {
		return
	}
	ctx := c.Request.Context()
	uni, err := w.svc.Accounts.UniversityByCode(ctx, c.Param("code"))
	if err == nil {
		err = w.svc.Stations.ConfirmBuilt(ctx, *u, uni.ID)
	}
	if err != nil {
		w.showOverview(c, *u, 0, err)
		return
	}
	// Back to the list as it was filtered (the form posts its query).
	back := "/h5/admin/stations"
	if q := c.Request.URL.Query(); len(q) > 0 {
		var req listRequest
		if web.BindQuery(c, &req) == nil {
			if enc := filterQuery(req.filter()).Encode(); enc != "" {
				back += "?" + enc
			}
		}
	}
	c.Redirect(http.StatusSeeOther, addQuery(back, "notice=confirmed"))
}

// exportList is the filtered list, every page, for the exports.
func (w *Pages) exportList(c *gin.Context) (station.List, bool) {
	u, ok := w.kit.RequireUser(c)
	if !ok {
		return station.List{}, false
	}
	var req listRequest
	if err := web.BindQuery(c, &req); err != nil {
		w.kit.Fail(c, err)
		return station.List{}, false
	}
	l, err := w.svc.Stations.ListAll(c.Request.Context(), *u, req.filter())
	if err != nil {
		w.kit.Fail(c, err)
		return l, false
	}
	return l, true
}

// listHead are the exports' columns.
var listHead = []string{"学校标识码", "学校名称", "所在地", "批次", "站点名称", "开放情况", "建设状态", "每周开放小时",
	"本周预约", "待回复预约", "团队人数", "尚缺", "建设截止", "建成日期"}

// listRecord is a row of the exports: text, numbers as numbers.
func listRecord(r station.ListRow) []any {
	row := newConstructionRow(r)
	built := ""
	if r.BuiltAt != nil {
		built = bjDay(*r.BuiltAt)
	}
	return []any{r.University.Code, r.University.Name, r.University.City, row.BatchName, r.Name, row.StateName,
		row.StatusName, r.WeeklyHours, r.BookingsWeek, r.Waiting, r.TeamSize, strings.Join(r.Missing, "、"),
		r.Deadline.Format("2006-01-02"), built}
}

func listFileName(ext string) (ascii, cn string) {
	return "youthvoice-stations." + ext, "青年之家服务站列表." + ext
}

// csvText guards a cell a spreadsheet would run as a formula (a station
// name typed as =HYPERLINK(…)).
func csvText(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

func (w *Pages) overviewCSV(c *gin.Context) {
	l, ok := w.exportList(c)
	if !ok {
		return
	}
	var buf bytes.Buffer
	buf.WriteString(utf8BOM) // Excel reads UTF-8 only with it
	cw := csv.NewWriter(&buf)
	_ = cw.Write(listHead)
	for _, r := range l.Rows {
		var rec []string
		for _, v := range listRecord(r) {
			switch v := v.(type) {
			case string:
				rec = append(rec, csvText(v))
			case float64:
				rec = append(rec, strconv.FormatFloat(v, 'f', -1, 64))
			default:
				rec = append(rec, fmt.Sprint(v))
			}
		}
		_ = cw.Write(rec)
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		w.kit.Fail(c, err)
		return
	}
	name, cn := listFileName("csv")
	c.Header("Content-Disposition", `attachment; filename="`+name+`"; filename*=UTF-8''`+url.PathEscape(cn))
	c.Header("Cache-Control", "no-store")
	c.Data(http.StatusOK, "text/csv; charset=utf-8", buf.Bytes())
}

func (w *Pages) overviewXLSX(c *gin.Context) {
	l, ok := w.exportList(c)
	if !ok {
		return
	}
	buf, err := listWorkbook(l)
	if err != nil {
		w.kit.Fail(c, err)
		return
	}
	name, cn := listFileName("xlsx")
	c.Header("Content-Disposition", `attachment; filename="`+name+`"; filename*=UTF-8''`+url.PathEscape(cn))
	c.Header("Cache-Control", "no-store")
	c.Data(http.StatusOK, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", buf.Bytes())
}

// listWorkbook is the list as a workbook: the header bold and frozen
// with the school's code and name.
func listWorkbook(l station.List) (*bytes.Buffer, error) {
	f := excelize.NewFile()
	defer f.Close()
	const sheet = "服务站"
	if err := f.SetSheetName("Sheet1", sheet); err != nil {
		return nil, err
	}
	bold, _, _, err := sheetStyles(f)
	if err != nil {
		return nil, err
	}
	head := toAny(listHead)
	if err := f.SetSheetRow(sheet, "A1", &head); err != nil {
		return nil, err
	}
	last, _ := excelize.CoordinatesToCellName(len(head), 1)
	if err := f.SetCellStyle(sheet, "A1", last, bold); err != nil {
		return nil, err
	}
	for i, r := range l.Rows {
		rec := listRecord(r)
		cell, _ := excelize.CoordinatesToCellName(1, i+2)
		if err := f.SetSheetRow(sheet, cell, &rec); err != nil {
			return nil, err
		}
	}
	if err := f.SetColWidth(sheet, "B", "B", 28); err != nil {
		return nil, err
	}
	if err := f.SetPanes(sheet, &excelize.Panes{Freeze: true, XSplit: 2, YSplit: 1, TopLeftCell: "C2", ActivePane: "bottomRight"}); err != nil {
		return nil, err
	}
	return f.WriteToBuffer()
}
