package h5_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/gdyouth/youthvoice/handler/internal/webtest"
	"github.com/gdyouth/youthvoice/model"
	"github.com/gdyouth/youthvoice/service/clock"
	"github.com/gdyouth/youthvoice/service/kv"
)

// The station form offers the working-day calendar: a new station starts
// with the coming statutory holidays as closed dates; a line 「日期 开放
// 时段」 opens a make-up workday for the hours written; 「填入…」 adds the
// year's holidays and make-up days without touching the dates set.
func TestStationHolidayLines(t *testing.T) {
	webtest.Each(t, func(t *testing.T, db *model.DB, store kv.Store) {
		clk := clock.NewFake(time.Date(2026, 9, 1, 10, 0, 0, 0, clock.Beijing).UTC())
		s := webtest.New(t, db, store, webtest.Opts{Clock: clk})
		ap := s.Phone(s.Member("sadm", webtest.CodeSZU, model.RoleUniversityAdm))

		r := ap.Get("/h5/station/edit")
		webtest.WantStatus(t, r, http.StatusOK)
		if v := textareaValue(r.Body, "closed"); !strings.Contains(v, "2026-10-01 国庆节") || strings.Contains(v, "开放") {
			t.Fatalf("a new station's special dates = %q; want the holidays closed, no make-up openings without hours", v)
		}
		form := url.Values{"name": {"深圳大学青年之家"}, "slot_minutes": {"60"}, "slot_capacity": {"1"},
			"closed": {"2026-10-08 国庆节\n2026-10-10 开放 09:00–12:00 国庆节调休上班"}}
		for d := 1; d <= 5; d++ {
			setPeriod(form, d, 0, "08:30", "12:00")
		}
		bad := url.Values{}
		for k, v := range form {
			bad[k] = v
		}
		bad.Set("closed", "2026-10-10 开放 国庆节调休上班")
		r = ap.Post("/h5/station/edit", bad)
		webtest.WantStatus(t, r, http.StatusBadRequest)
		if got := webtest.FieldError(r.Body, "closed"); !strings.Contains(got, "开放时段") {
			t.Fatalf("an opening without periods: field error %q", got)
		}
		webtest.WantRedirect(t, ap.Post("/h5/station/edit", form), http.StatusSeeOther, "/h5/station?notice=saved")

		v := textareaValue(ap.Get("/h5/station/edit").Body, "closed")
		if v != "2026-10-08 国庆节\n2026-10-10 开放 09:00–12:00 国庆节调休上班" {
			t.Fatalf("saved special dates = %q", v)
		}
		r = ap.Get("/h5/station/edit?holidays=1")
		v = textareaValue(r.Body, "closed")
		for _, want := range []string{"2026-10-01 国庆节", "2026-10-10 开放 09:00–12:00 国庆节调休上班", "2026-09-20 开放 08:30–12:00 国庆节调休上班"} {
			if !strings.Contains(v, want) {
				t.Fatalf("after 填入: %q lacks %q", v, want)
			}
		}
		// A week later the make-up Saturday is bookable; the holiday
		// Thursday is not.
		clk.Set(time.Date(2026, 10, 6, 10, 0, 0, 0, clock.Beijing).UTC())
		r = s.Phone(s.Member("stu", webtest.CodeSZU, model.RoleStudent)).Get("/h5/bookings/new")
		webtest.WantBody(t, r, "2026-10-10T09:00", "2026-10-09T08:30")
		if strings.Contains(r.Body, "2026-10-08T") {
			t.Fatal("the holiday Thursday offers slots")
		}
	})
}
