package cadre_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gdyouth/youthvoice/model"
	"github.com/gdyouth/youthvoice/model/dbtest"
	"github.com/gdyouth/youthvoice/service"
	"github.com/gdyouth/youthvoice/service/account"
	"github.com/gdyouth/youthvoice/service/cadre"
	"github.com/gdyouth/youthvoice/service/clock"
	"github.com/gdyouth/youthvoice/service/servicetest"
	"github.com/gdyouth/youthvoice/service/station"
)

type fixture struct {
	db       *model.DB
	svc      *cadre.Service
	uniA     uint64
	uniB     uint64
	province model.User
	adminA   model.User
	adminB   model.User
	student  model.User
}

func setup(t *testing.T, db *model.DB) fixture {
	t.Helper()
	clk := clock.NewFake(time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC))
	svc, err := cadre.New(db, clk, servicetest.Notifier(t, db, clk))
	if err != nil {
		t.Fatal(err)
	}
	var unis []model.University
	if err := db.Conn(context.Background()).Order("id").Limit(2).Find(&unis).Error; err != nil || len(unis) != 2 {
		t.Fatalf("universities: %v", err)
	}
	f := fixture{db: db, svc: svc, uniA: unis[0].ID, uniB: unis[1].ID}
	f.province = servicetest.NewUser(t, db, model.RoleProvinceAdmin, nil, true)
	f.adminA = servicetest.NewUser(t, db, model.RoleUniversityAdm, &f.uniA, true)
	f.adminB = servicetest.NewUser(t, db, model.RoleUniversityAdm, &f.uniB, true)
	f.student = servicetest.NewUser(t, db, model.RoleStudent, &f.uniA, true)
	return f
}

var good = cadre.Application{Position: "校学生会主席", RealName: "张三", Phone: "13812345678", Email: "zs@example.edu.cn", QQ: "12345678", WeChatID: "zhangsan_01"}

func TestApplyValidation(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *model.DB) {
		f := setup(t, db)
		ctx := context.Background()
		cases := []struct {
			name  string
			edit  func(a *cadre.Application)
			field string
		}{
			{"missing position", func(a *cadre.Application) { a.Position = " " }, "position"},
			{"one-character name", func(a *cadre.Application) { a.RealName = "张" }, "real_name"},
			{"name of invisible characters", func(a *cadre.Application) { a.RealName = "\u202e\u200b\u200b" }, "real_name"},
			{"one letter padded with zero-width spaces", func(a *cadre.Application) { a.RealName = "张\u200b" }, "real_name"},
			{"10-digit phone", func(a *cadre.Application) { a.Phone = "1381234567" }, "phone"},
			{"landline", func(a *cadre.Application) { a.Phone = "02087185614" }, "phone"},
			{"bad email", func(a *cadre.Application) { a.Email = "zs@" }, "email"},
			{"qq with letters", func(a *cadre.Application) { a.QQ = "12a45" }, "qq"},
			{"wechat id starting with digit", func(a *cadre.Application) { a.WeChatID = "1zhangsan" }, "wechat_id"},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				a := good
				tc.edit(&a)
				_, err := f.svc.Apply(ctx, f.student, a)
				var se *service.Error
				if !errors.Is(err, service.ErrInvalid) || !errors.As(err, &se) || se.Fields[tc.field] == "" {
					t.Fatalf("err = %v, want ErrInvalid on field %s", err, tc.field)
				}
			})
		}
		t.Run("unbound user", func(t *testing.T) {
			u := servicetest.NewUser(t, db, model.RoleStudent, &f.uniA, false)
			if _, err := f.svc.Apply(ctx, u, good); !errors.Is(err, service.ErrForbidden) {
				t.Fatalf("err = %v, want ErrForbidden", err)
			}
		})
		t.Run("one pending application at a time", func(t *testing.T) {
			u := servicetest.NewUser(t, db, model.RoleStudent, &f.uniA, true)
			if _, err := f.svc.Apply(ctx, u, good); err != nil {
				t.Fatal(err)
			}
			if _, err := f.svc.Apply(ctx, u, good); servicetest.Code(err) != "pending_exists" {
				t.Fatalf("second application: %v", err)
			}
		})
	})
}

