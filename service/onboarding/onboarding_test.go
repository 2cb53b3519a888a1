package onboarding_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/gdyouth/youthvoice/model"
	"github.com/gdyouth/youthvoice/service"
	"github.com/gdyouth/youthvoice/service/alertkind"
	"github.com/gdyouth/youthvoice/service/cadre"
	"github.com/gdyouth/youthvoice/service/clock"
	"github.com/gdyouth/youthvoice/service/onboarding"
	"github.com/gdyouth/youthvoice/service/servicetest"
)

type fixture struct {
	db                        *model.DB
	clk                       *clock.Fake
	svc                       *onboarding.Service
	uniA, uniB                model.University
	province, adminA, adminB  model.User
	student                   model.User
	boardA                    uint64
	ctx                       context.Context
	t                         *testing.T
	questionSeq, rosterSerial int
}

// bj is a Beijing time.
func bj(date string, hour int) time.Time {
	d, err := time.ParseInLocation(time.DateOnly, date, clock.Beijing)
	if err != nil {
		panic(err)
	}
	return d.Add(time.Duration(hour) * time.Hour)
}

// setup: Monday 2026-12-07, 10:00 Beijing; university A and B each with
// a bound admin (made directly, so neither is launched yet), a province
// admin and a student of A.
func setup(t *testing.T, b *servicetest.Backend) *fixture {
	t.Helper()
	db := b.DB()
	clk := clock.NewFake(bj("2026-12-07", 10))
	svc, err := onboarding.New(db, clk, servicetest.Notifier(t, db, clk), servicetest.DiscardLog(), servicetest.Workdays(t))
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{db: db, clk: clk, svc: svc, ctx: context.Background(), t: t}
	var unis []model.University
	if err := db.Conn(f.ctx).Order("id").Limit(2).Find(&unis).Error; err != nil || len(unis) != 2 {
		t.Fatalf("universities: %v", err)
	}
	f.uniA, f.uniB = unis[0], unis[1]
	f.province = servicetest.NewUser(t, db, model.RoleProvinceAdmin, nil, true)
	f.adminA = servicetest.NewUser(t, db, model.RoleUniversityAdm, &f.uniA.ID, true)
	f.adminB = servicetest.NewUser(t, db, model.RoleUniversityAdm, &f.uniB.ID, true)
	f.student = servicetest.NewUser(t, db, model.RoleStudent, &f.uniA.ID, true)
	var board model.Board
	if err := db.Conn(f.ctx).Where("university_id = ?", f.uniA.ID).Take(&board).Error; err != nil {
		t.Fatal(err)
	}
	f.boardA = board.ID
	return f
}

func (f *fixture) get(who model.User, uni model.University) onboarding.Status {
	f.t.Helper()
	st, err := f.svc.Get(f.ctx, who, uni.Code)
	if err != nil {
		f.t.Fatalf("Get %s: %v", uni.Code, err)
	}
	return st
}

func (f *fixture) launch(uni model.University, on string) onboarding.Status {
	f.t.Helper()
	st, err := f.svc.SetLaunch(f.ctx, f.province, uni.Code, on)
	if err != nil {
		f.t.Fatalf("SetLaunch %s %s: %v", uni.Code, on, err)
	}
	return st
}

func done(st onboarding.Status, key string) bool {
	for _, it := range st.Items {
		if it.Key == key {
			return it.Done
		}
	}
	panic("no item " + key)
}

// The checklist's data, as the other services store it.

func (f *fixture) nameLiaison(uni uint64) {
	f.t.Helper()
	if err := f.db.Conn(f.ctx).Create(&model.Liaison{UniversityID: uni, RealName: "李联络", Position: "校团委副书记",
		Phone: "13912345678", UpdatedBy: f.province.ID, UpdatedAt: time.Now().UTC()}).Error; err != nil {
		f.t.Fatal(err)
	}
}

func (f *fixture) registerCadres(uni uint64, n int, status string) {
	f.t.Helper()
	now := time.Now().UTC()
	for range n {
		f.rosterSerial++
		e := model.RosterEntry{UniversityID: uni, Category: model.CategoryStudentLeader, Position: "学生会主席", RealName: "王同学",
			Phone: fmt.Sprintf("138%08d", f.rosterSerial), Status: status, CreatedAt: now, UpdatedAt: now}
		if err := f.db.Conn(f.ctx).Create(&e).Error; err != nil {
			f.t.Fatal(err)
		}
	}
}

