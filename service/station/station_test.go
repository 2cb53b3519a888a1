package station_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gdyouth/youthvoice/model"
	"github.com/gdyouth/youthvoice/model/dbtest"
	"github.com/gdyouth/youthvoice/service"
	"github.com/gdyouth/youthvoice/service/clock"
	"github.com/gdyouth/youthvoice/service/servicetest"
	"github.com/gdyouth/youthvoice/service/station"
)

func TestNewRejectsNilDependencies(t *testing.T) {
	if _, err := station.New(nil, clock.NewFake(t0), nil, servicetest.DiscardLog(), nil, 0); err == nil {
		t.Fatal("New accepted nil dependencies")
	}
}

func TestServiceKinds(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *model.DB) {
		f := bare(t, db)
		kinds, err := f.svc.ServiceKinds(f.ctx)
		want := []string{"心理咨询", "学业辅导", "就业指导", "法律援助", "场地借用", "其他"}
		if err != nil || !slices.Equal(kinds, want) {
			t.Fatalf("ServiceKinds = %v, %v; want %v", kinds, err, want)
		}
	})
}

func TestSaveProfilePermissions(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *model.DB) {
		f := bare(t, db)
		// Before the station exists only the university's admin (or the
		// province) can create it.
		for _, u := range []model.User{f.adminB, f.cadreA, f.studentA, f.lead} {
			_, err := f.svc.SaveProfile(f.ctx, u, f.uniA.ID, fullProfile("抢先建站"))
			servicetest.WantErr(t, "creating another's station as "+u.Role, err, service.ErrForbidden, "not_station_manager")
		}
		if _, err := f.svc.ByUniversity(f.ctx, f.uniA.ID); !errors.Is(err, service.ErrNotFound) {
			t.Fatalf("station created by a forbidden actor: %v", err)
		}
		f.save(t, f.adminA, f.uniA.ID, fullProfile("青年之家"))
		f.add(t, f.adminA, f.uniA.ID, f.lead, model.CategoryLead)
		f.add(t, f.adminA, f.uniA.ID, f.duty1, model.CategoryAdmin, time.Monday)
		f.lead, f.duty1 = f.user(t, f.lead), f.user(t, f.duty1)
		f.save(t, f.adminB, f.uniB.ID, fullProfile("乙站"))
		f.add(t, f.adminB, f.uniB.ID, f.memberB, model.CategoryLead)
		f.memberB = f.user(t, f.memberB)

		cases := []struct {
			name  string
			actor model.User
			ok    bool
		}{
			{"the university's admin", f.adminA, true},
			{"the station lead", f.lead, true},
			{"the province admin", f.province, true},
			{"a station admin who is not the lead", f.duty1, false},
			{"another university's admin", f.adminB, false},
			{"another station's lead", f.memberB, false},
			{"a cadre of the university", f.cadreA, false},
			{"a student of the university", f.studentA, false},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				name := "青年之家" + tc.actor.Account
				_, err := f.svc.SaveProfile(f.ctx, tc.actor, f.uniA.ID, fullProfile(name))
				v, gerr := f.svc.ByUniversity(f.ctx, f.uniA.ID)
				if gerr != nil {
					t.Fatal(gerr)
				}
				if tc.ok {
					if err != nil || v.Name != name {
						t.Fatalf("save: %v; stored name %q", err, v.Name)
					}
					return
				}
				servicetest.WantErr(t, "save", err, service.ErrForbidden, "not_station_manager")
				if v.Name == name {
					t.Fatal("forbidden save changed the station")
				}
			})
		}
		if _, err := f.svc.SaveProfile(f.ctx, f.province, 999999, fullProfile("无此校")); !errors.Is(err, service.ErrNotFound) {
			t.Fatalf("unknown university: %v", err)
		}
	})
}

