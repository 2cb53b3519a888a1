package question_test

import (
	"cmp"
	"context"
	"slices"
	"testing"
	"time"

	"github.com/gdyouth/youthvoice/model"
	"github.com/gdyouth/youthvoice/model/dbtest"
	"github.com/gdyouth/youthvoice/service"
	"github.com/gdyouth/youthvoice/service/alertkind"
	"github.com/gdyouth/youthvoice/service/question"
	"github.com/gdyouth/youthvoice/service/servicetest"
)

// 同问: set, withdrawn, counted once however often tapped; refused to
// the asker and on questions that are not published.
func TestMetooToggleAndCount(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *model.DB) {
		f := setup(t, db)
		ctx := context.Background()
		q := f.ask(t, f.studentA, "", "宿舍几点熄灯", "", false)

		for range 2 { // a double tap
			got, err := f.svc.Metoo(ctx, f.studentA2, q.ID, true)
			if err != nil || got != (question.Tally{Count: 1, On: true}) {
				t.Fatalf("metoo = %+v, %v", got, err)
			}
		}
		if got, err := f.svc.Metoo(ctx, f.studentB, q.ID, true); err != nil || got.Count != 2 {
			t.Fatalf("second person's metoo = %+v, %v", got, err)
		}
		if n := f.reload(t, q.ID).MetooCount; n != 2 {
			t.Fatalf("metoo_count = %d, want 2", n)
		}
		v, err := f.svc.Get(ctx, f.studentA2, q.ID)
		if err != nil || !v.Metoo || !v.CanMetoo || v.Question.MetooCount != 2 {
			t.Fatalf("view of one who said 同问: metoo %v can %v count %d, %v", v.Metoo, v.CanMetoo, v.Question.MetooCount, err)
		}
		if v, err := f.svc.Get(ctx, f.studentA3, q.ID); err != nil || v.Metoo || !v.CanMetoo {
			t.Fatalf("view of another student: metoo %v can %v, %v", v.Metoo, v.CanMetoo, err)
		}
		if v, err := f.svc.Get(ctx, f.studentA, q.ID); err != nil || v.CanMetoo {
			t.Fatalf("asker's view: can metoo %v, %v", v.CanMetoo, err)
		}

		for range 2 { // withdrawn, twice
			got, err := f.svc.Metoo(ctx, f.studentA2, q.ID, false)
			if err != nil || got != (question.Tally{Count: 1, On: false}) {
				t.Fatalf("withdraw = %+v, %v", got, err)
			}
		}
		if n := f.reload(t, q.ID).MetooCount; n != 1 {
			t.Fatalf("metoo_count after withdrawing = %d, want 1", n)
		}

		_, err = f.svc.Metoo(ctx, f.studentA, q.ID, true)
		servicetest.WantErr(t, "asker's own 同问", err, service.ErrForbidden, "own_question")
		_, err = f.svc.Metoo(ctx, f.studentA2, 999999, true)
		servicetest.WantErr(t, "missing question", err, service.ErrNotFound, "")

		held := f.ask(t, f.studentA, "", "考试求助", "有没有人可以代 考高数", false) // held for review
		if held.Status != model.QuestionReview {
			t.Fatalf("status %q, want review", held.Status)
		}
		_, err = f.svc.Metoo(ctx, f.studentA2, held.ID, true)
		servicetest.WantErr(t, "question in review", err, service.ErrNotFound, "")
		_, err = f.svc.Metoo(ctx, f.adminA, held.ID, true)
		servicetest.WantErr(t, "question in review, by its moderator", err, service.ErrConflict, "not_published")

		if err := f.svc.Hide(ctx, f.adminA, question.TargetQuestion, q.ID, "重复问题"); err != nil {
			t.Fatal(err)
		}
		_, err = f.svc.Metoo(ctx, f.studentB, q.ID, false)
		servicetest.WantErr(t, "hidden question", err, service.ErrNotFound, "")
		if n := f.reload(t, q.ID).MetooCount; n != 1 {
			t.Fatalf("metoo_count after refusals = %d, want 1", n)
		}
	})
}

