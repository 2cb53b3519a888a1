package question_test

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/gdyouth/youthvoice/model"
	"github.com/gdyouth/youthvoice/model/dbtest"
	"github.com/gdyouth/youthvoice/service"
	"github.com/gdyouth/youthvoice/service/question"
	"github.com/gdyouth/youthvoice/service/servicetest"
)

// boardFill puts n questions on board key straight into the table, three
// to a second (ties of created_at), every status in turn, and returns
// them. Answered and resolved ones were answered an hour after asking.
func boardFill(t *testing.T, f *fixture, key string, asker model.User, n int) []model.Question {
	t.Helper()
	ctx := context.Background()
	var b model.Board
	if err := f.db.Conn(ctx).Where("`key` = ?", key).Take(&b).Error; err != nil {
		t.Fatal(err)
	}
	statuses := []string{model.QuestionOpen, model.QuestionAnswered, model.QuestionResolved, model.QuestionAnswered,
		model.QuestionHidden, model.QuestionOpen, model.QuestionReview, model.QuestionAnswered}
	rows := make([]model.Question, n)
	start := t0.Add(-30 * 24 * time.Hour)
	for i := range rows {
		at := start.Add(time.Duration(i/3) * time.Second)
		q := model.Question{BoardID: b.ID, UniversityID: *asker.UniversityID, AskerID: asker.ID, Title: fmt.Sprintf("问题 %03d", i),
			Body: fmt.Sprintf("第 %d 个问题的详细内容。", i) + runes("长", 70), Status: statuses[i%len(statuses)],
			DueAt: at.Add(question.AnswerWithin), CreatedAt: at, UpdatedAt: at}
		if q.Status == model.QuestionAnswered || q.Status == model.QuestionResolved {
			answered := at.Add(time.Hour)
			q.FirstAnsweredAt = &answered
		}
		rows[i] = q
	}
	// Shuffled ids: the order must come from created_at, then id.
	slices.Reverse(rows[n/2:])
	if err := f.db.Conn(ctx).CreateInBatches(rows, 50).Error; err != nil {
		t.Fatal(err)
	}
	return rows
}

// listOrder is the order a viewer sees: newest first (created_at, then
// id), open questions first when openFirst, public statuses only.
func listOrder(qs []model.Question, openFirst, openOnly bool) []uint64 {
	var keep []model.Question
	for _, q := range qs {
		switch {
		case q.Status == model.QuestionOpen:
		case openOnly:
			continue
		case q.Status == model.QuestionAnswered, q.Status == model.QuestionResolved:
		default:
			continue
		}
		keep = append(keep, q)
	}
	part := func(q model.Question) int {
		if openFirst && q.Status != model.QuestionOpen {
			return 1
		}
		return 0
	}
	slices.SortFunc(keep, func(a, b model.Question) int {
		return cmp.Or(cmp.Compare(part(a), part(b)), b.CreatedAt.Compare(a.CreatedAt), cmp.Compare(b.ID, a.ID))
	})
	out := make([]uint64, len(keep))
	for i, q := range keep {
		out[i] = q.ID
	}
	return out
}

// walk follows Next from the first page to the last, and Prev back up,
// and returns the pages in order.
func walk(t *testing.T, f *fixture, viewer model.User, key string, unanswered bool) [][]uint64 {
	t.Helper()
	ctx := context.Background()
	var pages [][]uint64
	var cursors []string // the Prev of each page
	o := question.ListOptions{Unanswered: unanswered}
	for {
		_, p, err := f.svc.List(ctx, viewer, key, o)
		if err != nil {
			t.Fatalf("page %d: %v", len(pages)+1, err)
		}
		if len(pages) == 0 && p.Prev != "" {
			t.Fatalf("the first page has a previous page %q", p.Prev)
		}
		if len(p.Items) == 0 || len(p.Items) > question.PageSize || (p.Next != "" && len(p.Items) != question.PageSize) {
			t.Fatalf("page %d holds %d questions (next %q)", len(pages)+1, len(p.Items), p.Next)
		}
		pages = append(pages, ids(p.Items))
		cursors = append(cursors, p.Prev)
		if p.Next == "" {
			break
		}
		o.After = p.Next
		if len(pages) > 100 {
			t.Fatal("no end to the pages")
		}
	}
	// Back up: each Prev opens the page before.
	for i := len(pages) - 1; i > 0; i-- {
		_, p, err := f.svc.List(ctx, viewer, key, question.ListOptions{Unanswered: unanswered, PageOptions: question.PageOptions{Before: cursors[i]}})
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(ids(p.Items), pages[i-1]) {
			t.Fatalf("page %d backwards = %v, forwards %v", i, ids(p.Items), pages[i-1])
		}
		if (i == 1) != (p.Prev == "") || p.Next == "" {
			t.Fatalf("page %d backwards: prev %q next %q", i, p.Prev, p.Next)
		}
	}
	return pages
}

