package question_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/gdyouth/youthvoice/model"
	"github.com/gdyouth/youthvoice/model/dbtest"
	"github.com/gdyouth/youthvoice/service"
	"github.com/gdyouth/youthvoice/service/alertkind"
	"github.com/gdyouth/youthvoice/service/question"
	"github.com/gdyouth/youthvoice/service/servicetest"
	"github.com/gdyouth/youthvoice/service/stats"
)

// Cross-board replies (外校回帖, issue 21 item 6): cadres reply on other
// universities' boards, labelled 外校干部, and the question stays its own
// university's to answer within 24 hours.

// statsRows are the province's statistics now, by university.
func (f *fixture) statsRows(t *testing.T) map[uint64]stats.Row {
	t.Helper()
	st, err := stats.New(f.db, f.clk)
	if err != nil {
		t.Fatal(err)
	}
	r, err := st.Report(context.Background(), f.province, stats.Query{})
	if err != nil {
		t.Fatal(err)
	}
	out := make(map[uint64]stats.Row, len(r.Rows))
	for _, x := range r.Rows {
		out[x.University.ID] = x
	}
	return out
}

// wantOpen fails unless question id is open with no first answer.
func (f *fixture) wantOpen(t *testing.T, what string, id uint64) {
	t.Helper()
	got := f.reload(t, id)
	if got.Status != model.QuestionOpen || got.FirstAnsweredAt != nil || got.FirstResponseS != nil || got.PromiseKept != nil {
		t.Fatalf("%s: status %q, first answered %v, first response %v, kept %s; want open and unanswered",
			what, got.Status, got.FirstAnsweredAt, got.FirstResponseS, boolPtr(got.PromiseKept))
	}
}