// Those who said 同问 get the answered alert with the asker, once per
// answer, and not for their own answer; one who withdrew does not.
func TestMetooAlertedOfAnswers(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *model.DB) {
		f := setup(t, db)
		ctx := context.Background()
		q := f.ask(t, f.studentA, "", "选课系统打不开", "", false)
		for _, u := range []model.User{f.studentA2, f.studentB, f.cadreA2, f.studentA3} {
			for range 2 {
				if _, err := f.svc.Metoo(ctx, u, q.ID, true); err != nil {
					t.Fatal(err)
				}
			}
		}
		if _, err := f.svc.Metoo(ctx, f.studentA3, q.ID, false); err != nil {
			t.Fatal(err)
		}
		f.answer(t, f.cadreA1, q.ID, "系统维护中，明天恢复")
		servicetest.WantRecipients(t, "first answer", f.alertsFor(t, alertkind.Answered, q.ID),
			f.studentA, f.studentA2, f.studentB, f.cadreA2)

		f.clk.Advance(time.Minute)
		f.answer(t, f.cadreA2, q.ID, "已经恢复") // by one who said 同问: not told of their own answer
		ms := f.alertsFor(t, alertkind.Answered, q.ID)
		servicetest.WantRecipients(t, "second answer", ms[4:], f.studentA, f.studentA2, f.studentB)
	})
}

// 有用 on a cadre's published answer: counted once, withdrawn, not on
// one's own answer nor on a follow-up.
func TestHelpful(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *model.DB) {
		f := setup(t, db)
		ctx := context.Background()
		q := f.ask(t, f.studentA, "", "图书馆几点开门", "", false)
		a := f.answer(t, f.cadreA1, q.ID, "早上八点")
		for _, u := range []model.User{f.studentA, f.studentA, f.studentB} {
			if _, err := f.svc.Helpful(ctx, u, a.ID, true); err != nil {
				t.Fatal(err)
			}
		}
		var got model.Answer
		if err := db.Conn(ctx).Take(&got, a.ID).Error; err != nil || got.HelpfulCount != 2 {
			t.Fatalf("helpful_count = %d, %v; want 2", got.HelpfulCount, err)
		}
		v, err := f.svc.Get(ctx, f.studentA, q.ID)
		if err != nil || len(v.Answers) != 1 || !v.Answers[0].Helpful || !v.Answers[0].CanHelpful || v.Answers[0].HelpfulCount != 2 {
			t.Fatalf("asker's view of the answer = %+v, %v", v.Answers, err)
		}
		if v, err := f.svc.Get(ctx, f.cadreA1, q.ID); err != nil || v.Answers[0].CanHelpful || v.Answers[0].Helpful {
			t.Fatalf("author's view of the answer = %+v, %v", v.Answers, err)
		}
		if tl, err := f.svc.Helpful(ctx, f.studentA, a.ID, false); err != nil || tl != (question.Tally{Count: 1}) {
			t.Fatalf("withdrawn = %+v, %v", tl, err)
		}
		_, err = f.svc.Helpful(ctx, f.cadreA1, a.ID, true)
		servicetest.WantErr(t, "own answer", err, service.ErrForbidden, "own_answer")
		fu, err := f.svc.FollowUp(ctx, f.studentA, q.ID, "周末呢")
		if err != nil {
			t.Fatal(err)
		}
		_, err = f.svc.Helpful(ctx, f.studentB, fu.ID, true)
		servicetest.WantErr(t, "follow-up", err, service.ErrInvalid, "not_answer")
		_, err = f.svc.Helpful(ctx, f.studentB, 999999, true)
		servicetest.WantErr(t, "missing answer", err, service.ErrNotFound, "")
		if err := f.svc.Hide(ctx, f.adminA, question.TargetAnswer, a.ID, "答复有误"); err != nil {
			t.Fatal(err)
		}
		_, err = f.svc.Helpful(ctx, f.studentB, a.ID, true)
		servicetest.WantErr(t, "hidden answer", err, service.ErrNotFound, "")
	})
}