func TestListPagesWalkEveryQuestionOnce(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *model.DB) {
		f := setup(t, db)
		ctx := context.Background()
		boardA := "u-" + f.uniA.Code
		qs := boardFill(t, f, boardA, f.studentA, 131)
		if err := db.Conn(ctx).Where("board_id = ?", qs[0].BoardID).Order("id").Find(&qs).Error; err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct {
			name                  string
			viewer                model.User
			unanswered, openFirst bool
		}{
			{"student", f.studentB, false, false},
			{"cadre: open first", f.cadreA1, false, true},
			{"province admin: open first", f.province, false, true},
			{"unanswered tab", f.studentA2, true, false},
			{"unanswered tab of a cadre", f.cadreA2, true, false},
		} {
			t.Run(tc.name, func(t *testing.T) {
				pages := walk(t, f, tc.viewer, boardA, tc.unanswered)
				got := slices.Concat(pages...)
				if want := listOrder(qs, tc.openFirst, tc.unanswered); !slices.Equal(got, want) {
					t.Fatalf("walk = %v\nwant   %v", got, want)
				}
				// Old links by number open the same pages.
				for n, page := range pages {
					_, p, err := f.svc.List(ctx, tc.viewer, boardA, question.ListOptions{Unanswered: tc.unanswered,
						PageOptions: question.PageOptions{Page: n + 1}})
					if err != nil || !slices.Equal(ids(p.Items), page) {
						t.Fatalf("page=%d: %v, %v; want %v", n+1, ids(p.Items), err, page)
					}
					if (n > 0) != (p.Prev != "") || (n < len(pages)-1) != (p.Next != "") {
						t.Fatalf("page=%d: prev %q, next %q", n+1, p.Prev, p.Next)
					}
				}
				_, p, err := f.svc.List(ctx, tc.viewer, boardA, question.ListOptions{Unanswered: tc.unanswered,
					PageOptions: question.PageOptions{Page: len(pages) + 1}})
				if err != nil || len(p.Items) != 0 {
					t.Fatalf("the page after the last: %v, %v", ids(p.Items), err)
				}
			})
		}

		t.Run("items carry an excerpt, not the body", func(t *testing.T) {
			_, p, err := f.svc.List(ctx, f.studentA, boardA, question.ListOptions{})
			if err != nil || len(p.Items) == 0 {
				t.Fatal(err)
			}
			for _, s := range p.Items {
				if s.Body != "" || len([]rune(s.Excerpt)) != 61 || []rune(s.Excerpt)[60] != '…' || s.Title == "" || s.BoardName == "" {
					t.Fatalf("item %+v", s)
				}
			}
		})

		t.Run("a bad cursor", func(t *testing.T) {
			for _, o := range []question.PageOptions{{After: "x"}, {Before: "1.2.3"}, {After: "7.a.b.c"}, {After: "0.-5.1.1"}} {
				_, _, err := f.svc.List(ctx, f.studentA, boardA, question.ListOptions{PageOptions: o})
				if !errors.Is(err, service.ErrInvalid) || servicetest.Code(err) != "bad_cursor" {
					t.Fatalf("%+v: %v", o, err)
				}
			}
			// The cadre's list has two parts, the student's one.
			_, p, _ := f.svc.List(ctx, f.cadreA1, boardA, question.ListOptions{Unanswered: false})
			_, p, _ = f.svc.List(ctx, f.cadreA1, boardA, question.ListOptions{PageOptions: question.PageOptions{After: p.Next}})
			_, p, _ = f.svc.List(ctx, f.cadreA1, boardA, question.ListOptions{PageOptions: question.PageOptions{After: p.Next}})
			if _, _, err := f.svc.List(ctx, f.studentA, boardA, question.ListOptions{PageOptions: question.PageOptions{After: p.Next}}); servicetest.Code(err) != "bad_cursor" {
				t.Fatalf("a cadre's second-part cursor on a student's list: %v", err)
			}
		})
	})
}