func TestSaveProfileValidation(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *model.DB) {
		f := bare(t, db)
		cases := []struct {
			name        string
			edit        func(p *station.Profile)
			code, field string
		}{
			{"blank name", func(p *station.Profile) { p.Name = "  \t " }, "name_required", "name"},
			{"name of 31 characters", func(p *station.Profile) { p.Name = strings.Repeat("站", 31) }, "too_long", "name"},
			{"directions too long", func(p *station.Profile) { p.Directions = strings.Repeat("路", 151) }, "too_long", "directions"},
			{"unknown service", func(p *station.Profile) { p.Services = []string{"心理咨询", "算命"} }, "bad_service", "services"},
			{"close before open", func(p *station.Profile) { p.Weekly = weekdays(rng("17:30", "09:00")) }, "bad_hours", ""},
			{"bad time format", func(p *station.Profile) { p.Weekly = weekdays(rng("9点", "17:30")) }, "bad_hours", ""},
			{"overlapping ranges", func(p *station.Profile) {
				p.Weekly = weekdays(rng("09:00", "12:00"), rng("11:00", "17:00"))
			}, "bad_hours", ""},
			{"bad closed date", func(p *station.Profile) { p.Closed = []station.Closure{{Date: "五一"}} }, "bad_closures", ""},
			{"14-minute slots", func(p *station.Profile) { p.SlotMinutes = 14 }, "bad_slot", "slot_minutes"},
			{"241-minute slots", func(p *station.Profile) { p.SlotMinutes = 241 }, "bad_slot", "slot_minutes"},
			{"negative slot minutes", func(p *station.Profile) { p.SlotMinutes = -60 }, "bad_slot", "slot_minutes"},
			{"negative capacity", func(p *station.Profile) { p.SlotCapacity = -1 }, "bad_capacity", "slot_capacity"},
			{"capacity 101", func(p *station.Profile) { p.SlotCapacity = 101 }, "bad_capacity", "slot_capacity"},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				p := fullProfile("青年之家")
				tc.edit(&p)
				_, err := f.svc.SaveProfile(f.ctx, f.adminA, f.uniA.ID, p)
				var se *service.Error
				if !errors.Is(err, service.ErrInvalid) || !errors.As(err, &se) || se.Code != tc.code ||
					(tc.field != "" && se.Fields[tc.field] == "") {
					t.Fatalf("err = %v, want ErrInvalid %s on field %q", err, tc.code, tc.field)
				}
				if _, err := f.svc.ByUniversity(f.ctx, f.uniA.ID); !errors.Is(err, service.ErrNotFound) {
					t.Fatalf("an invalid profile created the station: %v", err)
				}
			})
		}
		t.Run("limits accepted", func(t *testing.T) {
			for _, m := range []int{15, 240} {
				p := fullProfile(strings.Repeat("站", 30))
				p.SlotMinutes, p.SlotCapacity = m, 100
				if _, err := f.svc.SaveProfile(f.ctx, f.adminA, f.uniA.ID, p); err != nil {
					t.Fatalf("%d-minute slots: %v", m, err)
				}
			}
		})
	})
}

func TestSaveProfileStored(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *model.DB) {
		f := bare(t, db)
		p := fullProfile("  青年之家   服务站 ")
		p.Services = []string{"就业指导", "心理咨询", "就业指导"}
		p.SlotMinutes = 0
		p.Closed = []station.Closure{{Date: "2026-03-09", Reason: "校庆"}}
		v := f.save(t, f.adminA, f.uniA.ID, p)
		if v.Name != "青年之家 服务站" || !slices.Equal(v.Services, []string{"就业指导", "心理咨询"}) || v.SlotMinutes != 60 ||
			v.University.ID != f.uniA.ID || !v.OpenNow || v.NextOpen != nil {
			t.Fatalf("view = name %q services %v slot %d uni %d open %v next %v", v.Name, v.Services, v.SlotMinutes, v.University.ID, v.OpenNow, v.NextOpen)
		}
		// Saving again updates the one station of the university.
		p.Room = "305"
		f.save(t, f.adminA, f.uniA.ID, p)
		var n int64
		if err := db.Conn(f.ctx).Model(&model.Station{}).Where("university_id = ?", f.uniA.ID).Count(&n).Error; err != nil || n != 1 {
			t.Fatalf("%d stations for one university, %v", n, err)
		}
		// Friday evening: closed now; next opening skips the weekend and
		// the closed Monday.
		f.clk.Set(bj(6, 18, 0))
		got, err := f.svc.ByCode(f.ctx, f.uniA.Code)
		if err != nil {
			t.Fatal(err)
		}
		if got.Room != "305" || got.OpenNow || got.NextOpen == nil || !got.NextOpen.Equal(bj(10, 9, 0)) {
			t.Fatalf("Friday evening view: room %q open %v next %v", got.Room, got.OpenNow, got.NextOpen)
		}
		if !got.Calendar.OpenAt(bj(10, 9, 0)) || got.Calendar.OpenAt(bj(9, 9, 0)) {
			t.Fatal("stored calendar lost the hours or the closed date")
		}
		if _, err := f.svc.ByCode(f.ctx, "0000000000"); !errors.Is(err, service.ErrNotFound) {
			t.Fatalf("unknown code: %v", err)
		}
		if _, err := f.svc.ByCode(f.ctx, f.uniB.Code); !errors.Is(err, service.ErrNotFound) {
			t.Fatalf("university without station: %v", err)
		}
	})
}

