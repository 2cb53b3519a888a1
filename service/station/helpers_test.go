package station_test

import (
	"context"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gdyouth/youthvoice/model"
	"github.com/gdyouth/youthvoice/service/alertkind"
	"github.com/gdyouth/youthvoice/service/clock"
	"github.com/gdyouth/youthvoice/service/notify"
	"github.com/gdyouth/youthvoice/service/servicetest"
	"github.com/gdyouth/youthvoice/service/station"
)

// t0 is when every fixture's clock starts: Monday 2 March 2026, 10:00
// Beijing time, inside the fixture stations' hours (Mon–Fri 09:00–17:30).
var t0 = bj(2, 10, 0)

// bj is a time in March 2026, Beijing time (2 March is a Monday).
func bj(day, hour, minute int) time.Time {
	return time.Date(2026, time.March, day, hour, minute, 0, 0, clock.Beijing)
}

func rng(openAt, closeAt string) station.Range { return station.Range{Open: openAt, Close: closeAt} }

// weekdays is the same ranges Monday to Friday, nothing at the weekend.
func weekdays(rs ...station.Range) [7][]station.Range {
	var w [7][]station.Range
	for d := time.Monday; d <= time.Friday; d++ {
		w[d] = rs
	}
	return w
}

// everyDay is the same ranges on all seven days.
func everyDay(rs ...station.Range) [7][]station.Range {
	var w [7][]station.Range
	for d := range w {
		w[d] = rs
	}
	return w
}

// fullProfile meets every requirement of the notice.
func fullProfile(name string) station.Profile {
	return station.Profile{
		Name: name, Building: "学生活动中心", Room: "201", Address: "校本部", Directions: "北门进左转",
		HasOffice: true, HasPlaque: true, HasComputer: true, HasServicePost: true,
		Services:    []string{"心理咨询", "学业辅导"},
		Weekly:      weekdays(rng("09:00", "17:30")),
		SlotMinutes: 60,
	}
}

// fixture is three universities:
//
//	A: a station (Mon–Fri 09:00–17:30, 心理咨询 and 学业辅导, 60-minute
//	   slots) with a lead (no duty days), duty1 (on duty Mon and Wed) and
//	   duty2 (on duty Tue); the university admin, a cadre, two students
//	B: a station with one member; the university admin, a cadre, a student
//	C: no station; a student
//
// plus a province admin. The clock starts at t0.
type fixture struct {
	db  *model.DB
	clk *clock.Fake
	n   *notify.Notifier
	svc *station.Service
	ctx context.Context

	uniA, uniB, uniC model.University

	province                          model.User
	adminA, adminB                    model.User
	cadreA, cadreB                    model.User
	lead, duty1, duty2, memberB       model.User
	studentA, studentA2               model.User
	studentB, studentC, noUniversity  model.User
	leadRow, duty1Row, duty2Row, bRow model.StationAdmin
}

// bare is a fixture without stations or teams.
func bare(t *testing.T, db *model.DB) *fixture {
	t.Helper()
	f := &fixture{db: db, clk: clock.NewFake(t0), ctx: context.Background()}
	f.n = servicetest.Notifier(t, db, f.clk)
	f.svc = f.newService(t, 2026)
	var unis []model.University
	if err := db.Conn(f.ctx).Order("id").Limit(3).Find(&unis).Error; err != nil || len(unis) != 3 {
		t.Fatalf("universities: %d, %v", len(unis), err)
	}
	f.uniA, f.uniB, f.uniC = unis[0], unis[1], unis[2]
	a, b, c := &f.uniA.ID, &f.uniB.ID, &f.uniC.ID
	f.province = servicetest.NewUser(t, db, model.RoleProvinceAdmin, nil, true)
	f.adminA = servicetest.NewUser(t, db, model.RoleUniversityAdm, a, true)
	f.adminB = servicetest.NewUser(t, db, model.RoleUniversityAdm, b, true)
	f.cadreA = servicetest.NewUser(t, db, model.RoleCadre, a, true)
	f.cadreB = servicetest.NewUser(t, db, model.RoleCadre, b, true)
	f.lead = servicetest.NewUser(t, db, model.RoleStudent, a, true)
	f.duty1 = servicetest.NewUser(t, db, model.RoleStudent, a, true)
	f.duty2 = servicetest.NewUser(t, db, model.RoleStudent, a, true)
	f.memberB = servicetest.NewUser(t, db, model.RoleStudent, b, true)
	f.studentA = servicetest.NewUser(t, db, model.RoleStudent, a, true)
	f.studentA2 = servicetest.NewUser(t, db, model.RoleStudent, a, true)
	f.studentB = servicetest.NewUser(t, db, model.RoleStudent, b, true)
	f.studentC = servicetest.NewUser(t, db, model.RoleStudent, c, true)
	f.noUniversity = servicetest.NewUser(t, db, model.RoleStudent, nil, true)
	return f
}