func TestCrossBoardReply(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *model.DB) {
		f := setup(t, db)
		ctx := context.Background()
		q := f.ask(t, f.studentA, "", "宿舍空调报修找谁", "", false)

		// B's cadre replies an hour later: published and labelled, but
		// the question stays A's to answer.
		f.clk.Advance(time.Hour)
		reply, err := f.svc.Answer(ctx, f.cadreB, q.ID, "我们学校是找后勤报修，供参考")
		if err != nil {
			t.Fatal(err)
		}
		if reply.Status != model.AnswerPublished || !reply.CrossBoard || reply.AuthorRole != "外校干部" ||
			reply.AuthorUniversity != f.uniB.Name || reply.AuthorName != "乙校干部" || !reply.Mine {
			t.Fatalf("reply = %+v, want published, 外校干部 of %s", reply, f.uniB.Name)
		}
		f.wantOpen(t, "after the cross-board reply", q.ID)

		// The asker hears of it.
		ms := f.alertsFor(t, alertkind.Answered, q.ID)
		servicetest.WantRecipients(t, "answered", ms, f.studentA)
		if got := servicetest.AlertData(t, ms[0])["thing2"]; got != "乙校干部（外校干部）" {
			t.Fatalf("answered alert names %q", got)
		}

		t.Run("the views", func(t *testing.T) {
			v, err := f.svc.Get(ctx, f.studentA2, q.ID)
			if err != nil || len(v.Answers) != 1 {
				t.Fatalf("view: %+v, %v", v, err)
			}
			if a := v.Answers[0]; !a.CrossBoard || a.AuthorRole != "外校干部" || a.AuthorUniversity != f.uniB.Name || a.AuthorName != "乙校干部" {
				t.Fatalf("the reply shows as %+v", a)
			}
			if v, err := f.svc.Get(ctx, f.studentA, q.ID); err != nil || v.CanResolve || !v.CanFollowUp {
				t.Fatalf("asker's view: can resolve %v, follow up %v (%v); want only follow up", v.CanResolve, v.CanFollowUp, err)
			}
			for _, tc := range []struct {
				who   model.User
				cross bool
			}{{f.cadreB, true}, {f.adminC, true}, {f.cadreA1, false}, {f.province, false}} {
				v, err := f.svc.Get(ctx, tc.who, q.ID)
				if err != nil || !v.CanAnswer || v.AnswerCrossBoard != tc.cross {
					t.Fatalf("%s: can answer %v, cross-board %v (%v); want true, %v", tc.who.Name, v.CanAnswer, v.AnswerCrossBoard, err, tc.cross)
				}
			}
			// Still in A's unanswered list, first for A's cadres; another
			// university's cadre browses A's board as students do.
			list, err := f.list(ctx, f.studentA, "u-"+f.uniA.Code, question.ListOptions{Unanswered: true})
			if err != nil || !sameIDs(ids(list), q.ID) {
				t.Fatalf("A's unanswered questions: %v, %v", ids(list), err)
			}
		})

		// The asker's follow-up goes to the replier and to A's cadres,
		// who still owe the answer.
		if _, err := f.svc.FollowUp(ctx, f.studentA, q.ID, "我们学校后勤电话是多少？"); err != nil {
			t.Fatal(err)
		}
		servicetest.WantRecipients(t, "follow-up", f.alertsFor(t, alertkind.FollowUp, q.ID), f.cadreA1, f.cadreA2, f.cadreB)

		// The 24 hours run on: reminded at 20 hours, overdue after 24, to
		// A's people.
		f.clk.Set(t0.Add(20*time.Hour + time.Minute))
		if r, o, err := f.svc.Sweep(ctx); err != nil || r != 1 || o != 0 {
			t.Fatalf("sweep at 20h: %d reminders, %d overdue, %v; want 1, 0", r, o, err)
		}
		servicetest.WantRecipients(t, "reminder", f.alertsFor(t, alertkind.Reminder, q.ID), f.cadreA1, f.cadreA2, f.adminA)
		f.clk.Set(t0.Add(24*time.Hour + time.Minute))
		if r, o, err := f.svc.Sweep(ctx); err != nil || r != 0 || o != 1 {
			t.Fatalf("sweep at 24h: %d reminders, %d overdue, %v; want 0, 1", r, o, err)
		}
		servicetest.WantRecipients(t, "overdue", f.alertsFor(t, alertkind.Overdue, q.ID), f.adminA, f.province, f.province2)
		if v, err := f.svc.Get(ctx, f.studentA, q.ID); err != nil || !v.Overdue {
			t.Fatalf("overdue with only a cross-board reply: %v, %v", v.Overdue, err)
		}

		// In the statistics the reply is B's engagement, not A's answer.
		rows := f.statsRows(t)
		if a, b := rows[f.uniA.ID], rows[f.uniB.ID]; a.Answered != 0 || a.Late != 1 || a.OverdueNow != 1 || a.CadreAnswers != 0 ||
			b.CadreAnswers != 1 || b.AnsweringCadres != 1 || b.Answered != 0 {
			t.Fatalf("statistics: A answered %d late %d overdue %d answers %d; B answers %d by %d, answered %d; want 0 1 1 0; 1 by 1, 0",
				a.Answered, a.Late, a.OverdueNow, a.CadreAnswers, b.CadreAnswers, b.AnsweringCadres, b.Answered)
		}

		// A's cadre answers: the first answer, timed from the question.
		f.clk.Set(t0.Add(25 * time.Hour))
		own := f.answer(t, f.cadreA1, q.ID, "请拨打后勤报修电话")
		got := f.reload(t, q.ID)
		if got.Status != model.QuestionAnswered || got.FirstAnsweredAt == nil || !got.FirstAnsweredAt.Equal(t0.Add(25*time.Hour)) ||
			got.FirstResponseS == nil || *got.FirstResponseS != 25*3600 || got.PromiseKept == nil || *got.PromiseKept {
			t.Fatalf("after A's answer: %+v, want answered late at 25 hours", got)
		}
		if a := f.statsRows(t)[f.uniA.ID]; a.Answered != 1 || a.Late != 1 || a.OnTime != 0 || a.OverdueNow != 0 || a.CadreAnswers != 1 {
			t.Fatalf("statistics after A's answer: answered %d late %d on time %d overdue %d answers %d",
				a.Answered, a.Late, a.OnTime, a.OverdueNow, a.CadreAnswers)
		}

		// Hiding A's answer leaves only B's reply: unanswered again.
		if err := f.svc.Hide(ctx, f.adminA, question.TargetAnswer, own.ID, "内容有误"); err != nil {
			t.Fatal(err)
		}
		f.wantOpen(t, "A's answer hidden, B's reply left", q.ID)
		if a := f.statsRows(t)[f.uniA.ID]; a.Answered != 0 || a.OverdueNow != 1 {
			t.Fatalf("statistics after hiding A's answer: answered %d overdue %d; want 0, 1", a.Answered, a.OverdueNow)
		}

		// Restoring it answers the question again; hiding B's reply then
		// leaves it answered.
		if err := f.svc.Reopen(ctx, f.adminA, question.TargetAnswer, own.ID); err != nil {
			t.Fatal(err)
		}
		if got := f.reload(t, q.ID); got.Status != model.QuestionAnswered || got.FirstAnsweredAt == nil {
			t.Fatalf("A's answer restored: %+v", got)
		}
		if err := f.svc.Hide(ctx, f.adminA, question.TargetAnswer, reply.ID, "与问题无关"); err != nil {
			t.Fatal(err)
		}
		if got := f.reload(t, q.ID); got.Status != model.QuestionAnswered || got.FirstAnsweredAt == nil {
			t.Fatalf("B's reply hidden: %+v, want still answered", got)
		}
	})
}