func TestAddMember(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *model.DB) {
		f := bare(t, db)
		member := station.Member{Account: f.lead.Account, Category: model.CategoryLead, RealName: "王五", Position: "站长",
			Phone: "13912345678", QQ: "123456", WeChatID: "wangwu", DutyDays: []time.Weekday{time.Monday, time.Wednesday}}
		if _, err := f.svc.AddMember(f.ctx, f.province, f.uniA.ID, member); !errors.Is(err, service.ErrNotFound) {
			t.Fatalf("member of a station not yet built: %v", err)
		}
		f.save(t, f.adminA, f.uniA.ID, fullProfile("青年之家"))
		f.save(t, f.adminB, f.uniB.ID, fullProfile("乙站"))

		t.Run("validation", func(t *testing.T) {
			cases := []struct {
				name, code string
				edit       func(m *station.Member)
			}{
				{"bad category", "bad_category", func(m *station.Member) { m.Category = "主任" }},
				{"one-character name", "bad_name", func(m *station.Member) { m.RealName = "王" }},
				{"position too long", "bad_position", func(m *station.Member) { m.Position = strings.Repeat("职", 31) }},
				{"landline", "bad_phone", func(m *station.Member) { m.Phone = "02087654321" }},
				{"QQ with letters", "bad_qq", func(m *station.Member) { m.QQ = "12ab56" }},
				{"QQ too short", "bad_qq", func(m *station.Member) { m.QQ = "1234" }},
				{"WeChat id too long", "bad_wechat", func(m *station.Member) { m.WeChatID = strings.Repeat("w", 21) }},
				{"duty day 7", "bad_duty", func(m *station.Member) { m.DutyDays = []time.Weekday{7} }},
				{"account of another university", "other_university", func(m *station.Member) { m.Account = f.studentB.Account }},
				{"province admin without university", "other_university", func(m *station.Member) { m.Account = f.province.Account }},
			}
			for _, tc := range cases {
				t.Run(tc.name, func(t *testing.T) {
					m := member
					tc.edit(&m)
					_, err := f.svc.AddMember(f.ctx, f.adminA, f.uniA.ID, m)
					servicetest.WantErr(t, "add", err, service.ErrInvalid, tc.code)
				})
			}
			m := member
			m.Account = "nobody-here"
			_, err := f.svc.AddMember(f.ctx, f.adminA, f.uniA.ID, m)
			servicetest.WantErr(t, "unknown account", err, service.ErrNotFound, "user_not_found")
			var n int64
			if err := db.Conn(f.ctx).Model(&model.StationAdmin{}).Count(&n).Error; err != nil || n != 0 {
				t.Fatalf("%d members after failed adds", n)
			}
		})

		t.Run("permissions", func(t *testing.T) {
			for _, u := range []model.User{f.adminB, f.cadreA, f.studentA} {
				_, err := f.svc.AddMember(f.ctx, u, f.uniA.ID, member)
				servicetest.WantErr(t, u.Role+" adding", err, service.ErrForbidden, "not_station_manager")
			}
		})

		// A student added becomes a 站点管理员; the account is matched
		// regardless of case; duty days are stored as a bit set.
		m := member
		m.Account = strings.ToUpper(f.lead.Account)
		row, err := f.svc.AddMember(f.ctx, f.adminA, f.uniA.ID, m)
		if err != nil {
			t.Fatal(err)
		}
		if row.UserID != f.lead.ID || row.DutyDays != 1<<time.Monday|1<<time.Wednesday ||
			!station.OnDuty(row.DutyDays, time.Wednesday) || station.OnDuty(row.DutyDays, time.Tuesday) {
			t.Fatalf("row = %+v", row)
		}
		if u := f.user(t, f.lead); u.Role != model.RoleStationAdmin {
			t.Fatalf("student member's role = %q, want station_admin", u.Role)
		}
		// Saving the same lead again updates the row.
		m.Position = "副站长"
		again, err := f.svc.AddMember(f.ctx, f.adminA, f.uniA.ID, m)
		if err != nil || again.ID != row.ID || again.Position != "副站长" {
			t.Fatalf("updating the lead: %+v, %v", again, err)
		}
		// A second lead is refused.
		m2 := member
		m2.Account = f.duty1.Account
		_, err = f.svc.AddMember(f.ctx, f.adminA, f.uniA.ID, m2)
		servicetest.WantErr(t, "second lead", err, service.ErrConflict, "lead_exists")
		if u := f.user(t, f.duty1); u.Role != model.RoleStudent {
			t.Fatalf("refused lead's role changed to %q", u.Role)
		}
		// The lead manages the team; a plain member does not.
		lead := f.user(t, f.lead)
		m2.Category = model.CategoryAdmin
		if _, err := f.svc.AddMember(f.ctx, lead, f.uniA.ID, m2); err != nil {
			t.Fatalf("lead adding an admin: %v", err)
		}
		duty1 := f.user(t, f.duty1)
		m3 := member
		m3.Account, m3.Category = f.duty2.Account, model.CategoryAdmin
		_, err = f.svc.AddMember(f.ctx, duty1, f.uniA.ID, m3)
		servicetest.WantErr(t, "plain member adding", err, service.ErrForbidden, "not_station_manager")
		// A cadre member keeps the cadre role and is a station admin too.
		m3.Account = f.cadreA.Account
		cadreRow, err := f.svc.AddMember(f.ctx, f.adminA, f.uniA.ID, m3)
		if err != nil {
			t.Fatal(err)
		}
		if u := f.user(t, f.cadreA); u.RoleNames() != "站点管理员、团学干部" {
			t.Fatalf("cadre member holds %s, want 站点管理员、团学干部", u.RoleNames())
		}

		// Removing: the student reverts, the cadre stays a cadre; another
		// station's member or a stranger's request is refused.
		bRow := f.add(t, f.adminB, f.uniB.ID, f.memberB, model.CategoryAdmin)
		err = f.svc.RemoveMember(f.ctx, f.adminA, f.uniA.ID, bRow.ID)
		servicetest.WantErr(t, "removing another station's member", err, service.ErrNotFound, "member_not_found")
		err = f.svc.RemoveMember(f.ctx, f.studentA, f.uniA.ID, row.ID)
		servicetest.WantErr(t, "student removing", err, service.ErrForbidden, "not_station_manager")
		err = f.svc.RemoveMember(f.ctx, f.adminB, f.uniA.ID, row.ID)
		servicetest.WantErr(t, "other admin removing", err, service.ErrForbidden, "not_station_manager")
		if err := f.svc.RemoveMember(f.ctx, f.adminA, f.uniA.ID, row.ID); err != nil {
			t.Fatal(err)
		}
		if u := f.user(t, f.lead); u.Role != model.RoleStudent {
			t.Fatalf("removed member's role = %q, want student", u.Role)
		}
		if err := f.svc.RemoveMember(f.ctx, f.adminA, f.uniA.ID, row.ID); !errors.Is(err, service.ErrNotFound) {
			t.Fatalf("removing twice: %v", err)
		}
		if err := f.svc.RemoveMember(f.ctx, f.adminA, f.uniA.ID, cadreRow.ID); err != nil {
			t.Fatal(err)
		}
		if u := f.user(t, f.cadreA); u.RoleNames() != "团学干部" {
			t.Fatalf("removed cadre holds %s, want 团学干部 only", u.RoleNames())
		}
		// With the lead gone a new one can be named.
		m4 := member
		m4.Account = f.duty2.Account
		if _, err := f.svc.AddMember(f.ctx, f.adminA, f.uniA.ID, m4); err != nil {
			t.Fatalf("new lead after removal: %v", err)
		}
	})
}

