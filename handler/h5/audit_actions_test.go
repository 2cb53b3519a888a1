package h5_test

import (
	"bytes"
	"context"
	"strconv"
	"testing"

	"github.com/gdyouth/youthvoice/handler/internal/webtest"
	"github.com/gdyouth/youthvoice/model"
	"github.com/gdyouth/youthvoice/service/account"
	"github.com/gdyouth/youthvoice/service/audit"
	"github.com/gdyouth/youthvoice/service/cadre"
	"github.com/gdyouth/youthvoice/service/kv"
	"github.com/gdyouth/youthvoice/service/notice"
	"github.com/gdyouth/youthvoice/service/question"
	"github.com/gdyouth/youthvoice/service/station"
)

// Every audited action, done through its service as the pages do, leaves
// exactly one record naming the action, the actor and the role they
// acted in, the university and the object — and the chain verifies.
func TestEveryAuditedActionIsRecordedOnce(t *testing.T) {
	webtest.Each(t, func(t *testing.T, db *model.DB, store kv.Store) {
		s := webtest.New(t, db, store, webtest.Opts{})
		ctx := context.Background()
		uni := uniID(t, db, pwUni)
		prov := s.Member("tprov", pwUni, model.RoleProvinceAdmin).User
		uadm := s.Member("tuadm", pwUni, model.RoleUniversityAdm).User
		stu := s.Member("tstu", pwUni, model.RoleStudent).User
		stu2 := s.Member("tstub", pwUni, model.RoleStudent).User
		stu3 := s.Member("tstuc", pwUni, model.RoleStudent).User
		id := func(n uint64) string { return strconv.FormatUint(n, 10) }

		var q, held model.Question
		var app model.CadreApplication
		var entry model.RosterEntry
		var member model.StationAdmin
		var booking model.Booking
		var kinds []string
		steps := []struct {
			name    string
			do      func() error
			action  string
			actor   model.User
			role    string
			uni     *uint64
			objType string
			objID   func() string
		}{
			{"apply and approve", func() error {
				var err error
				if app, err = s.Cadres.Apply(ctx, stu, cadre.Application{Position: "学生会主席", RealName: "张三", Phone: "13800000001"}); err != nil {
					return err
				}
				app, err = s.Cadres.Decide(ctx, uadm, app.ID, true, "")
				return err
			}, audit.ActionCadreApprove, uadm, model.RoleUniversityAdm, &uni, "cadre_application", func() string { return id(app.ID) }},
			{"reject", func() error {
				var err error
				if app, err = s.Cadres.Apply(ctx, stu2, cadre.Application{Position: "团支书", RealName: "李四", Phone: "13800000002"}); err != nil {
					return err
				}
				app, err = s.Cadres.Decide(ctx, uadm, app.ID, false, "信息不全")
				return err
			}, audit.ActionCadreReject, uadm, model.RoleUniversityAdm, &uni, "cadre_application", func() string { return id(app.ID) }},
			{"appoint", func() error {
				_, err := s.Cadres.AppointUniversityAdminByAccount(ctx, prov, stu3.Account)
				return err
			}, audit.ActionRoleGrant, prov, model.RoleProvinceAdmin, &uni, "user", func() string { return id(stu3.ID) }},
			{"revoke", func() error {
				_, err := s.Cadres.RevokeUniversityAdmin(ctx, prov, stu3.Account, "换届")
				return err
			}, audit.ActionRoleRevoke, prov, model.RoleProvinceAdmin, &uni, "user", func() string { return id(stu3.ID) }},
			{"hide", func() error {
				var err error
				if q, err = s.Questions.Ask(ctx, stu, question.AskInput{Title: "宿舍热水什么时候恢复", Body: "已经停了三天了"}); err != nil {
					return err
				}
				return s.Questions.Hide(ctx, uadm, "question", q.ID, "重复提问")
			}, audit.ActionPostHide, uadm, model.RoleUniversityAdm, &uni, "question", func() string { return id(q.ID) }},
			{"restore", func() error { return s.Questions.Reopen(ctx, uadm, "question", q.ID) },
				audit.ActionPostRestore, uadm, model.RoleUniversityAdm, &uni, "question", func() string { return id(q.ID) }},
			{"approve", func() error {
				var err error
				if held, err = s.Questions.Ask(ctx, stu2, question.AskInput{Title: "有人在宿舍推广赌博网站", Body: "请学校处理"}); err != nil {
					return err
				}
				return s.Questions.Approve(ctx, uadm, "question", held.ID)
			}, audit.ActionPostApprove, uadm, model.RoleUniversityAdm, &uni, "question", func() string { return id(held.ID) }},
			{"station profile", func() error {
				var err error
				if kinds, err = s.Stations.ServiceKinds(ctx); err != nil {
					return err
				}
				_, err = s.Stations.SaveProfile(ctx, uadm, uni, station.Profile{Name: "青年之家", Building: "学生活动中心", Room: "101",
					Services: kinds[:1], SlotMinutes: 60})
				return err
			}, audit.ActionStationUpdate, uadm, model.RoleUniversityAdm, &uni, "station", nil},
			{"team add", func() error {
				var err error
				member, err = s.Stations.AddMember(ctx, uadm, uni, station.Member{Account: stu2.Account, Category: model.CategoryAdmin,
					RealName: "李四", Position: "干事", Phone: "13800000009"})
				return err
			}, audit.ActionTeamAdd, uadm, model.RoleUniversityAdm, &uni, "station_admin", func() string { return id(member.ID) }},
			{"team remove", func() error { return s.Stations.RemoveMember(ctx, uadm, uni, member.ID) },
				audit.ActionTeamRemove, uadm, model.RoleUniversityAdm, &uni, "station_admin", func() string { return id(member.ID) }},
			{"refer", func() error {
				var err error
				booking, err = s.Stations.Refer(ctx, uadm, q.ID, kinds[0], "请帮忙联系后勤")
				return err
			}, audit.ActionBookingRefer, uadm, model.RoleUniversityAdm, &uni, "booking", func() string { return id(booking.ID) }},
			{"respond", func() error {
				_, err := s.Stations.Respond(ctx, uadm, booking.ID, station.Response{Action: station.ActionDecline, Reason: "本周站点维修"})
				return err
			}, audit.ActionBookingRespond, uadm, model.RoleUniversityAdm, &uni, "booking", func() string { return id(booking.ID) }},
			{"temporary password", func() error {
				_, _, err := s.Passwords.IssueTemporary(ctx, uadm, stu3.Account)
				return err
			}, audit.ActionPasswordTemporary, uadm, model.RoleUniversityAdm, &uni, "user", func() string { return id(stu3.ID) }},
			{"password change", func() error {
				_, err := s.Passwords.Change(ctx, stu2, account.ChangeInput{Current: "secret123", New: "newpass2026", Confirm: "newpass2026"})
				return err
			}, audit.ActionPasswordChange, stu2, model.RoleStudent, &uni, "user", func() string { return id(stu2.ID) }},
			{"roster add", func() error {
				var err error
				entry, err = s.Cadres.AddPerson(ctx, uadm, uni, cadre.Person{Position: "团委副书记", RealName: "王五", Phone: "13800000003"})
				return err
			}, audit.ActionRosterAdd, uadm, model.RoleUniversityAdm, &uni, "roster_entry", func() string { return id(entry.ID) }},
			{"roster update", func() error {
				var err error
				entry, err = s.Cadres.UpdatePerson(ctx, uadm, entry.ID, cadre.Person{Position: "团委书记", RealName: "王五", Phone: "13800000003"})
				return err
			}, audit.ActionRosterUpdate, uadm, model.RoleUniversityAdm, &uni, "roster_entry", func() string { return id(entry.ID) }},
			{"roster link", func() error {
				var err error
				entry, err = s.Cadres.LinkAccount(ctx, uadm, entry.ID, stu3.Account)
				return err
			}, audit.ActionRosterLink, uadm, model.RoleUniversityAdm, &uni, "roster_entry", func() string { return id(entry.ID) }},
			{"roster leave", func() error {
				var err error
				entry, err = s.Cadres.Leave(ctx, uadm, entry.ID, "毕业", nil)
				return err
			}, audit.ActionRosterLeave, uadm, model.RoleUniversityAdm, &uni, "roster_entry", func() string { return id(entry.ID) }},
			{"roster import", func() error {
				_, err := s.Cadres.ImportForm(ctx, uadm, uni, bytes.NewReader(webtest.Form1(t, [3]string{"学生会主席", "赵六", "13800000004"})), false)
				return err
			}, audit.ActionRosterImport, uadm, model.RoleUniversityAdm, &uni, "university", func() string { return id(uni) }},
			{"form export", func() error {
				_, err := s.Cadres.ExportForm(ctx, uadm, &uni)
				return err
			}, audit.ActionExportPersonal, uadm, model.RoleUniversityAdm, &uni, "file", nil},
			{"liaison", func() error {
				_, err := s.Cadres.SetLiaison(ctx, uadm, uni, cadre.LiaisonInput{RealName: "陈七", Position: "校团委副书记", Phone: "13800000005"})
				return err
			}, audit.ActionLiaisonSet, uadm, model.RoleUniversityAdm, &uni, "liaison", func() string { return id(uni) }},
			{"notice", func() error {
				_, err := s.Notices.Publish(ctx, prov, notice.Input{Title: "关于开展注册工作的通知", Body: "请各校按时完成。", Target: model.NoticeTargetAll})
				return err
			}, audit.ActionNoticePublish, prov, model.RoleProvinceAdmin, nil, "notice", nil},
			{"export my data", func() error {
				_, err := s.Privacy.BeginExport(ctx, stu)
				return err
			}, audit.ActionExportPersonal, stu, model.RoleStudent, &uni, "user", func() string { return id(stu.ID) }},
			{"close my account", func() error { return s.Privacy.Close(ctx, stu2, "注销") },
				audit.ActionAccountClose, stu2, model.RoleStudent, &uni, "user", func() string { return id(stu2.ID) }},
		}
		var last uint64
		for _, st := range steps {
			if err := st.do(); err != nil {
				t.Fatalf("%s: %v", st.name, err)
			}
			var recs []model.AuditLog
			if err := db.Conn(ctx).Where("id > ?", last).Order("id").Find(&recs).Error; err != nil {
				t.Fatal(err)
			}
			if len(recs) != 1 {
				t.Fatalf("%s: %d records, want 1: %+v", st.name, len(recs), recs)
			}
			r := recs[0]
			last = r.ID
			sameUni := (r.UniversityID == nil) == (st.uni == nil) && (st.uni == nil || *r.UniversityID == *st.uni)
			if r.Action != st.action || r.ActorID == nil || *r.ActorID != st.actor.ID || r.ActorRole != st.role || !sameUni ||
				r.ObjectType != st.objType || (st.objID != nil && r.ObjectID != st.objID()) || r.Summary == "" {
				t.Errorf("%s: record %+v, want %s by %d as %s on %s %v", st.name, r, st.action, st.actor.ID, st.role, st.objType, st.uni)
			}
		}
		v, err := audit.Verify(ctx, db, 0)
		if err != nil || v.Break != nil || v.Checked != int64(len(steps)) {
			t.Fatalf("verify: %+v %v", v, err)
		}
	})
}