func TestDecideScopingAndEffects(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *model.DB) {
		f := setup(t, db)
		ctx := context.Background()
		app, err := f.svc.Apply(ctx, f.student, good)
		if err != nil {
			t.Fatal(err)
		}
		// Another university's admin and a plain cadre cannot see or decide it.
		if _, err := f.svc.Decide(ctx, f.adminB, app.ID, true, ""); !errors.Is(err, service.ErrNotFound) {
			t.Fatalf("other university's admin: %v, want ErrNotFound", err)
		}
		if list, err := f.svc.Pending(ctx, f.adminB); err != nil || len(list) != 0 {
			t.Fatalf("other admin's pending list = %d, %v", len(list), err)
		}
		if _, err := f.svc.Pending(ctx, f.student); !errors.Is(err, service.ErrForbidden) {
			t.Fatalf("student listing applications: %v", err)
		}
		list, err := f.svc.Pending(ctx, f.adminA)
		if err != nil || len(list) != 1 || list[0].Phone != "138****5678" {
			t.Fatalf("own admin's list = %+v, %v (phone must be masked)", list, err)
		}
		if _, err := f.svc.Decide(ctx, f.adminA, app.ID, false, ""); servicetest.Code(err) != "reason_required" {
			t.Fatalf("rejection without reason: %v", err)
		}
		got, err := f.svc.Decide(ctx, f.adminA, app.ID, true, "")
		if err != nil || got.Status != model.ApplicationApproved {
			t.Fatalf("approve: %+v, %v", got, err)
		}
		var u model.User
		if err := db.Conn(ctx).Take(&u, f.student.ID).Error; err != nil || u.Role != model.RoleCadre || u.Name != "张三" {
			t.Fatalf("after approval user = role %q name %q, %v", u.Role, u.Name, err)
		}
		if _, err := f.svc.Decide(ctx, f.province, app.ID, false, "重复"); servicetest.Code(err) != "already_decided" {
			t.Fatalf("deciding twice: %v", err)
		}
		if _, err := f.svc.Apply(ctx, u, good); servicetest.Code(err) != "already_cadre" {
			t.Fatalf("cadre applying again: %v", err)
		}

		// The province admin decides anywhere; a rejection keeps the role.
		other := servicetest.NewUser(t, db, model.RoleStudent, &f.uniB, true)
		app2, err := f.svc.Apply(ctx, other, good)
		if err != nil {
			t.Fatal(err)
		}
		rej, err := f.svc.Decide(ctx, f.province, app2.ID, false, "职务信息不完整")
		if err != nil || rej.Status != model.ApplicationRejected || rej.Reason != "职务信息不完整" {
			t.Fatalf("province rejection: %+v, %v", rej, err)
		}
		var o model.User
		if err := db.Conn(ctx).Take(&o, other.ID).Error; err != nil || o.Role != model.RoleStudent {
			t.Fatalf("rejected applicant role = %q", o.Role)
		}

		// Each applicant was alerted once, in the decision's transaction,
		// with the result, the reason and a link to the application page.
		for _, c := range []struct {
			who         model.User
			result, why string
		}{{f.student, "已通过", "你已成为团学干部"}, {other, "未通过", "职务信息不完整"}} {
			var msgs []model.TemplateMessage
			if err := db.Conn(ctx).Where("openid = ?", *c.who.OpenID).Find(&msgs).Error; err != nil {
				t.Fatal(err)
			}
			if len(msgs) != 1 || msgs[0].TemplateKey != "application_decided" ||
				!strings.Contains(msgs[0].Data, c.result) || !strings.Contains(msgs[0].Data, c.why) ||
				!strings.Contains(msgs[0].URL, "next=%2Fh5%2Fcadre%2Fapply") {
				t.Fatalf("alerts to %s = %+v", c.who.Account, msgs)
			}
		}
	})
}