func (f *fixture) fillStation(uni uint64, hours string) {
	f.t.Helper()
	now := time.Now().UTC()
	st := model.Station{UniversityID: uni, Name: "青年之家", Services: "[]", Hours: hours, ClosedDates: "[]", CreatedAt: now, UpdatedAt: now}
	if err := f.db.Conn(f.ctx).Create(&st).Error; err != nil {
		f.t.Fatal(err)
	}
}

// ask publishes a question on A's board, due 24 hours after it; answered
// (when not nil) is its first answer's time.
func (f *fixture) ask(created time.Time, answered *time.Time) {
	f.t.Helper()
	f.questionSeq++
	q := model.Question{BoardID: f.boardA, UniversityID: f.uniA.ID, AskerID: f.student.ID, Title: fmt.Sprintf("提问 %d", f.questionSeq),
		Body: "内容", Status: model.QuestionOpen, DueAt: created.Add(24 * time.Hour).UTC(), CreatedAt: created.UTC(), UpdatedAt: created.UTC()}
	if answered != nil {
		a := answered.UTC()
		q.Status, q.FirstAnsweredAt = model.QuestionAnswered, &a
	}
	if err := f.db.Conn(f.ctx).Create(&q).Error; err != nil {
		f.t.Fatal(err)
	}
}

const weekdayHours = `[[],[{"open":"09:00","close":"17:00"}],[],[],[],[],[]]`

// The due date is the 5th working day after the launch: across National
// Day 2026 (its make-up Saturday counts), a Friday's the next Friday; the
// reminder goes on the 3rd.
func TestDueDates(t *testing.T) {
	servicetest.Each(t, func(t *testing.T, b *servicetest.Backend) {
		f := setup(t, b)
		f.clk.Set(bj("2026-09-20", 10))
		for _, c := range []struct{ launched, due, remind string }{
			{"2026-09-29", "2026-10-12", "2026-10-09"}, // 30th, 8th, 9th (remind), Saturday 10th, Monday 12th
			{"2026-11-27", "2026-12-04", "2026-12-02"}, // a Friday: the next Friday
			{"2026-12-07", "2026-12-14", "2026-12-10"}, // a Monday: the next Monday
		} {
			st := f.launch(f.uniA, c.launched)
			if st.LaunchedOn != c.launched || st.DueOn != c.due || st.RemindOn != c.remind || st.LaunchSource != model.LaunchByProvince {
				t.Errorf("launched %s: due %s, remind %s (%s); want due %s, remind %s", c.launched, st.DueOn, st.RemindOn, st.LaunchSource, c.due, c.remind)
			}
		}
		// In progress: the working days left after today, up to the due
		// date (0 on it).
		f.launch(f.uniA, "2026-09-29")
		for _, c := range []struct {
			today string
			left  int
		}{{"2026-09-29", 5}, {"2026-10-01", 4}, {"2026-10-09", 2}, {"2026-10-11", 1}, {"2026-10-12", 0}} {
			f.clk.Set(bj(c.today, 23))
			st := f.get(f.province, f.uniA)
			if st.Status != onboarding.StatusInProgress || st.WorkdaysLeft == nil || *st.WorkdaysLeft != c.left {
				t.Errorf("%s: %s, %v working days left; want in progress, %d", c.today, st.Status, st.WorkdaysLeft, c.left)
			}
		}
		f.clk.Set(bj("2026-10-13", 0))
		if st := f.get(f.province, f.uniA); st.Status != onboarding.StatusLate || st.WorkdaysLeft != nil {
			t.Errorf("the day after the due date: %s, %v; want late", st.Status, st.WorkdaysLeft)
		}
	})
}

