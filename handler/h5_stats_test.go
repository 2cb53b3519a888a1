package handler_test

// Tests of the assessment statistics (考核统计): the page, the CSV and
// the API as the province admin, a university admin and a student meet
// them, over questions asked and answered through the API.

import (
	"context"
	"encoding/csv"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gdyouth/youthvoice/model"
	"github.com/gdyouth/youthvoice/service/clock"
	"github.com/gdyouth/youthvoice/service/kv"
)

// StatsWorld is two universities with people, a question answered within
// the hour at 深圳大学 (rated 满意) and one left unanswered for 25 hours at
// 华南理工大学, and three WeChat pushes of the 深圳大学 student.
type StatsWorld struct {
	S                             *Stack
	Province, AdminSZU            *Client
	Student                       *Client
	StuSZU, CadreSZU, StuSCUT     Person
	ProvAdmin, Admin              Person
	StudentSCUT, Cadre, Asker     *Client
	InteractionsSZU, QuestionsAll int64
}

func NewStatsWorld(t *testing.T, db *model.DB, store kv.Store) *StatsWorld {
	t.Helper()
	// Noon Beijing time, so that the 25 hours below stay inside the
	// default period (the last 30 days to today).
	bjNow := time.Now().In(clock.Beijing)
	clk := clock.NewFake(time.Date(bjNow.Year(), bjNow.Month(), bjNow.Day(), 12, 0, 0, 0, clock.Beijing).AddDate(0, 0, -2))
	w := &StatsWorld{S: New(t, db, store, Opts{Clock: clk})}
	s := w.S
	w.StuSZU = s.Member("stStu", CodeSZU, model.RoleStudent)
	w.CadreSZU = s.Member("stCad", CodeSZU, model.RoleCadre)
	w.Admin = s.Member("stAdm", CodeSZU, model.RoleUniversityAdm)
	w.StuSCUT = s.Member("stFar", CodeSCUT, model.RoleStudent)
	w.ProvAdmin = s.Member("stPrv", CodeSCUT, model.RoleProvinceAdmin)
	w.Asker, w.Cadre, w.StudentSCUT = s.Phone(w.StuSZU), s.Phone(w.CadreSZU), s.Phone(w.StuSCUT)
	w.Province, w.AdminSZU, w.Student = s.Phone(w.ProvAdmin), s.Phone(w.Admin), w.Asker

	var q, far qaQuestion
	WantData(t, w.Asker.API(http.MethodPost, "/api/v1/questions", map[string]string{"title": "图书馆几点关门"}), http.StatusCreated, &q)
	WantData(t, w.StudentSCUT.API(http.MethodPost, "/api/v1/questions", map[string]string{"title": "宿舍空调报修"}), http.StatusCreated, &far)
	clk.Advance(time.Hour)
	WantStatus(t, w.Cadre.API(http.MethodPost, qaPath(q.ID, "/answers"), map[string]string{"body": "晚上十点"}), http.StatusCreated)
	WantStatus(t, w.Asker.API(http.MethodPost, qaPath(q.ID, "/resolve"), map[string]string{"rating": "满意"}), http.StatusOK)
	clk.Advance(24 * time.Hour)
	w.QuestionsAll = 2

	for i := range 3 {
		at := clk.Now().Add(-time.Duration(i) * time.Hour).UTC()
		if err := db.Conn(context.Background()).Create(&model.Interaction{OpenID: w.StuSZU.OpenID, MsgType: "text",
			Content: "帮助", SentAt: at, CreatedAt: at}).Error; err != nil {
			t.Fatal(err)
		}
	}
	w.InteractionsSZU = 3
	return w
}