// No action without its record: with the audit trail unwritable, a
// moderation is refused and leaves the question as it was, and a personal
// data export hands nothing out.
func TestNoActionWithoutItsRecord(t *testing.T) {
	webtest.Each(t, func(t *testing.T, db *model.DB, store kv.Store) {
		s := webtest.New(t, db, store, webtest.Opts{})
		ctx := context.Background()
		uni := uniID(t, db, pwUni)
		uadm := s.Member("nuadm", pwUni, model.RoleUniversityAdm).User
		stu := s.Member("nstu", pwUni, model.RoleStudent).User
		q, err := s.Questions.Ask(ctx, stu, question.AskInput{Title: "图书馆几点关门", Body: "想知道考试周的时间"})
		if err != nil {
			t.Fatal(err)
		}
		if err := db.Conn(ctx).Exec("DELETE FROM audit_head").Error; err != nil {
			t.Fatal(err)
		}
		if err := s.Questions.Hide(ctx, uadm, "question", q.ID, "测试"); err == nil {
			t.Fatal("hide succeeded without its record")
		}
		var status string
		db.Conn(ctx).Raw("SELECT status FROM questions WHERE id = ?", q.ID).Scan(&status)
		if status != q.Status {
			t.Fatalf("question status %q after a failed hide, want %q", status, q.Status)
		}
		if wb, err := s.Cadres.ExportForm(ctx, uadm, &uni); err == nil || len(wb.Data) > 0 {
			t.Fatal("附件1 exported without its record")
		}
		// And through the page: an error page, not the file.
		r := s.SignIn(uadm).Get("/h5/admin/audit.csv")
		if r.Status == 200 {
			t.Fatal("the audit CSV was sent without its record")
		}
	})
}
