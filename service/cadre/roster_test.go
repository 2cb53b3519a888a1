package cadre_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/gdyouth/youthvoice/model"
	"github.com/gdyouth/youthvoice/model/dbtest"
	"github.com/gdyouth/youthvoice/service"
	"github.com/gdyouth/youthvoice/service/alertkind"
	"github.com/gdyouth/youthvoice/service/cadre"
	"github.com/gdyouth/youthvoice/service/servicetest"
)

func person(name, position, phone string) cadre.Person {
	return cadre.Person{RealName: name, Position: position, Phone: phone}
}

// line finds phone's line of a roster.
func line(t *testing.T, roster []cadre.RosterLine, phone string) cadre.RosterLine {
	t.Helper()
	i := slices.IndexFunc(roster, func(l cadre.RosterLine) bool { return l.Phone == phone })
	if i < 0 {
		t.Fatalf("%s is not on the roster %+v", phone, roster)
	}
	return roster[i]
}

// The roster of a university: the office lists the people who must
// register (待注册), each becomes 已注册 when their application with the
// same phone is approved, or at once when an approved cadre already has
// it; the category follows the 职务 unless chosen.
func TestRosterRegistersByPhone(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *model.DB) {
		f := setup(t, db)
		ctx := context.Background()
		// An approved cadre before the roster lists them.
		early := servicetest.NewUser(t, db, model.RoleStudent, &f.uniA, true)
		in := good
		in.Phone = "13900000001"
		app, err := f.svc.Apply(ctx, early, in)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.Decide(ctx, f.adminA, app.ID, true, ""); err != nil {
			t.Fatal(err)
		}
		if err := db.Conn(ctx).Where("user_id = ?", early.ID).Delete(&model.RosterEntry{}).Error; err != nil {
			t.Fatal(err)
		}

		for _, p := range []cadre.Person{
			person("李老师", "校团委副书记", "13900000001"),
			person("王同学", "校学生会主席", "13900000002"),
			person("赵书记", "计算机学院团委书记", "13900000003"),
			{RealName: "钱站长", Position: "青年之家负责人", Phone: "13900000004", Category: model.CategoryStationHead},
		} {
			if _, err := f.svc.AddPerson(ctx, f.adminA, f.uniA, p); err != nil {
				t.Fatalf("adding %s: %v", p.RealName, err)
			}
		}
		roster, err := f.svc.Roster(ctx, f.adminA, f.uniA)
		if err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct{ phone, category, status, account string }{
			{"13900000001", model.CategoryLeagueCadre, model.RosterRegistered, early.Account},
			{"13900000002", model.CategoryStudentLeader, model.RosterPending, ""},
			{"13900000003", model.CategoryCollegeSecretary, model.RosterPending, ""},
			{"13900000004", model.CategoryStationHead, model.RosterPending, ""},
		} {
			l := line(t, roster, tc.phone)
			if l.Category != tc.category || l.Status != tc.status || l.Account != tc.account {
				t.Errorf("%s: category %s, status %s, account %q; want %s, %s, %q", tc.phone, l.Category, l.Status, l.Account,
					tc.category, tc.status, tc.account)
			}
		}

		// The listed student leader applies with the listed phone and is
		// approved: the entry is linked, not duplicated.
		wang := servicetest.NewUser(t, db, model.RoleStudent, &f.uniA, true)
		in.Phone, in.RealName = "13900000002", "王同学"
		app, err = f.svc.Apply(ctx, wang, in)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.Decide(ctx, f.adminA, app.ID, true, ""); err != nil {
			t.Fatal(err)
		}
		roster, err = f.svc.Roster(ctx, f.adminA, f.uniA)
		if err != nil {
			t.Fatal(err)
		}
		if l := line(t, roster, "13900000002"); l.Status != model.RosterRegistered || l.Account != wang.Account || len(roster) != 4 {
			t.Fatalf("after approval: %+v (%d lines); want the listed line 已注册 with %s", l, len(roster), wang.Account)
		}

		// Listing a phone twice is refused; a bad phone names the field.
		_, err = f.svc.AddPerson(ctx, f.adminA, f.uniA, person("重复", "副书记", "13900000003"))
		servicetest.WantErr(t, "listing a phone twice", err, service.ErrConflict, "already_listed")
		_, err = f.svc.AddPerson(ctx, f.adminA, f.uniA, person("号码错", "副书记", "1390000"))
		servicetest.WantFieldError(t, "a short phone", err, "phone", "11")
	})
}