// tableRow is the cells of the statistics table's row with data-code.
func tableRow(t *testing.T, r *Resp, code string) []string {
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
func column(t *testing.T, r *Resp, label string) int {
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
	Each(t, func(t *testing.T, db *model.DB, store kv.Store) {
		w := NewStatsWorld(t, db, store)

		admin := w.Province.Get("/h5/admin")
		WantStatus(t, admin, http.StatusOK)
		WantBody(t, admin, `href="/h5/admin/stats" id="nav-stats"`, "考核统计")

		r := w.Province.Get("/h5/admin/stats")
		WantStatus(t, r, http.StatusOK)
		WantBody(t, r, "全省合计", "深圳大学", "华南理工大学", `id="stats-table"`, "指标说明", "按时答复率",
			"24 小时内得到首次答复", `id="csv-link"`, "近7天", "近30天", "本学期", "近一年", `id="as-of">数据截至 `)
		if n := strings.Count(r.Body, `<tr data-code="`); n != 166 {
			t.Fatalf("table has %d universities, want all 166", n)
		}
		// Read from the primary: the figures are as of the report's time.
		asOf := regexp.MustCompile(`生成于 (\S+ \S+) · <span id="as-of">数据截至 (\S+ \S+)</span>`).FindStringSubmatch(r.Body)
		if asOf == nil || !strings.HasPrefix(asOf[2], asOf[1]+":") {
			t.Fatalf("no 数据截至 matching 生成于 in the page: %v", asOf)
		}
		WantNoBody(t, r, `id="as-of-lag"`)
		szu, scut, total := tableRow(t, r, CodeSZU), tableRow(t, r, CodeSCUT), tableRowTotal(t, r)
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

		// Sorted by questions, the two universities with one come first.
		r = w.Province.Get("/h5/admin/stats?sort=questions")
		codes := regexp.MustCompile(`<tr data-code="(\d+)"`).FindAllStringSubmatch(r.Body, 3)
		if len(codes) < 3 || codes[0][1] != CodeSCUT && codes[0][1] != CodeSZU || codes[1][1] != CodeSCUT && codes[1][1] != CodeSZU {
			t.Fatalf("sorted by questions: %v", codes)
		}

		// A university admin sees their own university only.
		own := w.AdminSZU.Get("/h5/admin/stats")
		WantStatus(t, own, http.StatusOK)
		WantBody(t, own, `<h2 class="section-title" id="head-title">深圳大学</h2>`, "指标说明")
		WantNoBody(t, own, "华南理工大学", "全省合计", `id="stats-table"`)

		// A student is refused with a Chinese page.
		no := w.Student.Get("/h5/admin/stats")
		WantStatus(t, no, http.StatusForbidden)
		WantBody(t, no, "只有高校团委管理员和省级管理员可以查看考核统计")
		if !strings.HasPrefix(no.Header.Get("Content-Type"), "text/html") {
			t.Fatalf("student gets %s", no.Header.Get("Content-Type"))
		}

		bad := w.Province.Get("/h5/admin/stats?from=2026-03-10&to=2026-03-01")
		WantStatus(t, bad, http.StatusBadRequest)
		// Shown above the form, with the default period's report, so it
		// can be corrected there (not an error page whose 重试 repeats it).
		WantBody(t, bad, `id="form-error"`, "开始日期不能晚于结束日期", `id="period-form"`, `id="row-total"`)
		bad = w.Province.Get("/h5/admin/stats?from=2026-3-1")
		WantStatus(t, bad, http.StatusBadRequest)
		WantBody(t, bad, `id="form-error"`, "日期格式应为 YYYY-MM-DD", `id="period-form"`)
	})
}

func tableRowTotal(t *testing.T, r *Resp) []string {
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
	Each(t, func(t *testing.T, db *model.DB, store kv.Store) {
		w := NewStatsWorld(t, db, store)
		r := w.Province.Get("/h5/admin/stats.csv")
		WantStatus(t, r, http.StatusOK)
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
			if rec[col["学校标识码"]] == CodeSZU {
				szu = rec
			}
		}
		if szu == nil || szu[col["学校名称"]] != "深圳大学" || szu[col["微信互动"]] != "3" || szu[col["干部答复数"]] != "1" ||
			szu[col["预约数"]] != "0" || szu[col["按时反馈率"]] != "" {
			t.Fatalf("深圳大学 line %v", szu)
		}

		own := w.AdminSZU.Get("/h5/admin/stats.csv")
		WantStatus(t, own, http.StatusOK)
		recs, err = csv.NewReader(strings.NewReader(strings.TrimPrefix(own.Body, "\ufeff"))).ReadAll()
		if err != nil || len(recs) != 2 || recs[1][0] != CodeSZU {
			t.Fatalf("university admin's CSV: %v %v", recs, err)
		}
		WantStatus(t, w.Student.Get("/h5/admin/stats.csv"), http.StatusForbidden)
	})
}

