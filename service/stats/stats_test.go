package stats_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gdyouth/youthvoice/model"
	"github.com/gdyouth/youthvoice/model/dbtest"
	"github.com/gdyouth/youthvoice/service"
	"github.com/gdyouth/youthvoice/service/clock"
	"github.com/gdyouth/youthvoice/service/stats"
)

// bj is a time in March 2026, Beijing time.
func bj(day, hour, minute, second int) time.Time {
	return time.Date(2026, time.March, day, hour, minute, second, 0, clock.Beijing)
}

// now is when the fixture's reports are made: 20 March 2026, 12:00
// Beijing time. The fixture's period is 10–19 March.
var now = bj(20, 12, 0, 0)

var (
	periodStart = bj(10, 0, 0, 0) // the first instant of 10 March, Beijing
	periodEnd   = bj(20, 0, 0, 0) // the first instant after 19 March
)

var seq atomic.Int64

type fixture struct {
	db                 *model.DB
	ctx                context.Context
	svc                *stats.Service
	uniA, uniB, uniC   model.University
	province           model.User
	adminA, adminNoUni model.User
	a1, a2, a3, a4, ca model.User
	b1, cb             model.User
}

func (f *fixture) user(t *testing.T, role string, uni *uint64, created time.Time, activated *time.Time, bound bool) model.User {
	t.Helper()
	n := seq.Add(1)
	u := model.User{Account: fmt.Sprintf("stat%06d", n), AccountKey: fmt.Sprintf("stat%06d", n), PasswordHash: "x",
		Role: role, UniversityID: uni, CreatedAt: created.UTC(), UpdatedAt: created.UTC()}
	if activated != nil {
		a := activated.UTC()
		u.ActivatedAt = &a
	}
	if bound {
		oid := fmt.Sprintf("oStatsTest%018d", n)
		u.OpenID = &oid
	}
	f.create(t, &u)
	return u
}

func (f *fixture) create(t *testing.T, v any) {
	t.Helper()
	if err := f.db.Conn(f.ctx).Create(v).Error; err != nil {
		t.Fatalf("create %T: %v", v, err)
	}
}

func (f *fixture) interaction(t *testing.T, openid *string, at time.Time) {
	t.Helper()
	f.create(t, &model.Interaction{OpenID: *openid, MsgType: "event", Event: "CLICK", SentAt: at.UTC(), CreatedAt: at.UTC()})
}

// question is asked by asker at asked; answeredAfter > 0 records the first
// answer that long after.
func (f *fixture) question(t *testing.T, asker model.User, asked time.Time, status string, answeredAfter time.Duration, rating string) model.Question {
	t.Helper()
	q := model.Question{BoardID: 1, UniversityID: *asker.UniversityID, AskerID: asker.ID, Title: "问题", Body: "",
		Status: status, DueAt: asked.Add(24 * time.Hour).UTC(), Rating: rating, CreatedAt: asked.UTC(), UpdatedAt: asked.UTC()}
	if answeredAfter > 0 {
		at := asked.Add(answeredAfter).UTC()
		secs := int64(answeredAfter.Seconds())
		kept := answeredAfter <= 24*time.Hour
		q.FirstAnsweredAt, q.FirstResponseS, q.PromiseKept = &at, &secs, &kept
	}
	f.create(t, &q)
	return q
}

func (f *fixture) answer(t *testing.T, q model.Question, author model.User, kind, status string, at time.Time) {
	t.Helper()
	f.create(t, &model.Answer{QuestionID: q.ID, AuthorID: author.ID, Kind: kind, Body: "答复", Status: status,
		CreatedAt: at.UTC(), UpdatedAt: at.UTC()})
}

// booking is made by student at made with the 1-hour deadline (12 hours
// when outOfHours); respondedAfter > 0 records the first response.
func (f *fixture) booking(t *testing.T, student model.User, made time.Time, outOfHours bool, respondedAfter time.Duration, handler *model.User, status string, rating int) {
	t.Helper()
	due := made.Add(time.Hour)
	if outOfHours {
		due = made.Add(12 * time.Hour)
	}
	b := model.Booking{StationID: 1, UniversityID: *student.UniversityID, StudentID: student.ID, Service: "心理咨询",
		ContactPhone: "13800000000", Status: status, Rating: rating, InHours: !outOfHours,
		DueAt: due.UTC(), RemindAt: due.Add(-15 * time.Minute).UTC(), CreatedAt: made.UTC(), UpdatedAt: made.UTC()}
	if respondedAfter > 0 {
		at := made.Add(respondedAfter).UTC()
		secs := int64(respondedAfter.Seconds())
		kept := !at.After(b.DueAt)
		b.FirstResponseAt, b.FirstResponseS, b.PromiseKept = &at, &secs, &kept
		b.HandledBy = &handler.ID
	}
	f.create(t, &b)
}

