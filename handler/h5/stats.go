package h5

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/gdyouth/youthvoice/handler/web"

	"github.com/gin-gonic/gin"

	"github.com/gdyouth/youthvoice/service"
	"github.com/gdyouth/youthvoice/service/clock"
	"github.com/gdyouth/youthvoice/service/stats"
)

// registerStatsPages mounts the assessment statistics (考核统计).
func (w *Pages) registerStatsPages(h gin.IRouter) {
	h.GET("/admin/stats", w.statsPage)
	h.GET("/admin/stats.csv", w.statsCSV)
	h.GET("/admin/stats.xlsx", w.statsXLSX)
}

// statsRequest is the period and order asked for.
type statsRequest struct {
	From string `form:"from" binding:"max=20"`
	To   string `form:"to" binding:"max=20"`
	Sort string `form:"sort" binding:"max=30"`
}

func (r statsRequest) query() stats.Query { return stats.Query{From: r.From, To: r.To, Sort: r.Sort} }

// statsReport is the signed-in admin's report for the request's period;
// it responds itself when ok is false.
func (w *Pages) statsReport(c *gin.Context) (stats.Report, statsRequest, bool) {
	var req statsRequest
	u, signedIn := w.kit.RequireUser(c)
	if !signedIn {
		return stats.Report{}, req, false
	}
	if err := web.BindQuery(c, &req); err != nil {
		w.kit.Fail(c, err)
		return stats.Report{}, req, false
	}
	r, err := w.svc.Stats.Report(c.Request.Context(), *u, req.query())
	if err != nil {
		w.kit.Fail(c, err)
		return stats.Report{}, req, false
	}
	return r, req, true
}

// statsView is the statistics page's data.
type statsView struct {
	Report  stats.Report
	Req     statsRequest
	Groups  []stats.MetricGroup
	Columns []stats.Metric
	Sorts   []stats.SortOption
	// Head is the row of the cards: the province's total, or the
	// university admin's own university.
	Head      stats.Row
	HeadTitle string
	CSVURL    string
	XLSXURL   string
	Generated string
	// AsOf (Beijing time): the figures include every change made before
	// it; Lag says by how much it trails Generated (a read replica).
	AsOf string
	Lag  string
	// Ranks are the orders the ranking chart offers (every sort but the
	// code), Schools the universities the trend chart can show, by code.
	Ranks   []statsRank
	Schools []*stats.UniversityRef
	// TrendUniversity is the code of the trend's university ("" for the
	// province).
	TrendUniversity string
}

// statsRank is a metric a ranking chart orders the universities by.
type statsRank struct {
	Key, Label string
	Rate       bool // a 0–1 rate, drawn as a percentage
}

// statsScripts draw the charts: ECharts, then the page's script, which
// fetches the figures from the JSON API.
var statsScripts = []string{"echarts.min.js", "stats-charts.js"}

// statsCharts fills the charts' choices: the metrics the universities can
// be ranked by and the universities a province admin can pick.
func (v *statsView) statsCharts() {
	for _, m := range stats.Metrics {
		if m.Sort != "" {
			v.Ranks = append(v.Ranks, statsRank{Key: m.Sort, Label: m.Name, Rate: m.Kind() == stats.Rate})
		}
	}
	if !v.Report.Province {
		if len(v.Report.Rows) == 1 {
			v.TrendUniversity = v.Report.Rows[0].University.Code
		}
		return
	}
	for _, r := range v.Report.Rows {
		v.Schools = append(v.Schools, r.University)
	}
	slices.SortFunc(v.Schools, func(a, b *stats.UniversityRef) int { return strings.Compare(a.Code, b.Code) })
}

// statsPageSort is the page's order when none is asked for: by activity
// (活跃用户, the most active first), so the universities that need a push
// are at the bottom. The API and the downloads keep the documented
// default, the code.
const statsPageSort = stats.SortActive

