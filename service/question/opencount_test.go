package question_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/gdyouth/youthvoice/model"
	"github.com/gdyouth/youthvoice/model/dbtest"
	"github.com/gdyouth/youthvoice/service/question"
)

// The province's overdue view reads per-university open counts kept with
// every status change instead of counting overdue questions; after each
// kind of change, the counts and the view must equal a plain count over
// the questions.
func TestOpenCountsFollowEveryTransition(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *model.DB) {
		ctx := context.Background()
		f := setup(t, db)
		check := func(t *testing.T, step string) {
			t.Helper()
			var plain []question.UniversityCount
			if err := db.Conn(ctx).Model(&model.Question{}).Select("university_id, COUNT(*) AS count").
				Where("status = ?", model.QuestionOpen).Group("university_id").Order("university_id").Scan(&plain).Error; err != nil {
				t.Fatal(err)
			}
			var kept []question.UniversityCount
			if err := db.Conn(ctx).Table("question_open_counts").Select("university_id, open_count AS count").
				Where("open_count <> 0").Order("university_id").Scan(&kept).Error; err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(kept, plain) {
				t.Fatalf("%s: open counts %+v, want %+v", step, kept, plain)
			}
			now := f.clk.Now()
			var overdue []question.UniversityCount
			if err := db.Conn(ctx).Model(&model.Question{}).Select("university_id, COUNT(*) AS count").
				Where("status = ? AND due_at < ?", model.QuestionOpen, now).Group("university_id").Scan(&overdue).Error; err != nil {
				t.Fatal(err)
			}
			got, err := f.svc.OverdueFor(ctx, f.province)
			if err != nil {
				t.Fatalf("%s: %v", step, err)
			}
			var total int64
			want := map[uint64]int64{}
			for _, c := range overdue {
				want[c.UniversityID] = c.Count
				total += c.Count
			}
			gotMap := map[uint64]int64{}
			for _, c := range got.ByUniversity {
				gotMap[c.UniversityID] = c.Count
			}
			if got.Total != total || len(gotMap) != len(want) {
				t.Fatalf("%s: overdue view %+v (total %d), want %v (total %d)", step, got.ByUniversity, got.Total, want, total)
			}
			for u, n := range want {
				if gotMap[u] != n {
					t.Fatalf("%s: overdue view %+v, want %v", step, got.ByUniversity, want)
				}
			}
		}
		boardA := "u-" + f.uniA.Code
		check(t, "empty")
		q1 := f.ask(t, f.studentA, boardA, "宿舍什么时候通热水", "", false)
		q2 := f.ask(t, f.studentA2, boardA, "图书馆开放时间", "", false)
		q3 := f.ask(t, f.studentB, "u-"+f.uniB.Code, "实习证明怎么开", "", false)
		held := f.ask(t, f.studentA3, boardA, "法轮功", "", false) // held for review
		if held.Status != model.QuestionReview {
			t.Fatalf("held question is %s", held.Status)
		}
		check(t, "asked")
		f.clk.Advance(25 * time.Hour) // all three overdue
		check(t, "overdue")
		q4 := f.ask(t, f.studentB, "u-"+f.uniB.Code, "食堂几点关门", "", false) // open, not yet due
		check(t, "one not yet due")
		if err := f.svc.Approve(ctx, f.adminA, question.TargetQuestion, held.ID); err != nil {
			t.Fatal(err)
		}
		check(t, "approved")
		a := f.answer(t, f.cadreA1, q1.ID, "周一开始供应")
		check(t, "answered")
		if err := f.svc.Hide(ctx, f.adminA, question.TargetAnswer, a.ID, "答非所问"); err != nil {
			t.Fatal(err)
		}
		if got := f.reload(t, q1.ID); got.Status != model.QuestionOpen {
			t.Fatalf("q1 after its only answer was hidden: %s", got.Status)
		}
		check(t, "answer hidden, question open again")
		if err := f.svc.Reopen(ctx, f.adminA, question.TargetAnswer, a.ID); err != nil {
			t.Fatal(err)
		}
		check(t, "answer restored")
		if _, err := f.svc.Resolve(ctx, f.studentA, q1.ID, "满意", ""); err != nil {
			t.Fatal(err)
		}
		check(t, "resolved")
		if err := f.svc.Hide(ctx, f.adminA, question.TargetQuestion, q2.ID, "重复提问"); err != nil {
			t.Fatal(err)
		}
		if err := f.svc.Hide(ctx, f.adminB, question.TargetQuestion, q4.ID, "重复提问"); err != nil {
			t.Fatal(err)
		}
		check(t, "hidden")
		if err := f.svc.Reopen(ctx, f.adminA, question.TargetQuestion, q2.ID); err != nil {
			t.Fatal(err)
		}
		check(t, "restored")
		q5 := f.ask(t, f.studentA3, boardA, "自习室开放吗", "", false)
		check(t, "asked again")
		if _, err := f.svc.Edit(ctx, f.studentA3, q5.ID, question.EditInput{Title: "自习室开放吗", Body: "法轮功"}); err != nil {
			t.Fatal(err)
		}
		check(t, "edited into review")
		if err := f.svc.Withdraw(ctx, f.studentA3, q5.ID); err != nil {
			t.Fatal(err)
		}
		check(t, "withdrawn from review")
		q6 := f.ask(t, f.studentA3, boardA, "自习室几点关门", "", false)
		if err := f.svc.Withdraw(ctx, f.studentA3, q6.ID); err != nil {
			t.Fatal(err)
		}
		check(t, "withdrawn while open")
		f.answer(t, f.cadreA1, q3.ID, "我们学校是到教务处开")
		f.wantOpen(t, "a cross-board reply in B", q3.ID)
		check(t, "a cross-board reply in B")
		f.answer(t, f.cadreB, q3.ID, "到学院办公室开")
		check(t, "answered in B")
		// A repair from the questions gives the same counts.
		if err := question.RecountOpen(ctx, db); err != nil {
			t.Fatal(err)
		}
		check(t, "recounted")
	})
}