// A board sorted by 同问: most first, ties newest first; walked by cursor
// forward and back, and by page number, each question once.
func TestListByMetoo(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *model.DB) {
		f := setup(t, db)
		ctx := context.Background()
		boardA := "u-" + f.uniA.Code
		voters := []model.User{f.studentB, f.studentC, f.noUniversity, f.cadreB, f.adminB}
		var qs []model.Question
		for i := range 27 {
			asker := []model.User{f.studentA, f.studentA2, f.studentA3}[i%3]
			q := f.ask(t, asker, "", "问题", "", false)
			for _, u := range voters[:(i*7)%6] {
				if _, err := f.svc.Metoo(ctx, u, q.ID, true); err != nil {
					t.Fatal(err)
				}
			}
			qs = append(qs, f.reload(t, q.ID))
			f.clk.Advance(time.Minute)
		}
		answered := qs[3].ID
		f.answer(t, f.cadreA1, answered, "答复") // answered ones are listed too
		slices.SortFunc(qs, func(a, b model.Question) int {
			return cmp.Or(cmp.Compare(b.MetooCount, a.MetooCount), cmp.Compare(b.ID, a.ID))
		})
		want := make([]uint64, len(qs))
		for i, q := range qs {
			want[i] = q.ID
		}
		for _, viewer := range []model.User{f.studentA, f.cadreA1} {
			o := question.ListOptions{Sort: question.SortMetoo}
			_, p1, err := f.svc.List(ctx, viewer, boardA, o)
			if err != nil || p1.Next == "" || p1.Prev != "" {
				t.Fatalf("page 1: next %q prev %q, %v", p1.Next, p1.Prev, err)
			}
			if !slices.Equal(ids(p1.Items), want[:question.PageSize]) {
				t.Fatalf("page 1 for %s = %v, want %v", viewer.Role, ids(p1.Items), want[:question.PageSize])
			}
			if p1.Items[0].MetooCount != qs[0].MetooCount {
				t.Fatalf("count shown %d, want %d", p1.Items[0].MetooCount, qs[0].MetooCount)
			}
			o.After = p1.Next
			_, p2, err := f.svc.List(ctx, viewer, boardA, o)
			if err != nil || p2.Next != "" || !slices.Equal(ids(p2.Items), want[question.PageSize:]) {
				t.Fatalf("page 2 = %v (next %q), %v; want %v", ids(p2.Items), p2.Next, err, want[question.PageSize:])
			}
			o.After, o.Before = "", p2.Prev
			if _, back, err := f.svc.List(ctx, viewer, boardA, o); err != nil || !slices.Equal(ids(back.Items), want[:question.PageSize]) {
				t.Fatalf("back from page 2 = %v, %v", ids(back.Items), err)
			}
			o.Before, o.Page = "", 2
			if _, byNumber, err := f.svc.List(ctx, viewer, boardA, o); err != nil || !slices.Equal(ids(byNumber.Items), want[question.PageSize:]) {
				t.Fatalf("page=2 = %v, %v", ids(byNumber.Items), err)
			}
		}
		// A newest-first cursor is no place in the 同问 order.
		_, newest, err := f.svc.List(ctx, f.studentA, boardA, question.ListOptions{})
		if err != nil || newest.Next == "" {
			t.Fatalf("newest first: next %q, %v", newest.Next, err)
		}
		_, _, err = f.svc.List(ctx, f.studentA, boardA, question.ListOptions{Sort: question.SortMetoo, PageOptions: question.PageOptions{After: newest.Next}})
		servicetest.WantErr(t, "cursor of another order", err, service.ErrInvalid, "bad_cursor")
		_, _, err = f.svc.List(ctx, f.studentA, boardA, question.ListOptions{Sort: "hot"})
		servicetest.WantErr(t, "unknown sort", err, service.ErrInvalid, "bad_sort")

		// Unanswered only, by 同问; a question held for review never.
		held := f.ask(t, f.studentA2, "", "考试求助", "有没有人可以代 考高数", false)
		if _, err := f.svc.Metoo(ctx, f.adminA, held.ID, true); err == nil {
			t.Fatal("同问 on a held question")
		}
		unanswered := slices.DeleteFunc(slices.Clone(want), func(id uint64) bool { return id == answered })
		_, p, err := f.svc.List(ctx, f.studentB, boardA, question.ListOptions{Sort: question.SortMetoo, Unanswered: true})
		if err != nil || !slices.Equal(ids(p.Items), unanswered[:question.PageSize]) {
			t.Fatalf("unanswered by 同问 = %v, %v; want %v", ids(p.Items), err, unanswered[:question.PageSize])
		}
	})
}
