package question_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/gdyouth/youthvoice/model"
	"github.com/gdyouth/youthvoice/model/dbtest"
	"github.com/gdyouth/youthvoice/service"
	"github.com/gdyouth/youthvoice/service/question"
	"github.com/gdyouth/youthvoice/service/servicetest"
)

// search searches as a student and returns the ids found, in order.
func (f *fixture) search(t *testing.T, board, q string, page int) []uint64 {
	t.Helper()
	got, err := f.svc.Search(context.Background(), f.studentA, board, q, page)
	if err != nil {
		t.Fatalf("search %q in %q: %v", q, board, err)
	}
	return ids(got)
}

func (f *fixture) wantSearch(t *testing.T, board, q string, want ...uint64) {
	t.Helper()
	if got := f.search(t, board, q, 1); !sameIDs(got, want...) {
		t.Fatalf("search %q in %q = %v, want %v", q, board, got, want)
	}
}

// What a student finds: Chinese words of two characters or more anywhere
// in the text, Latin words and numbers whole, several words all at once,
// in one board or in all.
func TestSearchWords(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *model.DB) {
		f := setup(t, db)
		boardA := "u-" + f.uniA.Code
		next := func() { f.clk.Advance(time.Minute) }
		cet := f.ask(t, f.studentA, "", "英语CET4怎么报名", "四六级考试的报名时间", false)
		next()
		fullWidth := f.ask(t, f.studentA2, "", "ＣＥＴ４成绩", "在哪个网站查询", false)
		next()
		dash := f.ask(t, f.studentA3, "", "CET-4和CET-6", "有什么区别", false)
		next()
		py := f.ask(t, f.studentB, "province-1", "Python入门", "学Python要多久", false)
		next()
		pyic := f.ask(t, f.studentB, "province-1", "Pythonic的写法", "", false)
		next()
		inspire := f.ask(t, f.studentC, "", "国家励志奖学金申请", "需要准备什么材料", false)
		next()
		spaced := f.ask(t, f.studentC, "province-2", "奖学 金", "分开写的", false)

		cases := []struct {
			name, board, query string
			want               []uint64
		}{
			{"two characters inside a longer word", "", "学金", []uint64{inspire.ID}},
			{"a long word", "", "国家励志奖学金", []uint64{inspire.ID}},
			{"a word does not span a space", "", "奖学金", []uint64{inspire.ID}},
			{"letters and digits, full-width folded, newest first", "", "cet4", []uint64{fullWidth.ID, cet.ID}},
			{"full-width query", "", "ＣＥＴ４", []uint64{fullWidth.ID, cet.ID}},
			{"letters match whole words, the most mentions first", "", "CET", []uint64{dash.ID, fullWidth.ID, cet.ID}},
			{"a hyphen separates words", "", "CET-6", []uint64{dash.ID, fullWidth.ID, cet.ID}},
			{"case does not matter", "", "PYTHON", []uint64{py.ID}},
			{"a prefix of a Latin word is not the word", "", "Pyth", nil},
			{"Latin then Chinese in one word", "", "python入门", []uint64{py.ID}},
			{"Chinese then Latin in one word", "", "英语cet4", []uint64{cet.ID}},
			{"Latin then the start of a Chinese word", "", "pythonic的", []uint64{pyic.ID}},
			{"every word must be there", "", "Python 多久", []uint64{py.ID}},
			{"every word must be there, none has both", "", "Python 奖学金", nil},
			{"one board", "province-1", "python", []uint64{py.ID}},
			{"another board", boardA, "python", nil},
			{"the university board", boardA, "报名", []uint64{cet.ID}},
			{"a word with no hits", "", "量子纠缠", nil},
			{"query syntax is text", "", `"奖学金" +宿舍 -空调 OR *`, nil},
			{"a spaced word", "", "奖学", []uint64{spaced.ID, inspire.ID}},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) { f.wantSearch(t, tc.board, tc.query, tc.want...) })
		}
	})
}

// Results come the most relevant first (the words mentioned more often),
// then the newest, page by page.
func TestSearchOrderAndPages(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *model.DB) {
		f := setup(t, db)
		often := f.ask(t, f.studentA, "", "宿舍空调坏了", "宿舍很热，宿舍没水", false)
		f.clk.Advance(time.Minute)
		once := f.ask(t, f.studentA2, "", "宿舍楼下有猫", "晚上很吵，影响睡觉", false)
		f.clk.Advance(time.Minute)
		twin := f.ask(t, f.studentA3, "", "宿舍楼下有狗", "晚上很吵，影响睡觉", false)
		f.wantSearch(t, "", "宿舍", often.ID, twin.ID, once.ID)

		// 25 equal questions: the newest 20, then the other 5.
		var all []uint64
		students := []model.User{f.studentB, f.studentC}
		for i := range 25 {
			f.clk.Advance(time.Minute)
			q := f.ask(t, students[i/20], "province-3", fmt.Sprintf("第%d次选课", i), "选课系统打不开", false)
			all = append([]uint64{q.ID}, all...)
		}
		if got := f.search(t, "province-3", "选课系统", 1); !sameIDs(got, all[:20]...) {
			t.Fatalf("page 1 = %v, want %v", got, all[:20])
		}
		if got := f.search(t, "province-3", "选课系统", 2); !sameIDs(got, all[20:]...) {
			t.Fatalf("page 2 = %v, want %v", got, all[20:])
		}
		if got := f.search(t, "province-3", "选课系统", 3); len(got) != 0 {
			t.Fatalf("page 3 = %v", got)
		}
	})
}