// An applicant who gained another role after applying (added to the
// station team, appointed university admin) is approved as usual and
// keeps that role: a student leader may be both. The approval puts them
// on the roster as 已注册.
func TestApproveKeepsApplicantsOtherRoles(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *model.DB) {
		f := setup(t, db)
		ctx := context.Background()
		for i, role := range []string{model.RoleStationAdmin, model.RoleUniversityAdm} {
			t.Run(role, func(t *testing.T) {
				u := servicetest.NewUser(t, db, model.RoleStudent, &f.uniA, true)
				in := good
				in.Phone = fmt.Sprintf("1391234500%d", i)
				app, err := f.svc.Apply(ctx, u, in)
				if err != nil {
					t.Fatal(err)
				}
				if _, err := account.GrantRole(ctx, db, u.ID, role, time.Now()); err != nil {
					t.Fatal(err)
				}
				if _, err := f.svc.Decide(ctx, f.adminA, app.ID, true, ""); err != nil {
					t.Fatalf("approving a %s: %v", role, err)
				}
				got := servicetest.Reload(t, db, u.ID)
				if !got.Has(model.RoleCadre) || !got.Has(role) || got.Name != good.RealName {
					t.Fatalf("applicant after approval: roles %s, name %q; want 团学干部 and %s", got.RoleNames(), got.Name, model.RoleName(role))
				}
				roster, err := f.svc.Roster(ctx, f.adminA, f.uniA)
				if err != nil {
					t.Fatal(err)
				}
				if !slices.ContainsFunc(roster, func(l cadre.RosterLine) bool {
					return l.UserID != nil && *l.UserID == u.ID && l.Status == model.RosterRegistered && l.Phone == in.Phone
				}) {
					t.Fatalf("roster after approval = %+v; want the applicant 已注册", roster)
				}
			})
		}
	})
}

// A double tap on 提交 (or two devices) files one application: the others
// are told one is already pending. Several applicants race at once so the
// submissions of each overlap.
func TestConcurrentApplicationsFileOne(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *model.DB) {
		f := setup(t, db)
		ctx := context.Background()
		const users, tries = 10, 6
		applicants := make([]model.User, users)
		for i := range applicants {
			applicants[i] = servicetest.NewUser(t, db, model.RoleStudent, &f.uniA, true)
		}
		var wg sync.WaitGroup
		errs := make([][tries]error, users)
		start := make(chan struct{})
		for u := range users {
			for i := range tries {
				wg.Add(1)
				go func() {
					defer wg.Done()
					<-start
					_, errs[u][i] = f.svc.Apply(ctx, applicants[u], good)
				}()
			}
		}
		close(start)
		wg.Wait()
		for u, a := range applicants {
			ok := 0
			for i, err := range errs[u] {
				switch {
				case err == nil:
					ok++
				case !errors.Is(err, service.ErrConflict) || servicetest.Code(err) != "pending_exists":
					t.Errorf("applicant %d, try %d: %v, want Conflict pending_exists", u, i, err)
				}
			}
			var pending int64
			if err := db.Conn(ctx).Model(&model.CadreApplication{}).
				Where("user_id = ? AND status = ?", a.ID, model.ApplicationPending).Count(&pending).Error; err != nil {
				t.Fatal(err)
			}
			if ok != 1 || pending != 1 {
				t.Errorf("applicant %d: %d applications accepted, %d pending; want 1 and 1", u, ok, pending)
			}
		}
	})
}

// The role checked is the stored one, not the caller's copy: a user made
// cadre since the page was loaded (linked on the roster by hand) cannot
// apply again.
func TestApplyChecksTheCurrentRole(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *model.DB) {
		f := setup(t, db)
		ctx := context.Background()
		stale := f.student
		if _, err := account.GrantRole(ctx, db, stale.ID, model.RoleCadre, time.Now()); err != nil {
			t.Fatal(err)
		}
		var se *service.Error
		if _, err := f.svc.Apply(ctx, stale, good); !errors.As(err, &se) || se.Code != "already_cadre" || !strings.Contains(se.Message, "团学干部") {
			t.Fatalf("applying as a cadre: %v, want already_cadre naming 团学干部", err)
		}
	})
}