// A cross-board reply restored by an admin leaves the question open.
func TestCrossBoardReplyRestored(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *model.DB) {
		f := setup(t, db)
		ctx := context.Background()
		q := f.ask(t, f.studentA, "", "选修课怎么退", "", false)
		reply := f.answer(t, f.cadreB, q.ID, "一般在教务系统里退")
		if err := f.svc.Hide(ctx, f.adminA, question.TargetAnswer, reply.ID, "不准确"); err != nil {
			t.Fatal(err)
		}
		f.wantOpen(t, "reply hidden", q.ID)
		if err := f.svc.Reopen(ctx, f.adminA, question.TargetAnswer, reply.ID); err != nil {
			t.Fatal(err)
		}
		f.wantOpen(t, "reply restored", q.ID)
		servicetest.WantRecipients(t, "answered", f.alertsFor(t, alertkind.Answered, q.ID), f.studentA, f.studentA)
	})
}

func TestCrossBoardReplyHeldForReview(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *model.DB) {
		f := setup(t, db)
		ctx := context.Background()
		q := f.ask(t, f.studentA, "", "考试复习", "期末怎么复习", false)
		held, err := f.svc.Answer(ctx, f.cadreB, q.ID, "我认识赌博 网站的人")
		if err != nil || held.Status != model.AnswerReview || !held.CrossBoard {
			t.Fatalf("reply = %+v, %v; want a cross-board reply held for review", held, err)
		}
		f.wantOpen(t, "held reply", q.ID)
		if n := len(f.alerts(t, alertkind.Answered)); n != 0 {
			t.Fatalf("a held reply alerted the asker (%d rows)", n)
		}
		if v, err := f.svc.Get(ctx, f.studentA, q.ID); err != nil || len(v.Answers) != 0 {
			t.Fatalf("the asker sees %d answers (%v), want none", len(v.Answers), err)
		}
		// Reviewed by the admin of the board's university, as any answer
		// on it.
		queue, err := f.svc.ReviewQueue(ctx, f.adminA)
		if err != nil || len(queue) != 1 || queue[0].ID != held.ID {
			t.Fatalf("A's queue = %+v, %v", queue, err)
		}
		if queue, err := f.svc.ReviewQueue(ctx, f.adminB); err != nil || len(queue) != 0 {
			t.Fatalf("B's queue = %+v, %v", queue, err)
		}
		f.clk.Advance(time.Hour)
		if err := f.svc.Approve(ctx, f.adminA, question.TargetAnswer, held.ID); err != nil {
			t.Fatal(err)
		}
		f.wantOpen(t, "reply approved", q.ID)
		ms := f.alertsFor(t, alertkind.Answered, q.ID)
		servicetest.WantRecipients(t, "answered", ms, f.studentA)
		if got := servicetest.AlertData(t, ms[0])["thing2"]; got != "乙校干部（外校干部）" {
			t.Fatalf("answered alert names %q", got)
		}
	})
}