// Only the station's managers see its members' accounts and contacts;
// anyone else sees 类别 and 姓名 (an account name shown to all lets anyone
// lock the member out with wrong passwords).
func TestTeamContactsOnlyForManagers(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *model.DB) {
		f := setup(t, db)
		for _, tc := range []struct {
			name   string
			viewer model.User
			full   bool
		}{
			{"university admin", f.adminA, true},
			{"lead", f.lead, true},
			{"province admin", f.province, true},
			{"plain member", f.duty1, false},
			{"student", f.studentA, false},
			{"another university's admin", f.adminB, false},
		} {
			t.Run(tc.name, func(t *testing.T) {
				team, err := f.svc.Team(f.ctx, tc.viewer, f.uniA.ID)
				if err != nil {
					t.Fatal(err)
				}
				if len(team) != 3 || team[0].UserID != f.lead.ID || team[0].Category != model.CategoryLead ||
					team[1].UserID != f.duty1.ID || team[2].UserID != f.duty2.ID {
					t.Fatalf("team order: %+v", team)
				}
				rows := map[uint64]model.StationAdmin{f.lead.ID: f.leadRow, f.duty1.ID: f.duty1Row, f.duty2.ID: f.duty2Row}
				accounts := map[uint64]string{f.lead.ID: f.lead.Account, f.duty1.ID: f.duty1.Account, f.duty2.ID: f.duty2.Account}
				for _, m := range team {
					row := rows[m.UserID]
					if m.RealName != row.RealName || m.Category != row.Category {
						t.Fatalf("%s sees name %q category %q, want %q %q", tc.name, m.RealName, m.Category, row.RealName, row.Category)
					}
					switch {
					case tc.full && (m.Account != accounts[m.UserID] || m.Phone != row.Phone || m.QQ != "123456" || m.WeChatID != "wx_member"):
						t.Fatalf("manager sees %q %q %q %q", m.Account, m.Phone, m.QQ, m.WeChatID)
					case !tc.full && (m.Account != "" || m.Phone != "" || m.QQ != "" || m.WeChatID != "" || m.Position != "" || m.DutyDays != 0):
						t.Fatalf("%s sees account %q phone %q qq %q wechat %q position %q duty %b", tc.name, m.Account, m.Phone, m.QQ, m.WeChatID, m.Position, m.DutyDays)
					}
				}
			})
		}
		if _, err := f.svc.Team(f.ctx, f.province, f.uniC.ID); !errors.Is(err, service.ErrNotFound) {
			t.Fatalf("team of a university without station: %v", err)
		}
		// MyStations: the member's stations only.
		mine, err := f.svc.MyStations(f.ctx, f.duty1)
		if err != nil || len(mine) != 1 || mine[0].UniversityID != f.uniA.ID {
			t.Fatalf("MyStations(duty1) = %+v, %v", mine, err)
		}
		if mine, err := f.svc.MyStations(f.ctx, f.adminA); err != nil || len(mine) != 0 {
			t.Fatalf("MyStations(adminA) = %+v, %v", mine, err)
		}
	})
}

