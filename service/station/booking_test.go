package station_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gdyouth/youthvoice/config"
	"github.com/gdyouth/youthvoice/model"
	"github.com/gdyouth/youthvoice/model/dbtest"
	"github.com/gdyouth/youthvoice/service"
	"github.com/gdyouth/youthvoice/service/alert"
	"github.com/gdyouth/youthvoice/service/alertkind"
	"github.com/gdyouth/youthvoice/service/notify"
	"github.com/gdyouth/youthvoice/service/servicetest"
	"github.com/gdyouth/youthvoice/service/station"
)

const place = "活动中心201室" // short enough for a template value (20 characters with the time)

func (f *fixture) accept(t *testing.T, admin model.User, id uint64, at *time.Time) model.Booking {
	t.Helper()
	b, err := f.svc.Respond(f.ctx, admin, id, station.Response{Action: station.ActionAccept, Time: at, Place: place})
	if err != nil {
		t.Fatalf("accept %d: %v", id, err)
	}
	return b
}

// left is how many places the slot starting at at has left at uni's station.
func (f *fixture) left(t *testing.T, uni uint64, at time.Time) int {
	t.Helper()
	slots, err := f.svc.Slots(f.ctx, uni)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range slots {
		if s.Start.Equal(at) {
			return s.Left
		}
	}
	t.Fatalf("no slot at %v", at)
	return 0
}

func (f *fixture) countBookings(t *testing.T) int64 {
	t.Helper()
	var n int64
	if err := f.db.Conn(f.ctx).Model(&model.Booking{}).Count(&n).Error; err != nil {
		t.Fatal(err)
	}
	return n
}

func TestBookValidation(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *model.DB) {
		f := setup(t, db)
		in := func(edit func(in *station.BookInput)) station.BookInput {
			b := station.BookInput{Service: "心理咨询", SlotStart: ptr(bj(3, 10, 0)), Phone: "13800138000", Description: "想聊聊"}
			edit(&b)
			return b
		}
		cases := []struct {
			name    string
			student model.User
			in      station.BookInput
			kind    error
			code    string
		}{
			{"10-digit phone", f.studentA, in(func(b *station.BookInput) { b.Phone = "1380013800" }), service.ErrInvalid, "bad_phone"},
			{"landline", f.studentA, in(func(b *station.BookInput) { b.Phone = "02087654321" }), service.ErrInvalid, "bad_phone"},
			{"no phone", f.studentA, in(func(b *station.BookInput) { b.Phone = "" }), service.ErrInvalid, "bad_phone"},
			{"description of 501 characters", f.studentA, in(func(b *station.BookInput) { b.Description = strings.Repeat("字", 501) }), service.ErrInvalid, "too_long"},
			{"a service the station does not offer", f.studentA, in(func(b *station.BookInput) { b.Service = "法律援助" }), service.ErrInvalid, "bad_service"},
			{"an unknown service", f.studentA, in(func(b *station.BookInput) { b.Service = "算命" }), service.ErrInvalid, "bad_service"},
			{"slot after closing", f.studentA, in(func(b *station.BookInput) { b.SlotStart = ptr(bj(3, 18, 0)) }), service.ErrInvalid, "bad_slot"},
			{"slot overrunning closing", f.studentA, in(func(b *station.BookInput) { b.SlotStart = ptr(bj(3, 17, 0)) }), service.ErrInvalid, "bad_slot"},
			{"slot at the weekend", f.studentA, in(func(b *station.BookInput) { b.SlotStart = ptr(bj(7, 10, 0)) }), service.ErrInvalid, "bad_slot"},
			{"slot off the grid", f.studentA, in(func(b *station.BookInput) { b.SlotStart = ptr(bj(3, 10, 30)) }), service.ErrInvalid, "bad_slot"},
			{"slot in the past", f.studentA, in(func(b *station.BookInput) { b.SlotStart = ptr(bj(2, 9, 0)) }), service.ErrInvalid, "bad_slot"},
			{"slot starting now", f.studentA, in(func(b *station.BookInput) { b.SlotStart = ptr(t0) }), service.ErrInvalid, "bad_slot"},
			{"slot more than 14 days ahead", f.studentA, in(func(b *station.BookInput) { b.SlotStart = ptr(bj(17, 10, 0)) }), service.ErrInvalid, "bad_slot"},
			{"university without a station", f.studentC, in(func(*station.BookInput) {}), service.ErrNotFound, "station_not_found"},
			{"user without a university", f.noUniversity, in(func(*station.BookInput) {}), service.ErrForbidden, "no_university"},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				_, err := f.svc.Book(f.ctx, tc.student, tc.in)
				servicetest.WantErr(t, "book", err, tc.kind, tc.code)
			})
		}
		if n := f.countBookings(t); n != 0 {
			t.Fatalf("%d bookings stored by refused requests", n)
		}
		if ms := f.alerts(t, alertkind.BookingNew); len(ms) != 0 {
			t.Fatalf("%d alerts for refused bookings", len(ms))
		}

		t.Run("any time", func(t *testing.T) {
			b, err := f.svc.Book(f.ctx, f.studentA, station.BookInput{Service: "学业辅导", Phone: " 13800138000 ", Description: "  高数补考  "})
			if err != nil {
				t.Fatal(err)
			}
			if b.Status != model.BookingSubmitted || b.SlotStart != nil || b.ContactPhone != "13800138000" || b.Description != "高数补考" ||
				!b.InHours || !b.DueAt.Equal(t0.Add(time.Hour)) || !b.RemindAt.Equal(t0.Add(45*time.Minute)) ||
				b.StudentID != f.studentA.ID || b.UniversityID != f.uniA.ID {
				t.Fatalf("booking = %+v", b)
			}
		})
		t.Run("slot", func(t *testing.T) {
			b := f.book(t, f.studentA, ptr(bj(3, 14, 0)))
			got := f.booking(t, b.ID)
			if got.SlotStart == nil || !got.SlotStart.Equal(bj(3, 14, 0)) || got.SlotEnd == nil || !got.SlotEnd.Equal(bj(3, 15, 0)) {
				t.Fatalf("stored slot %v–%v", got.SlotStart, got.SlotEnd)
			}
		})
		t.Run("exactly 14 days ahead", func(t *testing.T) {
			f.book(t, f.studentA, ptr(bj(16, 10, 0)))
		})
		t.Run("five open bookings at most", func(t *testing.T) {
			var last model.Booking
			for range 5 {
				last = f.book(t, f.studentA2, nil)
			}
			_, err := f.svc.Book(f.ctx, f.studentA2, station.BookInput{Service: "心理咨询", Phone: "13800138000"})
			servicetest.WantErr(t, "sixth booking", err, service.ErrTooMany, "too_many_bookings")
			if _, err := f.svc.Cancel(f.ctx, f.studentA2, last.ID); err != nil {
				t.Fatal(err)
			}
			f.book(t, f.studentA2, nil)
		})
	})
}

func TestBookAlertsOnDutyAdmins(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *model.DB) {
		f := setup(t, db)
		everybody := []model.User{f.lead, f.duty1, f.duty2}
		cases := []struct {
			name    string
			at, due time.Time
			want    []model.User
		}{
			{"Monday in hours: Monday's duty", bj(2, 10, 0), bj(2, 11, 0), []model.User{f.duty1}},
			{"Tuesday in hours: Tuesday's duty", bj(3, 10, 0), bj(3, 11, 0), []model.User{f.duty2}},
			{"Wednesday just before closing", bj(4, 16, 59), bj(5, 4, 59), []model.User{f.duty1}},
			{"Thursday, nobody on duty: everybody", bj(5, 10, 0), bj(5, 11, 0), everybody},
			{"Monday after closing: everybody", bj(2, 18, 0), bj(3, 6, 0), everybody},
			{"Tuesday before opening: everybody", bj(3, 8, 0), bj(3, 20, 0), everybody},
			{"Saturday: everybody", bj(7, 10, 0), bj(7, 22, 0), everybody},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				f.clk.Set(tc.at)
				student := servicetest.NewUser(t, db, model.RoleStudent, &f.uniA.ID, true)
				b := f.book(t, student, nil)
				ms := f.alertsFor(t, alertkind.BookingNew, b.ID)
				servicetest.WantRecipients(t, "booking_new", ms, tc.want...)
				if !b.DueAt.Equal(tc.due) {
					t.Fatalf("due %v, want %v", b.DueAt, tc.due)
				}
				d := servicetest.AlertData(t, ms[0])
				if d["thing1"] != "心理咨询" || d["thing2"] != "任意时间，请联系我" || d["time3"] != tc.due.Format("2006-01-02 15:04") {
					t.Fatalf("booking_new data = %v (due %v)", d, tc.due)
				}
				if !strings.Contains(ms[0].URL, "/h5/oauth/start?next=") {
					t.Fatalf("URL %q", ms[0].URL)
				}
			})
		}
		t.Run("slot in the alert", func(t *testing.T) {
			f.clk.Set(t0)
			b := f.book(t, f.studentA, ptr(bj(3, 10, 0)))
			ms := f.alertsFor(t, alertkind.BookingNew, b.ID)
			if len(ms) != 1 || servicetest.AlertData(t, ms[0])["thing2"] != "03-03 10:00 起" || servicetest.AlertData(t, ms[0])["time3"] != "2026-03-02 11:00" {
				t.Fatalf("alerts %+v", ms)
			}
		})
		// Station B's member, the students and the university admin never
		// get booking_new.
		for _, u := range []model.User{f.memberB, f.studentA, f.adminA, f.adminB} {
			var n int64
			if err := db.Conn(f.ctx).Model(&model.TemplateMessage{}).Where("openid = ? AND template_key = ?", servicetest.OpenID(u), "booking_new").Count(&n).Error; err != nil || n != 0 {
				t.Fatalf("%s got %d booking_new alerts", u.Account, n)
			}
		}
	})
}