// setup builds three universities (the first three by code):
//
//	A: students a1 (old), a2 (registered at the period's first instant),
//	   a3 (imported at its last second, never activated, unbound), a4
//	   (registered at the first instant after it), cadre ca, admin
//	B: student b1, cadre cb
//	C: nobody
//
// with interactions, questions, answers and bookings at known times
// around the period 10–19 March 2026 (Beijing).
func setup(t *testing.T, db *model.DB) *fixture {
	t.Helper()
	f := &fixture{db: db, ctx: context.Background()}
	var err error
	if f.svc, err = stats.New(db, clock.NewFake(now)); err != nil {
		t.Fatal(err)
	}
	var unis []model.University
	if err := db.Conn(f.ctx).Order("code").Limit(3).Find(&unis).Error; err != nil || len(unis) != 3 {
		t.Fatalf("universities: %d %v", len(unis), err)
	}
	f.uniA, f.uniB, f.uniC = unis[0], unis[1], unis[2]
	a, b := &f.uniA.ID, &f.uniB.ID
	march1 := bj(1, 9, 0, 0)
	lastSecond := periodEnd.Add(-time.Second)

	f.province = f.user(t, model.RoleProvinceAdmin, nil, march1, &march1, true)
	f.adminNoUni = f.user(t, model.RoleUniversityAdm, nil, march1, &march1, true)
	f.adminA = f.user(t, model.RoleUniversityAdm, a, march1, &march1, true)
	f.a1 = f.user(t, model.RoleStudent, a, march1, &march1, true)
	f.a2 = f.user(t, model.RoleStudent, a, periodStart, &periodStart, true)
	f.a3 = f.user(t, model.RoleStudent, a, lastSecond, nil, false)
	f.a4 = f.user(t, model.RoleStudent, a, periodEnd, &periodEnd, true)
	f.ca = f.user(t, model.RoleCadre, a, march1, &march1, true)
	f.b1 = f.user(t, model.RoleStudent, b, bj(5, 9, 0, 0), ptr(bj(5, 9, 0, 0)), true)
	f.cb = f.user(t, model.RoleCadre, b, bj(5, 9, 0, 0), ptr(bj(5, 9, 0, 0)), true)

	// WeChat pushes: a1 three in the period (its first and last second),
	// one just before and one just after; a2 one; b1 two; a stranger one.
	f.interaction(t, f.a1.OpenID, periodStart.Add(-time.Second))
	f.interaction(t, f.a1.OpenID, periodStart)
	f.interaction(t, f.a1.OpenID, bj(15, 8, 0, 0))
	f.interaction(t, f.a1.OpenID, lastSecond)
	f.interaction(t, f.a1.OpenID, periodEnd)
	f.interaction(t, f.a2.OpenID, bj(12, 9, 0, 0))
	f.interaction(t, f.b1.OpenID, bj(16, 9, 0, 0))
	f.interaction(t, f.b1.OpenID, bj(16, 9, 5, 0))
	// a4 followed and used the menu before registering (its account dates
	// from after the period): not one of the period's users, so neither
	// active nor counted.
	f.interaction(t, f.a4.OpenID, bj(18, 9, 0, 0))
	f.interaction(t, f.a4.OpenID, bj(19, 9, 0, 0))
	stranger := "oStrangerNotBoundToAnyAccount"
	f.interaction(t, &stranger, bj(16, 9, 0, 0))

	// Questions of A's students.
	q1 := f.question(t, f.a1, bj(11, 10, 0, 0), model.QuestionResolved, 2*time.Hour, "满意")
	q2 := f.question(t, f.a2, bj(12, 10, 0, 0), model.QuestionResolved, 30*time.Hour, "不满意")
	f.question(t, f.a1, bj(19, 20, 0, 0), model.QuestionOpen, 0, "")       // still inside its 24 hours
	q4 := f.question(t, f.a1, bj(15, 10, 0, 0), model.QuestionOpen, 0, "") // overdue
	f.question(t, f.a2, bj(5, 10, 0, 0), model.QuestionOpen, 0, "")        // before the period, overdue
	f.question(t, f.a1, bj(13, 10, 0, 0), model.QuestionReview, 0, "")     // held for review
	f.question(t, f.a2, bj(17, 10, 0, 0), model.QuestionHidden, 0, "")     // published, then hidden: it was asked
	rejected := f.question(t, f.a1, bj(17, 11, 0, 0), model.QuestionHidden, 0, "")
	if err := f.db.Conn(f.ctx).Model(&rejected).Update("rejected_at", bj(17, 12, 0, 0).UTC()).Error; err != nil {
		t.Fatal(err) // rejected in review: never published, never asked
	}
	q7 := f.question(t, f.a1, bj(14, 10, 0, 0), model.QuestionAnswered, time.Hour, "")
	q8 := f.question(t, f.b1, bj(16, 10, 0, 0), model.QuestionAnswered, time.Hour, "")

	f.answer(t, q1, f.ca, model.AnswerKindAnswer, model.AnswerPublished, bj(11, 12, 0, 0))
	f.answer(t, q1, f.ca, model.AnswerKindAnswer, model.AnswerPublished, bj(12, 9, 0, 0))
	f.answer(t, q1, f.a1, model.AnswerKindFollowUp, model.AnswerPublished, bj(11, 13, 0, 0))
	f.answer(t, q2, f.ca, model.AnswerKindAnswer, model.AnswerPublished, bj(13, 16, 0, 0))
	f.answer(t, q4, f.adminA, model.AnswerKindAnswer, model.AnswerHidden, bj(15, 11, 0, 0))
	f.answer(t, q7, f.cb, model.AnswerKindAnswer, model.AnswerPublished, bj(14, 11, 0, 0)) // on a provincial board
	f.answer(t, q8, f.cb, model.AnswerKindAnswer, model.AnswerPublished, bj(16, 11, 0, 0))

	// Bookings at A's station.
	f.booking(t, f.a1, bj(11, 10, 0, 0), false, 30*time.Minute, &f.adminA, model.BookingServed, 5)
	f.booking(t, f.a2, bj(12, 10, 0, 0), false, 2*time.Hour, &f.adminA, model.BookingServed, 3)
	f.booking(t, f.a1, bj(13, 10, 0, 0), false, 10*time.Minute, &f.adminA, model.BookingNoShow, 0)
	f.booking(t, f.a2, bj(19, 23, 0, 0), true, 0, nil, model.BookingSubmitted, 0)                // due 20 March 11:00: late now
	f.booking(t, f.a1, bj(14, 10, 0, 0), false, 0, nil, model.BookingCancelled, 0)               // cancelled before any response
	f.booking(t, f.a1, bj(9, 10, 0, 0), false, 5*time.Minute, &f.adminA, model.BookingServed, 4) // before the period
	return f
}