// Who answers for the host, who replies across boards, who may not.
func TestCrossBoardWho(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *model.DB) {
		f := setup(t, db)
		ctx := context.Background()
		// A province admin who is also bound to university B.
		provinceB := servicetest.NewNamedUser(t, db, model.RoleProvinceAdmin, &f.uniB.ID, true, "省团委乙校")
		cases := []struct {
			name  string
			who   model.User
			board string // "" for A's board
			kind  error  // nil: allowed
			cross bool   // a cross-board reply; else the host's answer
		}{
			{"a cadre of another university", f.cadreB, "", nil, true},
			{"an admin of another university", f.adminB, "", nil, true},
			{"a student of another university", f.studentB, "", service.ErrForbidden, false},
			{"a student of the university", f.studentA2, "", service.ErrForbidden, false},
			{"a cadre of the university", f.cadreA1, "", nil, false},
			{"the university's admin", f.adminA, "", nil, false},
			{"the province admin", f.province, "", nil, false},
			{"a province admin of another university", provinceB, "", nil, false},
			{"a cadre of another university on a provincial board", f.cadreB, "province-2", nil, false},
		}
		var wantCross, wantHost []uint64
		for i, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				asker := []model.User{f.studentA, f.studentA2, f.studentA3}[i%3]
				q := f.ask(t, asker, tc.board, fmt.Sprintf("问题 %d", i), "", false)
				a, err := f.svc.Answer(ctx, tc.who, q.ID, "答复")
				if tc.kind != nil {
					servicetest.WantErr(t, tc.name, err, tc.kind, "")
					return
				}
				if err != nil || a.CrossBoard != tc.cross {
					t.Fatalf("answer = %+v, %v; want cross-board %v", a, err, tc.cross)
				}
				if tc.cross {
					wantCross = append(wantCross, a.ID)
				} else {
					wantHost = append(wantHost, a.ID)
				}
				got := f.reload(t, q.ID)
				if answered := got.FirstAnsweredAt != nil && got.Status == model.QuestionAnswered; answered == tc.cross {
					t.Fatalf("question after the answer: %+v; want answered %v", got, !tc.cross)
				}
			})
		}

		// Queries tell the replies apart by model.CrossBoardAnswerSQL, as
		// the service does; NOT it is the host's answers.
		answers := func(cond string) []uint64 {
			t.Helper()
			var out []uint64
			if err := db.Conn(ctx).Table("answers a").Select("a.id").
				Joins("JOIN questions q ON q.id = a.question_id").Joins("JOIN boards b ON b.id = q.board_id").
				Joins("JOIN users u ON u.id = a.author_id").
				Where("a.kind = ?", model.AnswerKindAnswer).Where(cond, model.CrossBoardAnswerArgs()...).
				Order("a.id").Scan(&out).Error; err != nil {
				t.Fatal(err)
			}
			return out
		}
		if got := answers(model.CrossBoardAnswerSQL); !slices.Equal(got, wantCross) {
			t.Errorf("cross-board replies by SQL: %v, want %v", got, wantCross)
		}
		if got := answers("NOT " + model.CrossBoardAnswerSQL); !slices.Equal(got, wantHost) {
			t.Errorf("host answers by SQL: %v, want %v", got, wantHost)
		}
	})
}