func TestBookingAcceptServeRate(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *model.DB) {
		f := setup(t, db)
		slot := bj(3, 10, 0)
		b := f.book(t, f.studentA, &slot)
		f.clk.Advance(20 * time.Minute)

		_, err := f.svc.Respond(f.ctx, f.duty1, b.ID, station.Response{Action: station.ActionAccept})
		servicetest.WantErr(t, "accept without place", err, service.ErrInvalid, "place_required")
		_, err = f.svc.Respond(f.ctx, f.duty1, b.ID, station.Response{Action: "maybe", Place: place})
		servicetest.WantErr(t, "unknown action", err, service.ErrInvalid, "bad_action")
		_, err = f.svc.Respond(f.ctx, f.duty1, b.ID, station.Response{Action: station.ActionAccept, Place: strings.Repeat("地", 51)})
		servicetest.WantErr(t, "place too long", err, service.ErrInvalid, "too_long")
		_, err = f.svc.Respond(f.ctx, f.studentA, b.ID, station.Response{Action: station.ActionAccept, Place: place})
		servicetest.WantErr(t, "student accepting own booking", err, service.ErrForbidden, "not_station_admin")
		if got := f.booking(t, b.ID); got.Status != model.BookingSubmitted || got.FirstResponseAt != nil {
			t.Fatalf("refused responses changed the booking: %+v", got)
		}

		got, err := f.svc.Respond(f.ctx, f.duty1, b.ID, station.Response{Action: station.ActionAccept, Place: place, Note: "带上学生证"})
		if err != nil {
			t.Fatal(err)
		}
		stored := f.booking(t, b.ID)
		for _, x := range []model.Booking{got, stored} {
			if x.Status != model.BookingAccepted || x.ConfirmedAt == nil || !x.ConfirmedAt.Equal(slot) || x.Place != place ||
				x.FirstResponseS == nil || *x.FirstResponseS != 1200 || x.PromiseKept == nil || !*x.PromiseKept ||
				x.FirstResponseAt == nil || !x.FirstResponseAt.Equal(t0.Add(20*time.Minute)) {
				t.Fatalf("accepted booking = %+v", x)
			}
		}
		if stored.HandledBy == nil || *stored.HandledBy != f.duty1.ID || stored.Note != "带上学生证" {
			t.Fatalf("handled by %v note %q", stored.HandledBy, stored.Note)
		}
		replies := f.alertsFor(t, alertkind.BookingReply, b.ID)
		servicetest.WantRecipients(t, "booking_reply", replies, f.studentA)
		if d := servicetest.AlertData(t, replies[0]); d["thing1"] != "心理咨询" || d["phrase2"] != "已确认" || d["thing3"] != "03-03 10:00 "+place {
			t.Fatalf("booking_reply data %v", d)
		}

		_, err = f.svc.Respond(f.ctx, f.duty2, b.ID, station.Response{Action: station.ActionDecline, Reason: "改主意了"})
		servicetest.WantErr(t, "responding twice", err, service.ErrConflict, "already_handled")
		_, err = f.svc.Rate(f.ctx, f.studentA, b.ID, 5, "")
		servicetest.WantErr(t, "rating before the service", err, service.ErrConflict, "not_served")

		_, err = f.svc.Serve(f.ctx, f.studentA, b.ID, "已完成", false)
		servicetest.WantErr(t, "student serving", err, service.ErrForbidden, "not_station_admin")
		_, err = f.svc.Serve(f.ctx, f.duty1, b.ID, "   ", false)
		servicetest.WantErr(t, "serving without result", err, service.ErrInvalid, "result_required")
		_, err = f.svc.Serve(f.ctx, f.duty1, b.ID, "\u200b\u200b", false)
		servicetest.WantErr(t, "serving with an invisible result", err, service.ErrInvalid, "result_required")
		_, err = f.svc.Serve(f.ctx, f.duty1, b.ID, strings.Repeat("果", 501), false)
		servicetest.WantErr(t, "result too long", err, service.ErrInvalid, "too_long")
		_, err = f.svc.Serve(f.ctx, f.memberB, b.ID, "已完成", false)
		servicetest.WantErr(t, "another station serving", err, service.ErrNotFound, "booking_not_found")

		// Not before the appointment (Tuesday 10:00) starts.
		_, err = f.svc.Serve(f.ctx, f.duty1, b.ID, "已完成", false)
		servicetest.WantErr(t, "serving before the appointment", err, service.ErrConflict, "not_started")
		if !strings.Contains(err.Error(), "03-03 10:00 还没到") {
			t.Fatalf("serving before the appointment: %v", err)
		}
		f.clk.Set(bj(3, 9, 59))
		_, err = f.svc.Serve(f.ctx, f.duty1, b.ID, "已完成", false)
		servicetest.WantErr(t, "serving a minute before the appointment", err, service.ErrConflict, "not_started")
		if got := f.booking(t, b.ID); got.Status != model.BookingAccepted || got.ServedAt != nil {
			t.Fatalf("refused serves changed the booking: %+v", got)
		}

		f.clk.Set(bj(3, 11, 0))
		served, err := f.svc.Serve(f.ctx, f.duty2, b.ID, "完成面谈，建议两周后复诊", true)
		if err != nil || served.Status != model.BookingServed {
			t.Fatalf("serve: %+v, %v", served, err)
		}
		stored = f.booking(t, b.ID)
		if stored.Status != model.BookingServed || stored.Result != "完成面谈，建议两周后复诊" || !stored.FollowUp ||
			stored.ServedAt == nil || !stored.ServedAt.Equal(bj(3, 11, 0)) {
			t.Fatalf("served booking = %+v", stored)
		}
		servedAlerts := f.alertsFor(t, alertkind.BookingServed, b.ID)
		servicetest.WantRecipients(t, "booking_served", servedAlerts, f.studentA)
		if d := servicetest.AlertData(t, servedAlerts[0]); d["thing1"] != "心理咨询" || d["thing2"] != "完成面谈，建议两周后复诊" {
			t.Fatalf("booking_served data %v", d)
		}

		_, err = f.svc.Cancel(f.ctx, f.studentA, b.ID)
		servicetest.WantErr(t, "cancelling after the service", err, service.ErrConflict, "bad_state")
		_, err = f.svc.NoShow(f.ctx, f.duty1, b.ID)
		servicetest.WantErr(t, "no-show after the service", err, service.ErrConflict, "bad_state")
		_, err = f.svc.Serve(f.ctx, f.duty1, b.ID, "再来一次", false)
		servicetest.WantErr(t, "serving twice", err, service.ErrConflict, "bad_state")

		for _, stars := range []int{0, 6, -1} {
			_, err = f.svc.Rate(f.ctx, f.studentA, b.ID, stars, "")
			servicetest.WantErr(t, fmt.Sprintf("%d stars", stars), err, service.ErrInvalid, "bad_rating")
		}
		_, err = f.svc.Rate(f.ctx, f.studentA, b.ID, 5, strings.Repeat("好", 201))
		servicetest.WantErr(t, "comment too long", err, service.ErrInvalid, "too_long")
		_, err = f.svc.Rate(f.ctx, f.studentA2, b.ID, 5, "")
		servicetest.WantErr(t, "another student rating", err, service.ErrNotFound, "booking_not_found")
		_, err = f.svc.Rate(f.ctx, f.duty1, b.ID, 5, "")
		servicetest.WantErr(t, "admin rating", err, service.ErrForbidden, "not_yours")
		rated, err := f.svc.Rate(f.ctx, f.studentA, b.ID, 4, "  老师 很耐心 ")
		if err != nil || rated.Rating != 4 {
			t.Fatalf("rate: %+v, %v", rated, err)
		}
		if s := f.booking(t, b.ID); s.Rating != 4 || s.RatingComment != "老师 很耐心" {
			t.Fatalf("stored rating %d %q", s.Rating, s.RatingComment)
		}
		_, err = f.svc.Rate(f.ctx, f.studentA, b.ID, 5, "")
		servicetest.WantErr(t, "rating twice", err, service.ErrConflict, "already_rated")
		if s := f.booking(t, b.ID); s.Rating != 4 {
			t.Fatalf("second rating overwrote the first: %d", s.Rating)
		}

		// An any-time booking needs the confirmed time.
		anyTime := f.book(t, f.studentA, nil)
		_, err = f.svc.Respond(f.ctx, f.duty1, anyTime.ID, station.Response{Action: station.ActionAccept, Place: place})
		servicetest.WantErr(t, "any-time booking accepted without time", err, service.ErrInvalid, "time_required")
		_, err = f.svc.Respond(f.ctx, f.duty1, anyTime.ID, station.Response{Action: station.ActionAccept, Place: place, Time: ptr(bj(3, 10, 0))})
		servicetest.WantErr(t, "accepted for a past time", err, service.ErrInvalid, "time_past")
		acc := f.accept(t, f.duty1, anyTime.ID, ptr(bj(4, 15, 0).Add(30*time.Second)))
		if acc.ConfirmedAt == nil || !acc.ConfirmedAt.Equal(bj(4, 15, 0)) {
			t.Fatalf("confirmed at %v, want Wednesday 15:00 (truncated to the minute)", acc.ConfirmedAt)
		}
	})
}