// Each item turns ✓ from the data alone; when all five are met the
// university is operating, with today's date, and stays so with that
// date whatever changes afterwards.
func TestChecklistFromData(t *testing.T) {
	servicetest.Each(t, func(t *testing.T, b *servicetest.Backend) {
		f := setup(t, b)
		st := f.get(f.adminA, f.uniA)
		if st.Status != onboarding.StatusNotLaunched || st.LaunchedOn != "" || st.DueOn != "" {
			t.Fatalf("before launch: %+v", st)
		}
		want := []string{onboarding.ItemLiaison, onboarding.ItemCadres, onboarding.ItemStation}
		if !slices.Equal(st.Missing, want) || !done(st, onboarding.ItemAdmin) || !done(st, onboarding.ItemAnswer) {
			t.Fatalf("missing %v; want %v (an admin, and no question asked)", st.Missing, want)
		}
		f.launch(f.uniA, "2026-12-07")

		f.nameLiaison(f.uniA.ID)
		if st := f.get(f.adminA, f.uniA); !done(st, onboarding.ItemLiaison) {
			t.Error("liaison named, item not met")
		}

		f.registerCadres(f.uniA.ID, 4, model.RosterRegistered)
		f.registerCadres(f.uniA.ID, 3, model.RosterPending)
		f.registerCadres(f.uniB.ID, 3, model.RosterRegistered)
		if st := f.get(f.adminA, f.uniA); done(st, onboarding.ItemCadres) {
			t.Error("4 registered (3 more listed, 3 at another university): cadres met")
		}
		f.registerCadres(f.uniA.ID, 1, model.RosterRegistered)
		if st := f.get(f.adminA, f.uniA); !done(st, onboarding.ItemCadres) || st.Items[2].Detail != "已注册 5 名" {
			t.Errorf("5 registered: %+v", st.Items[2])
		}
		// The province raises the bar.
		if _, err := f.svc.SetSettings(f.ctx, f.province, onboarding.Settings{MinCadres: 6}); err != nil {
			t.Fatal(err)
		}
		if st := f.get(f.adminA, f.uniA); done(st, onboarding.ItemCadres) || st.MinCadres != 6 {
			t.Errorf("5 registered of 6: %+v", st.Items[2])
		}
		f.registerCadres(f.uniA.ID, 1, model.RosterRegistered)

		// A question asked and not yet answered; then one answered late;
		// then one in time.
		now := f.clk.Now()
		f.ask(now.Add(-2*time.Hour), nil)
		if st := f.get(f.adminA, f.uniA); done(st, onboarding.ItemAnswer) {
			t.Error("a question waiting: answer met")
		}
		late := now.Add(-time.Hour)
		f.ask(now.Add(-30*time.Hour), &late)
		if st := f.get(f.adminA, f.uniA); done(st, onboarding.ItemAnswer) {
			t.Error("a question answered after 24 hours: answer met")
		}
		inTime := now.Add(-20 * time.Hour)
		f.ask(now.Add(-26*time.Hour), &inTime)
		if st := f.get(f.adminA, f.uniA); !done(st, onboarding.ItemAnswer) {
			t.Error("a question answered within 24 hours: answer not met")
		}

		// A station without hours is not filled in; with them it is, and
		// the university operates from today.
		f.fillStation(f.uniA.ID, `[[],[],[],[],[],[],[]]`)
		st = f.get(f.adminA, f.uniA)
		if done(st, onboarding.ItemStation) || st.Status != onboarding.StatusInProgress || !slices.Equal(st.Missing, []string{onboarding.ItemStation}) {
			t.Fatalf("station without hours: %s, missing %v", st.Status, st.Missing)
		}
		if err := f.db.Conn(f.ctx).Model(&model.Station{}).Where("university_id = ?", f.uniA.ID).Update("hours", weekdayHours).Error; err != nil {
			t.Fatal(err)
		}
		f.clk.Set(bj("2026-12-09", 15))
		st = f.get(f.adminA, f.uniA)
		if st.Status != onboarding.StatusOperating || st.OperatingOn != "2026-12-09" || !st.OnTime || len(st.Missing) != 0 {
			t.Fatalf("all met: %s on %s (on time %v), missing %v", st.Status, st.OperatingOn, st.OnTime, st.Missing)
		}
		// Operating is kept, with its date: no item is measured again.
		if err := f.db.Conn(f.ctx).Where("university_id = ?", f.uniA.ID).Delete(&model.Liaison{}).Error; err != nil {
			t.Fatal(err)
		}
		f.clk.Set(bj("2026-12-20", 9))
		if st := f.get(f.province, f.uniA); st.Status != onboarding.StatusOperating || st.OperatingOn != "2026-12-09" || !done(st, onboarding.ItemLiaison) {
			t.Fatalf("after the liaison was removed: %s on %s", st.Status, st.OperatingOn)
		}
		// The province's list: A operating, B not launched (no liaison,
		// 3 cadres, no station), the others too.
		all, err := f.svc.List(f.ctx, f.province, "")
		if err != nil || len(all) != 166 {
			t.Fatalf("province list: %d, %v", len(all), err)
		}
		if all[len(all)-1].University.ID != f.uniA.ID {
			t.Errorf("the operating university is not last: %s", all[len(all)-1].University.Name)
		}
		ops, err := f.svc.List(f.ctx, f.province, onboarding.StatusOperating)
		if err != nil || len(ops) != 1 || ops[0].University.ID != f.uniA.ID {
			t.Fatalf("operating filter: %v, %v", ops, err)
		}
	})
}