func TestConcurrentDecisionsApplyOnce(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *model.DB) {
		f := setup(t, db)
		ctx := context.Background()
		app, err := f.svc.Apply(ctx, f.student, good)
		if err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		var ok, conflict atomic.Int32
		for i := 0; i < 6; i++ {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				actor := f.adminA
				if i%2 == 1 {
					actor = f.province
				}
				_, err := f.svc.Decide(ctx, actor, app.ID, i%3 != 0, "原因")
				switch {
				case err == nil:
					ok.Add(1)
				case servicetest.Code(err) == "already_decided":
					conflict.Add(1)
				default:
					t.Error(err)
				}
			}(i)
		}
		wg.Wait()
		if ok.Load() != 1 || conflict.Load() != 5 {
			t.Fatalf("%d decisions applied, %d conflicts; want 1 and 5", ok.Load(), conflict.Load())
		}
	})
}

func TestAppointUniversityAdmin(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *model.DB) {
		f := setup(t, db)
		ctx := context.Background()
		if err := f.svc.AppointUniversityAdmin(ctx, f.adminA, f.student.ID); !errors.Is(err, service.ErrForbidden) {
			t.Fatalf("university admin appointing: %v", err)
		}
		if err := f.svc.AppointUniversityAdmin(ctx, f.province, f.student.ID); err != nil {
			t.Fatal(err)
		}
		var u model.User
		if err := db.Conn(ctx).Take(&u, f.student.ID).Error; err != nil || u.Role != model.RoleUniversityAdm {
			t.Fatalf("role = %q, %v", u.Role, err)
		}
		if err := f.svc.AppointUniversityAdmin(ctx, f.province, 999999); !errors.Is(err, service.ErrNotFound) {
			t.Fatalf("unknown user: %v", err)
		}
		if !strings.HasPrefix(cadre.MaskPhone("13912345678"), "139****") || cadre.MaskPhone("123") != "****" {
			t.Fatal("MaskPhone")
		}
	})
}

func TestNewRejectsNilDependencies(t *testing.T) {
	db := dbtest.SQLite(t)
	clk := clock.NewFake(time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC))
	n := servicetest.Notifier(t, db, clk)
	for name, build := range map[string]func() (*cadre.Service, error){
		"db":       func() (*cadre.Service, error) { return cadre.New(nil, clk, n) },
		"clock":    func() (*cadre.Service, error) { return cadre.New(db, nil, n) },
		"notifier": func() (*cadre.Service, error) { return cadre.New(db, clk, nil) },
	} {
		if s, err := build(); err == nil || s != nil {
			t.Errorf("New without %s: %v, %v; want an error", name, s, err)
		}
	}
}

// Appointing a university admin keeps the roles the account has: the
// station lead stays on the team and a station admin; leaving the team
// then leaves the account a university admin only.
func TestAppointmentKeepsOtherRoles(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *model.DB) {
		f := setup(t, db)
		ctx := context.Background()
		clk := clock.NewFake(time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC))
		stations, err := station.New(db, clk, servicetest.Notifier(t, db, clk), servicetest.DiscardLog(), servicetest.Workdays(t), 2026)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := stations.SaveProfile(ctx, f.adminA, f.uniA, station.Profile{Name: "青年之家"}); err != nil {
			t.Fatal(err)
		}
		lead := servicetest.NewUser(t, db, model.RoleStudent, &f.uniA, true)
		row, err := stations.AddMember(ctx, f.adminA, f.uniA, station.Member{
			Account: lead.Account, Category: model.CategoryLead, RealName: "王五", Phone: "13912345678"})
		if err != nil {
			t.Fatal(err)
		}
		if r := servicetest.Reload(t, db, lead.ID).Role; r != model.RoleStationAdmin {
			t.Fatalf("lead's role = %q, want station_admin", r)
		}
		for range 2 {
			u, err := f.svc.AppointUniversityAdminByAccount(ctx, f.province, lead.Account)
			if err != nil || u.Role != model.RoleUniversityAdm || !u.Has(model.RoleStationAdmin) {
				t.Fatalf("appointing the station lead: %+v, %v; want university admin and still station admin", u, err)
			}
		}
		team, err := stations.Team(ctx, f.adminA, f.uniA)
		if err != nil || len(team) != 1 || team[0].UserID != lead.ID {
			t.Fatalf("team after the appointment: %+v, %v; want the lead still on it", team, err)
		}
		// The appointed lead now manages the university: it sees the
		// applications of its university.
		if _, err := f.svc.Pending(ctx, servicetest.Reload(t, db, lead.ID)); err != nil {
			t.Fatalf("appointed lead listing applications: %v", err)
		}

		cadreA := servicetest.NewUser(t, db, model.RoleCadre, &f.uniA, true)
		if err := f.svc.AppointUniversityAdmin(ctx, f.province, cadreA.ID); err != nil {
			t.Fatal(err)
		}
		if got := servicetest.Reload(t, db, cadreA.ID); got.RoleNames() != "高校团委管理员、团学干部" {
			t.Fatalf("appointed cadre holds %s", got.RoleNames())
		}

		if err := stations.RemoveMember(ctx, f.adminA, f.uniA, row.ID); err != nil {
			t.Fatal(err)
		}
		if got := servicetest.Reload(t, db, lead.ID); got.RoleNames() != "高校团委管理员" {
			t.Fatalf("lead off the team holds %s, want 高校团委管理员 only", got.RoleNames())
		}
	})
}