func TestBookingDeclineProposeCancelNoShow(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *model.DB) {
		f := setup(t, db)
		t.Run("decline needs a reason", func(t *testing.T) {
			b := f.book(t, f.studentA, ptr(bj(3, 10, 0)))
			_, err := f.svc.Respond(f.ctx, f.duty1, b.ID, station.Response{Action: station.ActionDecline, Reason: "  "})
			servicetest.WantErr(t, "decline without reason", err, service.ErrInvalid, "reason_required")
			got, err := f.svc.Respond(f.ctx, f.duty1, b.ID, station.Response{Action: station.ActionDecline, Reason: "心理老师外出培训", Alternatives: "可改约周三"})
			if err != nil || got.Status != model.BookingDeclined {
				t.Fatalf("decline: %+v, %v", got, err)
			}
			s := f.booking(t, b.ID)
			if s.DeclineReason != "心理老师外出培训" || s.Alternatives != "可改约周三" || s.PromiseKept == nil || !*s.PromiseKept {
				t.Fatalf("declined booking = %+v", s)
			}
			ms := f.alertsFor(t, alertkind.BookingReply, b.ID)
			servicetest.WantRecipients(t, "booking_reply", ms, f.studentA)
			if d := servicetest.AlertData(t, ms[0]); d["phrase2"] != "未能安排" || d["thing3"] != "心理老师外出培训" {
				t.Fatalf("decline alert %v", d)
			}
			_, err = f.svc.Cancel(f.ctx, f.studentA, b.ID)
			servicetest.WantErr(t, "cancelling a declined booking", err, service.ErrConflict, "bad_state")
		})
		t.Run("propose, then the student accepts", func(t *testing.T) {
			b := f.book(t, f.studentA, ptr(bj(3, 10, 0)))
			_, err := f.svc.Respond(f.ctx, f.duty1, b.ID, station.Response{Action: station.ActionPropose})
			servicetest.WantErr(t, "propose without time", err, service.ErrInvalid, "time_required")
			_, err = f.svc.Respond(f.ctx, f.duty1, b.ID, station.Response{Action: station.ActionPropose, Time: ptr(bj(2, 9, 0)), Place: place})
			servicetest.WantErr(t, "propose a past time", err, service.ErrInvalid, "time_past")
			proposed := bj(4, 15, 0)
			got, err := f.svc.Respond(f.ctx, f.duty1, b.ID, station.Response{Action: station.ActionPropose, Time: &proposed, Place: "图书馆305"})
			if err != nil || got.Status != model.BookingProposed || got.ProposedAt == nil || !got.ProposedAt.Equal(proposed) {
				t.Fatalf("propose: %+v, %v", got, err)
			}
			ms := f.alertsFor(t, alertkind.BookingReply, b.ID)
			servicetest.WantRecipients(t, "booking_reply", ms, f.studentA)
			if d := servicetest.AlertData(t, ms[0]); d["phrase2"] != "建议改期" || d["thing3"] != "新时间 03-04 15:00" {
				t.Fatalf("propose alert %v", d)
			}
			_, err = f.svc.AcceptProposal(f.ctx, f.studentA2, b.ID)
			servicetest.WantErr(t, "another student accepting", err, service.ErrNotFound, "booking_not_found")
			_, err = f.svc.AcceptProposal(f.ctx, f.duty1, b.ID)
			servicetest.WantErr(t, "admin accepting for the student", err, service.ErrForbidden, "not_yours")
			acc, err := f.svc.AcceptProposal(f.ctx, f.studentA, b.ID)
			if err != nil || acc.Status != model.BookingAccepted || acc.ConfirmedAt == nil || !acc.ConfirmedAt.Equal(proposed) {
				t.Fatalf("accept proposal: %+v, %v", acc, err)
			}
			s := f.booking(t, b.ID)
			if s.Status != model.BookingAccepted || s.ConfirmedAt == nil || !s.ConfirmedAt.Equal(proposed) || s.Place != "图书馆305" {
				t.Fatalf("stored after accepting the proposal: %+v", s)
			}
			// The admin who proposed the time is told it was taken.
			ch := f.alertsFor(t, alertkind.BookingChanged, b.ID)
			servicetest.WantRecipients(t, "booking_changed", ch, f.duty1)
			if d := servicetest.AlertData(t, ch[0]); d["thing1"] != "心理咨询" || d["phrase2"] != "接受新时间" || d["thing3"] != "03-04 15:00 图书馆305" {
				t.Fatalf("booking_changed data %v", d)
			}
			_, err = f.svc.AcceptProposal(f.ctx, f.studentA, b.ID)
			servicetest.WantErr(t, "accepting twice", err, service.ErrConflict, "bad_state")
			if ch := f.alertsFor(t, alertkind.BookingChanged, b.ID); len(ch) != 1 {
				t.Fatalf("a refused second accept alerted again: %d alerts", len(ch))
			}
		})
		t.Run("an expired proposal cannot be accepted", func(t *testing.T) {
			f.clk.Set(t0)
			b := f.book(t, f.studentA2, nil)
			if _, err := f.svc.Respond(f.ctx, f.duty1, b.ID, station.Response{Action: station.ActionPropose, Time: ptr(bj(2, 15, 0)), Place: place}); err != nil {
				t.Fatal(err)
			}
			f.clk.Set(bj(2, 15, 0))
			_, err := f.svc.AcceptProposal(f.ctx, f.studentA2, b.ID)
			servicetest.WantErr(t, "accepting a passed proposal", err, service.ErrConflict, "proposal_expired")
			if s := f.booking(t, b.ID); s.Status != model.BookingProposed || s.ConfirmedAt != nil {
				t.Fatalf("expired proposal changed the booking: %+v", s)
			}
			if c, err := f.svc.Cancel(f.ctx, f.studentA2, b.ID); err != nil || c.Status != model.BookingCancelled {
				t.Fatalf("cancelling a proposed booking: %+v, %v", c, err)
			}
		})
		t.Run("cancel", func(t *testing.T) {
			f.clk.Set(t0)
			sub := f.book(t, f.studentA, nil)
			_, err := f.svc.Cancel(f.ctx, f.duty1, sub.ID)
			servicetest.WantErr(t, "admin cancelling for the student", err, service.ErrForbidden, "not_yours")
			_, err = f.svc.Cancel(f.ctx, f.studentA2, sub.ID)
			servicetest.WantErr(t, "another student cancelling", err, service.ErrNotFound, "booking_not_found")
			if c, err := f.svc.Cancel(f.ctx, f.studentA, sub.ID); err != nil || c.Status != model.BookingCancelled {
				t.Fatalf("cancel submitted: %+v, %v", c, err)
			}
			if s := f.booking(t, sub.ID); s.Status != model.BookingCancelled {
				t.Fatalf("stored status %s", s.Status)
			}
			// Nobody has answered it yet: the admin on duty when it came
			// (Monday's) is told, so nobody works on a booking that is gone.
			ch := f.alertsFor(t, alertkind.BookingChanged, sub.ID)
			servicetest.WantRecipients(t, "booking_changed", ch, f.duty1)
			if d := servicetest.AlertData(t, ch[0]); d["phrase2"] != "学生已取消" || d["thing3"] != "未指定时段" {
				t.Fatalf("cancel alert %v", d)
			}
			_, err = f.svc.Cancel(f.ctx, f.studentA, sub.ID)
			servicetest.WantErr(t, "cancelling twice", err, service.ErrConflict, "bad_state")
			if ch := f.alertsFor(t, alertkind.BookingChanged, sub.ID); len(ch) != 1 {
				t.Fatalf("a refused second cancel alerted again: %d alerts", len(ch))
			}
			_, err = f.svc.Respond(f.ctx, f.duty1, sub.ID, station.Response{Action: station.ActionDecline, Reason: "x"})
			servicetest.WantErr(t, "responding to a cancelled booking", err, service.ErrConflict, "already_handled")
			acc := f.book(t, f.studentA, ptr(bj(3, 11, 0)))
			f.accept(t, f.duty1, acc.ID, nil)
			// Tuesday, when duty1 is off: the admin who accepted it is
			// told all the same, and nobody else.
			f.clk.Set(bj(3, 9, 30))
			if c, err := f.svc.Cancel(f.ctx, f.studentA, acc.ID); err != nil || c.Status != model.BookingCancelled {
				t.Fatalf("cancel accepted: %+v, %v", c, err)
			}
			ch = f.alertsFor(t, alertkind.BookingChanged, acc.ID)
			servicetest.WantRecipients(t, "booking_changed", ch, f.duty1)
			if d := servicetest.AlertData(t, ch[0]); d["phrase2"] != "学生已取消" || d["thing3"] != "原定 03-03 11:00" {
				t.Fatalf("cancel alert %v", d)
			}
		})
		t.Run("cancel after the handler left the team", func(t *testing.T) {
			f.clk.Set(t0)
			b := f.book(t, f.studentA2, ptr(bj(3, 14, 0)))
			f.accept(t, f.duty2, b.ID, nil)
			if err := db.Conn(f.ctx).Delete(&model.StationAdmin{}, f.duty2Row.ID).Error; err != nil {
				t.Fatal(err)
			}
			if _, err := f.svc.Cancel(f.ctx, f.studentA2, b.ID); err != nil {
				t.Fatal(err)
			}
			// duty2 may no longer act on it; Monday's duty, who was alerted
			// of it, is told instead.
			servicetest.WantRecipients(t, "booking_changed", f.alertsFor(t, alertkind.BookingChanged, b.ID), f.duty1)
		})
		t.Run("a weekend cancel of a weekday booking tells who was alerted of it", func(t *testing.T) {
			f.clk.Set(bj(4, 10, 0)) // Wednesday: duty1
			b := f.book(t, f.studentA, nil)
			f.clk.Set(bj(7, 10, 0)) // Saturday: the station is closed
			if _, err := f.svc.Cancel(f.ctx, f.studentA, b.ID); err != nil {
				t.Fatal(err)
			}
			servicetest.WantRecipients(t, "booking_changed", f.alertsFor(t, alertkind.BookingChanged, b.ID), f.duty1)
		})
		t.Run("no-show", func(t *testing.T) {
			f.clk.Set(t0)
			b := f.book(t, f.studentA, ptr(bj(3, 15, 0)))
			_, err := f.svc.NoShow(f.ctx, f.duty1, b.ID)
			servicetest.WantErr(t, "no-show before acceptance", err, service.ErrConflict, "bad_state")
			f.accept(t, f.duty1, b.ID, nil)
			_, err = f.svc.NoShow(f.ctx, f.studentA, b.ID)
			servicetest.WantErr(t, "student marking no-show", err, service.ErrForbidden, "not_station_admin")
			// Not before the appointment (Tuesday 15:00) starts.
			_, err = f.svc.NoShow(f.ctx, f.lead, b.ID)
			servicetest.WantErr(t, "no-show the day before", err, service.ErrConflict, "not_started")
			f.clk.Set(bj(3, 14, 59))
			_, err = f.svc.NoShow(f.ctx, f.lead, b.ID)
			servicetest.WantErr(t, "no-show a minute before", err, service.ErrConflict, "not_started")
			if s := f.booking(t, b.ID); s.Status != model.BookingAccepted {
				t.Fatalf("refused no-shows changed the booking: %s", s.Status)
			}
			f.clk.Set(bj(3, 15, 0))
			if got, err := f.svc.NoShow(f.ctx, f.lead, b.ID); err != nil || got.Status != model.BookingNoShow {
				t.Fatalf("no-show: %+v, %v", got, err)
			}
			_, err = f.svc.Rate(f.ctx, f.studentA, b.ID, 1, "")
			servicetest.WantErr(t, "rating a no-show", err, service.ErrConflict, "not_served")
			_, err = f.svc.Cancel(f.ctx, f.studentA, b.ID)
			servicetest.WantErr(t, "cancelling a no-show", err, service.ErrConflict, "bad_state")
		})
	})
}

func TestFirstResponsePromise(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *model.DB) {
		f := setup(t, db)
		cases := []struct {
			name   string
			booked time.Time
			after  time.Duration
			action station.Response
			kept   bool
		}{
			{"in hours, 59 minutes", t0, 59 * time.Minute, station.Response{Action: station.ActionDecline, Reason: "满了"}, true},
			{"in hours, exactly at the deadline", t0, time.Hour, station.Response{Action: station.ActionDecline, Reason: "满了"}, true},
			{"in hours, a second late", t0, time.Hour + time.Second, station.Response{Action: station.ActionDecline, Reason: "满了"}, false},
			{"in hours, proposing late", t0, 3 * time.Hour, station.Response{Action: station.ActionPropose, Time: ptr(bj(6, 10, 0)), Place: place}, false},
			{"off hours, 11 hours", bj(2, 18, 0), 11 * time.Hour, station.Response{Action: station.ActionAccept, Time: ptr(bj(6, 10, 0)), Place: place}, true},
			{"off hours, 13 hours", bj(2, 18, 0), 13 * time.Hour, station.Response{Action: station.ActionAccept, Time: ptr(bj(6, 10, 0)), Place: place}, false},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				f.clk.Set(tc.booked)
				student := servicetest.NewUser(t, db, model.RoleStudent, &f.uniA.ID, true)
				b := f.book(t, student, nil)
				f.clk.Advance(tc.after)
				if _, err := f.svc.Respond(f.ctx, f.duty2, b.ID, tc.action); err != nil {
					t.Fatal(err)
				}
				s := f.booking(t, b.ID)
				if s.FirstResponseS == nil || *s.FirstResponseS != int64(tc.after/time.Second) || s.PromiseKept == nil || *s.PromiseKept != tc.kept {
					t.Fatalf("first response %v s, kept %v; want %d s, %v", s.FirstResponseS, s.PromiseKept, tc.after/time.Second, tc.kept)
				}
				// Overdue is shown on unanswered bookings only.
				v, err := f.svc.Get(f.ctx, f.duty2, b.ID)
				if err != nil || v.Overdue {
					t.Fatalf("answered booking overdue=%v, %v", v.Overdue, err)
				}
			})
		}
		t.Run("overdue flag", func(t *testing.T) {
			f.clk.Set(t0)
			b := f.book(t, f.studentA, nil)
			f.clk.Set(t0.Add(time.Hour))
			if v, err := f.svc.Get(f.ctx, f.studentA, b.ID); err != nil || v.Overdue {
				t.Fatalf("at the deadline: overdue=%v, %v", v.Overdue, err)
			}
			f.clk.Set(t0.Add(time.Hour + time.Second))
			if v, err := f.svc.Get(f.ctx, f.studentA, b.ID); err != nil || !v.Overdue {
				t.Fatalf("after the deadline: overdue=%v, %v", v.Overdue, err)
			}
		})
	})
}

