package question_test

import (
	"context"
	"strings"
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

// wantOpenCount checks the kept open count of f.uniA against its open
// questions.
func (f *fixture) wantOpenCount(t *testing.T, step string) {
	t.Helper()
	ctx := context.Background()
	var plain int64
	if err := f.db.Conn(ctx).Model(&model.Question{}).Where("university_id = ? AND status = ?", f.uniA.ID, model.QuestionOpen).
		Count(&plain).Error; err != nil {
		t.Fatal(err)
	}
	var kept []int64
	if err := f.db.Conn(ctx).Table("question_open_counts").Where("university_id = ?", f.uniA.ID).
		Pluck("open_count", &kept).Error; err != nil {
		t.Fatal(err)
	}
	var k int64
	if len(kept) == 1 {
		k = kept[0]
	}
	if k != plain {
		t.Fatalf("%s: kept open count %d, want %d", step, k, plain)
	}
}

func (f *fixture) searchIDs(t *testing.T, query string) []uint64 {
	t.Helper()
	got, err := f.svc.Search(context.Background(), f.studentA3, "", query, 1)
	if err != nil {
		t.Fatalf("search %q: %v", query, err)
	}
	return ids(got)
}

func TestEditBeforeFirstAnswer(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *model.DB) {
		f := setup(t, db)
		ctx := context.Background()
		q := f.ask(t, f.studentA, "", "宿舍热水", "宿舍几点供应热水", false)
		if v, err := f.svc.Get(ctx, f.studentA, q.ID); err != nil || !v.CanEdit || v.Edited {
			t.Fatalf("before editing: can edit %v, edited %v, %v", v.CanEdit, v.Edited, err)
		}
		if !sameIDs(f.searchIDs(t, "热水"), q.ID) {
			t.Fatal("not found by its first text")
		}
		f.clk.Advance(time.Minute)
		got, err := f.svc.Edit(ctx, f.studentA, q.ID, question.EditInput{Title: " 图书馆开放时间 ", Body: "周末图书馆几点开门"})
		if err != nil {
			t.Fatal(err)
		}
		if got.Title != "图书馆开放时间" || got.Status != model.QuestionOpen {
			t.Fatalf("edited: %q %s", got.Title, got.Status)
		}
		r := f.reload(t, q.ID)
		if r.Title != "图书馆开放时间" || r.Body != "周末图书馆几点开门" || !r.UpdatedAt.After(r.CreatedAt) || !r.CreatedAt.Equal(q.CreatedAt) {
			t.Fatalf("stored: %+v", r)
		}
		if ids := f.searchIDs(t, "热水"); len(ids) != 0 {
			t.Fatalf("old text still found: %v", ids)
		}
		if !sameIDs(f.searchIDs(t, "图书馆"), q.ID) {
			t.Fatal("not found by its new text")
		}
		if v, err := f.svc.Get(ctx, f.cadreA1, q.ID); err != nil || !v.Edited || v.CanEdit {
			t.Fatalf("cadre's view: edited %v, can edit %v, %v", v.Edited, v.CanEdit, err)
		}
		f.wantOpenCount(t, "edited")

		// Limits as when asking.
		_, err = f.svc.Edit(ctx, f.studentA, q.ID, question.EditInput{Title: runes("字", question.MaxTitle+1)})
		servicetest.WantErr(t, "long title", err, service.ErrInvalid, "title_too_long")
		_, err = f.svc.Edit(ctx, f.studentA, q.ID, question.EditInput{Title: "  "})
		servicetest.WantErr(t, "empty title", err, service.ErrInvalid, "title_required")
		_, err = f.svc.Edit(ctx, f.studentA, q.ID, question.EditInput{Title: "标题", Body: runes("字", question.MaxBody+1)})
		servicetest.WantErr(t, "long body", err, service.ErrInvalid, "too_long")

		// Nobody else: not a classmate, not a cadre, not an admin;
		// another university's student does not even see it.
		for _, u := range []model.User{f.studentA2, f.cadreA1, f.adminA, f.province} {
			_, err := f.svc.Edit(ctx, u, q.ID, question.EditInput{Title: "改掉"})
			servicetest.WantErr(t, "edit by "+u.Account, err, service.ErrForbidden, "not_asker")
			err = f.svc.Withdraw(ctx, u, q.ID)
			servicetest.WantErr(t, "withdraw by "+u.Account, err, service.ErrForbidden, "not_asker")
		}

		// After the first answer: neither.
		f.answer(t, f.cadreA1, q.ID, "早八点到晚十点")
		_, err = f.svc.Edit(ctx, f.studentA, q.ID, question.EditInput{Title: "改掉"})
		servicetest.WantErr(t, "edit after the answer", err, service.ErrConflict, "already_answered")
		err = f.svc.Withdraw(ctx, f.studentA, q.ID)
		servicetest.WantErr(t, "withdraw after the answer", err, service.ErrConflict, "already_answered")
		if v, err := f.svc.Get(ctx, f.studentA, q.ID); err != nil || v.CanEdit || v.Edited {
			t.Fatalf("after the answer: can edit %v, edited %v, %v", v.CanEdit, v.Edited, err)
		}
		if r := f.reload(t, q.ID); r.Title != "图书馆开放时间" {
			t.Fatalf("title %q", r.Title)
		}
	})
}