// 进行中 → 逾期 the day after the due date; a late university that meets
// every item later operates, not on time.
func TestLateThenOperating(t *testing.T) {
	servicetest.Each(t, func(t *testing.T, b *servicetest.Backend) {
		f := setup(t, b)
		f.launch(f.uniA, "2026-12-07")
		f.clk.Set(bj("2026-12-14", 23))
		if st := f.get(f.adminA, f.uniA); st.Status != onboarding.StatusInProgress {
			t.Fatalf("on the due date: %s", st.Status)
		}
		f.clk.Set(bj("2026-12-15", 0))
		st := f.get(f.adminA, f.uniA)
		if st.Status != onboarding.StatusLate || st.StatusName() != "逾期" {
			t.Fatalf("after the due date: %s", st.Status)
		}
		late, err := f.svc.List(f.ctx, f.province, onboarding.StatusLate)
		if err != nil || len(late) != 1 || late[0].University.ID != f.uniA.ID {
			t.Fatalf("late filter: %v, %v", late, err)
		}
		f.nameLiaison(f.uniA.ID)
		f.registerCadres(f.uniA.ID, 5, model.RosterRegistered)
		f.fillStation(f.uniA.ID, weekdayHours)
		f.clk.Set(bj("2026-12-16", 8))
		st = f.get(f.adminA, f.uniA)
		if st.Status != onboarding.StatusOperating || st.OperatingOn != "2026-12-16" || st.OnTime {
			t.Fatalf("met late: %s on %s, on time %v", st.Status, st.OperatingOn, st.OnTime)
		}
	})
}

// The reminder goes to the university's admins on the 3rd working day,
// once; the late alert to the province admins the day after the due
// date, once; a university operating gets neither.
func TestReminders(t *testing.T) {
	servicetest.Each(t, func(t *testing.T, b *servicetest.Backend) {
		f := setup(t, b)
		servicetest.NewUser(t, f.db, model.RoleUniversityAdm, &f.uniA.ID, false) // unbound: not alerted
		f.launch(f.uniA, "2026-12-07")
		f.launch(f.uniB, "2026-12-07")
		// B operates by its 2nd day.
		f.nameLiaison(f.uniB.ID)
		f.registerCadres(f.uniB.ID, 5, model.RosterRegistered)
		f.fillStation(f.uniB.ID, weekdayHours)

		sweep := func(at time.Time) onboarding.SweepResult {
			t.Helper()
			f.clk.Set(at)
			r, err := f.svc.Sweep(f.ctx)
			if err != nil {
				t.Fatalf("sweep at %s: %v", at, err)
			}
			return r
		}
		if r := sweep(bj("2026-12-08", 9)); r.Operating != 1 || r.Reminded != 0 || r.Late != 0 {
			t.Fatalf("2nd day: %+v; want B operating, no alert", r)
		}
		if st := f.get(f.province, f.uniB); st.OperatingOn != "2026-12-08" {
			t.Fatalf("B operating on %q", st.OperatingOn)
		}
		if r := sweep(bj("2026-12-09", 23)); r != (onboarding.SweepResult{}) {
			t.Fatalf("before the 3rd working day: %+v", r)
		}
		if r := sweep(bj("2026-12-10", 0)); r.Reminded != 1 {
			t.Fatalf("3rd working day: %+v", r)
		}
		rem := servicetest.Alerts(t, f.db, alertkind.OnboardingReminder)
		servicetest.WantRecipients(t, "the reminder", rem, f.adminA)
		d := servicetest.AlertData(t, rem[0])
		if d["thing1"] != f.uniA.Name || d["thing2"] != "联络专员、干部注册、服务站资料" || d["time3"] != "2026-12-14" {
			t.Errorf("reminder data %v", d)
		}
		for _, at := range []time.Time{bj("2026-12-10", 12), bj("2026-12-14", 20)} {
			if r := sweep(at); r.Reminded != 0 || r.Late != 0 {
				t.Fatalf("again at %s: %+v", at, r)
			}
		}
		if r := sweep(bj("2026-12-15", 0)); r.Late != 1 || r.Reminded != 0 {
			t.Fatalf("the day after the due date: %+v", r)
		}
		if r := sweep(bj("2026-12-16", 0)); r.Late != 0 {
			t.Fatalf("late alert again: %+v", r)
		}
		lateAlerts := servicetest.Alerts(t, f.db, alertkind.OnboardingLate)
		servicetest.WantRecipients(t, "the late alert", lateAlerts, f.province)
		if d := servicetest.AlertData(t, lateAlerts[0]); d["thing1"] != f.uniA.Name || d["time3"] != "2026-12-14" {
			t.Errorf("late alert data %v", d)
		}
		if n := len(servicetest.Alerts(t, f.db, alertkind.OnboardingReminder)); n != 1 {
			t.Errorf("%d reminders in all", n)
		}
	})
}

