package servicetest

import (
	"context"
	"testing"
	"time"

	"github.com/gdyouth/youthvoice/model"
)

// CadreWorld is the per-cadre assessment's fixture (干部考核): two
// universities' rosters and ten days of their people's work, at known
// times around the period [Start, End) (ten Beijing days, From–To).
// Day d below is Start plus d days (Beijing); A and B are the first two
// universities by code.
//
//	A's roster: C1 陈一 and C2 陈二 (专兼职团干, 已注册), C3 陈三 (已离任 on
//	day 7, still linked), P 陈四 (待注册, no account), S1 陈五 (服务站管理员);
//	B's roster: CB 林一. AdminA answers too but is not on the roster.
//
//	q0 A's board, asked day −1 20:00: C1 first answers day −1 23:59:59
//	   (outside), again at Start exactly (inside) and at End (outside).
//	q1 A's board, day 1 10:00: C1 first at 12:00 (2 h, on time); C1's
//	   answer at 13:00 is hidden. Rated 满意.
//	q2 A's board, day 2 10:00: C1 first on day 3 16:00 (30 h, late); C3
//	   answers on day 4 09:00. Rated 不满意.
//	q3 a provincial board, day 4 10:00: C2 first at 11:00 (1 h). Rated 一般.
//	q4 B's board, day 6 10:00: C2 replies across at 10:30 (never a first
//	   answer); CB first at 11:00 (1 h).
//	q5 A's board, day 5 10:00: C3 first at 10:10 (10 min); AdminA at 12:00.
//	Bookings S1 responded to: day 1 (30 min, on time), day 2 (2 h, late),
//	day −1 (outside).
//
// So, for the period: C1 answers 3 (own 3), first 2 (1 on time, 1 late,
// median 57,600 s), rated 2, satisfied 1, active 3 days; C2 answers 2
// (province 1, other 1), first 1 on time (3,600 s), rated 1, satisfied 0,
// active 2 days; C3 answers 2 (own), first 1 on time (600 s), rated 1,
// active 2 days; S1 bookings 2, 1 on time, active 2 days; P all zeros; CB
// answers 1 (own), first 1 on time (3,600 s), active 1 day. (Active days
// once the statistics roll-ups are built.)
type CadreWorld struct {
	Start, End time.Time
	From, To   string

	UniA, UniB                    model.University
	BoardA, BoardB, BoardProvince model.Board

	Province, AdminA, AdminB, Student, StudentB model.User
	C1, C2, C3, S1, CB                          model.User
	P                                           model.RosterEntry // 待注册
	EntryC3                                     model.RosterEntry
}