func TestEditWithSensitiveWordGoesToReview(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *model.DB) {
		f := setup(t, db)
		ctx := context.Background()
		q := f.ask(t, f.studentA, "", "食堂价格", "", false)
		f.wantOpenCount(t, "asked")
		got, err := f.svc.Edit(ctx, f.studentA, q.ID, question.EditInput{Title: "食堂价格", Body: "法轮功"})
		if err != nil {
			t.Fatal(err)
		}
		if got.Status != model.QuestionReview || f.reload(t, q.ID).Status != model.QuestionReview {
			t.Fatalf("status %s, want review", got.Status)
		}
		f.wantOpenCount(t, "held")
		if ids := f.searchIDs(t, "食堂价格"); len(ids) != 0 {
			t.Fatalf("held question searchable: %v", ids)
		}
		if items, err := f.list(ctx, f.studentA2, "u-"+f.uniA.Code, question.ListOptions{}); err != nil || len(items) != 0 {
			t.Fatalf("held question on the board: %v, %v", ids(items), err)
		}
		// Still the asker's to edit while held; clean text stays in
		// review for an admin to approve.
		if _, err := f.svc.Edit(ctx, f.studentA, q.ID, question.EditInput{Title: "食堂价格"}); err != nil {
			t.Fatal(err)
		}
		if s := f.reload(t, q.ID).Status; s != model.QuestionReview {
			t.Fatalf("status %s", s)
		}
		if err := f.svc.Approve(ctx, f.adminA, question.TargetQuestion, q.ID); err != nil {
			t.Fatal(err)
		}
		f.wantOpenCount(t, "approved")
		if !sameIDs(f.searchIDs(t, "食堂价格"), q.ID) {
			t.Fatal("approved question not searchable")
		}
	})
}

