package question_test

import (
	"context"
	"testing"
	"time"

	"github.com/gdyouth/youthvoice/model"
	"github.com/gdyouth/youthvoice/model/dbtest"
	"github.com/gdyouth/youthvoice/service/alertkind"
	"github.com/gdyouth/youthvoice/service/question"
)

// A question rejected in review and later restored is published as new:
// a fresh 24 hours and the cadres are told. A cadre answer rejected in
// review and later restored is the first answer.
func TestReopenAfterRejectedReview(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *model.DB) {
		f := setup(t, db)
		ctx := context.Background()
		q := f.ask(t, f.studentA, "", "代考怎么举报", "", false)
		if q.Status != model.QuestionReview {
			t.Fatalf("status %q, want review", q.Status)
		}
		if err := f.svc.Hide(ctx, f.adminA, question.TargetQuestion, q.ID, "请勿发布此类内容"); err != nil {
			t.Fatal(err)
		}
		// The asker sees it as rejected, not as hidden after publication;
		// it was never asked, for the statistics.
		v, err := f.svc.Get(ctx, f.studentA, q.ID)
		if err != nil {
			t.Fatal(err)
		}
		if name := question.StatusName(v.Question); name != "未通过审核" || v.Question.RejectedAt == nil {
			t.Fatalf("rejected question shows %q (rejected_at %v), want 未通过审核", name, v.Question.RejectedAt)
		}
		f.clk.Advance(30 * time.Hour)
		if err := f.svc.Reopen(ctx, f.adminA, question.TargetQuestion, q.ID); err != nil {
			t.Fatal(err)
		}
		got := f.reload(t, q.ID)
		now := f.clk.Now().UTC().Truncate(time.Second)
		if got.Status != model.QuestionOpen || !got.DueAt.Equal(now.Add(24*time.Hour)) {
			t.Fatalf("restored question: status %q due %v, want open and due 24h from now", got.Status, got.DueAt)
		}
		// Published now: asked now for the statistics, as when approved.
		if got.RejectedAt != nil || !got.CreatedAt.Equal(now) {
			t.Fatalf("restored question: rejected_at %v created %v, want none and %v", got.RejectedAt, got.CreatedAt, now)
		}
		if n := len(f.alertsFor(t, alertkind.QuestionNew, q.ID)); n == 0 {
			t.Fatal("the cadres were not told of the restored question")
		}
		if r, o, err := f.svc.Sweep(ctx); err != nil || r+o != 0 {
			t.Fatalf("restored question swept at once: %d reminders, %d overdue, %v", r, o, err)
		}

		a := f.answer(t, f.cadreA1, q.ID, "代考违反校规，请向教务处举报")
		if a.Status != model.AnswerReview {
			t.Fatalf("answer status %q, want review", a.Status)
		}
		if err := f.svc.Hide(ctx, f.adminA, question.TargetAnswer, a.ID, "措辞需调整"); err != nil {
			t.Fatal(err)
		}
		before := len(f.alertsFor(t, alertkind.Answered, q.ID))
		if err := f.svc.Reopen(ctx, f.adminA, question.TargetAnswer, a.ID); err != nil {
			t.Fatal(err)
		}
		got = f.reload(t, q.ID)
		if got.Status != model.QuestionAnswered || got.FirstAnsweredAt == nil || got.PromiseKept == nil || !*got.PromiseKept {
			t.Fatalf("after restoring the answer: status %q first %v kept %v", got.Status, got.FirstAnsweredAt, got.PromiseKept)
		}
		if n := len(f.alertsFor(t, alertkind.Answered, q.ID)); n != before+1 {
			t.Fatalf("asker got %d new answered alerts, want 1", n-before)
		}
	})
}