func ptr[T any](v T) *T { return &v }

// eachPath runs fn on every backend with the fixture, once reading the
// base tables (before the roll-ups are first built) and once the roll-ups:
// the same figures either way.
func eachPath(t *testing.T, fn func(t *testing.T, db *model.DB, f *fixture)) {
	for _, rolled := range []bool{false, true} {
		name := "plain"
		if rolled {
			name = "rolled"
		}
		t.Run(name, func(t *testing.T) {
			dbtest.Each(t, func(t *testing.T, db *model.DB) {
				f := setup(t, db)
				if rolled {
					if _, err := f.svc.Rebuild(f.ctx); err != nil {
						t.Fatalf("Rebuild: %v", err)
					}
				}
				fn(t, db, f)
			})
		})
	}
}

func report(t *testing.T, f *fixture, viewer model.User, q stats.Query) stats.Report {
	t.Helper()
	r, err := f.svc.Report(f.ctx, viewer, q)
	if err != nil {
		t.Fatalf("Report(%s, %+v): %v", viewer.Role, q, err)
	}
	return r
}

func rowOf(t *testing.T, r stats.Report, u model.University) stats.Row {
	t.Helper()
	for _, row := range r.Rows {
		if row.University.Code == u.Code {
			return row
		}
	}
	t.Fatalf("no row for %s (%s)", u.Name, u.Code)
	return stats.Row{}
}