// universityOfBatch is the first university of a batch.
func universityOfBatch(t *testing.T, f *fixture, batch int) model.University {
	t.Helper()
	var u model.University
	if err := f.db.Conn(f.ctx).Where("batch = ?", batch).Order("id").Take(&u).Error; err != nil {
		t.Fatalf("batch %d: %v", batch, err)
	}
	return u
}

func TestConstructionChecklist(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *model.DB) {
		f := bare(t, db)
		status := func(viewer model.User) station.Construction {
			t.Helper()
			c, err := f.svc.ConstructionOf(f.ctx, viewer, f.uniA.ID)
			if err != nil {
				t.Fatal(err)
			}
			return c
		}
		c := status(f.adminA)
		if c.Status != station.StatusPending || !slices.Equal(c.Missing, []string{"尚未建立服务站"}) || c.StationID != 0 ||
			c.Batch != model.BatchUndergraduate || !c.Deadline.Equal(time.Date(2026, 4, 30, 23, 59, 59, 0, clock.Beijing)) {
			t.Fatalf("no station: %+v", c)
		}
		_, err := f.svc.ConstructionOf(f.ctx, f.adminB, f.uniA.ID)
		servicetest.WantErr(t, "another university's admin", err, service.ErrForbidden, "")
		if err := f.svc.ConfirmBuilt(f.ctx, f.province, f.uniA.ID); !errors.Is(err, service.ErrNotFound) {
			t.Fatalf("confirming a missing station: %v", err)
		}

		all := []string{"固定场所（楼宇和房间）", "固定办公场所", "门口挂牌", "至少一台联网电脑", "青年之声服务岗及宣传资料",
			"服务项目", "工作时间", "负责人", "至少一名管理员"}
		p := station.Profile{Name: "青年之家"}
		f.save(t, f.adminA, f.uniA.ID, p)
		steps := []struct {
			name    string
			do      func()
			missing []string
		}{
			{"name only", func() {}, all},
			{"building without room", func() { p.Building = "学生活动中心"; f.save(t, f.adminA, f.uniA.ID, p) }, all},
			{"checklist", func() {
				p.Room, p.HasOffice, p.HasPlaque, p.HasComputer, p.HasServicePost = "201", true, true, true, true
				f.save(t, f.adminA, f.uniA.ID, p)
			}, all[5:]},
			{"services", func() { p.Services = []string{"心理咨询"}; f.save(t, f.adminA, f.uniA.ID, p) }, all[6:]},
			{"hours", func() { p.Weekly = weekdays(rng("09:00", "17:30")); f.save(t, f.adminA, f.uniA.ID, p) }, all[7:]},
			{"a plain admin is not a lead", func() { f.add(t, f.adminA, f.uniA.ID, f.duty1, model.CategoryAdmin) }, all[7:8]},
			{"lead", func() { f.add(t, f.adminA, f.uniA.ID, f.lead, model.CategoryLead) }, nil},
		}
		for _, s := range steps {
			s.do()
			c := status(f.adminA)
			if !slices.Equal(c.Missing, s.missing) {
				t.Fatalf("after %s: missing %q, want %q", s.name, c.Missing, s.missing)
			}
			if s.missing != nil {
				if c.Status != station.StatusPending {
					t.Fatalf("after %s: status %s, want pending", s.name, c.Status)
				}
				err := f.svc.ConfirmBuilt(f.ctx, f.province, f.uniA.ID)
				servicetest.WantErr(t, "confirming after "+s.name, err, service.ErrConflict, "requirements_unmet")
				if !strings.Contains(err.Error(), s.missing[0]) {
					t.Fatalf("refusal does not name %q: %v", s.missing[0], err)
				}
			}
		}
		c = status(f.province)
		if c.Status != station.StatusReady || c.StationID == 0 || c.BuiltAt != nil {
			t.Fatalf("complete station: %+v", c)
		}
		for _, u := range []model.User{f.adminA, f.user(t, f.lead), f.studentA} {
			err := f.svc.ConfirmBuilt(f.ctx, u, f.uniA.ID)
			servicetest.WantErr(t, u.Role+" confirming", err, service.ErrForbidden, "")
		}
		if status(f.adminA).Status != station.StatusReady {
			t.Fatal("a forbidden confirmation changed the status")
		}
		f.clk.Advance(time.Hour)
		if err := f.svc.ConfirmBuilt(f.ctx, f.province, f.uniA.ID); err != nil {
			t.Fatal(err)
		}
		c = status(f.adminA)
		if c.Status != station.StatusBuilt || c.Missing != nil || c.BuiltAt == nil || !c.BuiltAt.Equal(t0.Add(time.Hour)) {
			t.Fatalf("after confirmation: %+v", c)
		}
		err = f.svc.ConfirmBuilt(f.ctx, f.province, f.uniA.ID)
		servicetest.WantErr(t, "confirming twice", err, service.ErrConflict, "already_built")
		// What a built station loses later is listed; it stays built.
		var leads []model.StationAdmin
		if err := db.Conn(f.ctx).Where("category = ?", model.CategoryLead).Find(&leads).Error; err != nil {
			t.Fatal(err)
		}
		for _, l := range leads {
			if err := f.svc.RemoveMember(f.ctx, f.adminA, f.uniA.ID, l.ID); err != nil {
				t.Fatal(err)
			}
		}
		if c := status(f.province); c.Status != station.StatusBuilt || !slices.Equal(c.Missing, []string{"负责人"}) || c.BuiltAt == nil {
			t.Fatalf("built station without a lead: %+v", c)
		}
		f.add(t, f.adminA, f.uniA.ID, f.lead, model.CategoryLead)
		if c := status(f.province); c.Status != station.StatusBuilt || c.Missing != nil {
			t.Fatalf("built station with its lead back: %+v", c)
		}
		// Built stays built after the deadline.
		f.clk.Set(time.Date(2026, 12, 1, 0, 0, 0, 0, clock.Beijing))
		if c := status(f.province); c.Status != station.StatusBuilt {
			t.Fatalf("built station after the deadline: %s", c.Status)
		}
	})
}