// Only the university's admin and the province see or change its roster;
// another university's admin is refused and learns nothing (an entry of
// another university is "not found").
func TestRosterScoping(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *model.DB) {
		f := setup(t, db)
		ctx := context.Background()
		e, err := f.svc.AddPerson(ctx, f.province, f.uniA, person("李老师", "校团委副书记", "13900000011"))
		if err != nil {
			t.Fatalf("province adding to A: %v", err)
		}
		cadreA := servicetest.NewUser(t, db, model.RoleCadre, &f.uniA, true)
		for _, who := range []model.User{f.adminB, f.student, cadreA} {
			_, err := f.svc.Roster(ctx, who, f.uniA)
			servicetest.WantErr(t, who.Account+" reading A's roster", err, service.ErrForbidden, "")
			_, err = f.svc.AddPerson(ctx, who, f.uniA, person("外人", "副书记", "13900000012"))
			servicetest.WantErr(t, who.Account+" adding to A's roster", err, service.ErrForbidden, "")
			_, err = f.svc.UpdatePerson(ctx, who, e.ID, person("改名", "副书记", "13900000011"))
			servicetest.WantErr(t, who.Account+" editing A's entry", err, service.ErrNotFound, "roster_entry_not_found")
			_, err = f.svc.Leave(ctx, who, e.ID, "调离", nil)
			servicetest.WantErr(t, who.Account+" ending A's entry", err, service.ErrNotFound, "roster_entry_not_found")
			_, err = f.svc.LinkAccount(ctx, who, e.ID, cadreA.Account)
			servicetest.WantErr(t, who.Account+" linking A's entry", err, service.ErrNotFound, "roster_entry_not_found")
			_, err = f.svc.Completenesses(ctx, who, "")
			servicetest.WantErr(t, who.Account+" reading the province table", err, service.ErrForbidden, "")
		}
		roster, err := f.svc.Roster(ctx, f.adminA, f.uniA)
		if err != nil || len(roster) != 1 || roster[0].RealName != "李老师" {
			t.Fatalf("A's roster after the refusals: %+v, %v", roster, err)
		}
	})
}

// 离任 with a reason: the entry stays (已离任, with the reason), the account
// is no longer a cadre and is told why; its answers stay where they were.
// 移交 lists the successor for the same 职务. Linking by hand makes an
// account of the university a cadre; another university's is refused.
func TestRosterLeaveAndTransfer(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *model.DB) {
		f := setup(t, db)
		ctx := context.Background()
		zhang := servicetest.NewUser(t, db, model.RoleStudent, &f.uniA, true)
		e, err := f.svc.AddPerson(ctx, f.adminA, f.uniA, person("张三", "校学生会主席", "13900000021"))
		if err != nil {
			t.Fatal(err)
		}
		other := servicetest.NewUser(t, db, model.RoleStudent, &f.uniB, true)
		_, err = f.svc.LinkAccount(ctx, f.adminA, e.ID, other.Account)
		servicetest.WantFieldError(t, "linking another university's account", err, "account", "不属于本校")
		if e, err = f.svc.LinkAccount(ctx, f.adminA, e.ID, strings.ToUpper(zhang.Account)); err != nil || e.Status != model.RosterRegistered {
			t.Fatalf("linking by hand: %+v, %v", e, err)
		}
		if !servicetest.Reload(t, db, zhang.ID).Has(model.RoleCadre) {
			t.Fatal("linked account is not a cadre")
		}
		answer := model.Answer{QuestionID: 1, AuthorID: zhang.ID, Kind: model.AnswerKindAnswer, Body: "答复", Status: model.AnswerPublished}
		if err := db.Conn(ctx).Create(&answer).Error; err != nil {
			t.Fatal(err)
		}

		_, err = f.svc.Leave(ctx, f.adminA, e.ID, " ", nil)
		servicetest.WantFieldError(t, "leaving without a reason", err, "reason", "原因")
		_, err = f.svc.Leave(ctx, f.adminA, e.ID, strings.Repeat("长", cadre.MaxLeaveReason+1), nil)
		servicetest.WantFieldError(t, "a reason over the limit", err, "reason", "100")

		successor := person("李四", "", "13900000022")
		left, err := f.svc.Leave(ctx, f.adminA, e.ID, "毕业离校", &successor)
		if err != nil {
			t.Fatal(err)
		}
		if left.Status != model.RosterLeft || left.LeftReason != "毕业离校" || left.LeftAt == nil {
			t.Fatalf("left entry = %+v", left)
		}
		if u := servicetest.Reload(t, db, zhang.ID); u.Has(model.RoleCadre) {
			t.Fatalf("after 离任 the account holds %s", u.RoleNames())
		}
		alerts := servicetest.Alerts(t, db, alertkind.RoleChanged)
		servicetest.WantRecipients(t, "离任 alert", alerts, zhang)
		if d := servicetest.AlertData(t, alerts[0]); d["phrase2"] != "已移交" || d["thing3"] != "毕业离校" || !strings.Contains(d["thing1"], "校学生会主席") {
			t.Fatalf("离任 alert data = %v", d)
		}
		var kept int64
		if err := db.Conn(ctx).Model(&model.Answer{}).Where("author_id = ?", zhang.ID).Count(&kept).Error; err != nil || kept != 1 {
			t.Fatalf("answers of the former cadre: %d, %v; want kept", kept, err)
		}
		roster, err := f.svc.Roster(ctx, f.adminA, f.uniA)
		if err != nil {
			t.Fatal(err)
		}
		if l := line(t, roster, "13900000022"); l.Status != model.RosterPending || l.Position != "校学生会主席" || l.Category != model.CategoryStudentLeader {
			t.Fatalf("successor = %+v; want 待注册 as 校学生会主席", l)
		}
		if l := line(t, roster, "13900000021"); l.Status != model.RosterLeft {
			t.Fatalf("former cadre = %+v; want 已离任, still listed", l)
		}
		_, err = f.svc.Leave(ctx, f.adminA, e.ID, "再次", nil)
		servicetest.WantErr(t, "leaving twice", err, service.ErrConflict, "roster_left")

		// Listed again later (re-elected): back to 待注册, the old reason gone.
		again, err := f.svc.AddPerson(ctx, f.adminA, f.uniA, person("张三", "校学生会主席", "13900000021"))
		if err != nil || again.ID != e.ID || again.Status != model.RosterPending || again.LeftReason != "" {
			t.Fatalf("listing a former cadre again: %+v, %v", again, err)
		}
	})
}