func wantInts(t *testing.T, what string, got, want map[string]int64) {
	t.Helper()
	for k, w := range want {
		if got[k] != w {
			t.Errorf("%s: %s = %d, want %d", what, k, got[k], w)
		}
	}
}

func wantRate(t *testing.T, what string, got *float64, want float64) {
	t.Helper()
	if got == nil || math.Abs(*got-want) > 1e-9 {
		v := "nil"
		if got != nil {
			v = fmt.Sprint(*got)
		}
		t.Errorf("%s = %s, want %v", what, v, want)
	}
}

func counts(r stats.Row) map[string]int64 {
	return map[string]int64{
		"users": r.Users, "new": r.NewUsers, "activated": r.Activated, "bound": r.Bound, "cadres": r.Cadres,
		"active": r.Active, "interactions": r.Interactions,
		"questions": r.Questions, "answered": r.Answered, "onTime": r.OnTime, "late": r.Late, "overdueNow": r.OverdueNow,
		"good": r.RatedGood, "fair": r.RatedFair, "bad": r.RatedBad,
		"cadreAnswers": r.CadreAnswers, "answeringCadres": r.AnsweringCadres,
		"bookings": r.Bookings, "responded": r.BookingsResponded, "bkOnTime": r.BookingsOnTime, "bkLate": r.BookingsLate,
		"served": r.Served, "noShow": r.NoShow, "rated": r.ServiceRated, "satisfied": r.ServiceSatisfied,
	}
}

var march = stats.Query{From: "2026-03-10", To: "2026-03-19"}

func TestReportFigures(t *testing.T) {
	eachPath(t, func(t *testing.T, db *model.DB, f *fixture) {
		r := report(t, f, f.province, march)
		if !r.Province || r.Period.From != "2026-03-10" || r.Period.To != "2026-03-19" || r.Period.Days != 10 ||
			!r.Period.Start.Equal(periodStart) || !r.Period.End.Equal(periodEnd) {
			t.Fatalf("period %+v province %v", r.Period, r.Province)
		}
		var n int64
		if err := db.Conn(f.ctx).Model(&model.University{}).Count(&n).Error; err != nil {
			t.Fatal(err)
		}
		if n != 166 || len(r.Rows) != 166 {
			t.Fatalf("%d rows for %d universities, want every one of the 166", len(r.Rows), n)
		}
		if r.Rows[0].University.Code != f.uniA.Code || r.Rows[1].University.Code != f.uniB.Code || r.Rows[2].University.Code != f.uniC.Code {
			t.Fatalf("rows not in code order: %s %s %s", r.Rows[0].University.Code, r.Rows[1].University.Code, r.Rows[2].University.Code)
		}

		a := rowOf(t, r, f.uniA)
		wantInts(t, "A", counts(a), map[string]int64{
			"users": 5, "new": 2, "activated": 2, "bound": 4, "cadres": 1,
			"active": 4, "interactions": 4,
			"questions": 6, "answered": 3, "onTime": 2, "late": 2, "overdueNow": 2,
			"good": 1, "fair": 0, "bad": 1,
			"cadreAnswers": 3, "answeringCadres": 1,
			"bookings": 5, "responded": 3, "bkOnTime": 2, "bkLate": 2,
			"served": 2, "noShow": 1, "rated": 2, "satisfied": 1,
		})
		wantRate(t, "A active rate", a.ActiveRate, 0.8)
		wantRate(t, "A on-time rate", a.OnTimeRate, 0.5)
		wantRate(t, "A mean first response (h)", a.AvgFirstResponseHours, (2.0+30+1)/3)
		wantRate(t, "A satisfaction", a.Satisfaction, 0.5)
		wantRate(t, "A booking on-time rate", a.BookingOnTimeRate, 0.5)
		wantRate(t, "A service satisfaction", a.ServiceSatisfaction, 0.5)
		wantRate(t, "A mean stars", a.AvgServiceStars, 4)

		b := rowOf(t, r, f.uniB)
		wantInts(t, "B", counts(b), map[string]int64{
			"users": 2, "new": 0, "activated": 1, "bound": 2, "cadres": 1, "active": 2, "interactions": 2,
			"questions": 1, "answered": 1, "onTime": 1, "late": 0, "overdueNow": 0,
			"cadreAnswers": 2, "answeringCadres": 1, "bookings": 0,
		})
		wantRate(t, "B on-time rate", b.OnTimeRate, 1)
		if b.Satisfaction != nil || b.BookingOnTimeRate != nil {
			t.Errorf("B has rates without data: satisfaction %v booking %v", b.Satisfaction, b.BookingOnTimeRate)
		}

		c := rowOf(t, r, f.uniC)
		for k, v := range counts(c) {
			if v != 0 {
				t.Errorf("C (nobody there): %s = %d", k, v)
			}
		}
		if c.ActiveRate != nil || c.OnTimeRate != nil || c.AvgFirstResponseHours != nil || c.ServiceSatisfaction != nil {
			t.Errorf("C shows rates without data: %+v", c)
		}

		wantInts(t, "total", counts(r.Total), map[string]int64{
			"users": 7, "new": 2, "activated": 3, "bound": 6, "cadres": 2, "active": 6, "interactions": 6,
			"questions": 7, "answered": 4, "onTime": 3, "late": 2, "overdueNow": 2,
			"good": 1, "bad": 1, "cadreAnswers": 5, "answeringCadres": 2,
			"bookings": 5, "served": 2, "noShow": 1,
		})
		wantRate(t, "total on-time rate", r.Total.OnTimeRate, 0.6)
		wantRate(t, "total mean first response (h)", r.Total.AvgFirstResponseHours, (2.0+30+1+1)/4)
		if r.Total.University != nil {
			t.Errorf("total names a university: %+v", r.Total.University)
		}
	})
}