func TestConstructionDeadlines(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *model.DB) {
		f := bare(t, db)
		u1, u2, u3 := universityOfBatch(t, f, 1), universityOfBatch(t, f, 2), universityOfBatch(t, f, 3)
		// u1 gets a complete station that is not confirmed.
		f.save(t, f.province, u1.ID, fullProfile("青年之家"))
		lead := servicetest.NewUser(t, db, model.RoleStudent, &u1.ID, true)
		admin := servicetest.NewUser(t, db, model.RoleStudent, &u1.ID, true)
		f.add(t, f.province, u1.ID, lead, model.CategoryLead)
		f.add(t, f.province, u1.ID, admin, model.CategoryAdmin)

		statusOf := func(svc *station.Service, u model.University) station.Construction {
			t.Helper()
			c, err := svc.ConstructionOf(f.ctx, f.province, u.ID)
			if err != nil {
				t.Fatal(err)
			}
			return c
		}
		deadline := func(year int, m time.Month) time.Time { return time.Date(year, m, 30, 23, 59, 59, 0, clock.Beijing) }
		cases := []struct {
			name       string
			year       int
			now        time.Time
			u          model.University
			status     string
			overdue    bool
			deadlineAt time.Time
		}{
			{"batch 1 in March: ready", 2026, t0, u1, station.StatusReady, false, deadline(2026, time.April)},
			{"batch 1 at the deadline: still ready", 2026, deadline(2026, time.April), u1, station.StatusReady, false, deadline(2026, time.April)},
			// Still awaiting the province's confirmation: ready, and overdue.
			{"batch 1 a second later: ready but overdue", 2026, deadline(2026, time.April).Add(time.Second), u1, station.StatusReady, true, deadline(2026, time.April)},
			{"batch 2 at the deadline: pending", 2026, deadline(2026, time.June), u2, station.StatusPending, false, deadline(2026, time.June)},
			{"batch 2 a second later: late", 2026, deadline(2026, time.June).Add(time.Second), u2, station.StatusLate, true, deadline(2026, time.June)},
			{"batch 3 in July: pending", 2026, time.Date(2026, 7, 1, 0, 0, 0, 0, clock.Beijing), u3, station.StatusPending, false, deadline(2026, time.October)},
			{"batch 3 in November: late", 2026, time.Date(2026, 11, 1, 0, 0, 0, 0, clock.Beijing), u3, station.StatusLate, true, deadline(2026, time.October)},
			{"year 2025 deadlines in 2026: late", 2025, t0, u3, station.StatusLate, true, deadline(2025, time.October)},
			{"year 2027 deadlines in 2026: pending", 2027, t0, u2, station.StatusPending, false, deadline(2027, time.June)},
			{"year 0 follows the clock", 0, time.Date(2027, 5, 1, 0, 0, 0, 0, clock.Beijing), u2, station.StatusPending, false, deadline(2027, time.June)},
			// 2026-04-30 16:00 UTC is already 1 May in Beijing.
			{"Beijing date decides, not UTC", 2026, time.Date(2026, 4, 30, 16, 0, 0, 0, time.UTC), u1, station.StatusReady, true, deadline(2026, time.April)},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				f.clk.Set(tc.now)
				c := statusOf(f.newService(t, tc.year), tc.u)
				if c.Status != tc.status || c.Overdue != tc.overdue || !c.Deadline.Equal(tc.deadlineAt) || c.Batch != tc.u.Batch {
					t.Fatalf("status %s overdue %v deadline %v batch %d; want %s %v %v %d",
						c.Status, c.Overdue, c.Deadline, c.Batch, tc.status, tc.overdue, tc.deadlineAt, tc.u.Batch)
				}
			})
		}
		// Confirmed after the deadline: built, no longer overdue.
		f.clk.Set(deadline(2026, time.April).AddDate(0, 0, 1))
		if err := f.svc.ConfirmBuilt(f.ctx, f.province, u1.ID); err != nil {
			t.Fatal(err)
		}
		if c := statusOf(f.svc, u1); c.Status != station.StatusBuilt || c.Overdue {
			t.Fatalf("confirmed late: status %s overdue %v", c.Status, c.Overdue)
		}
	})
}