// The province reads and sets any university; a university admin reads
// their own only and sets nothing; students nothing.
func TestScoping(t *testing.T) {
	servicetest.Each(t, func(t *testing.T, b *servicetest.Backend) {
		f := setup(t, b)
		_, err := f.svc.Get(f.ctx, f.adminB, f.uniA.Code)
		servicetest.WantErr(t, "B's admin reads A", err, service.ErrForbidden, "")
		_, err = f.svc.SetLaunch(f.ctx, f.adminA, f.uniA.Code, "2026-12-01")
		servicetest.WantErr(t, "A's admin sets A's launch", err, service.ErrForbidden, "")
		_, err = f.svc.SetLaunch(f.ctx, f.adminA, f.uniB.Code, "2026-12-01")
		servicetest.WantErr(t, "A's admin sets B's launch", err, service.ErrForbidden, "")
		_, err = f.svc.List(f.ctx, f.student, "")
		servicetest.WantErr(t, "a student's list", err, service.ErrForbidden, "")
		_, err = f.svc.Get(f.ctx, f.student, f.uniA.Code)
		servicetest.WantErr(t, "a student reads A", err, service.ErrForbidden, "")
		_, err = f.svc.Settings(f.ctx, f.student)
		servicetest.WantErr(t, "a student's settings", err, service.ErrForbidden, "")
		_, err = f.svc.SetSettings(f.ctx, f.adminA, onboarding.Settings{MinCadres: 3})
		servicetest.WantErr(t, "a university admin sets the settings", err, service.ErrForbidden, "")
		if mine, err := f.svc.Mine(f.ctx, f.student); mine != nil || err != nil {
			t.Errorf("a student's card: %v, %v", mine, err)
		}

		own, err := f.svc.List(f.ctx, f.adminB, "")
		if err != nil || len(own) != 1 || own[0].University.ID != f.uniB.ID {
			t.Fatalf("B's admin lists %v, %v", own, err)
		}
		if mine, err := f.svc.Mine(f.ctx, f.adminA); err != nil || mine == nil || mine.University.ID != f.uniA.ID {
			t.Fatalf("A's card: %v, %v", mine, err)
		}
		if s, err := f.svc.Settings(f.ctx, f.adminA); err != nil || s.MinCadres != onboarding.DefaultMinCadres {
			t.Fatalf("settings by default: %+v, %v", s, err)
		}

		for _, bad := range []string{"", "2026-13-01", "2026/12/01", "2026-12-1", "2019-12-31", "2028-01-01"} {
			_, err := f.svc.SetLaunch(f.ctx, f.province, f.uniA.Code, bad)
			servicetest.WantFieldError(t, "launch "+bad, err, "launched_on")
		}
		_, err = f.svc.SetLaunch(f.ctx, f.province, "0000000000", "2026-12-01")
		servicetest.WantErr(t, "unknown university", err, service.ErrNotFound, "university_not_found")
		for _, bad := range []int{0, -1, onboarding.MaxMinCadres + 1} {
			_, err := f.svc.SetSettings(f.ctx, f.province, onboarding.Settings{MinCadres: bad})
			servicetest.WantFieldError(t, fmt.Sprint("min cadres ", bad), err, "min_cadres")
		}
		_, err = f.svc.List(f.ctx, f.province, "finished")
		servicetest.WantFieldError(t, "unknown status", err, "status")
	})
}