func (f *fixture) question(t *testing.T, asker model.User, status string) model.Question {
	t.Helper()
	now := f.clk.Now().UTC()
	q := model.Question{BoardID: 1, UniversityID: *asker.UniversityID, AskerID: asker.ID, Title: "考研焦虑睡不着怎么办",
		Body: "最近压力很大", Status: status, DueAt: now.Add(24 * time.Hour), CreatedAt: now, UpdatedAt: now}
	if err := f.db.Conn(f.ctx).Create(&q).Error; err != nil {
		t.Fatal(err)
	}
	return q
}

func TestRefer(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *model.DB) {
		f := setup(t, db)
		q := f.question(t, f.studentA, model.QuestionOpen)
		refusals := []struct {
			name  string
			actor model.User
			qid   uint64
			svc   string
			note  string
			kind  error
			code  string
		}{
			{"a student", f.studentA2, q.ID, "心理咨询", "", service.ErrForbidden, "not_cadre"},
			{"a station admin", f.duty1, q.ID, "心理咨询", "", service.ErrForbidden, "not_cadre"},
			{"another university's cadre", f.cadreB, q.ID, "心理咨询", "", service.ErrForbidden, "other_university"},
			{"another university's admin", f.adminB, q.ID, "心理咨询", "", service.ErrForbidden, "other_university"},
			{"unknown question", f.cadreA, 999999, "心理咨询", "", service.ErrNotFound, "question_not_found"},
			{"service not offered", f.cadreA, q.ID, "法律援助", "", service.ErrInvalid, "bad_service"},
			{"note too long", f.cadreA, q.ID, "心理咨询", strings.Repeat("注", 501), service.ErrInvalid, "too_long"},
		}
		for _, tc := range refusals {
			t.Run(tc.name, func(t *testing.T) {
				_, err := f.svc.Refer(f.ctx, tc.actor, tc.qid, tc.svc, tc.note)
				servicetest.WantErr(t, "refer", err, tc.kind, tc.code)
			})
		}
		if n := f.countBookings(t); n != 0 {
			t.Fatalf("%d bookings from refused referrals", n)
		}

		b, err := f.svc.Refer(f.ctx, f.cadreA, q.ID, "心理咨询", "同学希望面谈")
		if err != nil {
			t.Fatal(err)
		}
		s := f.booking(t, b.ID)
		if s.StudentID != f.studentA.ID || s.QuestionID == nil || *s.QuestionID != q.ID || s.ReferredBy == nil || *s.ReferredBy != f.cadreA.ID ||
			s.Status != model.BookingSubmitted || s.Description != "【转介自提问】考研焦虑睡不着怎么办\n同学希望面谈" ||
			s.StationID == 0 || s.UniversityID != f.uniA.ID || !s.InHours || !s.DueAt.Equal(t0.Add(time.Hour)) {
			t.Fatalf("referred booking = %+v", s)
		}
		ref := f.alertsFor(t, alertkind.BookingReferral, b.ID)
		servicetest.WantRecipients(t, "booking_referral", ref, f.studentA)
		if d := servicetest.AlertData(t, ref[0]); d["thing1"] != "考研焦虑睡不着怎么办" || d["thing2"] != "心理咨询" || d["thing3"] != "青年之家甲站" {
			t.Fatalf("booking_referral data %v", d)
		}
		servicetest.WantRecipients(t, "booking_new", f.alertsFor(t, alertkind.BookingNew, b.ID), f.duty1)
		if ms := f.alerts(t, alertkind.BookingReferral); len(ms) != 1 {
			t.Fatalf("%d referral alerts, want 1", len(ms))
		}

		_, err = f.svc.Refer(f.ctx, f.adminA, q.ID, "学业辅导", "")
		servicetest.WantErr(t, "second referral", err, service.ErrConflict, "already_referred")

		// The student sees and handles it as their own booking.
		if v, err := f.svc.Get(f.ctx, f.studentA, b.ID); err != nil || !v.Access.Student {
			t.Fatalf("student's view of the referral: %+v, %v", v.Access, err)
		}
		if _, err := f.svc.Cancel(f.ctx, f.studentA, b.ID); err != nil {
			t.Fatal(err)
		}
		// Once the referral is closed the question can be referred again.
		if _, err := f.svc.Refer(f.ctx, f.adminA, q.ID, "学业辅导", ""); err != nil {
			t.Fatalf("referral after cancellation: %v", err)
		}

		for _, st := range []string{model.QuestionHidden, model.QuestionReview} {
			hq := f.question(t, f.studentA2, st)
			_, err := f.svc.Refer(f.ctx, f.cadreA, hq.ID, "心理咨询", "")
			servicetest.WantErr(t, st+" question", err, service.ErrConflict, "question_unavailable")
		}
		// The province refers anywhere; a university without station has
		// nowhere to refer to.
		qb := f.question(t, f.studentB, model.QuestionAnswered)
		if _, err := f.svc.Refer(f.ctx, f.province, qb.ID, "学业辅导", ""); err != nil {
			t.Fatalf("province referral: %v", err)
		}
		qc := f.question(t, f.studentC, model.QuestionOpen)
		_, err = f.svc.Refer(f.ctx, f.province, qc.ID, "学业辅导", "")
		servicetest.WantErr(t, "no station", err, service.ErrNotFound, "station_not_found")
	})
}

func TestBookingScoping(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *model.DB) {
		f := setup(t, db)
		bA := f.book(t, f.studentA, nil)
		bB := f.book(t, f.studentB, nil)

		for _, u := range []model.User{f.adminB, f.memberB} {
			_, err := f.svc.Get(f.ctx, u, bA.ID)
			servicetest.WantErr(t, u.Account+" reading A's booking", err, service.ErrNotFound, "booking_not_found")
			_, err = f.svc.Respond(f.ctx, u, bA.ID, station.Response{Action: station.ActionDecline, Reason: "x"})
			servicetest.WantErr(t, u.Account+" answering A's booking", err, service.ErrNotFound, "booking_not_found")
			_, err = f.svc.Queue(f.ctx, u, f.uniA.ID)
			servicetest.WantErr(t, u.Account+" listing A's queue", err, service.ErrForbidden, "not_station_admin")
		}
		for _, u := range []model.User{f.cadreA, f.studentA} {
			_, err := f.svc.Queue(f.ctx, u, f.uniA.ID)
			servicetest.WantErr(t, u.Role+" listing the queue", err, service.ErrForbidden, "not_station_admin")
		}
		if s := f.booking(t, bA.ID); s.Status != model.BookingSubmitted {
			t.Fatalf("another station's admin changed the booking: %s", s.Status)
		}
		for _, u := range []model.User{f.adminA, f.lead, f.duty1, f.duty2, f.province} {
			v, err := f.svc.Get(f.ctx, u, bA.ID)
			if err != nil || !v.Access.Admin || v.Access.Student || v.ContactPhone != "13800138000" || v.StationName != "青年之家甲站" ||
				v.StudentName != model.DefaultDisplayName { // the booker's display name, never the account
				t.Fatalf("%s reading A's booking: %+v, %v", u.Account, v, err)
			}
			q, err := f.svc.Queue(f.ctx, u, f.uniA.ID)
			if err != nil || len(q) != 1 || q[0].ID != bA.ID {
				t.Fatalf("%s's queue: %d rows, %v", u.Account, len(q), err)
			}
		}
		if q, err := f.svc.Queue(f.ctx, f.memberB, f.uniB.ID); err != nil || len(q) != 1 || q[0].ID != bB.ID {
			t.Fatalf("B's queue: %d, %v", len(q), err)
		}
		_, err := f.svc.Queue(f.ctx, f.province, f.uniC.ID)
		servicetest.WantErr(t, "queue of a university without station", err, service.ErrNotFound, "")

		for _, u := range []model.User{f.studentA2, f.studentB, f.cadreA} {
			_, err := f.svc.Get(f.ctx, u, bA.ID)
			servicetest.WantErr(t, u.Account+" reading another's booking", err, service.ErrNotFound, "booking_not_found")
		}
		v, err := f.svc.Get(f.ctx, f.studentA, bA.ID)
		if err != nil || !v.Access.Student || v.Access.Admin {
			t.Fatalf("own booking: %+v, %v", v.Access, err)
		}
		_, err = f.svc.Get(f.ctx, f.province, 999999)
		servicetest.WantErr(t, "unknown booking", err, service.ErrNotFound, "booking_not_found")

		mine, err := f.svc.Mine(f.ctx, f.studentA)
		if err != nil || len(mine) != 1 || mine[0].ID != bA.ID || !mine[0].Access.Student {
			t.Fatalf("Mine(studentA) = %+v, %v", mine, err)
		}
		if mine, err := f.svc.Mine(f.ctx, f.studentA2); err != nil || len(mine) != 0 {
			t.Fatalf("Mine(studentA2) = %d rows, %v", len(mine), err)
		}
	})
}

func TestQueueOrder(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *model.DB) {
		f := setup(t, db)
		cancelled := f.book(t, f.studentA, nil)
		if _, err := f.svc.Cancel(f.ctx, f.studentA, cancelled.ID); err != nil {
			t.Fatal(err)
		}
		accepted := f.book(t, f.studentA, ptr(bj(3, 10, 0)))
		f.accept(t, f.duty1, accepted.ID, nil)
		f.clk.Advance(30 * time.Minute)
		later := f.book(t, f.studentA, nil) // due 11:30
		// Accepted after the other, for an earlier appointment.
		sooner := f.book(t, f.studentA2, ptr(bj(2, 14, 0)))
		f.accept(t, f.duty1, sooner.ID, nil)
		f.clk.Set(bj(2, 9, 0).Add(-time.Hour))
		earlier := f.book(t, f.studentA2, nil) // 08:00, off hours: due 20:00
		f.clk.Set(t0.Add(5 * time.Minute))
		first := f.book(t, f.studentA2, nil) // due 11:05
		// The newest closed booking comes first among the closed.
		f.clk.Set(t0.Add(6 * time.Minute))
		studentA3 := servicetest.NewUser(t, db, model.RoleStudent, &f.uniA.ID, true)
		closedLast := f.book(t, studentA3, nil)
		if _, err := f.svc.Cancel(f.ctx, studentA3, closedLast.ID); err != nil {
			t.Fatal(err)
		}
		q, err := f.svc.Queue(f.ctx, f.duty1, f.uniA.ID)
		if err != nil {
			t.Fatal(err)
		}
		var got []uint64
		for _, v := range q {
			got = append(got, v.ID)
		}
		want := []uint64{first.ID, later.ID, earlier.ID, sooner.ID, accepted.ID, closedLast.ID, cancelled.ID}
		if !slices.Equal(got, want) {
			t.Fatalf("queue %v, want %v (waiting by deadline, then accepted by appointment, then closed newest first)", got, want)
		}
	})
}