func TestOverview(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *model.DB) {
		f := setup(t, db)
		for _, u := range []model.User{f.adminA, f.lead, f.studentA, f.cadreA} {
			_, err := f.svc.Overview(f.ctx, u)
			servicetest.WantErr(t, u.Role+" overview", err, service.ErrForbidden, "")
		}
		if err := f.svc.ConfirmBuilt(f.ctx, f.province, f.uniA.ID); err != nil {
			t.Fatal(err)
		}
		rows, err := f.svc.Overview(f.ctx, f.province)
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) != 166 {
			t.Fatalf("%d rows, want 166", len(rows))
		}
		perStatus, perBatch := map[string]int{}, map[int]int{}
		for i, c := range rows {
			perStatus[c.Status]++
			perBatch[c.Batch]++
			if i > 0 && c.Batch < rows[i-1].Batch {
				t.Fatalf("row %d: batch %d after %d", i, c.Batch, rows[i-1].Batch)
			}
			switch c.University.ID {
			case f.uniA.ID:
				if c.Status != station.StatusBuilt || c.StationID == 0 {
					t.Fatalf("A: %+v", c)
				}
			case f.uniB.ID:
				// B has one plain admin and no lead.
				if c.Status != station.StatusPending || !slices.Equal(c.Missing, []string{"负责人"}) {
					t.Fatalf("B: %+v", c)
				}
			default:
				if c.Status != station.StatusPending || !slices.Equal(c.Missing, []string{"尚未建立服务站"}) || c.StationID != 0 {
					t.Fatalf("%s: %+v", c.University.Name, c)
				}
			}
		}
		if perStatus[station.StatusBuilt] != 1 || perStatus[station.StatusPending] != 165 || perBatch[1] == 0 || perBatch[2] == 0 || perBatch[3] == 0 {
			t.Fatalf("statuses %v, batches %v", perStatus, perBatch)
		}
		// In November every unbuilt station is late.
		f.clk.Set(time.Date(2026, 11, 1, 0, 0, 0, 0, clock.Beijing))
		rows, err = f.svc.Overview(f.ctx, f.province)
		if err != nil {
			t.Fatal(err)
		}
		late := 0
		for _, c := range rows {
			if c.Status == station.StatusLate {
				late++
			}
		}
		if late != 165 {
			t.Fatalf("%d late in November, want 165", late)
		}
	})
}