// Questions that are answered, resolved, hidden or asked while somebody
// pages through a list: no question shows twice, and every question that
// stayed public all along shows once.
func TestListPagesWhileQuestionsChange(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *model.DB) {
		f := setup(t, db)
		ctx := context.Background()
		boardA := "u-" + f.uniA.Code
		qs := boardFill(t, f, boardA, f.studentA, 150)
		if err := db.Conn(ctx).Where("board_id = ?", qs[0].BoardID).Order("id").Find(&qs).Error; err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct {
			name   string
			viewer model.User
		}{
			{"student", f.studentB},
			{"cadre", f.cadreA2},
		} {
			t.Run(tc.name, func(t *testing.T) {
				order := listOrder(qs, tc.viewer.Role != model.RoleStudent, false)
				open := map[uint64]bool{}
				for _, q := range qs {
					open[q.ID] = q.Status == model.QuestionOpen
				}
				_, p, err := f.svc.List(ctx, tc.viewer, boardA, question.ListOptions{})
				if err != nil {
					t.Fatal(err)
				}
				seen := ids(p.Items)
				// Between pages: one seen and one unseen open question
				// are answered, an unseen one hidden, an answered one
				// resolved, a new one asked.
				var seenOpen, unseenOpen, unseenHide, unseenAnswered uint64
				for _, id := range order {
					switch {
					case slices.Contains(seen, id):
						if open[id] && seenOpen == 0 {
							seenOpen = id
						}
					case open[id] && unseenOpen == 0:
						unseenOpen = id
					case open[id] && unseenHide == 0:
						unseenHide = id
					case !open[id] && unseenAnswered == 0:
						unseenAnswered = id
					}
				}
				f.clk.Advance(time.Minute)
				for _, id := range []uint64{seenOpen, unseenOpen} {
					f.answer(t, f.cadreA1, id, "答复")
				}
				if err := f.svc.Hide(ctx, f.adminA, question.TargetQuestion, unseenHide, "重复提问"); err != nil {
					t.Fatal(err)
				}
				var resolved model.Question
				if err := db.Conn(ctx).Where("id = ?", unseenAnswered).Take(&resolved).Error; err != nil {
					t.Fatal(err)
				}
				if err := db.Conn(ctx).Model(&resolved).Update("status", model.QuestionResolved).Error; err != nil {
					t.Fatal(err)
				}
				asked := f.ask(t, f.studentA3, "", "翻页时新提的问题", "", false)
				for p.Next != "" {
					if _, p, err = f.svc.List(ctx, tc.viewer, boardA, question.ListOptions{PageOptions: question.PageOptions{After: p.Next}}); err != nil {
						t.Fatal(err)
					}
					seen = append(seen, ids(p.Items)...)
				}
				counts := map[uint64]int{}
				for _, id := range seen {
					counts[id]++
					if counts[id] > 1 {
						t.Fatalf("question %d shown twice in %v", id, seen)
					}
				}
				for _, id := range order {
					if id != unseenHide && counts[id] != 1 {
						t.Fatalf("question %d shown %d times", id, counts[id])
					}
				}
				if counts[unseenHide] != 0 || counts[asked.ID] != 0 {
					t.Fatalf("hidden %d shown %d times, new %d shown %d times", unseenHide, counts[unseenHide], asked.ID, counts[asked.ID])
				}
				// Restore what changed for the next viewer.
				if err := db.Conn(ctx).Where("board_id = ?", qs[0].BoardID).Order("id").Find(&qs).Error; err != nil {
					t.Fatal(err)
				}
			})
		}
	})
}

func TestMinePages(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *model.DB) {
		f := setup(t, db)
		ctx := context.Background()
		mine := boardFill(t, f, "province-2", f.studentA2, 45)
		boardFill(t, f, "province-2", f.studentA3, 10) // somebody else's
		slices.SortFunc(mine, func(a, b model.Question) int {
			return cmp.Or(b.CreatedAt.Compare(a.CreatedAt), cmp.Compare(b.ID, a.ID))
		})
		var want []uint64
		for _, q := range mine {
			want = append(want, q.ID) // every status: they are the asker's
		}
		var got []uint64
		o := question.PageOptions{}
		for {
			p, err := f.svc.Mine(ctx, f.studentA2, o)
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, ids(p.Items)...)
			if p.Next == "" {
				break
			}
			o = question.PageOptions{After: p.Next}
		}
		if !slices.Equal(got, want) {
			t.Fatalf("mine = %v\nwant   %v", got, want)
		}
		if p, err := f.svc.Mine(ctx, f.studentA2, question.PageOptions{Page: 3}); err != nil || !slices.Equal(ids(p.Items), want[40:]) {
			t.Fatalf("page 3 = %v, %v", ids(p.Items), err)
		}
	})
}