// setup is the full fixture: stations at A and B with their teams.
func setup(t *testing.T, db *model.DB) *fixture {
	t.Helper()
	f := bare(t, db)
	f.save(t, f.adminA, f.uniA.ID, fullProfile("青年之家甲站"))
	f.save(t, f.adminB, f.uniB.ID, fullProfile("青年之家乙站"))
	f.leadRow = f.add(t, f.adminA, f.uniA.ID, f.lead, model.CategoryLead)
	f.duty1Row = f.add(t, f.adminA, f.uniA.ID, f.duty1, model.CategoryAdmin, time.Monday, time.Wednesday)
	f.duty2Row = f.add(t, f.adminA, f.uniA.ID, f.duty2, model.CategoryAdmin, time.Tuesday)
	f.bRow = f.add(t, f.adminB, f.uniB.ID, f.memberB, model.CategoryAdmin)
	f.lead, f.duty1, f.duty2, f.memberB = f.user(t, f.lead), f.user(t, f.duty1), f.user(t, f.duty2), f.user(t, f.memberB)
	return f
}

// newService is another instance on the same database, clock and outbox.
func (f *fixture) newService(t *testing.T, year int) *station.Service {
	t.Helper()
	svc, err := station.New(f.db, f.clk, f.n, servicetest.DiscardLog(), servicetest.Workdays(t), year)
	if err != nil {
		t.Fatal(err)
	}
	return svc
}

func (f *fixture) save(t *testing.T, actor model.User, uni uint64, p station.Profile) station.View {
	t.Helper()
	v, err := f.svc.SaveProfile(f.ctx, actor, uni, p)
	if err != nil {
		t.Fatalf("save profile of university %d: %v", uni, err)
	}
	return v
}

var phoneSeq atomic.Int64

func (f *fixture) add(t *testing.T, actor model.User, uni uint64, u model.User, category string, duty ...time.Weekday) model.StationAdmin {
	t.Helper()
	row, err := f.svc.AddMember(f.ctx, actor, uni, station.Member{
		Account: u.Account, Category: category, RealName: "成员" + strconv.FormatUint(u.ID, 10), Position: "干事",
		Phone: fmt.Sprintf("139%08d", phoneSeq.Add(1)), QQ: "123456", WeChatID: "wx_member", DutyDays: duty,
	})
	if err != nil {
		t.Fatalf("add member %s: %v", u.Account, err)
	}
	return row
}

// user rereads u (roles change when members are added or removed).
func (f *fixture) user(t *testing.T, u model.User) model.User {
	t.Helper()
	var out model.User
	if err := f.db.Conn(f.ctx).Take(&out, u.ID).Error; err != nil {
		t.Fatal(err)
	}
	return out
}

func (f *fixture) booking(t *testing.T, id uint64) model.Booking {
	t.Helper()
	var b model.Booking
	if err := f.db.Conn(f.ctx).Take(&b, id).Error; err != nil {
		t.Fatal(err)
	}
	return b
}

// book files a booking at the student's station, failing the test on error.
func (f *fixture) book(t *testing.T, u model.User, slot *time.Time) model.Booking {
	t.Helper()
	b, err := f.svc.Book(f.ctx, u, station.BookInput{Service: "心理咨询", SlotStart: slot, Phone: "13800138000", Description: "想聊聊考研压力"})
	if err != nil {
		t.Fatalf("book: %v", err)
	}
	return b
}

func ptr[T any](v T) *T { return &v }

// alerts are the outbox rows of one template, oldest first.
func (f *fixture) alerts(t *testing.T, key alertkind.Kind) []model.TemplateMessage {
	t.Helper()
	return servicetest.Alerts(t, f.db, key)
}

// alertsFor are the outbox rows of one template linking to booking id.
func (f *fixture) alertsFor(t *testing.T, key alertkind.Kind, id uint64) []model.TemplateMessage {
	t.Helper()
	var out []model.TemplateMessage
	for _, m := range f.alerts(t, key) {
		if strings.HasSuffix(m.URL, "next="+url.QueryEscape("/h5/bookings/"+strconv.FormatUint(id, 10))) {
			out = append(out, m)
		}
	}
	return out
}