func (w *Pages) statsPage(c *gin.Context) {
	u, signedIn := w.kit.RequireUser(c)
	if !signedIn {
		return
	}
	var req statsRequest
	var periodErr error
	if err := web.BindQuery(c, &req); err != nil {
		periodErr = err
	}
	if req.Sort == "" {
		req.Sort = statsPageSort
	}
	var r stats.Report
	if periodErr == nil {
		r, periodErr = w.svc.Stats.Report(c.Request.Context(), *u, req.query())
	}
	switch {
	case errors.Is(periodErr, service.ErrInvalid):
		// A period the form cannot use: show the default period, and
		// what was wrong above the form, where it can be corrected.
		var err error
		if r, err = w.svc.Stats.Report(c.Request.Context(), *u, stats.Query{Sort: statsPageSort}); err != nil {
			w.kit.Fail(c, err)
			return
		}
	case periodErr != nil:
		w.kit.Fail(c, periodErr) // not an admin, or the database failed
		return
	}
	v := statsView{Report: r, Req: req, Groups: stats.MetricGroups(), Columns: stats.BriefMetrics(), Sorts: stats.SortOptions,
		Head: r.Total, HeadTitle: "全省合计", Generated: r.GeneratedAt.In(clock.Beijing).Format("2006-01-02 15:04"),
		AsOf: r.AsOf.In(clock.Beijing).Format("2006-01-02 15:04:05"), Lag: lagText(r.GeneratedAt.Sub(r.AsOf))}
	if !r.Province && len(r.Rows) == 1 {
		v.Head, v.HeadTitle = r.Rows[0], r.Rows[0].University.Name
	}
	v.statsCharts()
	q := url.Values{"from": {r.Period.From}, "to": {r.Period.To}, "sort": {r.Sort}}
	v.CSVURL = "/h5/admin/stats.csv?" + q.Encode()
	v.XLSXURL = "/h5/admin/stats.xlsx?" + q.Encode()
	w.pages.RenderForm(c, http.StatusOK, "stats", web.Page{Title: "考核统计", Scripts: statsScripts, Extra: v}, periodErr)
}

// lagText says how far the figures trail the report's time, from a
// minute on ("" below: the replica is as good as live).
func lagText(d time.Duration) string {
	switch {
	case d < time.Minute:
		return ""
	case d < time.Hour:
		return fmt.Sprintf("约 %d 分钟", int(d/time.Minute))
	default:
		return fmt.Sprintf("约 %.1f 小时", d.Hours())
	}
}

// utf8BOM makes Excel read the CSV as UTF-8 (it assumes GBK otherwise).
const utf8BOM = "\ufeff"

// statsCSV is the report as a spreadsheet: the total first (the
// province's), then one line per university.
func (w *Pages) statsCSV(c *gin.Context) {
	r, _, ok := w.statsReport(c)
	if !ok {
		return
	}
	var buf bytes.Buffer
	buf.WriteString(utf8BOM)
	cw := csv.NewWriter(&buf)
	head := []string{"学校标识码", "学校名称", "所在地", "办学层次", "办学性质", "统计开始", "统计结束"}
	for _, m := range stats.Metrics {
		head = append(head, m.Name)
	}
	_ = cw.Write(head)
	line := func(code, name, city, level, ownership string, row stats.Row) {
		rec := []string{code, name, city, level, ownership, r.Period.From, r.Period.To}
		for _, m := range stats.Metrics {
			v := m.Value(row)
			if v == "—" {
				v = ""
			}
			rec = append(rec, v)
		}
		_ = cw.Write(rec)
	}
	if r.Province {
		line("", "全省合计", "", "", "", r.Total)
	}
	for _, row := range r.Rows {
		u := row.University
		line(u.Code, u.Name, u.City, u.Level, u.Ownership, row)
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		w.kit.Fail(c, err)
		return
	}
	name := "youthvoice-stats-" + r.Period.From + "-" + r.Period.To + ".csv"
	cn := "青年之声考核统计_" + r.Period.From + "_" + r.Period.To + ".csv"
	c.Header("Content-Disposition", `attachment; filename="`+name+`"; filename*=UTF-8''`+url.PathEscape(cn))
	c.Header("Cache-Control", "no-store")
	c.Data(http.StatusOK, "text/csv; charset=utf-8", buf.Bytes())
}