func TestSlotCapacityUnderConcurrency(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *model.DB) {
		f := setup(t, db)
		p := fullProfile("青年之家甲站")
		p.SlotCapacity = 2
		f.save(t, f.adminA, f.uniA.ID, p)
		slot := bj(3, 10, 0)
		students := make([]model.User, 8)
		for i := range students {
			students[i] = servicetest.NewUser(t, db, model.RoleStudent, &f.uniA.ID, true)
		}
		var wg sync.WaitGroup
		var ok, full atomic.Int32
		for _, s := range students {
			wg.Add(1)
			svc := f.newService(t, 2026) // another instance, as on another server
			go func(s model.User) {
				defer wg.Done()
				_, err := svc.Book(f.ctx, s, station.BookInput{Service: "心理咨询", SlotStart: &slot, Phone: "13800138000"})
				switch {
				case err == nil:
					ok.Add(1)
				case errors.Is(err, service.ErrConflict) && servicetest.Code(err) == "slot_full":
					full.Add(1)
				default:
					t.Errorf("book: %v", err)
				}
			}(s)
		}
		wg.Wait()
		if ok.Load() != 2 || full.Load() != 6 {
			t.Fatalf("%d booked, %d refused as full; want 2 and 6", ok.Load(), full.Load())
		}
		var n int64
		if err := db.Conn(f.ctx).Model(&model.Booking{}).Where("slot_start = ?", slot.UTC()).Count(&n).Error; err != nil || n != 2 {
			t.Fatalf("%d bookings stored for the slot, %v", n, err)
		}
		// The refused bookings left no alerts behind.
		if ms := f.alerts(t, alertkind.BookingNew); len(ms) != 2 {
			t.Fatalf("%d booking_new alerts, want 2", len(ms))
		}
		left := func(uni uint64, at time.Time) int { t.Helper(); return f.left(t, uni, at) }
		if l := left(f.uniA.ID, slot); l != 0 {
			t.Fatalf("full slot shows %d left", l)
		}
		if l := left(f.uniA.ID, bj(3, 11, 0)); l != 2 {
			t.Fatalf("empty slot shows %d left", l)
		}
		if l := left(f.uniB.ID, slot); l != -1 {
			t.Fatalf("unlimited slot shows %d left", l)
		}
		// Cancelling frees a place.
		var taken model.Booking
		if err := db.Conn(f.ctx).Where("slot_start = ?", slot.UTC()).Order("id").First(&taken).Error; err != nil {
			t.Fatal(err)
		}
		var owner model.User
		if err := db.Conn(f.ctx).Take(&owner, taken.StudentID).Error; err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.Cancel(f.ctx, owner, taken.ID); err != nil {
			t.Fatal(err)
		}
		if l := left(f.uniA.ID, slot); l != 1 {
			t.Fatalf("after a cancellation %d left, want 1", l)
		}
		f.book(t, f.studentA, &slot)
		_, err := f.svc.Book(f.ctx, f.studentA2, station.BookInput{Service: "心理咨询", SlotStart: &slot, Phone: "13800138000"})
		servicetest.WantErr(t, "booking the full slot again", err, service.ErrConflict, "slot_full")
		// Slots never lists times already begun.
		slots, err := f.svc.Slots(f.ctx, f.uniA.ID)
		if err != nil || len(slots) == 0 || !slots[0].Start.Equal(bj(2, 11, 0)) {
			t.Fatalf("first slot %v, %v", slots, err)
		}
		_, err = f.svc.Slots(f.ctx, f.uniC.ID)
		servicetest.WantErr(t, "slots without station", err, service.ErrNotFound, "")
	})
}

// sweep runs one sweep and checks what it reports.
func (f *fixture) sweep(t *testing.T, want station.SweepResult) {
	t.Helper()
	got, err := f.svc.Sweep(f.ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got != want {
		t.Fatalf("at %s sweep = %+v, want %+v", f.clk.Now().In(t0.Location()).Format("Mon 15:04"), got, want)
	}
}

func TestSweepInHours(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *model.DB) {
		f := setup(t, db)
		b := f.book(t, f.studentA, nil) // Monday 10:00: due 11:00
		none := station.SweepResult{}
		f.clk.Set(t0.Add(44*time.Minute + 59*time.Second))
		f.sweep(t, none)
		if ms := f.alerts(t, alertkind.BookingReminder); len(ms) != 0 {
			t.Fatalf("reminded before 45 minutes: %d", len(ms))
		}
		f.clk.Set(t0.Add(45 * time.Minute))
		f.sweep(t, station.SweepResult{Reminded: 1})
		rem := f.alertsFor(t, alertkind.BookingReminder, b.ID)
		servicetest.WantRecipients(t, "booking_reminder", rem, f.duty1)
		if d := servicetest.AlertData(t, rem[0]); d["thing1"] != "心理咨询" || d["time3"] != "2026-03-02 11:00" {
			t.Fatalf("reminder data %v", d)
		}
		f.sweep(t, none)
		f.clk.Set(t0.Add(59 * time.Minute))
		f.sweep(t, none)
		f.clk.Set(t0.Add(time.Hour))
		f.sweep(t, station.SweepResult{Escalated: 1})
		esc := f.alertsFor(t, alertkind.BookingEscalated, b.ID)
		servicetest.WantRecipients(t, "booking_escalated", esc, f.lead, f.adminA)
		if d := servicetest.AlertData(t, esc[0]); d["thing1"] != "青年之家甲站" || d["thing2"] != "心理咨询" || d["time3"] != "2026-03-02 11:00" {
			t.Fatalf("escalation data %v", d)
		}
		f.sweep(t, none)
		f.clk.Advance(48 * time.Hour)
		f.sweep(t, none)
		if n := len(f.alertsFor(t, alertkind.BookingReminder, b.ID)) + len(f.alertsFor(t, alertkind.BookingEscalated, b.ID)); n != 3 {
			t.Fatalf("%d reminder and escalation rows, want 3", n)
		}
		// Answering after the escalation still records the broken promise.
		if _, err := f.svc.Respond(f.ctx, f.duty1, b.ID, station.Response{Action: station.ActionDecline, Reason: "晚了"}); err != nil {
			t.Fatal(err)
		}
		if s := f.booking(t, b.ID); s.PromiseKept == nil || *s.PromiseKept {
			t.Fatalf("late answer kept the promise: %v", s.PromiseKept)
		}
	})
}

func TestSweepOffHours(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *model.DB) {
		f := setup(t, db)
		booked := bj(2, 18, 0)
		f.clk.Set(booked)
		b := f.book(t, f.studentA, nil)
		if b.InHours || !b.DueAt.Equal(bj(3, 6, 0)) || !b.RemindAt.Equal(bj(3, 4, 0)) {
			t.Fatalf("off-hours booking: in %v due %v remind %v", b.InHours, b.DueAt, b.RemindAt)
		}
		none := station.SweepResult{}
		f.clk.Set(booked.Add(10*time.Hour - time.Second))
		f.sweep(t, none)
		f.clk.Set(booked.Add(10 * time.Hour))
		f.sweep(t, station.SweepResult{Reminded: 1})
		// At 04:00 the station is closed: the whole team is reminded.
		servicetest.WantRecipients(t, "booking_reminder", f.alertsFor(t, alertkind.BookingReminder, b.ID), f.lead, f.duty1, f.duty2)
		f.clk.Set(booked.Add(12*time.Hour - time.Second))
		f.sweep(t, none)
		f.clk.Set(booked.Add(12 * time.Hour))
		f.sweep(t, station.SweepResult{Escalated: 1})
		servicetest.WantRecipients(t, "booking_escalated", f.alertsFor(t, alertkind.BookingEscalated, b.ID), f.lead, f.adminA)
		f.sweep(t, none)
	})
}

// A sweep catching up after the deadline (no instance ran at the
// reminder's time) reminds the team and escalates to the lead and the
// university's admin; the lead gets the escalation only, not both at
// once.
func TestSweepCatchingUpPastTheDeadline(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *model.DB) {
		f := setup(t, db)
		booked := bj(2, 18, 0) // off hours: remind at 04:00, due at 06:00
		f.clk.Set(booked)
		b := f.book(t, f.studentA, nil)
		f.clk.Set(booked.Add(13 * time.Hour)) // 07:00, the station still closed
		f.sweep(t, station.SweepResult{Reminded: 1, Escalated: 1})
		servicetest.WantRecipients(t, "booking_reminder", f.alertsFor(t, alertkind.BookingReminder, b.ID), f.duty1, f.duty2)
		servicetest.WantRecipients(t, "booking_escalated", f.alertsFor(t, alertkind.BookingEscalated, b.ID), f.lead, f.adminA)
		f.sweep(t, station.SweepResult{})
	})
}

// Without a template for escalations, nobody is told of the missed
// deadline by one, so the catch-up reminder still reaches the lead.
func TestSweepCatchingUpWithoutEscalationTemplate(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *model.DB) {
		f := setup(t, db)
		outbox, err := alert.NewOutbox(db, f.clk)
		if err != nil {
			t.Fatal(err)
		}
		tpls := notify.FromConfig(config.Default().Alerts.Templates, true)
		tpls[alertkind.BookingEscalated] = notify.Template{}
		if f.n, err = notify.New(outbox, servicetest.Inbox(t, db, f.clk), tpls, "https://yv.example.org"); err != nil {
			t.Fatal(err)
		}
		f.svc = f.newService(t, 2026)
		booked := bj(2, 18, 0)
		f.clk.Set(booked)
		b := f.book(t, f.studentA, nil)
		f.clk.Set(booked.Add(13 * time.Hour))
		f.sweep(t, station.SweepResult{Reminded: 1, Escalated: 1})
		servicetest.WantRecipients(t, "booking_reminder", f.alertsFor(t, alertkind.BookingReminder, b.ID), f.lead, f.duty1, f.duty2)
		if n := len(f.alertsFor(t, alertkind.BookingEscalated, b.ID)); n != 0 {
			t.Fatalf("%d escalations sent without a template", n)
		}
	})
}

func TestSweepSkipsAnsweredBookings(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *model.DB) {
		f := setup(t, db)
		declined := f.book(t, f.studentA, nil)
		proposed := f.book(t, f.studentA, nil)
		cancelled := f.book(t, f.studentA, nil)
		f.clk.Advance(10 * time.Minute)
		if _, err := f.svc.Respond(f.ctx, f.duty1, declined.ID, station.Response{Action: station.ActionDecline, Reason: "满了"}); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.Respond(f.ctx, f.duty1, proposed.ID, station.Response{Action: station.ActionPropose, Time: ptr(bj(9, 10, 0)), Place: place}); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.Cancel(f.ctx, f.studentA, cancelled.ID); err != nil {
			t.Fatal(err)
		}
		for _, d := range []time.Duration{45 * time.Minute, time.Hour, 13 * time.Hour} {
			f.clk.Set(t0.Add(d))
			f.sweep(t, station.SweepResult{})
		}
		if n := len(f.alerts(t, alertkind.BookingReminder)) + len(f.alerts(t, alertkind.BookingEscalated)) + len(f.alerts(t, alertkind.Appointment)); n != 0 {
			t.Fatalf("%d reminders for answered bookings", n)
		}
	})
}