// TestReportPeriodBoundaries: a day is a Beijing day, from its midnight
// (included) to the next (excluded).
func TestReportPeriodBoundaries(t *testing.T) {
	eachPath(t, func(t *testing.T, db *model.DB, f *fixture) {
		cases := []struct {
			from, to                     string
			interactions, users, newUser int64
		}{
			{"2026-03-10", "2026-03-10", 1, 4, 1}, // a1 at 00:00:00 (not 23:59:59 the day before); a2 registered
			{"2026-03-19", "2026-03-19", 1, 5, 1}, // a1 at 23:59:59; a3 imported
			{"2026-03-20", "2026-03-20", 1, 6, 1}, // a1 at 00:00:00 the next day; a4
			{"2026-03-09", "2026-03-09", 1, 3, 0}, // a1 at 23:59:59 the day before the period
		}
		for _, c := range cases {
			r := report(t, f, f.province, stats.Query{From: c.from, To: c.to})
			a := rowOf(t, r, f.uniA)
			if a.Interactions != c.interactions || a.Users != c.users || a.NewUsers != c.newUser {
				t.Errorf("%s–%s: interactions %d users %d new %d, want %d %d %d",
					c.from, c.to, a.Interactions, a.Users, a.NewUsers, c.interactions, c.users, c.newUser)
			}
		}
	})
}

func TestReportScope(t *testing.T) {
	eachPath(t, func(t *testing.T, db *model.DB, f *fixture) {
		r := report(t, f, f.adminA, march)
		if r.Province || len(r.Rows) != 1 || r.Rows[0].University.Code != f.uniA.Code {
			t.Fatalf("university admin of A sees province=%v, %d rows", r.Province, len(r.Rows))
		}
		if r.Total.Users != 5 || r.Total.Questions != 6 || r.Total.Interactions != 4 || r.Total.Bookings != 5 {
			t.Fatalf("A's own total %+v", r.Total)
		}
		for _, who := range []model.User{f.a1, f.ca, f.adminNoUni} {
			_, err := f.svc.Report(f.ctx, who, march)
			var se *service.Error
			if !errors.Is(err, service.ErrForbidden) || !errors.As(err, &se) || se.Message == "" {
				t.Errorf("%s (university %v): err %v, want Forbidden with a message", who.Role, who.UniversityID, err)
			}
		}
	})
}