// The first appointment of a university admin launches the university
// that day (Beijing); a later one, or one after the province set the
// date, changes nothing.
func TestLaunchByFirstAppointment(t *testing.T) {
	servicetest.Each(t, func(t *testing.T, b *servicetest.Backend) {
		f := setup(t, b)
		cadres, err := cadre.New(f.db, f.clk, servicetest.Notifier(t, f.db, f.clk))
		if err != nil {
			t.Fatal(err)
		}
		// 2026-12-07 17:00 UTC is the 8th in Beijing.
		f.clk.Set(time.Date(2026, 12, 7, 17, 0, 0, 0, time.UTC))
		first := servicetest.NewUser(t, f.db, model.RoleStudent, &f.uniB.ID, true)
		if err := cadres.AppointUniversityAdmin(f.ctx, f.province, first.ID); err != nil {
			t.Fatal(err)
		}
		st := f.get(f.province, f.uniB)
		if st.LaunchedOn != "2026-12-08" || st.LaunchSource != model.LaunchByAppointment || st.DueOn != "2026-12-15" {
			t.Fatalf("after the first appointment: launched %q (%s), due %q", st.LaunchedOn, st.LaunchSource, st.DueOn)
		}
		f.clk.Set(bj("2026-12-11", 10))
		second := servicetest.NewUser(t, f.db, model.RoleCadre, &f.uniB.ID, true)
		if err := cadres.AppointUniversityAdmin(f.ctx, f.province, second.ID); err != nil {
			t.Fatal(err)
		}
		if st := f.get(f.province, f.uniB); st.LaunchedOn != "2026-12-08" {
			t.Fatalf("a second appointment moved the launch to %s", st.LaunchedOn)
		}
		// The province's date stands against an appointment.
		f.launch(f.uniA, "2026-12-01")
		third := servicetest.NewUser(t, f.db, model.RoleStudent, &f.uniA.ID, true)
		if err := cadres.AppointUniversityAdmin(f.ctx, f.province, third.ID); err != nil {
			t.Fatal(err)
		}
		if st := f.get(f.province, f.uniA); st.LaunchedOn != "2026-12-01" || st.LaunchSource != model.LaunchByProvince {
			t.Fatalf("an appointment overrode the province's date: %s (%s)", st.LaunchedOn, st.LaunchSource)
		}
	})
}

func TestNewRejectsNil(t *testing.T) {
	if _, err := onboarding.New(nil, clock.NewFake(time.Now()), nil, servicetest.DiscardLog(), nil); err == nil {
		t.Fatal("New accepted nil dependencies")
	}
}

// Several instances sweeping at once send each alert once.
func TestSweepInstancesSendOnce(t *testing.T) {
	servicetest.Each(t, func(t *testing.T, b *servicetest.Backend) {
		f := setup(t, b)
		f.launch(f.uniA, "2026-12-07")
		f.launch(f.uniB, "2026-11-02")
		f.clk.Set(bj("2026-12-10", 9)) // A's 3rd working day; B long late
		const instances = 4
		svcs := make([]*onboarding.Service, instances)
		for i := range svcs {
			s, err := onboarding.New(f.db, f.clk, servicetest.Notifier(t, f.db, f.clk), servicetest.DiscardLog(), servicetest.Workdays(t))
			if err != nil {
				t.Fatal(err)
			}
			svcs[i] = s
		}
		results := make(chan onboarding.SweepResult, instances)
		errs := make(chan error, instances)
		for _, s := range svcs {
			go func() {
				r, err := s.Sweep(f.ctx)
				results <- r
				errs <- err
			}()
		}
		var total onboarding.SweepResult
		for range instances {
			r := <-results
			if err := <-errs; err != nil {
				t.Fatal(err)
			}
			total.Reminded += r.Reminded
			total.Late += r.Late
		}
		if total.Reminded != 1 || total.Late != 1 {
			t.Fatalf("%d instances sent %d reminders and %d late alerts; want one each", instances, total.Reminded, total.Late)
		}
		servicetest.WantRecipients(t, "the reminder", servicetest.Alerts(t, f.db, alertkind.OnboardingReminder), f.adminA)
		servicetest.WantRecipients(t, "the late alert", servicetest.Alerts(t, f.db, alertkind.OnboardingLate), f.province)
	})
}