func TestSweepAppointments(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *model.DB) {
		f := setup(t, db)
		slot := bj(3, 10, 0)
		b := f.book(t, f.studentA, &slot)
		f.clk.Advance(10 * time.Minute)
		f.accept(t, f.duty2, b.ID, nil)
		// An appointment the sweep only sees once it has begun is not
		// announced any more.
		passed := f.book(t, f.studentA2, ptr(bj(2, 11, 0)))
		f.accept(t, f.duty1, passed.ID, nil)
		// A proposal the student takes is announced like an acceptance.
		prop := f.book(t, f.studentA2, nil)
		if _, err := f.svc.Respond(f.ctx, f.duty1, prop.ID, station.Response{Action: station.ActionPropose, Time: ptr(bj(4, 15, 0)), Place: "图书馆305"}); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.AcceptProposal(f.ctx, f.studentA2, prop.ID); err != nil {
			t.Fatal(err)
		}

		none := station.SweepResult{}
		f.clk.Set(bj(2, 11, 0))
		f.sweep(t, none)
		f.clk.Set(slot.Add(-2*time.Hour - time.Second))
		f.sweep(t, none)
		f.clk.Set(slot.Add(-2 * time.Hour))
		f.sweep(t, station.SweepResult{Appointments: 1})
		ms := f.alertsFor(t, alertkind.Appointment, b.ID)
		servicetest.WantRecipients(t, "appointment", ms, f.studentA, f.duty2)
		if d := servicetest.AlertData(t, ms[0]); d["thing1"] != "心理咨询" || d["time2"] != "2026-03-03 10:00" || d["thing3"] != place {
			t.Fatalf("appointment data %v", d)
		}
		f.sweep(t, none)
		f.clk.Set(slot.Add(-time.Minute))
		f.sweep(t, none)
		f.clk.Set(bj(4, 13, 0))
		f.sweep(t, station.SweepResult{Appointments: 1})
		servicetest.WantRecipients(t, "appointment", f.alertsFor(t, alertkind.Appointment, prop.ID), f.studentA2, f.duty1)
		if n := len(f.alertsFor(t, alertkind.Appointment, passed.ID)); n != 0 {
			t.Fatalf("%d alerts for an appointment already begun", n)
		}
		if n := len(f.alerts(t, alertkind.BookingReminder)); n != 0 {
			t.Fatalf("%d reminders for answered bookings", n)
		}
	})
}

func TestConcurrentSweepsAlertOnce(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *model.DB) {
		f := setup(t, db)
		var ids []uint64
		for range 4 {
			s := servicetest.NewUser(t, db, model.RoleStudent, &f.uniA.ID, true)
			for range 5 {
				ids = append(ids, f.book(t, s, nil).ID)
			}
		}
		// Five accepted appointments in two hours' time as well.
		var appts []uint64
		for i := range 5 {
			s := servicetest.NewUser(t, db, model.RoleStudent, &f.uniA.ID, true)
			b := f.book(t, s, ptr(bj(2, 13+i%2, 0)))
			f.accept(t, f.duty1, b.ID, nil)
			appts = append(appts, b.ID)
		}
		f.clk.Set(t0.Add(2 * time.Hour)) // 12:00: all 20 overdue, all 5 appointments within 2 hours
		var wg sync.WaitGroup
		var total [3]atomic.Int32
		for range 4 {
			wg.Add(1)
			svc := f.newService(t, 2026) // as on another server
			go func() {
				defer wg.Done()
				r, err := svc.Sweep(f.ctx)
				if err != nil {
					t.Errorf("sweep: %v", err)
					return
				}
				total[0].Add(int32(r.Reminded))
				total[1].Add(int32(r.Escalated))
				total[2].Add(int32(r.Appointments))
			}()
		}
		wg.Wait()
		if total[0].Load() != 20 || total[1].Load() != 20 || total[2].Load() != 5 {
			t.Fatalf("sweeps claimed %d reminders, %d escalations, %d appointments; want 20, 20, 5",
				total[0].Load(), total[1].Load(), total[2].Load())
		}
		for _, id := range ids {
			servicetest.WantRecipients(t, fmt.Sprintf("reminder of %d", id), f.alertsFor(t, alertkind.BookingReminder, id), f.duty1)
			servicetest.WantRecipients(t, fmt.Sprintf("escalation of %d", id), f.alertsFor(t, alertkind.BookingEscalated, id), f.lead, f.adminA)
		}
		for _, id := range appts {
			ms := f.alertsFor(t, alertkind.Appointment, id)
			if len(ms) != 2 {
				t.Fatalf("appointment %d: %d alerts, want 2", id, len(ms))
			}
		}
		if n := len(f.alerts(t, alertkind.BookingReminder)) + len(f.alerts(t, alertkind.BookingEscalated)) + len(f.alerts(t, alertkind.Appointment)); n != 20+40+10 {
			t.Fatalf("%d alert rows, want 70", n)
		}
		f.sweep(t, station.SweepResult{})
	})
}

func TestConcurrentReferralsOfOneQuestion(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *model.DB) {
		f := setup(t, db)
		q := f.question(t, f.studentA, model.QuestionOpen)
		cadres := []model.User{f.cadreA, f.adminA, f.province}
		for range 3 {
			cadres = append(cadres, servicetest.NewUser(t, db, model.RoleCadre, &f.uniA.ID, true))
		}
		var wg sync.WaitGroup
		var ok, dup atomic.Int32
		start := make(chan struct{})
		for _, c := range cadres {
			wg.Add(1)
			svc := f.newService(t, 2026)
			go func(c model.User) {
				defer wg.Done()
				<-start
				_, err := svc.Refer(f.ctx, c, q.ID, "心理咨询", "")
				switch {
				case err == nil:
					ok.Add(1)
				case servicetest.Code(err) == "already_referred":
					dup.Add(1)
				default:
					t.Errorf("refer: %v", err)
				}
			}(c)
		}
		close(start)
		wg.Wait()
		if ok.Load() != 1 || dup.Load() != int32(len(cadres)-1) {
			t.Fatalf("%d referrals made, %d refused; want 1 and %d", ok.Load(), dup.Load(), len(cadres)-1)
		}
		if ms := f.alerts(t, alertkind.BookingReferral); len(ms) != 1 {
			t.Fatalf("the student got %d referral alerts, want 1", len(ms))
		}
	})
}

func TestConcurrentResponsesApplyOnce(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *model.DB) {
		f := setup(t, db)
		b := f.book(t, f.studentA, ptr(bj(3, 10, 0)))
		admins := []model.User{f.lead, f.duty1, f.duty2, f.adminA, f.province, f.duty1}
		var wg sync.WaitGroup
		var ok, handled atomic.Int32
		start := make(chan struct{})
		for i, a := range admins {
			wg.Add(1)
			svc := f.newService(t, 2026)
			r := station.Response{Action: station.ActionAccept, Place: place}
			if i%2 == 1 {
				r = station.Response{Action: station.ActionDecline, Reason: "满了"}
			}
			go func(a model.User, r station.Response) {
				defer wg.Done()
				<-start
				_, err := svc.Respond(f.ctx, a, b.ID, r)
				switch {
				case err == nil:
					ok.Add(1)
				case servicetest.Code(err) == "already_handled":
					handled.Add(1)
				default:
					t.Errorf("respond: %v", err)
				}
			}(a, r)
		}
		close(start)
		wg.Wait()
		if ok.Load() != 1 || handled.Load() != int32(len(admins)-1) {
			t.Fatalf("%d responses applied, %d refused; want 1 and %d", ok.Load(), handled.Load(), len(admins)-1)
		}
		servicetest.WantRecipients(t, "booking_reply", f.alertsFor(t, alertkind.BookingReply, b.ID), f.studentA)
	})
}

// TestNoTeamAlertsUniversityAdmins: a station nobody on its team can be
// alerted for — no members, or none bound to WeChat — alerts the
// university's admins of new bookings, reminders and student changes
// instead of nobody.
func TestNoTeamAlertsUniversityAdmins(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *model.DB) {
		f := setup(t, db)
		adminB2 := servicetest.NewUser(t, db, model.RoleUniversityAdm, &f.uniB.ID, true)
		if err := f.svc.RemoveMember(f.ctx, f.adminB, f.uniB.ID, f.bRow.ID); err != nil {
			t.Fatal(err)
		}

		b := f.book(t, f.studentB, nil) // Monday 10:00: due 11:00
		servicetest.WantRecipients(t, "booking_new", f.alertsFor(t, alertkind.BookingNew, b.ID), f.adminB, adminB2)
		f.clk.Set(t0.Add(45 * time.Minute))
		f.sweep(t, station.SweepResult{Reminded: 1})
		servicetest.WantRecipients(t, "booking_reminder", f.alertsFor(t, alertkind.BookingReminder, b.ID), f.adminB, adminB2)
		if _, err := f.svc.Cancel(f.ctx, f.studentB, b.ID); err != nil {
			t.Fatal(err)
		}
		servicetest.WantRecipients(t, "booking_changed", f.alertsFor(t, alertkind.BookingChanged, b.ID), f.adminB, adminB2)

		// A member who never bound WeChat cannot be alerted either.
		unbound := servicetest.NewUser(t, db, model.RoleStudent, &f.uniB.ID, false)
		f.add(t, f.adminB, f.uniB.ID, unbound, model.CategoryAdmin, time.Monday)
		f.clk.Set(bj(2, 18, 0)) // after closing
		late := f.book(t, f.studentB, nil)
		servicetest.WantRecipients(t, "booking_new", f.alertsFor(t, alertkind.BookingNew, late.ID), f.adminB, adminB2)

		// Once a bound member joins, the admins are no longer alerted.
		f.add(t, f.adminB, f.uniB.ID, f.memberB, model.CategoryAdmin)
		f.clk.Set(bj(3, 10, 0))
		third := f.book(t, f.studentB, nil)
		servicetest.WantRecipients(t, "booking_new", f.alertsFor(t, alertkind.BookingNew, third.ID), f.memberB)
	})
}

// TestNoTeamNoAdminsAlertsProvince: when neither the station's team nor
// the university's admins can be alerted (none bound to WeChat), a new
// booking and its missed deadline go to the province admins instead of
// nobody.
func TestNoTeamNoAdminsAlertsProvince(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *model.DB) {
		f := setup(t, db)
		if err := f.svc.RemoveMember(f.ctx, f.adminB, f.uniB.ID, f.bRow.ID); err != nil {
			t.Fatal(err)
		}
		// The university admin has unbound WeChat.
		if err := db.Conn(f.ctx).Model(&model.User{}).Where("id = ?", f.adminB.ID).Update("openid", nil).Error; err != nil {
			t.Fatal(err)
		}
		province2 := servicetest.NewUser(t, db, model.RoleProvinceAdmin, nil, true)
		servicetest.NewUser(t, db, model.RoleProvinceAdmin, nil, false) // cannot be alerted

		b := f.book(t, f.studentB, nil) // Monday 10:00: due 11:00
		servicetest.WantRecipients(t, "booking_new", f.alertsFor(t, alertkind.BookingNew, b.ID), f.province, province2)
		f.clk.Set(t0.Add(time.Hour))
		f.sweep(t, station.SweepResult{Reminded: 1, Escalated: 1})
		servicetest.WantRecipients(t, "booking_escalated", f.alertsFor(t, alertkind.BookingEscalated, b.ID), f.province, province2)

		// A university admin who binds again is alerted instead.
		adminB2 := servicetest.NewUser(t, db, model.RoleUniversityAdm, &f.uniB.ID, true)
		later := f.book(t, f.studentB, nil)
		servicetest.WantRecipients(t, "booking_new", f.alertsFor(t, alertkind.BookingNew, later.ID), adminB2)
	})
}