// Questions held for review, rejected or hidden are never found; one
// hidden after it was found is gone at once, and found again when
// restored; one approved is found, as new.
func TestSearchOnlyPublished(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *model.DB) {
		f := setup(t, db)
		ctx := context.Background()
		old := f.ask(t, f.studentA, "", "奖学金评定", "什么时候评定", false)
		f.clk.Advance(time.Minute)
		held := f.ask(t, f.studentA2, "", "奖学金代考", "", false)
		rejected := f.ask(t, f.studentA3, "", "奖学金代考", "", false) // as long as the others: BM25 (SQLite) ranks shorter texts higher
		if held.Status != model.QuestionReview || rejected.Status != model.QuestionReview {
			t.Fatalf("statuses %q %q, want both held for review", held.Status, rejected.Status)
		}
		f.clk.Advance(time.Minute)
		answered := f.ask(t, f.studentB, "province-1", "奖学金名额", "", false)
		f.answer(t, f.cadreB, answered.ID, "按学院人数分配")
		f.wantSearch(t, "", "奖学金", answered.ID, old.ID)

		if err := f.svc.Hide(ctx, f.adminA, question.TargetQuestion, rejected.ID, "违规"); err != nil {
			t.Fatal(err)
		}
		if err := f.svc.Hide(ctx, f.province, question.TargetQuestion, answered.ID, "重复"); err != nil {
			t.Fatal(err)
		}
		f.wantSearch(t, "", "奖学金", old.ID)
		// Another instance, which searched before: it checks each
		// question it found, so the hidden one is gone there too.
		other := f.newService(t)
		if got, err := other.Search(ctx, f.studentA, "", "奖学金", 1); err != nil || !sameIDs(ids(got), old.ID) {
			t.Fatalf("other instance: %v, %v", ids(got), err)
		}

		f.clk.Advance(time.Minute)
		if err := f.svc.Approve(ctx, f.adminA, question.TargetQuestion, held.ID); err != nil {
			t.Fatal(err)
		}
		f.wantSearch(t, "", "奖学金", held.ID, old.ID) // approved now: the newest
		f.clk.Advance(time.Minute)
		if err := f.svc.Reopen(ctx, f.province, question.TargetQuestion, answered.ID); err != nil {
			t.Fatal(err)
		}
		f.clk.Advance(time.Minute)
		if err := f.svc.Reopen(ctx, f.adminA, question.TargetQuestion, rejected.ID); err != nil {
			t.Fatal(err)
		}
		// Restored after rejection: published now. Restored after being
		// hidden: back with its own time.
		f.wantSearch(t, "", "奖学金", rejected.ID, held.ID, answered.ID, old.ID)
		if got := f.reload(t, answered.ID); got.Status != model.QuestionAnswered {
			t.Fatalf("restored status %q", got.Status)
		}
	})
}

func TestSearchRefusesOneCharacter(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *model.DB) {
		f := setup(t, db)
		for _, q := range []string{"奖", "a", "5", "奖 a 5", "《奖》", "C++"} {
			_, err := f.svc.Search(context.Background(), f.studentA, "", q, 1)
			servicetest.WantErr(t, q, err, service.ErrInvalid, "")
			if servicetest.Code(err) != "query_too_short" {
				t.Fatalf("%q: code %q", q, servicetest.Code(err))
			}
		}
	})
}

// The first pages of a broad search are kept: for a minute as they are
// (unless this instance changes the index), then while a search in the
// background brings them up to date. Hidden questions never show.
func TestSearchKeepsBroadResults(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *model.DB) {
		f := setup(t, db)
		ctx := context.Background()
		// More matches than the kept pages hold, written straight into the
		// table as a data load would, then indexed.
		at := f.clk.Now().Add(-time.Hour)
		for i := range 10*question.PageSize + 5 {
			q := model.Question{BoardID: 1, UniversityID: f.uniA.ID, AskerID: f.studentB.ID, Title: fmt.Sprintf("食堂%d", i),
				Body: "饭菜太贵", Status: model.QuestionOpen, DueAt: at.Add(24 * time.Hour), CreatedAt: at.Add(time.Duration(i) * time.Second), UpdatedAt: at}
			if err := db.Conn(ctx).Create(&q).Error; err != nil {
				t.Fatal(err)
			}
		}
		if _, err := question.RebuildSearch(ctx, db); err != nil {
			t.Fatal(err)
		}
		first := f.search(t, "", "饭菜", 1)
		if len(first) != question.PageSize {
			t.Fatalf("page 1 has %d", len(first))
		}

		// Another instance publishes a question: this one keeps its pages.
		other := f.newService(t)
		added, err := other.Ask(ctx, f.studentA, question.AskInput{Title: "饭菜", Body: "太贵了"})
		if err != nil {
			t.Fatal(err)
		}
		if got := f.search(t, "", "饭菜", 1); !sameIDs(got, first...) {
			t.Fatalf("within the minute: %v, want the kept %v", got, first)
		}
		// Hidden meanwhile: gone from the kept page at once.
		if err := other.Hide(ctx, f.province, question.TargetQuestion, first[0], "重复"); err != nil {
			t.Fatal(err)
		}
		if got := f.search(t, "", "饭菜", 1); !sameIDs(got, first[1:]...) {
			t.Fatalf("after hiding %d: %v", first[0], got)
		}
		// A minute on: the kept pages still answer while they are brought up
		// to date, and soon show the new question (as relevant as the
		// others, and the newest).
		f.clk.Advance(61 * time.Second)
		deadline := time.Now().Add(10 * time.Second)
		for {
			got := f.search(t, "", "饭菜", 1)
			if len(got) > 0 && got[0] == added.ID {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("the new question %d never came first: %v", added.ID, got)
			}
			time.Sleep(20 * time.Millisecond)
		}
		// A narrow search is never served from what was kept.
		f.wantSearch(t, "", "太贵了", added.ID)
	})
}