func TestConcurrentFirstSaves(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *model.DB) {
		f := bare(t, db)
		actors := []model.User{f.adminA, f.province, servicetest.NewUser(t, db, model.RoleUniversityAdm, &f.uniA.ID, true), f.adminA}
		var wg sync.WaitGroup
		var ok, conflict atomic.Int32
		start := make(chan struct{})
		for i, a := range actors {
			wg.Add(1)
			svc := f.newService(t, 2026)
			go func(i int, a model.User) {
				defer wg.Done()
				<-start
				_, err := svc.SaveProfile(f.ctx, a, f.uniA.ID, fullProfile(fmt.Sprintf("青年之家%d", i)))
				switch {
				case err == nil:
					ok.Add(1)
				case servicetest.Code(err) == "station_exists":
					conflict.Add(1)
				default:
					t.Errorf("save: %v", err)
				}
			}(i, a)
		}
		close(start)
		wg.Wait()
		var n int64
		if err := db.Conn(f.ctx).Model(&model.Station{}).Where("university_id = ?", f.uniA.ID).Count(&n).Error; err != nil || n != 1 {
			t.Fatalf("%d stations, %v", n, err)
		}
		if ok.Load() < 1 || ok.Load()+conflict.Load() != int32(len(actors)) {
			t.Fatalf("%d saved, %d conflicts", ok.Load(), conflict.Load())
		}
	})
}

// Closed dates already past are dropped when the profile is saved, so
// holidays piling up year after year never reach the limit of 366.
func TestSaveProfileDropsPastClosures(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *model.DB) {
		f := bare(t, db)
		p := fullProfile("青年之家")
		today := f.clk.Now().In(clock.Beijing)
		for d := -30; d < 366; d++ {
			p.Closed = append(p.Closed, station.Closure{Date: today.AddDate(0, 0, d).Format("2006-01-02"), Reason: "假期"})
		}
		f.save(t, f.adminA, f.uniA.ID, p)
		var st model.Station
		if err := db.Conn(f.ctx).Where("university_id = ?", f.uniA.ID).Take(&st).Error; err != nil {
			t.Fatal(err)
		}
		var stored []station.Closure
		if err := json.Unmarshal([]byte(st.ClosedDates), &stored); err != nil {
			t.Fatal(err)
		}
		if len(stored) != 366 || stored[0].Date != today.Format("2006-01-02") {
			t.Fatalf("stored %d closed dates from %v, want 366 from today", len(stored), stored[0])
		}
		// More than 366 upcoming dates are still refused.
		p.Closed = append(p.Closed, station.Closure{Date: today.AddDate(0, 0, 400).Format("2006-01-02")})
		_, err := f.svc.SaveProfile(f.ctx, f.adminA, f.uniA.ID, p)
		servicetest.WantErr(t, "367 upcoming closed dates", err, service.ErrInvalid, "bad_closures")
	})
}