// TestNoSecondBookingOfASlot: a student cannot hold two places in one slot
// (a double submit, or going back and submitting again), not even when
// both submits race; another slot, another student, or the same slot after
// cancelling is fine.
func TestNoSecondBookingOfASlot(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *model.DB) {
		f := setup(t, db)
		p := fullProfile("青年之家甲站")
		p.SlotCapacity = 3
		f.save(t, f.adminA, f.uniA.ID, p)
		slot := bj(3, 10, 0)
		first := f.book(t, f.studentA, &slot)
		_, err := f.svc.Book(f.ctx, f.studentA, station.BookInput{Service: "学业辅导", SlotStart: &slot, Phone: "13800138000"})
		servicetest.WantErr(t, "booking the same slot again", err, service.ErrConflict, "already_booked")
		if !strings.Contains(err.Error(), "你已预约该时段") {
			t.Fatalf("second booking: %v", err)
		}
		if n := f.countBookings(t); n != 1 {
			t.Fatalf("%d bookings stored, want 1", n)
		}
		// Accepted (or proposed) bookings still hold the slot.
		f.accept(t, f.duty1, first.ID, nil)
		_, err = f.svc.Book(f.ctx, f.studentA, station.BookInput{Service: "心理咨询", SlotStart: &slot, Phone: "13800138000"})
		servicetest.WantErr(t, "booking an accepted slot again", err, service.ErrConflict, "already_booked")

		f.book(t, f.studentA, ptr(bj(3, 11, 0)))
		f.book(t, f.studentA2, &slot)
		f.book(t, f.studentA, nil)
		f.book(t, f.studentA, nil) // any time: no slot to hold

		if _, err := f.svc.Cancel(f.ctx, f.studentA, first.ID); err != nil {
			t.Fatal(err)
		}
		f.book(t, f.studentA, &slot)

		// Two submits at once: one booking.
		racer := servicetest.NewUser(t, db, model.RoleStudent, &f.uniA.ID, true)
		later := bj(4, 14, 0)
		var wg sync.WaitGroup
		var ok, dup atomic.Int32
		for range 4 {
			wg.Add(1)
			svc := f.newService(t, 2026)
			go func() {
				defer wg.Done()
				_, err := svc.Book(f.ctx, racer, station.BookInput{Service: "心理咨询", SlotStart: &later, Phone: "13800138000"})
				switch {
				case err == nil:
					ok.Add(1)
				case servicetest.Code(err) == "already_booked":
					dup.Add(1)
				default:
					t.Errorf("book: %v", err)
				}
			}()
		}
		wg.Wait()
		if ok.Load() != 1 || dup.Load() != 3 {
			t.Fatalf("%d booked, %d refused as already booked; want 1 and 3", ok.Load(), dup.Load())
		}
		var n int64
		if err := db.Conn(f.ctx).Model(&model.Booking{}).Where("student_id = ?", racer.ID).Count(&n).Error; err != nil || n != 1 {
			t.Fatalf("%d bookings stored for the racing student, %v", n, err)
		}
	})
}

// TestProposalRules: a proposed time is a slot the student could book —
// later than now, within BookAheadDays, inside opening hours, not on a
// closed day, not full — and comes with a place; once the student accepts
// it, the booking holds the proposed slot instead of the requested one.
func TestProposalRules(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *model.DB) {
		f := setup(t, db)
		p := fullProfile("青年之家甲站")
		p.SlotCapacity = 1
		p.Closed = []station.Closure{{Date: "2026-03-04", Reason: "校运会"}}
		f.save(t, f.adminA, f.uniA.ID, p)
		left := func(at time.Time) int { t.Helper(); return f.left(t, f.uniA.ID, at) }
		propose := func(id uint64, at time.Time, where string) (model.Booking, error) {
			return f.svc.Respond(f.ctx, f.duty1, id, station.Response{Action: station.ActionPropose, Time: &at, Place: where})
		}

		requested := bj(3, 10, 0)
		b := f.book(t, f.studentA, &requested)
		other := servicetest.NewUser(t, db, model.RoleStudent, &f.uniA.ID, true)
		f.book(t, other, ptr(bj(5, 14, 0)))
		cases := []struct {
			name  string
			at    time.Time
			place string
			kind  error
			code  string
		}{
			{"in the past", bj(2, 9, 0), place, service.ErrInvalid, "time_past"},
			{"now", t0, place, service.ErrInvalid, "time_past"},
			{"more than 14 days ahead", bj(17, 10, 0), place, service.ErrInvalid, "bad_time"},
			{"months ahead", bj(2, 10, 0).AddDate(0, 3, 0), place, service.ErrInvalid, "bad_time"},
			{"at the weekend", bj(7, 10, 0), place, service.ErrInvalid, "bad_time"},
			{"after closing", bj(3, 18, 0), place, service.ErrInvalid, "bad_time"},
			{"overrunning closing", bj(3, 17, 0), place, service.ErrInvalid, "bad_time"},
			{"off the slot grid", bj(3, 10, 30), place, service.ErrInvalid, "bad_time"},
			{"on a closed day", bj(4, 10, 0), place, service.ErrInvalid, "bad_time"},
			{"a full slot", bj(5, 14, 0), place, service.ErrConflict, "slot_full"},
			{"without a place", bj(5, 11, 0), "  ", service.ErrInvalid, "place_required"},
		}
		for _, tc := range cases {
			_, err := propose(b.ID, tc.at, tc.place)
			servicetest.WantErr(t, "proposing "+tc.name, err, tc.kind, tc.code)
		}
		if s := f.booking(t, b.ID); s.Status != model.BookingSubmitted || s.ProposedAt != nil || s.FirstResponseAt != nil {
			t.Fatalf("refused proposals changed the booking: %+v", s)
		}
		if ms := f.alertsFor(t, alertkind.BookingReply, b.ID); len(ms) != 0 {
			t.Fatalf("refused proposals alerted the student %d times", len(ms))
		}

		// Exactly 14 days ahead is fine; the place is kept.
		if got, err := propose(b.ID, bj(16, 10, 0), "图书馆305"); err != nil || got.Place != "图书馆305" {
			t.Fatalf("proposal 14 days ahead: %+v, %v", got, err)
		}
		if s := f.booking(t, b.ID); s.Status != model.BookingProposed || s.Place != "图书馆305" {
			t.Fatalf("stored proposal: %+v", s)
		}
		// While proposed, the booking still holds the requested slot.
		if l := left(requested); l != 0 {
			t.Fatalf("requested slot shows %d left while proposed, want 0", l)
		}
		acc, err := f.svc.AcceptProposal(f.ctx, f.studentA, b.ID)
		if err != nil {
			t.Fatal(err)
		}
		moved := bj(16, 10, 0)
		stored := f.booking(t, b.ID)
		for _, x := range []model.Booking{acc, stored} {
			if x.Status != model.BookingAccepted || x.ConfirmedAt == nil || !x.ConfirmedAt.Equal(moved) ||
				x.SlotStart == nil || !x.SlotStart.Equal(moved) || x.SlotEnd == nil || !x.SlotEnd.Equal(moved.Add(time.Hour)) || x.Place != "图书馆305" {
				t.Fatalf("accepted proposal: %+v", x)
			}
		}
		// The booking now holds the proposed slot and frees the requested one.
		if l := left(requested); l != 1 {
			t.Fatalf("requested slot shows %d left after the move, want 1", l)
		}
		_, err = f.svc.Book(f.ctx, f.studentA2, station.BookInput{Service: "心理咨询", SlotStart: &moved, Phone: "13800138000"})
		servicetest.WantErr(t, "booking the slot the proposal took", err, service.ErrConflict, "slot_full")
		f.book(t, f.studentA2, &requested)

		// An any-time booking accepted at a proposed time holds that slot.
		anyTime := f.book(t, f.studentA, nil)
		if _, err := propose(anyTime.ID, bj(5, 15, 0), place); err != nil {
			t.Fatal(err)
		}
		// The proposed slot is not held until accepted: if it fills up in
		// the meantime, accepting is refused and changes nothing.
		filler := servicetest.NewUser(t, db, model.RoleStudent, &f.uniA.ID, true)
		fill := f.book(t, filler, ptr(bj(5, 15, 0)))
		_, err = f.svc.AcceptProposal(f.ctx, f.studentA, anyTime.ID)
		servicetest.WantErr(t, "accepting a proposal whose slot filled up", err, service.ErrConflict, "slot_full")
		if s := f.booking(t, anyTime.ID); s.Status != model.BookingProposed || s.SlotStart != nil || s.ConfirmedAt != nil {
			t.Fatalf("refused accept changed the booking: %+v", s)
		}
		if _, err := f.svc.Cancel(f.ctx, filler, fill.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.AcceptProposal(f.ctx, f.studentA, anyTime.ID); err != nil {
			t.Fatal(err)
		}
		if s := f.booking(t, anyTime.ID); s.SlotStart == nil || !s.SlotStart.Equal(bj(5, 15, 0)) {
			t.Fatalf("any-time booking after accepting the proposal holds %v", s.SlotStart)
		}
		if l := left(bj(5, 15, 0)); l != 0 {
			t.Fatalf("slot of the accepted any-time booking shows %d left, want 0", l)
		}

		// A proposal to a slot the student already holds with another
		// booking (no capacity limit at B) cannot be accepted.
		first := f.book(t, f.studentB, ptr(bj(3, 10, 0)))
		f.book(t, f.studentB, ptr(bj(3, 11, 0)))
		if _, err := f.svc.Respond(f.ctx, f.memberB, first.ID, station.Response{Action: station.ActionPropose, Time: ptr(bj(3, 11, 0)), Place: place}); err != nil {
			t.Fatal(err)
		}
		_, err = f.svc.AcceptProposal(f.ctx, f.studentB, first.ID)
		servicetest.WantErr(t, "accepting a proposal of a slot already booked", err, service.ErrConflict, "already_booked")
	})
}