func TestStatsAPI(t *testing.T) {
	Each(t, func(t *testing.T, db *model.DB, store kv.Store) {
		w := NewStatsWorld(t, db, store)
		type row struct {
			University *struct{ Code, Name string } `json:"university"`
			Users      int64                        `json:"users"`
			Active     int64                        `json:"active_users"`
			Inter      int64                        `json:"interactions"`
			Questions  int64                        `json:"questions"`
			OnTime     *float64                     `json:"on_time_rate"`
			Overdue    int64                        `json:"overdue_now"`
			Answers    int64                        `json:"cadre_answers"`
			Satisfied  *float64                     `json:"satisfaction_rate"`
			Bookings   int64                        `json:"bookings"`
		}
		var rep struct {
			Period struct {
				From, To string
				Days     int
			} `json:"period"`
			Province    bool      `json:"province"`
			Total       row       `json:"total"`
			Rows        []row     `json:"universities"`
			GeneratedAt time.Time `json:"generated_at"`
			AsOf        time.Time `json:"as_of"`
		}
		r := w.Province.API(http.MethodGet, "/api/v1/admin/stats", nil)
		WantData(t, r, http.StatusOK, &rep)
		if rep.AsOf.IsZero() || !rep.AsOf.Equal(rep.GeneratedAt) {
			t.Fatalf("as_of %v, generated_at %v: from the primary they are the same", rep.AsOf, rep.GeneratedAt)
		}
		if !rep.Province || len(rep.Rows) != 166 || rep.Period.Days != 30 || rep.Total.University != nil {
			t.Fatalf("province report: province %v, %d rows, %+v", rep.Province, len(rep.Rows), rep.Period)
		}
		if rep.Total.Questions != w.QuestionsAll || rep.Total.OnTime == nil || *rep.Total.OnTime != 0.5 || rep.Total.Overdue != 1 {
			t.Fatalf("total %+v", rep.Total)
		}
		qaNoSecrets(t, r, w.StuSZU.User, w.StuSCUT.User)

		from := time.Now().In(clock.Beijing).AddDate(0, 0, -6).Format("2006-01-02")
		r = w.AdminSZU.API(http.MethodGet, "/api/v1/admin/stats?from="+from, nil)
		WantData(t, r, http.StatusOK, &rep)
		if rep.Province || len(rep.Rows) != 1 || rep.Rows[0].University.Code != CodeSZU || rep.Period.From != from {
			t.Fatalf("university admin's report: %+v", rep)
		}
		own := rep.Rows[0]
		if own.Users != 3 || own.Inter != w.InteractionsSZU || own.Questions != 1 || own.Answers != 1 ||
			own.OnTime == nil || *own.OnTime != 1 || own.Satisfied == nil || *own.Satisfied != 1 || own.Bookings != 0 {
			t.Fatalf("深圳大学 %+v", own)
		}

		WantAPIError(t, w.Student.API(http.MethodGet, "/api/v1/admin/stats", nil), http.StatusForbidden, "not_admin", "")
		WantAPIError(t, w.Province.API(http.MethodGet, "/api/v1/admin/stats?from=2026-3-1", nil), http.StatusBadRequest, "bad_date", "from")
		WantAPIError(t, w.Province.API(http.MethodGet, "/api/v1/admin/stats?from=2024-01-01&to=2026-01-01", nil), http.StatusBadRequest, "period_too_long", "from")
		WantAPIError(t, w.S.Browser(UAPlain).API(http.MethodGet, "/api/v1/admin/stats", nil), http.StatusUnauthorized, "login_required", "")
	})
}
