package main

// The charts of 考核统计 in a real (headless) browser on a phone: a month
// of registrations, questions and bookings at 30 universities, rolled up;
// the province admin's trend (each tab, then one university) and ranking
// (top and bottom 20), the university admin's own trend, and the page
// without script (the tables alone). Screenshots of each; no
// Content-Security-Policy violation on the way (ECharts draws on canvas
// and sizes its elements through element.style, which the policy allows).

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"github.com/gdyouth/youthvoice/model"
	"github.com/gdyouth/youthvoice/service/clock"
	"github.com/gdyouth/youthvoice/service/stats"
)

// brChartData writes a month of figures at the first 30 universities by
// code straight into the tables, then rebuilds the roll-ups (the
// server's own pass may hold the lease a moment).
func brChartData(t *testing.T, b *base) {
	t.Helper()
	ctx := context.Background()
	var unis []model.University
	if err := b.db.Conn(ctx).Order("code").Limit(30).Find(&unis).Error; err != nil || len(unis) != 30 {
		t.Fatalf("universities: %d %v", len(unis), err)
	}
	today := time.Now().In(clock.Beijing)
	day0 := time.Date(today.Year(), today.Month(), today.Day(), 9, 0, 0, 0, clock.Beijing)
	n := 0
	for ui, u := range unis {
		var users []model.User
		for d := 29; d >= 1; d-- {
			// More at the larger universities, a weekly rhythm, growth.
			k := 1 + (ui%7+d%7+(30-d)/6)%5
			for j := range k {
				n++
				at := day0.AddDate(0, 0, -d).Add(time.Duration(j*37) * time.Minute).UTC()
				users = append(users, model.User{Account: fmt.Sprintf("chart%05d", n), AccountKey: fmt.Sprintf("chart%05d", n),
					PasswordHash: "x", Role: model.RoleStudent, UniversityID: &unis[ui].ID, CreatedAt: at, UpdatedAt: at, ActivatedAt: &at})
			}
		}
		if err := b.db.Conn(ctx).CreateInBatches(&users, 200).Error; err != nil {
			t.Fatal(err)
		}
		for i, s := range users {
			if i%3 == 2 {
				continue
			}
			asked := s.CreatedAt.Add(30 * time.Minute)
			q := model.Question{BoardID: 1, UniversityID: u.ID, AskerID: s.ID, Title: "图表测试", Status: model.QuestionAnswered,
				DueAt: asked.Add(24 * time.Hour), CreatedAt: asked, UpdatedAt: asked}
			// Some universities answer late more often than others.
			after := 2 * time.Hour
			if (i+ui)%(2+ui%4) == 0 {
				after = 30 * time.Hour
			}
			at, secs, kept := asked.Add(after), int64(after.Seconds()), after <= 24*time.Hour
			q.FirstAnsweredAt, q.FirstResponseS, q.PromiseKept = &at, &secs, &kept
			if err := b.db.Conn(ctx).Create(&q).Error; err != nil {
				t.Fatal(err)
			}
			if i%4 == 0 {
				made := s.CreatedAt.Add(time.Hour)
				due := made.Add(time.Hour)
				bk := model.Booking{StationID: 1, UniversityID: u.ID, StudentID: s.ID, Service: "心理咨询", ContactPhone: "13800000000",
					Status: model.BookingServed, InHours: true, DueAt: due, RemindAt: due.Add(-15 * time.Minute), CreatedAt: made, UpdatedAt: made}
				resp := made.Add(time.Duration(20+40*((i+ui)%3)) * time.Minute)
				rs, ok := int64(resp.Sub(made).Seconds()), !resp.After(due)
				bk.FirstResponseAt, bk.FirstResponseS, bk.PromiseKept = &resp, &rs, &ok
				if err := b.db.Conn(ctx).Create(&bk).Error; err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	svc, err := stats.New(b.db, clock.Real{})
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		_, err := svc.Rebuild(ctx)
		if err == nil {
			return
		}
		if !errors.Is(err, stats.ErrBusy) || time.Now().After(deadline) {
			t.Fatalf("stats rebuild: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// drawn waits until the page's script marks chart (trend, rank) drawn
// and its container holds a canvas.
func (p *brTab) drawn(chart, container string) {
	p.t.Helper()
	p.do("wait for the "+chart+" chart", chromedp.WaitVisible(chromedp.CSS(`#charts[data-`+chart+`="drawn"]`)))
	n, err := chromedp.Run(p.ctx, chromedp.Evaluate[int](`document.querySelectorAll('#`+container+` canvas').length`))
	if err != nil || n == 0 {
		p.fail("find the "+chart+" canvas", fmt.Errorf("%d canvases: %v", n, err))
	}
}

// choose picks value in a <select> as a person would (a change event).
func (p *brTab) choose(id, value string) {
	p.t.Helper()
	p.do("choose "+value+" in #"+id, chromedp.SetValue(chromedp.ID(id), value))
	if _, err := chromedp.Run(p.ctx, chromedp.Evaluate[bool](`document.getElementById("`+id+`").dispatchEvent(new Event("change"))`)); err != nil {
		p.fail("choose "+value, err)
	}
}

func TestBrowserStatsCharts(t *testing.T) {
	base, b := brServe(t)
	brChartData(t, b)
	_, newPhone := brBrowser(t, base)

	province := newPhone("province")
	brMember(t, b, province, "省团委", "chartprov2026", model.RoleProvinceAdmin)
	province.nav("/h5/admin/stats?sort=questions", "period-form")
	province.drawn("trend", "trend-chart")
	province.drawn("rank", "rank-chart")
	province.wantText("#trend-status", "全省合计")
	province.wantText("#rank-status", "前 20 所 · 按提问数")
	province.shot("charts-province")

	province.do("tap 提问与按时答复", chromedp.Click(chromedp.CSS(`#trend-tabs [data-series="questions"]`)))
	province.drawn("trend", "trend-chart")
	province.do("tap 预约与按时反馈", chromedp.Click(chromedp.CSS(`#trend-tabs [data-series="bookings"]`)))
	province.drawn("trend", "trend-chart")
	province.shot("charts-bookings")

	// One university's trend, and the ranking by on-time rate, bottom 20.
	var code string
	if err := b.db.Conn(context.Background()).Model(&model.University{}).Order("code").Limit(1).Pluck("code", &code).Error; err != nil {
		t.Fatal(err)
	}
	province.do("tap 提问与按时答复", chromedp.Click(chromedp.CSS(`#trend-tabs [data-series="questions"]`)))
	province.choose("trend-university", code)
	province.drawn("trend", "trend-chart")
	if got := province.text("#trend-status"); got == "" || got[:len("全省合计")] == "全省合计" {
		t.Fatalf("trend status after picking %s: %q", code, got)
	}
	province.choose("rank-metric", "on_time_rate")
	province.choose("rank-end", "bottom")
	province.drawn("rank", "rank-chart")
	province.wantText("#rank-status", "后 20 所 · 按按时答复率")
	province.shot("charts-university-and-bottom20")

	// A university admin: their own university's trend, no ranking.
	admin := newPhone("admin")
	brMember(t, b, admin, "李老师", "chartadm2026", model.RoleUniversityAdm)
	admin.nav("/h5/admin/stats", "period-form")
	admin.drawn("trend", "trend-chart")
	admin.wantText("#trend-status", "深圳大学")
	if n, err := chromedp.Run(admin.ctx, chromedp.Evaluate[int](`document.querySelectorAll('#rank-chart').length`)); err != nil || n != 0 {
		t.Fatalf("university admin sees a ranking: %d %v", n, err)
	}
	admin.shot("charts-university-admin")

	// Without script: no charts, the tables as ever.
	noJS := newPhone("nojs")
	brMember(t, b, noJS, "省团委二", "chartnojs2026", model.RoleProvinceAdmin)
	noJS.do("turn script off", chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		_, err := chromedp.Call(ctx, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true})
		return err
	}))
	noJS.nav("/h5/admin/stats", "stats-table")
	visible, err := chromedp.Run(noJS.ctx, chromedp.Evaluate[bool](`document.getElementById("charts").offsetHeight > 0`))
	if err != nil || visible {
		t.Fatalf("charts section visible without script: %v %v", visible, err)
	}
	noJS.shot("charts-no-script")
}