// NewCadreWorld builds the fixture with the period starting at start (a
// Beijing midnight).
func NewCadreWorld(t testing.TB, db *model.DB, start time.Time) *CadreWorld {
	t.Helper()
	ctx := context.Background()
	c := db.Conn(ctx)
	w := &CadreWorld{Start: start.UTC(), End: start.AddDate(0, 0, 10).UTC(),
		From: start.Format("2006-01-02"), To: start.AddDate(0, 0, 9).Format("2006-01-02")}
	var unis []model.University
	if err := c.Order("code").Limit(2).Find(&unis).Error; err != nil || len(unis) != 2 {
		t.Fatalf("universities: %d %v", len(unis), err)
	}
	w.UniA, w.UniB = unis[0], unis[1]
	for _, x := range []struct {
		b    *model.Board
		cond string
		arg  any
	}{{&w.BoardA, "university_id = ?", w.UniA.ID}, {&w.BoardB, "university_id = ?", w.UniB.ID}, {&w.BoardProvince, "kind = ?", model.BoardProvince}} {
		if err := c.Where(x.cond, x.arg).Order("id").Take(x.b).Error; err != nil {
			t.Fatalf("board: %v", err)
		}
	}
	a, b := &w.UniA.ID, &w.UniB.ID
	w.Province = NewNamedUser(t, db, model.RoleProvinceAdmin, nil, true, "省管理员")
	w.AdminA = NewNamedUser(t, db, model.RoleUniversityAdm, a, true, "甲校管理员")
	w.AdminB = NewNamedUser(t, db, model.RoleUniversityAdm, b, true, "乙校管理员")
	w.Student = NewNamedUser(t, db, model.RoleStudent, a, true, "甲校学生")
	w.StudentB = NewNamedUser(t, db, model.RoleStudent, b, true, "乙校学生")
	w.C1 = NewNamedUser(t, db, model.RoleCadre, a, false, "陈一")
	w.C2 = NewNamedUser(t, db, model.RoleCadre, a, false, "陈二")
	w.C3 = NewNamedUser(t, db, model.RoleStudent, a, false, "陈三") // left: no longer a cadre
	w.S1 = NewNamedUser(t, db, model.RoleStationAdmin, a, false, "陈五")
	w.CB = NewNamedUser(t, db, model.RoleCadre, b, false, "林一")

	at := func(d, h, m, s int) time.Time {
		return start.AddDate(0, 0, d).Add(time.Duration(h)*time.Hour + time.Duration(m)*time.Minute + time.Duration(s)*time.Second).UTC()
	}
	create := func(v any) {
		t.Helper()
		if err := c.Create(v).Error; err != nil {
			t.Fatalf("create %T: %v", v, err)
		}
	}
	entry := func(uni uint64, cat, pos, name, phone, status string, u *model.User) model.RosterEntry {
		e := model.RosterEntry{UniversityID: uni, Category: cat, Position: pos, RealName: name, Phone: phone, Status: status,
			Source: "manual", CreatedAt: at(-30, 9, 0, 0), UpdatedAt: at(-30, 9, 0, 0)}
		if u != nil {
			e.UserID = &u.ID
		}
		if status == model.RosterLeft {
			left := at(7, 9, 0, 0)
			e.LeftAt, e.LeftReason = &left, "毕业"
		}
		create(&e)
		return e
	}
	entry(w.UniA.ID, model.CategoryLeagueCadre, "校团委副书记", "陈一", "13800000001", model.RosterRegistered, &w.C1)
	entry(w.UniA.ID, model.CategoryLeagueCadre, "校团委干事", "陈二", "13800000002", model.RosterRegistered, &w.C2)
	w.EntryC3 = entry(w.UniA.ID, model.CategoryLeagueCadre, "组织部部长", "陈三", "13800000003", model.RosterLeft, &w.C3)
	w.P = entry(w.UniA.ID, model.CategoryLeagueCadre, "宣传部部长", "陈四", "13800000004", model.RosterPending, nil)
	entry(w.UniA.ID, model.CategoryStationAdmin, "值班干事", "陈五", "13800000005", model.RosterRegistered, &w.S1)
	entry(w.UniB.ID, model.CategoryLeagueCadre, "校团委书记", "林一", "13900000001", model.RosterRegistered, &w.CB)

	question := func(board model.Board, asker model.User, asked, first time.Time, status, rating string) model.Question {
		q := model.Question{BoardID: board.ID, UniversityID: *asker.UniversityID, AskerID: asker.ID, Title: "问题", Body: "",
			Status: status, DueAt: asked.Add(24 * time.Hour), Rating: rating, CreatedAt: asked, UpdatedAt: asked}
		if !first.IsZero() {
			secs := int64(first.Sub(asked) / time.Second)
			kept := !first.After(q.DueAt)
			q.FirstAnsweredAt, q.FirstResponseS, q.PromiseKept = &first, &secs, &kept
		}
		create(&q)
		return q
	}
	answer := func(q model.Question, author model.User, status string, when time.Time) {
		create(&model.Answer{QuestionID: q.ID, AuthorID: author.ID, Kind: model.AnswerKindAnswer, Body: "答复", Status: status,
			CreatedAt: when, UpdatedAt: when})
	}
	q0 := question(w.BoardA, w.Student, at(-1, 20, 0, 0), at(-1, 23, 59, 59), model.QuestionAnswered, "")
	answer(q0, w.C1, model.AnswerPublished, at(-1, 23, 59, 59))
	answer(q0, w.C1, model.AnswerPublished, at(0, 0, 0, 0))
	answer(q0, w.C1, model.AnswerPublished, at(10, 0, 0, 0))
	q1 := question(w.BoardA, w.Student, at(1, 10, 0, 0), at(1, 12, 0, 0), model.QuestionResolved, "满意")
	answer(q1, w.C1, model.AnswerPublished, at(1, 12, 0, 0))
	answer(q1, w.C1, model.AnswerHidden, at(1, 13, 0, 0))
	create(&model.Answer{QuestionID: q1.ID, AuthorID: w.Student.ID, Kind: model.AnswerKindFollowUp, Body: "追问",
		Status: model.AnswerPublished, CreatedAt: at(1, 12, 30, 0), UpdatedAt: at(1, 12, 30, 0)})
	q2 := question(w.BoardA, w.Student, at(2, 10, 0, 0), at(3, 16, 0, 0), model.QuestionResolved, "不满意")
	answer(q2, w.C1, model.AnswerPublished, at(3, 16, 0, 0))
	answer(q2, w.C3, model.AnswerPublished, at(4, 9, 0, 0))
	q3 := question(w.BoardProvince, w.Student, at(4, 10, 0, 0), at(4, 11, 0, 0), model.QuestionResolved, "一般")
	answer(q3, w.C2, model.AnswerPublished, at(4, 11, 0, 0))
	q4 := question(w.BoardB, w.StudentB, at(6, 10, 0, 0), at(6, 11, 0, 0), model.QuestionAnswered, "")
	answer(q4, w.C2, model.AnswerPublished, at(6, 10, 30, 0))
	answer(q4, w.CB, model.AnswerPublished, at(6, 11, 0, 0))
	q5 := question(w.BoardA, w.Student, at(5, 10, 0, 0), at(5, 10, 10, 0), model.QuestionAnswered, "")
	answer(q5, w.C3, model.AnswerPublished, at(5, 10, 10, 0))
	answer(q5, w.AdminA, model.AnswerPublished, at(5, 12, 0, 0))

	booking := func(made time.Time, after time.Duration) {
		due := made.Add(time.Hour)
		resp := made.Add(after)
		secs := int64(after / time.Second)
		kept := !resp.After(due)
		create(&model.Booking{StationID: 1, UniversityID: w.UniA.ID, StudentID: w.Student.ID, Service: "心理咨询",
			ContactPhone: "13700000000", Status: model.BookingAccepted, InHours: true, DueAt: due, RemindAt: due.Add(-15 * time.Minute),
			FirstResponseAt: &resp, FirstResponseS: &secs, PromiseKept: &kept, HandledBy: &w.S1.ID, CreatedAt: made, UpdatedAt: resp})
	}
	booking(at(1, 10, 0, 0), 30*time.Minute)
	booking(at(2, 10, 0, 0), 2*time.Hour)
	booking(at(-1, 10, 0, 0), 5*time.Minute)
	return w
}