// Each text field is taken up to its exported limit and refused one
// character past it, with a message on the field naming it and the
// limit: the pages and the API show what the service enforces.
func TestFieldLimits(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *model.DB) {
		f := setup(t, db)
		ctx := context.Background()
		at := func(n int) string { return strings.Repeat("字", n) }
		full := good
		full.Position, full.RealName = at(cadre.MaxPosition), at(cadre.MaxRealName)
		full.Email = strings.Repeat("a", 64) + "@" + strings.Repeat("b", cadre.MaxEmail-64-len("@.cn")) + ".cn"
		full.QQ, full.WeChatID = "1"+strings.Repeat("2", cadre.MaxQQ-1), "w"+strings.Repeat("x", cadre.MaxWeChatID-1)
		app, err := f.svc.Apply(ctx, f.student, full)
		if err != nil {
			t.Fatalf("application at the limits: %v", err)
		}
		apply := func(edit func(a *cadre.Application, v string)) func(string) error {
			return func(v string) error {
				a := good
				edit(&a, v)
				_, err := f.svc.Apply(ctx, servicetest.NewUser(t, db, model.RoleStudent, &f.uniA, true), a)
				return err
			}
		}
		cases := []struct {
			name, field, label string
			limit              int
			over               string
			try                func(over string) error
		}{
			{"position", "position", "职务", cadre.MaxPosition, at(cadre.MaxPosition + 1), apply(func(a *cadre.Application, v string) { a.Position = v })},
			{"real name", "real_name", "姓名", cadre.MaxRealName, at(cadre.MaxRealName + 1), apply(func(a *cadre.Application, v string) { a.RealName = v })},
			{"email", "email", "邮箱", cadre.MaxEmail, strings.Repeat("a", cadre.MaxEmail) + "@b.cn", apply(func(a *cadre.Application, v string) { a.Email = v })},
			{"QQ", "qq", "QQ", cadre.MaxQQ, "1" + strings.Repeat("2", cadre.MaxQQ), apply(func(a *cadre.Application, v string) { a.QQ = v })},
			{"WeChat id", "wechat_id", "微信号", cadre.MaxWeChatID, "w" + strings.Repeat("x", cadre.MaxWeChatID), apply(func(a *cadre.Application, v string) { a.WeChatID = v })},
			{"rejection reason", "reason", "驳回原因", cadre.MaxReason, at(cadre.MaxReason + 1), func(v string) error {
				_, err := f.svc.Decide(ctx, f.adminA, app.ID, false, v)
				return err
			}},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				servicetest.WantFieldError(t, tc.name, tc.try(tc.over), tc.field, tc.label, strconv.Itoa(tc.limit))
			})
		}
	})
}