func TestReportPeriods(t *testing.T) {
	db := dbtest.SQLite(t)
	svc, err := stats.New(db, clock.NewFake(now))
	if err != nil {
		t.Fatal(err)
	}
	prov := model.User{Role: model.RoleProvinceAdmin}
	r, err := svc.Report(context.Background(), prov, stats.Query{})
	if err != nil {
		t.Fatal(err)
	}
	if r.Period.From != "2026-02-19" || r.Period.To != "2026-03-20" || r.Period.Days != 30 {
		t.Fatalf("default period %+v, want the last 30 days to today", r.Period)
	}
	if _, err := svc.Report(context.Background(), prov, stats.Query{From: "2025-03-20", To: "2026-03-20"}); err != nil {
		t.Fatalf("366 days: %v", err)
	}
	bad := []struct {
		q           stats.Query
		code, field string
	}{
		{stats.Query{From: "2026-03-19", To: "2026-03-10"}, "bad_period", "from"},
		{stats.Query{From: "2026/03/10", To: "2026-03-19"}, "bad_date", "from"},
		{stats.Query{From: "2026-03-10", To: "2026-02-30"}, "bad_date", "to"},
		{stats.Query{From: "2025-03-19", To: "2026-03-20"}, "period_too_long", "from"},
		// Year 1 is year 0 in UTC, which MySQL refuses (a 500 before).
		{stats.Query{From: "0001-01-01", To: "0001-01-02"}, "bad_date", "to"},
		{stats.Query{From: "2026-03-10", To: "9999-12-31"}, "bad_date", "to"},
		{stats.Query{From: "1999-12-31", To: "2026-03-19"}, "bad_date", "from"},
	}
	dbtest.Each(t, func(t *testing.T, db *model.DB) {
		svc, err := stats.New(db, clock.NewFake(now))
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range bad {
			_, err := svc.Report(context.Background(), prov, c.q)
			var se *service.Error
			if !errors.Is(err, service.ErrInvalid) || !errors.As(err, &se) || se.Code != c.code || se.Fields[c.field] == "" {
				t.Errorf("%+v: %v, want %s on %s", c.q, err, c.code, c.field)
			}
		}
	})
	quick := stats.QuickRanges(now)
	want := map[string]string{"近7天": "2026-03-14", "近30天": "2026-02-19", "本月": "2026-03-01", "本学期": "2026-02-01", "今年": "2026-01-01",
		"近一年": "2025-03-20"}
	if len(quick) != len(want) {
		t.Errorf("%d quick ranges, want %d", len(quick), len(want))
	}
	for _, q := range quick {
		if want[q.Label] != q.From || q.To != "2026-03-20" {
			t.Errorf("quick range %+v", q)
		}
	}
	if autumn := stats.QuickRanges(time.Date(2027, 1, 5, 10, 0, 0, 0, clock.Beijing)); autumn[3].From != "2026-08-01" {
		t.Errorf("semester in January starts %s, want 2026-08-01", autumn[3].From)
	}
}

func TestReportSort(t *testing.T) {
	eachPath(t, func(t *testing.T, db *model.DB, f *fixture) {
		q := march
		q.Sort = stats.SortQuestions
		r := report(t, f, f.province, q)
		if r.Sort != stats.SortQuestions || r.Rows[0].University.Code != f.uniA.Code || r.Rows[1].University.Code != f.uniB.Code {
			t.Fatalf("by questions: %s, %s", r.Rows[0].University.Name, r.Rows[1].University.Name)
		}
		q.Sort = stats.SortOnTime
		r = report(t, f, f.province, q)
		if r.Rows[0].University.Code != f.uniB.Code || r.Rows[1].University.Code != f.uniA.Code || r.Rows[2].OnTimeRate != nil {
			t.Fatalf("by on-time rate: %s, %s, then %v", r.Rows[0].University.Name, r.Rows[1].University.Name, r.Rows[2].OnTimeRate)
		}
		q.Sort = "no such column"
		if r = report(t, f, f.province, q); r.Sort != stats.SortCode || r.Rows[0].University.Code != f.uniA.Code {
			t.Fatalf("unknown sort: %s", r.Sort)
		}
	})
}

func TestNewRejectsNil(t *testing.T) {
	if _, err := stats.New(nil, clock.Real{}); err == nil {
		t.Fatal("nil db accepted")
	}
	if _, err := stats.New(dbtest.SQLite(t), nil); err == nil {
		t.Fatal("nil clock accepted")
	}
}