func TestWithdraw(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *model.DB) {
		f := setup(t, db)
		ctx := context.Background()
		st, err := stats.New(db, f.clk)
		if err != nil {
			t.Fatal(err)
		}
		day := stats.Query{From: "2026-11-25", To: "2026-11-25"}
		asked := func(step string) int64 {
			t.Helper()
			if _, err := st.Refresh(ctx); err != nil {
				t.Fatalf("%s: refresh: %v", step, err)
			}
			r, err := st.Report(ctx, f.adminA, day)
			if err != nil {
				t.Fatalf("%s: report: %v", step, err)
			}
			return r.Total.Questions
		}
		q := f.ask(t, f.studentA, "", "宿舍热水", "宿舍几点供应热水", false)
		other := f.ask(t, f.studentA2, "", "宿舍门禁", "", false)
		f.clk.Advance(time.Hour)
		if n := asked("before"); n != 2 {
			t.Fatalf("before: %d questions asked, want 2", n)
		}
		f.wantOpenCount(t, "asked")
		if err := f.svc.Withdraw(ctx, f.studentA, q.ID); err != nil {
			t.Fatal(err)
		}
		r := f.reload(t, q.ID)
		if r.Status != model.QuestionHidden || r.HiddenReason != question.WithdrawnReason || r.RejectedAt == nil ||
			!question.Withdrawn(r) || question.StatusName(r) != "已撤回" {
			t.Fatalf("withdrawn: %+v", r)
		}
		f.wantOpenCount(t, "withdrawn")

		// The cadres told of the question are told it was withdrawn.
		w := f.alerts(t, alertkind.QuestionWithdrawn)
		servicetest.WantRecipients(t, "withdrawn", w, f.cadreA1, f.cadreA2)
		if d := servicetest.AlertData(t, w[0]); d["thing1"] != "宿舍热水" || d["time3"] != "2026-11-25 18:00" ||
			!strings.HasSuffix(w[0].URL, "next=%2Fh5%2Fboards%2Fu-"+f.uniA.Code) {
			t.Fatalf("alert %s data %v", w[0].URL, d)
		}

		// Off the board and out of search; the asker still sees it.
		if items, err := f.list(ctx, f.studentA3, "u-"+f.uniA.Code, question.ListOptions{}); err != nil || !sameIDs(ids(items), other.ID) {
			t.Fatalf("board: %v, %v", ids(items), err)
		}
		if !sameIDs(f.searchIDs(t, "宿舍"), other.ID) {
			t.Fatal("withdrawn question still searchable")
		}
		_, err = f.svc.Get(ctx, f.studentA3, q.ID)
		servicetest.WantErr(t, "a classmate opens it", err, service.ErrNotFound, "")
		mine, err := f.mine(ctx, f.studentA)
		if err != nil || !sameIDs(ids(mine), q.ID) || question.StatusName(mine[0].Question) != "已撤回" {
			t.Fatalf("我的提问: %v, %v", ids(mine), err)
		}
		if v, err := f.svc.Get(ctx, f.studentA, q.ID); err != nil || !v.Withdrawn || v.CanEdit || v.CanFollowUp {
			t.Fatalf("asker's view: withdrawn %v, can edit %v, %v", v.Withdrawn, v.CanEdit, err)
		}

		// Statistics: no longer asked, like a rejected question.
		if n := asked("after"); n != 1 {
			t.Fatalf("after: %d questions asked, want 1", n)
		}
		if _, err := st.Rebuild(ctx); err != nil {
			t.Fatal(err)
		}
		if r, err := st.Report(ctx, f.adminA, day); err != nil || r.Total.Questions != 1 {
			t.Fatalf("rebuilt: %d, %v", r.Total.Questions, err)
		}

		// No more changes, no restoring by an admin.
		err = f.svc.Withdraw(ctx, f.studentA, q.ID)
		servicetest.WantErr(t, "withdraw again", err, service.ErrConflict, "question_hidden")
		_, err = f.svc.Edit(ctx, f.studentA, q.ID, question.EditInput{Title: "改掉"})
		servicetest.WantErr(t, "edit withdrawn", err, service.ErrConflict, "question_hidden")
		err = f.svc.Reopen(ctx, f.adminA, question.TargetQuestion, q.ID)
		servicetest.WantErr(t, "restore withdrawn", err, service.ErrConflict, "withdrawn")
		f.wantOpenCount(t, "after refusals")

		// The timers pass it by: only the other question is reminded and
		// late.
		f.clk.Set(t0.Add(25 * time.Hour))
		if rem, over, err := f.svc.Sweep(ctx); err != nil || rem != 1 || over != 1 {
			t.Fatalf("sweep: %d reminders, %d overdue, %v; want 1, 1", rem, over, err)
		}
		if n := len(f.alertsFor(t, alertkind.Reminder, q.ID)) + len(f.alertsFor(t, alertkind.Overdue, q.ID)); n != 0 {
			t.Fatalf("%d timer alerts for the withdrawn question", n)
		}
		if r := f.reload(t, q.ID); r.RemindedAt != nil || r.OverdueAt != nil {
			t.Fatalf("timers claimed it: %v %v", r.RemindedAt, r.OverdueAt)
		}
	})
}

func TestWithdrawHeldForReviewTellsNobody(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *model.DB) {
		f := setup(t, db)
		ctx := context.Background()
		held := f.ask(t, f.studentA, "", "法轮功", "", false)
		if err := f.svc.Withdraw(ctx, f.studentA, held.ID); err != nil {
			t.Fatal(err)
		}
		if n := len(f.alerts(t, alertkind.QuestionWithdrawn)); n != 0 {
			t.Fatalf("%d alerts for a question nobody was told of", n)
		}
		if items, err := f.svc.ReviewQueue(ctx, f.adminA); err != nil || len(items) != 0 {
			t.Fatalf("review queue: %d, %v", len(items), err)
		}
		f.wantOpenCount(t, "withdrawn")
	})
}