// TestAcceptAtAnotherTime: a booking accepted at a time other than the
// requested slot gives the requested slot back and holds the slot it was
// moved to (refused when that slot is full), or no slot when the time is
// off the booking grid.
func TestAcceptAtAnotherTime(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *model.DB) {
		f := setup(t, db)
		p := fullProfile("青年之家甲站")
		p.SlotCapacity = 1
		f.save(t, f.adminA, f.uniA.ID, p)
		left := func(at time.Time) int { t.Helper(); return f.left(t, f.uniA.ID, at) }
		requested, moved := bj(3, 10, 0), bj(3, 14, 0)
		b := f.book(t, f.studentA, &requested)
		acc := f.accept(t, f.duty1, b.ID, &moved)
		stored := f.booking(t, b.ID)
		for _, x := range []model.Booking{acc, stored} {
			if x.SlotStart == nil || !x.SlotStart.Equal(moved) || x.SlotEnd == nil || !x.SlotEnd.Equal(moved.Add(time.Hour)) ||
				x.ConfirmedAt == nil || !x.ConfirmedAt.Equal(moved) {
				t.Fatalf("booking accepted at another slot: %+v", x)
			}
		}
		if l := left(requested); l != 1 {
			t.Fatalf("requested slot shows %d left after the move, want 1", l)
		}
		if l := left(moved); l != 0 {
			t.Fatalf("slot moved to shows %d left, want 0", l)
		}
		_, err := f.svc.Book(f.ctx, f.studentA2, station.BookInput{Service: "心理咨询", SlotStart: &moved, Phone: "13800138000"})
		servicetest.WantErr(t, "booking the slot taken by the move", err, service.ErrConflict, "slot_full")

		// Moving another booking into the full slot is refused and changes nothing.
		second := f.book(t, f.studentA2, &requested)
		_, err = f.svc.Respond(f.ctx, f.duty1, second.ID, station.Response{Action: station.ActionAccept, Time: &moved, Place: place})
		servicetest.WantErr(t, "accepting into a full slot", err, service.ErrConflict, "slot_full")
		if s := f.booking(t, second.ID); s.Status != model.BookingSubmitted || !s.SlotStart.Equal(requested) || s.ConfirmedAt != nil {
			t.Fatalf("refused accept changed the booking: %+v", s)
		}
		// Off the grid (10:30 with 60-minute slots): the booking holds no slot.
		off := bj(3, 10, 30)
		f.accept(t, f.duty1, second.ID, &off)
		if s := f.booking(t, second.ID); s.SlotStart != nil || s.SlotEnd != nil || s.ConfirmedAt == nil || !s.ConfirmedAt.Equal(off) {
			t.Fatalf("booking accepted off the grid: %+v", s)
		}
		if l := left(requested); l != 1 {
			t.Fatalf("requested slot shows %d left after an off-grid accept, want 1", l)
		}
		// Accepted at its own slot, a booking keeps it.
		own := f.book(t, servicetest.NewUser(t, db, model.RoleStudent, &f.uniA.ID, true), &requested)
		f.accept(t, f.duty1, own.ID, &requested)
		if s := f.booking(t, own.ID); s.SlotStart == nil || !s.SlotStart.Equal(requested) || left(requested) != 0 {
			t.Fatalf("booking accepted at its own slot: %+v", s)
		}
	})
}

// TestSetPhone: a referred booking starts without a contact phone; the
// student (and only the student) leaves one while the booking is active,
// and the station is told.
func TestSetPhone(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *model.DB) {
		f := setup(t, db)
		q := f.question(t, f.studentA, model.QuestionOpen)
		b, err := f.svc.Refer(f.ctx, f.cadreA, q.ID, "心理咨询", "")
		if err != nil {
			t.Fatal(err)
		}
		if b.ContactPhone != "" {
			t.Fatalf("referred booking has phone %q", b.ContactPhone)
		}
		refusals := []struct {
			name  string
			actor model.User
			phone string
			kind  error
			code  string
		}{
			{"not a mobile number", f.studentA, "020-87185614", service.ErrInvalid, "bad_phone"},
			{"too short", f.studentA, "1380013800", service.ErrInvalid, "bad_phone"},
			{"empty", f.studentA, "  ", service.ErrInvalid, "bad_phone"},
			{"another student", f.studentA2, "13900139000", service.ErrNotFound, ""},
			{"a station admin", f.duty1, "13900139000", service.ErrForbidden, ""},
			{"the referring cadre", f.cadreA, "13900139000", service.ErrForbidden, ""},
		}
		for _, tc := range refusals {
			_, err := f.svc.SetPhone(f.ctx, tc.actor, b.ID, tc.phone)
			servicetest.WantErr(t, "set phone: "+tc.name, err, tc.kind, tc.code)
		}
		if s := f.booking(t, b.ID); s.ContactPhone != "" {
			t.Fatalf("refused phone stored: %q", s.ContactPhone)
		}
		got, err := f.svc.SetPhone(f.ctx, f.studentA, b.ID, " 13900139000 ")
		if err != nil || got.ContactPhone != "13900139000" {
			t.Fatalf("set phone: %+v, %v", got, err)
		}
		if s := f.booking(t, b.ID); s.ContactPhone != "13900139000" || s.Status != model.BookingSubmitted {
			t.Fatalf("stored booking: %+v", s)
		}
		// The on-duty admin who got the new booking learns of it; the
		// station admin sees the phone.
		changed := f.alertsFor(t, alertkind.BookingChanged, b.ID)
		servicetest.WantRecipients(t, "booking_changed", changed, f.duty1)
		if d := servicetest.AlertData(t, changed[0]); d["phrase2"] != "留下电话" || strings.Contains(d["thing3"], "13900139000") {
			t.Fatalf("booking_changed data %v (the phone is not sent through WeChat)", d)
		}
		v, err := f.svc.Get(f.ctx, f.duty1, b.ID)
		if err != nil || v.ContactPhone != "13900139000" {
			t.Fatalf("admin view: %+v, %v", v.ContactPhone, err)
		}
		// The same number again changes nothing and alerts nobody.
		if _, err := f.svc.SetPhone(f.ctx, f.studentA, b.ID, "13900139000"); err != nil {
			t.Fatal(err)
		}
		if n := len(f.alertsFor(t, alertkind.BookingChanged, b.ID)); n != 1 {
			t.Fatalf("%d booking_changed alerts, want 1", n)
		}
		if _, err := f.svc.Cancel(f.ctx, f.studentA, b.ID); err != nil {
			t.Fatal(err)
		}
		_, err = f.svc.SetPhone(f.ctx, f.studentA, b.ID, "13700137000")
		servicetest.WantErr(t, "set phone on a cancelled booking", err, service.ErrConflict, "bad_state")
	})
}

// TestMoveIntoSlotSeesLatestBookings: a booking moved into a slot (the
// student accepting a proposed time, or an admin accepting at another
// time) must count the slot's bookings as committed now, not as of an
// earlier plain read in the same transaction — MySQL's repeatable read
// would otherwise miss a booking committed meanwhile and overfill the slot.
// SQLite runs one transaction at a time, so there is no earlier snapshot.
func TestMoveIntoSlotSeesLatestBookings(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *model.DB) {
		if db.Dialect() != model.MySQL {
			t.Skip("SQLite serialises transactions: no transaction can read before another commits")
		}
		f := setup(t, db)
		p := fullProfile("青年之家甲站")
		p.SlotCapacity = 1
		f.save(t, f.adminA, f.uniA.ID, p)
		requested, target := bj(3, 10, 0), bj(3, 14, 0)
		moves := []struct {
			name string
			prep func(b model.Booking)
			move func(ctx context.Context, b model.Booking) error
		}{
			{"student accepts a proposed time", func(b model.Booking) {
				if _, err := f.svc.Respond(f.ctx, f.duty1, b.ID, station.Response{Action: station.ActionPropose, Time: &target, Place: place}); err != nil {
					t.Fatal(err)
				}
			}, func(ctx context.Context, b model.Booking) error {
				_, err := f.svc.AcceptProposal(ctx, f.studentA, b.ID)
				return err
			}},
			{"admin accepts at another time", func(model.Booking) {}, func(ctx context.Context, b model.Booking) error {
				_, err := f.svc.Respond(ctx, f.duty1, b.ID, station.Response{Action: station.ActionAccept, Time: &target, Place: place})
				return err
			}},
		}
		for _, m := range moves {
			t.Run(m.name, func(t *testing.T) {
				b := f.book(t, f.studentA, &requested)
				m.prep(b)
				var other model.Booking
				err := db.WithTx(f.ctx, func(ctx context.Context) error {
					var n int64 // a plain read: the transaction's snapshot
					if err := db.Conn(ctx).Model(&model.StationAdmin{}).Count(&n).Error; err != nil {
						return err
					}
					// Another student takes the last place, committed meanwhile.
					other = f.book(t, f.studentA2, &target)
					return m.move(ctx, b)
				})
				servicetest.WantErr(t, "moving into the slot just filled", err, service.ErrConflict, "slot_full")
				if l := f.left(t, f.uniA.ID, target); l != 0 {
					t.Fatalf("slot shows %d left, want 0", l)
				}
				if _, err := f.svc.Cancel(f.ctx, f.studentA, b.ID); err != nil {
					t.Fatal(err)
				}
				if _, err := f.svc.Cancel(f.ctx, f.studentA2, other.ID); err != nil {
					t.Fatal(err)
				}
			})
		}
	})
}

// TestAdminCannotHandleOwnBooking: a station admin who books at their own
// station is its student there: another admin must respond and record the
// outcome, or the admin would rate their own station's service.
func TestAdminCannotHandleOwnBooking(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *model.DB) {
		f := setup(t, db)
		slot := bj(3, 10, 0)
		b := f.book(t, f.duty1, &slot)
		_, err := f.svc.Respond(f.ctx, f.duty1, b.ID, station.Response{Action: station.ActionAccept, Place: place})
		servicetest.WantErr(t, "accepting one's own booking", err, service.ErrForbidden, "own_booking")
		v, err := f.svc.Get(f.ctx, f.duty1, b.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !v.Access.Student || v.Access.Handle {
			t.Fatalf("own booking access %+v, want student without handle", v.Access)
		}
		if v, err := f.svc.Get(f.ctx, f.duty2, b.ID); err != nil || !v.Access.Handle {
			t.Fatalf("another admin: %+v, %v", v.Access, err)
		}
		f.accept(t, f.duty2, b.ID, nil)
		f.clk.Set(slot.Add(time.Minute))
		_, err = f.svc.Serve(f.ctx, f.duty1, b.ID, "已服务", false)
		servicetest.WantErr(t, "serving one's own booking", err, service.ErrForbidden, "own_booking")
		_, err = f.svc.NoShow(f.ctx, f.duty1, b.ID)
		servicetest.WantErr(t, "marking oneself absent", err, service.ErrForbidden, "own_booking")
		if _, err := f.svc.Serve(f.ctx, f.duty2, b.ID, "已服务", false); err != nil {
			t.Fatalf("another admin records the service: %v", err)
		}
		if _, err := f.svc.Rate(f.ctx, f.duty1, b.ID, 5, "好"); err != nil {
			t.Fatalf("the student (an admin) rates the service: %v", err)
		}
	})
}

// The escalation of a booking past its deadline reaches the university's
// liaison (联络专员) too, when the liaison's account is linked.
func TestEscalationReachesTheLiaison(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *model.DB) {
		f := setup(t, db)
		teacher := servicetest.NewUser(t, db, model.RoleCadre, &f.uniA.ID, true)
		l := model.Liaison{UniversityID: f.uniA.ID, RealName: "李联络", Position: "校团委副书记", Phone: "13912345678",
			UserID: &teacher.ID, UpdatedBy: f.adminA.ID, UpdatedAt: time.Now().UTC()}
		if err := db.Conn(f.ctx).Create(&l).Error; err != nil {
			t.Fatal(err)
		}
		booked := bj(2, 18, 0)
		f.clk.Set(booked)
		b := f.book(t, f.studentA, nil)
		f.clk.Set(booked.Add(12 * time.Hour))
		f.sweep(t, station.SweepResult{Reminded: 1, Escalated: 1})
		servicetest.WantRecipients(t, "booking_escalated", f.alertsFor(t, alertkind.BookingEscalated, b.ID), f.lead, f.adminA, teacher)
	})
}
