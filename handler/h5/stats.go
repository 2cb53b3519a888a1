package h5

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
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
	r, err := w.stats.Report(c.Request.Context(), *u, req.query())
	if err != nil {
		w.kit.Fail(c, err)
		return stats.Report{}, req, false
	}
	return r, req, true
}

// metric is one figure of a row: a column of the table and the CSV, and
// an entry of the page's 指标说明.
type metric struct {
	Group string
	Label string
	Help  string
	// Brief: shown in the page's table (the CSV has every metric).
	Brief bool
	Value func(stats.Row) string
}

func count(f func(stats.Row) int64) func(stats.Row) string {
	return func(r stats.Row) string { return strconv.FormatInt(f(r), 10) }
}

// percent writes a rate as 75.0%; a rate with nothing to measure is —.
func percent(f func(stats.Row) *float64) func(stats.Row) string {
	return func(r stats.Row) string {
		v := f(r)
		if v == nil {
			return "—"
		}
		return strconv.FormatFloat(*v*100, 'f', 1, 64) + "%"
	}
}

func decimal(f func(stats.Row) *float64) func(stats.Row) string {
	return func(r stats.Row) string {
		v := f(r)
		if v == nil {
			return "—"
		}
		return strconv.FormatFloat(*v, 'f', 1, 64)
	}
}

// Metric groups.
const (
	groupUsers    = "注册与活跃"
	groupAnswers  = "团干与青年互动"
	groupStations = "青年之家服务"
)

var metrics = []metric{
	{groupUsers, "注册用户", "截至区间末本校的全部账号，含从原平台导入、尚未激活的账号", true, count(func(r stats.Row) int64 { return r.Users })},
	{groupUsers, "新增注册", "区间内新建的账号", true, count(func(r stats.Row) int64 { return r.NewUsers })},
	{groupUsers, "已激活学生", "截至区间末已完成激活的青年学生账号", true, count(func(r stats.Row) int64 { return r.Activated })},
	{groupUsers, "绑定微信", "截至区间末注册、当前绑定了微信的账号（绑定关系按当前状态统计）", true, count(func(r stats.Row) int64 { return r.Bound })},
	{groupUsers, "团学干部", "截至区间末注册、当前角色为团学干部的账号", true, count(func(r stats.Row) int64 { return r.Cadres })},
	{groupUsers, "活跃用户", "区间内在服务号发过消息、点过菜单等（任何一次微信互动），或提问、答复、追问、预约、作为站点管理员处理预约的账号，每人只计一次", true, count(func(r stats.Row) int64 { return r.Active })},
	{groupUsers, "活跃率", "活跃用户 ÷ 注册用户", true, percent(func(r stats.Row) *float64 { return r.ActiveRate })},
	{groupUsers, "微信互动", "区间内本校用户（以当前绑定的微信计）向服务号发送的消息和事件次数", true, count(func(r stats.Row) int64 { return r.Interactions })},

	{groupAnswers, "提问数", "区间内本校学生在本校版区和省级版区发布的提问（审核中的不计）", true, count(func(r stats.Row) int64 { return r.Questions })},
	{groupAnswers, "已答复", "上述提问中已有干部答复的", true, count(func(r stats.Row) int64 { return r.Answered })},
	{groupAnswers, "24小时内答复", "发布后 24 小时内得到首次答复的提问", false, count(func(r stats.Row) int64 { return r.OnTime })},
	{groupAnswers, "超时答复或未答复", "24 小时后才首次答复，或已超过 24 小时仍未答复的提问", false, count(func(r stats.Row) int64 { return r.Late })},
	{groupAnswers, "按时答复率", "24小时内答复 ÷（24小时内答复 + 超时答复或未答复）；发布未满 24 小时且未答复的提问暂不计入", true, percent(func(r stats.Row) *float64 { return r.OnTimeRate })},
	{groupAnswers, "平均首次答复用时（小时）", "已答复的提问从发布到第一条干部答复的平均时长", true, decimal(func(r stats.Row) *float64 { return r.AvgFirstResponseHours })},
	{groupAnswers, "当前超时未答复", "此刻已超过 24 小时仍未答复的本校提问，不限提问时间", true, count(func(r stats.Row) int64 { return r.OverdueNow })},
	{groupAnswers, "评价满意", "提问者评价为「满意」的提问", false, count(func(r stats.Row) int64 { return r.RatedGood })},
	{groupAnswers, "评价一般", "提问者评价为「一般」的提问", false, count(func(r stats.Row) int64 { return r.RatedFair })},
	{groupAnswers, "评价不满意", "提问者评价为「不满意」的提问", false, count(func(r stats.Row) int64 { return r.RatedBad })},
	{groupAnswers, "答复满意率", "满意 ÷ 已评价（满意 + 一般 + 不满意）", true, percent(func(r stats.Row) *float64 { return r.Satisfaction })},
	{groupAnswers, "干部答复数", "区间内本校团学干部和团委管理员发布的答复条数，含在省级版区的答复", true, count(func(r stats.Row) int64 { return r.CadreAnswers })},
	{groupAnswers, "参与答复干部", "区间内发布过答复的本校团学干部和团委管理员人数", true, count(func(r stats.Row) int64 { return r.AnsweringCadres })},

	{groupStations, "预约数", "区间内提交到本校青年之家服务站的预约（含干部转介）", true, count(func(r stats.Row) int64 { return r.Bookings })},
	{groupStations, "已反馈", "上述预约中站点已首次反馈（确认、无法安排或建议改期）的", false, count(func(r stats.Row) int64 { return r.BookingsResponded })},
	{groupStations, "按时反馈", "在时限内首次反馈的预约：工作时间提交 1 小时内，非工作时间提交 12 小时内", false, count(func(r stats.Row) int64 { return r.BookingsOnTime })},
	{groupStations, "超时反馈或未反馈", "超过时限才反馈，或已过时限仍未反馈的预约", false, count(func(r stats.Row) int64 { return r.BookingsLate })},
	{groupStations, "按时反馈率", "按时反馈 ÷（按时反馈 + 超时反馈或未反馈）；未到时限、或反馈前学生已取消的预约不计入", true, percent(func(r stats.Row) *float64 { return r.BookingOnTimeRate })},
	{groupStations, "已服务", "上述预约中已完成服务的", true, count(func(r stats.Row) int64 { return r.Served })},
	{groupStations, "未到场", "上述预约中学生未到场的", true, count(func(r stats.Row) int64 { return r.NoShow })},
	{groupStations, "服务评价数", "学生对已完成服务给出 1–5 星评价的预约", false, count(func(r stats.Row) int64 { return r.ServiceRated })},
	{groupStations, "服务满意率", "4–5 星 ÷ 已评价", true, percent(func(r stats.Row) *float64 { return r.ServiceSatisfaction })},
	{groupStations, "平均星级", "已评价服务的平均星级（1–5）", true, decimal(func(r stats.Row) *float64 { return r.AvgServiceStars })},
}

