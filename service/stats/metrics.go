package stats

import (
	"strconv"
	"strings"
)

// Metric is one figure of a report row, defined once: a column of the
// page's table and of the downloads, an entry of the page's 指标说明,
// a sort order when Sort is set, and a line of the README's 考核统计
// (generated from here; TestReadmeMetrics fails when they differ).
type Metric struct {
	Group string
	Name  string
	// Help is the definition, as the page and the README show it.
	Help string
	// Brief: a column of the page's table (the downloads have every one).
	Brief bool
	// Sort is the key of the order by this figure (?sort=), or "".
	Sort string
	fig  figure
}

// figure reads a metric's number from a row and formats it.
type figure struct {
	kind   Kind
	format func(float64) string
	get    func(Row) *float64
}

// Kind is what a metric's number is: a count, a rate (0–1, shown as a
// percentage) or a decimal (hours, stars).
type Kind int

// The kinds of figures.
const (
	Count Kind = iota
	Rate
	Decimal
)

// Kind is what the metric's number is (spreadsheets format it by this).
func (m Metric) Kind() Kind { return m.fig.kind }

// Figure is the metric's number in r; nil when there is nothing to
// measure (a rate over nothing).
func (m Metric) Figure(r Row) *float64 { return m.fig.get(r) }

// Value is the figure as shown: 12, 75.0%, 3.5, or — for nothing.
func (m Metric) Value(r Row) string {
	v := m.fig.get(r)
	if v == nil {
		return "—"
	}
	return m.fig.format(*v)
}

func countOf(f func(Row) int64) figure {
	return figure{Count, func(v float64) string { return strconv.FormatInt(int64(v), 10) }, func(r Row) *float64 { return num(f(r)) }}
}

// percentOf writes a rate as 75.0%.
func percentOf(f func(Row) *float64) figure {
	return figure{Rate, func(v float64) string { return strconv.FormatFloat(v*100, 'f', 1, 64) + "%" }, f}
}

func decimalOf(f func(Row) *float64) figure {
	return figure{Decimal, func(v float64) string { return strconv.FormatFloat(v, 'f', 1, 64) }, f}
}

func metric(group, name, help string, brief bool, sort string, fig figure) Metric {
	return Metric{Group: group, Name: name, Help: help, Brief: brief, Sort: sort, fig: fig}
}

// Metric groups: the notice's 注册量、活跃度、团干与青年互动、青年之家服务情况和满意度.
const (
	GroupUsers    = "注册与活跃"
	GroupAnswers  = "团干与青年互动"
	GroupStations = "青年之家服务"
	GroupPromo    = "推广二维码"
)