// The province's table: every university with 已注册 / 应注册 (left
// people are not expected), sortable by the rate, lowest first.
func TestRosterCompleteness(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *model.DB) {
		f := setup(t, db)
		ctx := context.Background()
		add := func(uni uint64, phone string) model.RosterEntry {
			e, err := f.svc.AddPerson(ctx, f.province, uni, person("某某", "副书记", phone))
			if err != nil {
				t.Fatal(err)
			}
			return e
		}
		a1 := add(f.uniA, "13900000031")
		add(f.uniA, "13900000032")
		gone := add(f.uniA, "13900000033")
		b1 := add(f.uniB, "13900000034")
		for _, e := range []model.RosterEntry{a1, b1} {
			u := servicetest.NewUser(t, db, model.RoleStudent, &e.UniversityID, true)
			if _, err := f.svc.LinkAccount(ctx, f.province, e.ID, u.Account); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := f.svc.Leave(ctx, f.adminA, gone.ID, "调离", nil); err != nil {
			t.Fatal(err)
		}
		cs, err := f.svc.Completenesses(ctx, f.province, "-rate")
		if err != nil {
			t.Fatal(err)
		}
		var n int64
		db.Conn(ctx).Model(&model.University{}).Count(&n)
		if len(cs) != int(n) {
			t.Fatalf("%d lines, want one per university (%d)", len(cs), n)
		}
		if c := cs[0]; c.University.ID != f.uniB || c.Registered != 1 || c.Expected != 1 {
			t.Fatalf("first by rate desc = %+v; want B 1/1", c)
		}
		if c := cs[1]; c.University.ID != f.uniA || c.Registered != 1 || c.Expected != 2 || c.Left != 1 {
			t.Fatalf("second = %+v; want A 1/2 with 1 left", c)
		}
		cs, err = f.svc.Completenesses(ctx, f.province, "rate")
		if err != nil || cs[0].Expected != 0 || cs[len(cs)-1].University.ID != f.uniB {
			t.Fatalf("by rate asc: first %+v, last %+v, %v; want the empty rosters first and B last", cs[0], cs[len(cs)-1], err)
		}
	})
}

// The province ends a university admin's appointment with a reason: the
// account keeps its other roles, loses the admin's rights at once, and is
// told why. Nobody else may; a plain account is refused by its field.
func TestRevokeUniversityAdmin(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *model.DB) {
		f := setup(t, db)
		ctx := context.Background()
		teacher := servicetest.NewUser(t, db, model.RoleCadre, &f.uniA, true)
		if err := f.svc.AppointUniversityAdmin(ctx, f.province, teacher.ID); err != nil {
			t.Fatal(err)
		}
		_, err := f.svc.RevokeUniversityAdmin(ctx, f.adminA, teacher.Account, "调整")
		servicetest.WantErr(t, "a university admin revoking", err, service.ErrForbidden, "")
		_, err = f.svc.RevokeUniversityAdmin(ctx, f.province, teacher.Account, "")
		servicetest.WantFieldError(t, "revoking without a reason", err, "reason", "原因")
		_, err = f.svc.RevokeUniversityAdmin(ctx, f.province, f.student.Account, "调整")
		servicetest.WantFieldError(t, "revoking a student", err, "account", "不是高校团委管理员")

		u, err := f.svc.RevokeUniversityAdmin(ctx, f.province, teacher.Account, "岗位调整")
		if err != nil {
			t.Fatal(err)
		}
		if u.RoleNames() != "团学干部" || servicetest.Reload(t, db, teacher.ID).RoleNames() != "团学干部" {
			t.Fatalf("after revocation the account holds %s; want 团学干部 only", u.RoleNames())
		}
		_, err = f.svc.Pending(ctx, servicetest.Reload(t, db, teacher.ID))
		servicetest.WantErr(t, "the former admin listing applications", err, service.ErrForbidden, "")
		alerts := servicetest.Alerts(t, db, alertkind.RoleChanged)
		servicetest.WantRecipients(t, "revocation alert", alerts, teacher)
		if d := servicetest.AlertData(t, alerts[0]); d["phrase2"] != "已撤销" || d["thing3"] != "岗位调整" {
			t.Fatalf("revocation alert data = %v", d)
		}
	})
}