// metricGroup is a titled list of metrics (the page's cards and notes).
type metricGroup struct {
	Title   string
	Metrics []metric
}

func metricGroups() []metricGroup {
	var out []metricGroup
	for _, m := range metrics {
		if len(out) == 0 || out[len(out)-1].Title != m.Group {
			out = append(out, metricGroup{Title: m.Group})
		}
		out[len(out)-1].Metrics = append(out[len(out)-1].Metrics, m)
	}
	return out
}

func briefMetrics() []metric {
	var out []metric
	for _, m := range metrics {
		if m.Brief {
			out = append(out, m)
		}
	}
	return out
}

// statsView is the statistics page's data.
type statsView struct {
	Report  stats.Report
	Req     statsRequest
	Groups  []metricGroup
	Columns []metric
	Sorts   []stats.SortOption
	// Head is the row of the cards: the province's total, or the
	// university admin's own university.
	Head      stats.Row
	HeadTitle string
	CSVURL    string
	Generated string
	// AsOf (Beijing time): the figures include every change made before
	// it; Lag says by how much it trails Generated (a read replica).
	AsOf string
	Lag  string
}

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
	var r stats.Report
	if periodErr == nil {
		r, periodErr = w.stats.Report(c.Request.Context(), *u, req.query())
	}
	switch {
	case errors.Is(periodErr, service.ErrInvalid):
		// A period the form cannot use: show the default period, and
		// what was wrong above the form, where it can be corrected.
		var err error
		if r, err = w.stats.Report(c.Request.Context(), *u, stats.Query{}); err != nil {
			w.kit.Fail(c, err)
			return
		}
	case periodErr != nil:
		w.kit.Fail(c, periodErr) // not an admin, or the database failed
		return
	}
	v := statsView{Report: r, Req: req, Groups: metricGroups(), Columns: briefMetrics(), Sorts: stats.SortOptions,
		Head: r.Total, HeadTitle: "全省合计", Generated: r.GeneratedAt.In(clock.Beijing).Format("2006-01-02 15:04"),
		AsOf: r.AsOf.In(clock.Beijing).Format("2006-01-02 15:04:05"), Lag: lagText(r.GeneratedAt.Sub(r.AsOf))}
	if !r.Province && len(r.Rows) == 1 {
		v.Head, v.HeadTitle = r.Rows[0], r.Rows[0].University.Name
	}
	q := url.Values{"from": {r.Period.From}, "to": {r.Period.To}, "sort": {r.Sort}}
	v.CSVURL = "/h5/admin/stats.csv?" + q.Encode()
	d := web.Page{Title: "考核统计", Extra: v}
	status := http.StatusOK
	if periodErr != nil {
		status = w.kit.FormError(c, &d, periodErr)
	}
	w.pages.Render(c, status, "stats", d)
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
	for _, m := range metrics {
		head = append(head, m.Label)
	}
	_ = cw.Write(head)
	line := func(code, name, city, level, ownership string, row stats.Row) {
		rec := []string{code, name, city, level, ownership, r.Period.From, r.Period.To}
		for _, m := range metrics {
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