// Metrics are the report's figures in the page's order.
var Metrics = []Metric{
	metric(GroupUsers, "注册用户", "截至区间末本校的全部账号，含从原平台导入、尚未激活的账号", true, SortUsers,
		countOf(func(r Row) int64 { return r.Users })),
	metric(GroupUsers, "新增注册", "区间内新建的账号", true, "",
		countOf(func(r Row) int64 { return r.NewUsers })),
	metric(GroupUsers, "已激活学生", "截至区间末已完成激活的青年学生账号", true, "",
		countOf(func(r Row) int64 { return r.Activated })),
	metric(GroupUsers, "绑定微信", "截至区间末注册、当前绑定了微信的账号（绑定关系没有历史记录，按当前状态统计）", true, "",
		countOf(func(r Row) int64 { return r.Bound })),
	metric(GroupUsers, "团学干部", "截至区间末注册、当前角色为团学干部的账号（角色没有历史记录，按当前状态统计）", true, "",
		countOf(func(r Row) int64 { return r.Cadres })),
	metric(GroupUsers, "活跃用户", "区间内在服务号发过消息、点过菜单等（任何一次微信互动），或提问、答复、追问、预约、作为站点管理员处理预约的账号，每人只计一次；只计区间结束前已注册的账号（与注册用户口径一致，活跃率不会超过 100%）", true, SortActive,
		countOf(func(r Row) int64 { return r.Active })),
	metric(GroupUsers, "活跃率", "活跃用户 ÷ 注册用户", true, SortActiveRate,
		percentOf(func(r Row) *float64 { return r.ActiveRate })),
	metric(GroupUsers, "微信互动", "区间内本校用户（区间结束前已注册，按当前绑定的微信）向服务号发送的消息和事件次数", true, SortInteractions,
		countOf(func(r Row) int64 { return r.Interactions })),

	metric(GroupAnswers, "提问数", "区间内本校学生在本校版区和省级版区发布的提问；审核中的和未通过审核的不计（被管理员恢复的按恢复时间计入），发布后才被隐藏的仍计入（第 9 步迁移之前被驳回的问题无法与之区分，也计入）", true, SortQuestions,
		countOf(func(r Row) int64 { return r.Questions })),
	metric(GroupAnswers, "已答复", "上述提问中已有干部答复的", true, "",
		countOf(func(r Row) int64 { return r.Answered })),
	metric(GroupAnswers, "24小时内答复", "发布后 24 小时内得到首次干部答复的提问", false, "",
		countOf(func(r Row) int64 { return r.OnTime })),
	metric(GroupAnswers, "超时答复或未答复", "24 小时后才首次答复，或已超过 24 小时仍未答复的提问", false, "",
		countOf(func(r Row) int64 { return r.Late })),
	metric(GroupAnswers, "按时答复率", "24小时内答复 ÷（24小时内答复 + 超时答复或未答复）；发布未满 24 小时且未答复的提问暂不计入", true, SortOnTime,
		percentOf(func(r Row) *float64 { return r.OnTimeRate })),
	metric(GroupAnswers, "平均首次答复用时（小时）", "已答复的提问从发布到第一条干部答复的平均时长", true, "",
		decimalOf(func(r Row) *float64 { return r.AvgFirstResponseHours })),
	metric(GroupAnswers, "当前超时未答复", "此刻已超过 24 小时仍未答复的本校提问，不限提问时间", true, SortOverdue,
		countOf(func(r Row) int64 { return r.OverdueNow })),
	metric(GroupAnswers, "评价满意", "提问者评价为「满意」的提问", false, "",
		countOf(func(r Row) int64 { return r.RatedGood })),
	metric(GroupAnswers, "评价一般", "提问者评价为「一般」的提问", false, "",
		countOf(func(r Row) int64 { return r.RatedFair })),
	metric(GroupAnswers, "评价不满意", "提问者评价为「不满意」的提问", false, "",
		countOf(func(r Row) int64 { return r.RatedBad })),
	metric(GroupAnswers, "答复满意率", "满意 ÷ 已评价（满意 + 一般 + 不满意）", true, SortSatisfaction,
		percentOf(func(r Row) *float64 { return r.Satisfaction })),
	metric(GroupAnswers, "干部答复数", "区间内本校团学干部和团委管理员发布的答复条数，含在省级版区的答复和在其他高校版区的外校回帖", true, SortAnswers,
		countOf(func(r Row) int64 { return r.CadreAnswers })),
	metric(GroupAnswers, "参与答复干部", "区间内发布过答复的本校团学干部和团委管理员人数", true, "",
		countOf(func(r Row) int64 { return r.AnsweringCadres })),

	metric(GroupStations, "预约数", "区间内提交到本校青年之家服务站的预约（含干部转介）", true, SortBookings,
		countOf(func(r Row) int64 { return r.Bookings })),
	metric(GroupStations, "已反馈", "上述预约中站点已首次反馈（确认、无法安排或建议改期）的", false, "",
		countOf(func(r Row) int64 { return r.BookingsResponded })),
	metric(GroupStations, "按时反馈", "在时限内首次反馈的预约：工作时间提交 1 小时内，非工作时间提交 12 小时内", false, "",
		countOf(func(r Row) int64 { return r.BookingsOnTime })),
	metric(GroupStations, "超时反馈或未反馈", "超过时限才反馈，或已过时限仍未反馈的预约", false, "",
		countOf(func(r Row) int64 { return r.BookingsLate })),
	metric(GroupStations, "按时反馈率", "按时反馈 ÷（按时反馈 + 超时反馈或未反馈）；未到时限、或反馈前学生已取消的预约不计入", true, SortBookingTime,
		percentOf(func(r Row) *float64 { return r.BookingOnTimeRate })),
	metric(GroupStations, "已服务", "上述预约中已完成服务的", true, "",
		countOf(func(r Row) int64 { return r.Served })),
	metric(GroupStations, "未到场", "上述预约中学生未到场的", true, "",
		countOf(func(r Row) int64 { return r.NoShow })),
	metric(GroupStations, "服务评价数", "学生对已完成服务给出 1–5 星评价的预约", false, "",
		countOf(func(r Row) int64 { return r.ServiceRated })),
	metric(GroupStations, "服务满意率", "4–5 星 ÷ 已评价", true, "",
		percentOf(func(r Row) *float64 { return r.ServiceSatisfaction })),
	metric(GroupStations, "平均星级", "已评价服务的平均星级（1–5）", true, "",
		decimalOf(func(r Row) *float64 { return r.AvgServiceStars })),

	metric(GroupPromo, "扫码关注", "区间内通过本校推广二维码关注服务号、或已关注者扫本校推广二维码而归属本校的微信用户（每个微信只归属一次，以第一次为准，按归属时间计入区间）", true, "",
		countOf(func(r Row) int64 { return r.QRFollows })),
	metric(GroupPromo, "扫码激活", "上述微信中当前绑定了已激活账号的（激活可能在区间之后，按统计时的状态；解除绑定后不再计入）", true, "",
		countOf(func(r Row) int64 { return r.QRActivations })),
	metric(GroupPromo, "扫码提问", "上述微信中所绑定账号发布过提问的（不限提问时间，审核中和未通过审核的不计）", true, "",
		countOf(func(r Row) int64 { return r.QRAskers })),
}

// MetricGroup is a titled list of metrics (the page's cards and notes).
type MetricGroup struct {
	Title   string
	Metrics []Metric
}

// MetricGroups are Metrics by group, in order.
func MetricGroups() []MetricGroup {
	var out []MetricGroup
	for _, m := range Metrics {
		if len(out) == 0 || out[len(out)-1].Title != m.Group {
			out = append(out, MetricGroup{Title: m.Group})
		}
		out[len(out)-1].Metrics = append(out[len(out)-1].Metrics, m)
	}
	return out
}

// BriefMetrics are the page table's columns.
func BriefMetrics() []Metric {
	var out []Metric
	for _, m := range Metrics {
		if m.Brief {
			out = append(out, m)
		}
	}
	return out
}

// MetricsMarkdown is the definitions as the README's 考核统计 lists them.
func MetricsMarkdown() string {
	var b strings.Builder
	for i, g := range MetricGroups() {
		if i > 0 {
			b.WriteString("\n")
		}
		b.WriteString("**" + g.Title + "**\n\n")
		for _, m := range g.Metrics {
			b.WriteString("- **" + m.Name + "**：" + m.Help + "\n")
		}
	}
	return b.String()
}
