package question_test

import (
	"context"
	"testing"
	"time"

	"github.com/gdyouth/youthvoice/model"
	"github.com/gdyouth/youthvoice/model/dbtest"
	"github.com/gdyouth/youthvoice/service/alertkind"
	"github.com/gdyouth/youthvoice/service/question"
	"github.com/gdyouth/youthvoice/service/stats"
)

// The 24-hour promise survives moderation: hiding a question or its answer
// can neither erase a broken promise nor keep an invisible answer counting
// as on time.

// statsRow is university A's row of the province's statistics now.
func (f *fixture) statsRow(t *testing.T) stats.Row {
	t.Helper()
	st, err := stats.New(f.db, f.clk)
	if err != nil {
		t.Fatal(err)
	}
	r, err := st.Report(context.Background(), f.province, stats.Query{})
	if err != nil {
		t.Fatal(err)
	}
	for _, x := range r.Rows {
		if x.University.ID == f.uniA.ID {
			return x
		}
	}
	t.Fatal("no statistics row for university A")
	return stats.Row{}
}

func TestHidingOverdueQuestionKeepsItLate(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *model.DB) {
		f := setup(t, db)
		ctx := context.Background()
		q := f.ask(t, f.studentA, "", "宿舍漏水没人管", "", false)
		early := f.ask(t, f.studentA2, "", "图书馆几点关门", "", false)
		// Hidden before its deadline: not late, whatever happens later.
		if err := f.svc.Hide(ctx, f.adminA, question.TargetQuestion, early.ID, "与本版无关"); err != nil {
			t.Fatal(err)
		}
		f.clk.Advance(30 * time.Hour)
		if _, _, err := f.svc.Sweep(ctx); err != nil {
			t.Fatal(err)
		}
		if r := f.statsRow(t); r.Late != 1 {
			t.Fatalf("before hiding: late %d, want 1", r.Late)
		}
		if err := f.svc.Hide(ctx, f.adminA, question.TargetQuestion, q.ID, "重复提问"); err != nil {
			t.Fatal(err)
		}
		if r := f.statsRow(t); r.Late != 1 || r.OnTime != 0 {
			t.Fatalf("after the university's admin hid its overdue question: late %d, on time %d; want 1, 0", r.Late, r.OnTime)
		}
		// Restored, it comes back late under its old deadline, not with
		// 24 fresh hours; answered now, it was answered late.
		if err := f.svc.Reopen(ctx, f.adminA, question.TargetQuestion, q.ID); err != nil {
			t.Fatal(err)
		}
		if got := f.reload(t, q.ID); got.Status != model.QuestionOpen || !got.DueAt.Equal(q.DueAt) {
			t.Fatalf("restored: status %q, due %v; want open, due %v", got.Status, got.DueAt, q.DueAt)
		}
		if r := f.statsRow(t); r.Late != 1 || r.OverdueNow != 1 {
			t.Fatalf("restored: late %d, overdue now %d; want 1, 1", r.Late, r.OverdueNow)
		}
		f.answer(t, f.cadreA1, q.ID, "已联系后勤维修")
		got := f.reload(t, q.ID)
		if got.PromiseKept == nil || *got.PromiseKept {
			t.Fatalf("answered after restoring: promise kept %s, want false", boolPtr(got.PromiseKept))
		}
		if r := f.statsRow(t); r.Late != 1 || r.OnTime != 0 {
			t.Fatalf("answered: late %d, on time %d; want 1, 0", r.Late, r.OnTime)
		}
	})
}

func TestHidingTheOnlyAnswerRestartsTheQuestion(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *model.DB) {
		f := setup(t, db)
		ctx := context.Background()
		q := f.ask(t, f.studentA, "", "奖学金什么时候发", "", false)
		kept := f.ask(t, f.studentA2, "", "食堂几点开门", "", false)
		a := f.answer(t, f.cadreA1, q.ID, "。")
		f.answer(t, f.cadreA1, kept.ID, "早上六点半")
		second := f.answer(t, f.cadreA2, kept.ID, "周末七点")
		// A question with another published answer stays answered.
		if err := f.svc.Hide(ctx, f.adminA, question.TargetAnswer, second.ID, "重复"); err != nil {
			t.Fatal(err)
		}
		if got := f.reload(t, kept.ID); got.Status != model.QuestionAnswered || got.FirstAnsweredAt == nil {
			t.Fatalf("question with an answer left: %+v", got)
		}
		// Its only answer hidden, the question is unanswered again.
		if err := f.svc.Hide(ctx, f.adminA, question.TargetAnswer, a.ID, "无效答复"); err != nil {
			t.Fatal(err)
		}
		got := f.reload(t, q.ID)
		if got.Status != model.QuestionOpen || got.FirstAnsweredAt != nil || got.PromiseKept != nil || got.FirstResponseS != nil {
			t.Fatalf("after hiding the only answer: status %q, first answered %v, promise kept %s", got.Status, got.FirstAnsweredAt, boolPtr(got.PromiseKept))
		}
		// It gets the cadres' reminder and, past its deadline, the overdue
		// alert, and counts late.
		f.clk.Advance(25 * time.Hour)
		if _, _, err := f.svc.Sweep(ctx); err != nil {
			t.Fatal(err)
		}
		if n := len(f.alertsFor(t, alertkind.Reminder, q.ID)); n == 0 {
			t.Fatal("no reminder for the question whose answer was hidden")
		}
		if n := len(f.alertsFor(t, alertkind.Overdue, q.ID)); n == 0 {
			t.Fatal("no overdue alert for the question whose answer was hidden")
		}
		if r := f.statsRow(t); r.Late != 1 || r.OnTime != 1 {
			t.Fatalf("late %d, on time %d; want 1 (the hidden answer's question), 1", r.Late, r.OnTime)
		}
		// Restoring the answer answers the question again, from now: late.
		if err := f.svc.Reopen(ctx, f.adminA, question.TargetAnswer, a.ID); err != nil {
			t.Fatal(err)
		}
		if got := f.reload(t, q.ID); got.Status != model.QuestionAnswered || got.PromiseKept == nil || *got.PromiseKept {
			t.Fatalf("answer restored: status %q, promise kept %s; want answered, false", got.Status, boolPtr(got.PromiseKept))
		}
	})
}

// A question hidden before its deadline and restored later gets 24 fresh
// hours; its first response is timed from the restore, not from when it
// was first asked.
func TestRestoredQuestionTimedFromRestore(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *model.DB) {
		f := setup(t, db)
		ctx := context.Background()
		q := f.ask(t, f.studentA, "", "宿舍问题", "", false)
		if err := f.svc.Hide(ctx, f.adminA, question.TargetQuestion, q.ID, "误操作"); err != nil {
			t.Fatal(err)
		}
		f.clk.Advance(72 * time.Hour)
		if err := f.svc.Reopen(ctx, f.adminA, question.TargetQuestion, q.ID); err != nil {
			t.Fatal(err)
		}
		f.clk.Advance(time.Hour)
		f.answer(t, f.cadreA1, q.ID, "已处理")
		got := f.reload(t, q.ID)
		if got.FirstResponseS == nil {
			t.Fatal("no first response time")
		}
		if got.PromiseKept == nil || !*got.PromiseKept || *got.FirstResponseS != 3600 {
			t.Fatalf("promise kept %s, first response %d s; want true, 3600", boolPtr(got.PromiseKept), *got.FirstResponseS)
		}
	})
}
