package question_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/gdyouth/youthvoice/model"
	"github.com/gdyouth/youthvoice/model/dbtest"
	"github.com/gdyouth/youthvoice/service"
	"github.com/gdyouth/youthvoice/service/alertkind"
	"github.com/gdyouth/youthvoice/service/notify"
	"github.com/gdyouth/youthvoice/service/question"
	"github.com/gdyouth/youthvoice/service/servicetest"
)

func TestNewRequiresDependencies(t *testing.T) {
	if _, err := question.New(nil, nil, nil, nil, nil); err == nil {
		t.Fatal("New with nil dependencies succeeded")
	}
}

func TestAskValidation(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *model.DB) {
		f := setup(t, db)
		ctx := context.Background()
		cases := []struct {
			name        string
			title, body string
			code, field string
			msg         string // part of the message the user sees
		}{
			{"empty title", "", "正文", "title_required", "title", "请填写问题标题"},
			{"blank title", " \t\r\n ", "正文", "title_required", "title", "请填写问题标题"},
			{"control characters only", "\x00\x07\x1b", "正文", "title_required", "title", "请填写问题标题"},
			{"zero-width and bidi characters only", "\u200b\u200b\u202e\ufeff", "正文", "title_required", "title", "请填写问题标题"},
			{"51-character title", runes("问", 51), "", "title_too_long", "title", "标题不能超过 50 个字（当前 51 个字）"},
			{"2001-character body", "正常标题", runes("字", 2001), "too_long", "body", "补充说明不能超过 2000 个字（当前 2001 个字）"},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				_, err := f.svc.Ask(ctx, f.studentA, question.AskInput{Title: tc.title, Body: tc.body})
				servicetest.WantErr(t, tc.name, err, service.ErrInvalid, "")
				var se *service.Error
				errors.As(err, &se)
				if se.Code != tc.code || se.Fields[tc.field] == "" || !strings.Contains(se.Message, tc.msg) {
					t.Fatalf("error = %+v, want code %s on field %s saying %q", se, tc.code, tc.field, tc.msg)
				}
			})
		}
		var n int64
		if err := db.Conn(ctx).Model(&model.Question{}).Count(&n).Error; err != nil || n != 0 {
			t.Fatalf("%d questions stored after rejected asks, %v", n, err)
		}
		if got := f.alerts(t, alertkind.QuestionNew); len(got) != 0 {
			t.Fatalf("rejected asks enqueued %d alerts", len(got))
		}

		t.Run("limits are inclusive and text is cleaned", func(t *testing.T) {
			q, err := f.svc.Ask(ctx, f.studentA, question.AskInput{Title: " " + runes("问", 48) + "\x00 \n 题 ", Body: runes("字", 2000) + "\r\n"})
			if err != nil {
				t.Fatal(err)
			}
			if q.Title != runes("问", 48)+" 题" || utf8.RuneCountInString(q.Body) != 2000 {
				t.Fatalf("stored title %q (%d runes), body %d runes", q.Title, utf8.RuneCountInString(q.Title), utf8.RuneCountInString(q.Body))
			}
			got := f.reload(t, q.ID)
			if got.Title != q.Title || got.Body != runes("字", 2000) {
				t.Fatalf("read back title %q body of %d runes", got.Title, utf8.RuneCountInString(got.Body))
			}
		})
	})
}

func TestAskBoards(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *model.DB) {
		f := setup(t, db)
		ctx := context.Background()
		boardA, err := f.svc.Board(ctx, "u-"+f.uniA.Code)
		if err != nil || boardA.UniversityID == nil || *boardA.UniversityID != f.uniA.ID || boardA.Kind != model.BoardUniversity {
			t.Fatalf("board u-%s = %+v, %v", f.uniA.Code, boardA, err)
		}
		prov2, err := f.svc.Board(ctx, "province-2")
		if err != nil || prov2.Name != "就业创业" || prov2.Kind != model.BoardProvince {
			t.Fatalf("province-2 = %+v, %v", prov2, err)
		}

		t.Run("default is own university board, due in 24 hours", func(t *testing.T) {
			q := f.ask(t, f.studentA, "", "宿舍什么时候通热水", "", false)
			if q.ID == 0 || q.BoardID != boardA.ID || q.UniversityID != f.uniA.ID || q.AskerID != f.studentA.ID || q.Status != model.QuestionOpen {
				t.Fatalf("question = %+v, want open on board %d", q, boardA.ID)
			}
			if !q.CreatedAt.Equal(t0) || !q.DueAt.Equal(t0.Add(24*time.Hour)) {
				t.Fatalf("created %v due %v, want %v and 24h later", q.CreatedAt, q.DueAt, t0)
			}
			got := f.reload(t, q.ID)
			if !got.DueAt.Equal(got.CreatedAt.Add(24*time.Hour)) || got.FirstAnsweredAt != nil || got.RemindedAt != nil {
				t.Fatalf("stored question = %+v", got)
			}
		})
		t.Run("explicit own board", func(t *testing.T) {
			q := f.ask(t, f.studentA, "u-"+f.uniA.Code, "图书馆开放时间", "", false)
			if q.BoardID != boardA.ID {
				t.Fatalf("board %d, want %d", q.BoardID, boardA.ID)
			}
		})
		t.Run("provincial board keeps the asker's university", func(t *testing.T) {
			q := f.ask(t, f.studentB, "province-2", "实习证明怎么开", "", false)
			if q.BoardID != prov2.ID || q.UniversityID != f.uniB.ID {
				t.Fatalf("question = %+v, want board %d of university %d", q, prov2.ID, f.uniB.ID)
			}
		})
		t.Run("refusals", func(t *testing.T) {
			if err := db.Conn(ctx).Model(&model.Board{}).Where("`key` = ?", "province-6").Update("enabled", false).Error; err != nil {
				t.Fatal(err)
			}
			cases := []struct {
				name  string
				who   model.User
				board string
				kind  error
			}{
				{"another university's board", f.studentA, "u-" + f.uniB.Code, service.ErrForbidden},
				{"user without university", f.noUniversity, "", service.ErrForbidden},
				{"user without university on a provincial board", f.noUniversity, "province-1", service.ErrForbidden},
				{"unknown board", f.studentA, "province-99", service.ErrNotFound},
				{"disabled board", f.studentA, "province-6", service.ErrNotFound},
			}
			for _, tc := range cases {
				t.Run(tc.name, func(t *testing.T) {
					_, err := f.svc.Ask(ctx, tc.who, question.AskInput{BoardKey: tc.board, Title: "标题"})
					servicetest.WantErr(t, tc.name, err, tc.kind, "")
				})
			}
			var n int64
			if err := db.Conn(ctx).Model(&model.Question{}).Where("title = ?", "标题").Count(&n).Error; err != nil || n != 0 {
				t.Fatalf("refused asks stored %d questions, %v", n, err)
			}
		})
		t.Run("Boards lists own board then the enabled provincial ones", func(t *testing.T) {
			bs, err := f.svc.Boards(ctx, f.studentA)
			if err != nil {
				t.Fatal(err)
			}
			var keys []string
			for _, b := range bs {
				keys = append(keys, b.Key)
			}
			want := []string{"u-" + f.uniA.Code, "province-1", "province-2", "province-3", "province-4", "province-5"}
			if !slices.Equal(keys, want) {
				t.Fatalf("boards = %v, want %v", keys, want)
			}
			bs, err = f.svc.Boards(ctx, f.noUniversity)
			if err != nil || len(bs) != 5 || bs[0].Key != "province-1" {
				t.Fatalf("boards without university = %d, %v", len(bs), err)
			}
		})
	})
}

func TestAskDailyLimit(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *model.DB) {
		f := setup(t, db)
		ctx := context.Background()
		for i := range 20 {
			f.ask(t, f.studentA, "", fmt.Sprintf("第 %d 个问题", i+1), "", false)
			f.clk.Advance(time.Minute)
		}
		_, err := f.svc.Ask(ctx, f.studentA, question.AskInput{Title: "第 21 个问题"})
		servicetest.WantErr(t, "21st question in 24 hours", err, service.ErrTooMany, "")
		if !strings.Contains(err.Error(), "24 小时内最多提问 20 次") {
			t.Fatalf("message = %v", err)
		}
		// Someone else is not limited by studentA's questions.
		f.ask(t, f.studentA2, "", "别人的问题", "", false)
		// 24 hours after the first question one slot is free again, not two.
		f.clk.Set(t0.Add(24*time.Hour + time.Second))
		f.ask(t, f.studentA, "", "第二天的问题", "", false)
		_, err = f.svc.Ask(ctx, f.studentA, question.AskInput{Title: "又一个"})
		servicetest.WantErr(t, "second question next day", err, service.ErrTooMany, "")
	})
}

// Asks sent at the same moment (a double tap, several tabs) cannot pass
// the limit together.
func TestAskDailyLimitConcurrent(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *model.DB) {
		f := setup(t, db)
		ctx := context.Background()
		for i := range 17 {
			f.ask(t, f.studentA, "", fmt.Sprintf("第 %d 个问题", i+1), "", false)
		}
		const tries = 10
		var (
			wg            sync.WaitGroup
			mu            sync.Mutex
			asked, denied int
		)
		start := make(chan struct{})
		for i := range tries {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				_, err := f.svc.Ask(ctx, f.studentA, question.AskInput{Title: fmt.Sprintf("同时提交 %d", i)})
				mu.Lock()
				defer mu.Unlock()
				switch {
				case err == nil:
					asked++
				case errors.Is(err, service.ErrTooMany):
					denied++
				default:
					t.Errorf("ask %d: %v", i, err)
				}
			}()
		}
		close(start)
		wg.Wait()
		if asked != 3 || denied != tries-3 {
			t.Fatalf("%d concurrent asks with 3 left today: %d published, %d refused; want 3 and %d", tries, asked, denied, tries-3)
		}
		var n int64
		if err := db.Conn(ctx).Model(&model.Question{}).Where("asker_id = ?", f.studentA.ID).Count(&n).Error; err != nil || n != 20 {
			t.Fatalf("studentA has %d questions (%v), want 20", n, err)
		}
	})
}

// The first questions of a university added after the boards were seeded
// create its board once, however many arrive at the same moment.
func TestAskConcurrentFirstQuestionsOfNewUniversity(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *model.DB) {
		f := setup(t, db)
		ctx := context.Background()
		for round := range 3 {
			now := time.Now().UTC()
			uni := model.University{Code: fmt.Sprintf("99990%05d", round), Name: fmt.Sprintf("新增学院%d", round), City: "广州市",
				Level: "专科", Ownership: "公办", Batch: 1, CreatedAt: now, UpdatedAt: now}
			if err := db.Conn(ctx).Create(&uni).Error; err != nil {
				t.Fatal(err)
			}
			const askers = 6
			var students []model.User
			for range askers {
				students = append(students, servicetest.NewNamedUser(t, db, model.RoleStudent, &uni.ID, true, ""))
			}
			var wg sync.WaitGroup
			start := make(chan struct{})
			errs := make(chan error, askers)
			for i, st := range students {
				wg.Add(1)
				go func() {
					defer wg.Done()
					<-start
					if _, err := f.svc.Ask(ctx, st, question.AskInput{Title: fmt.Sprintf("新学校的第 %d 个问题", i)}); err != nil {
						errs <- err
					}
				}()
			}
			close(start)
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Errorf("round %d: ask: %v", round, err)
			}
			var boards []model.Board
			if err := db.Conn(ctx).Where("university_id = ?", uni.ID).Find(&boards).Error; err != nil || len(boards) != 1 {
				t.Fatalf("round %d: %d boards (%v), want 1", round, len(boards), err)
			}
			var n int64
			if err := db.Conn(ctx).Model(&model.Question{}).Where("board_id = ?", boards[0].ID).Count(&n).Error; err != nil || n != askers {
				t.Fatalf("round %d: %d questions on the new board (%v), want %d", round, n, err, askers)
			}
		}
	})
}

func TestAskAlertsCadres(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *model.DB) {
		f := setup(t, db)
		title := "关于国家奖学金评定细则与材料提交截止时间的疑问" // 23 characters
		q := f.ask(t, f.studentA, "", title, "请问今年什么时候交材料？", false)

		ms := f.alerts(t, alertkind.QuestionNew)
		// The bound cadres of A only: not the unbound cadre, not B's cadre,
		// not A's admin (A has cadres), not the asker.
		servicetest.WantRecipients(t, "question_new", ms, f.cadreA1, f.cadreA2)
		for _, m := range ms {
			if !strings.HasPrefix(m.URL, "https://yv.example.org/h5/oauth/start?") || !strings.HasSuffix(m.URL, questionNext(q.ID)) {
				t.Fatalf("url = %q, want the OAuth link to question %d", m.URL, q.ID)
			}
			if m.Status != model.TemplatePending || m.TemplateID != "sandbox-question_new" {
				t.Fatalf("row = %+v", m)
			}
			d := servicetest.AlertData(t, m)
			board, err := f.svc.Board(context.Background(), "u-"+f.uniA.Code)
			if err != nil {
				t.Fatal(err)
			}
			if d["thing1"] == "" || d["thing2"] == "" || d["time3"] == "" || len(d) != 3 {
				t.Fatalf("data = %v, want thing1, thing2, time3", d)
			}
			if n := maxRunes(d); n > 20 {
				t.Fatalf("data = %v: a value of %d characters (WeChat allows 20)", d, n)
			}
			if d["thing1"] != string([]rune(title)[:19])+"…" {
				t.Fatalf("thing1 = %q, want the title cut to 20 characters", d["thing1"])
			}
			if !strings.HasPrefix(board.Name, strings.TrimSuffix(d["thing2"], "…")) {
				t.Fatalf("thing2 = %q, want the board name %q", d["thing2"], board.Name)
			}
			if d["time3"] != "2026-11-25 17:00" {
				t.Fatalf("time3 = %q, want Beijing time of the question", d["time3"])
			}
		}

		t.Run("university without cadres alerts its bound admins", func(t *testing.T) {
			qc := f.ask(t, f.studentC, "province-3", "压力很大怎么办", "", true)
			servicetest.WantRecipients(t, "question_new to C", f.alertsFor(t, alertkind.QuestionNew, qc.ID), f.adminC)
		})
		t.Run("provincial question goes to the asker's university", func(t *testing.T) {
			qb := f.ask(t, f.studentB, "province-1", "转专业", "", false)
			servicetest.WantRecipients(t, "question_new to B", f.alertsFor(t, alertkind.QuestionNew, qb.ID), f.cadreB)
		})
	})
}

func TestSensitiveQuestionHeldForReview(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *model.DB) {
		f := setup(t, db)
		ctx := context.Background()
		q := f.ask(t, f.studentA, "", "考试求助", "有没有人可以代 考高数", false)
		if q.Status != model.QuestionReview {
			t.Fatalf("status = %q, want review", q.Status)
		}
		if got := f.alerts(t, alertkind.QuestionNew); len(got) != 0 {
			t.Fatalf("held question alerted %d cadres", len(got))
		}
		// Held in the title too, with punctuation in between.
		q2 := f.ask(t, f.studentB, "province-1", "找人代-考", "", false)
		if q2.Status != model.QuestionReview {
			t.Fatalf("title with 代-考: status %q", q2.Status)
		}

		if v, err := f.svc.Get(ctx, f.studentA, q.ID); err != nil || v.Question.Status != model.QuestionReview || !v.Mine || v.CanAnswer {
			t.Fatalf("asker's view = %+v, %v", v, err)
		}
		for _, who := range []model.User{f.studentA2, f.studentB, f.cadreA1, f.adminB} {
			_, err := f.svc.Get(ctx, who, q.ID)
			servicetest.WantErr(t, "held question seen by "+who.Account, err, service.ErrNotFound, "")
		}
		if v, err := f.svc.Get(ctx, f.adminA, q.ID); err != nil || !v.CanModerate {
			t.Fatalf("A's admin view = %+v, %v", v, err)
		}
		_, err := f.svc.Answer(ctx, f.adminA, q.ID, "不能答复待审核的问题")
		servicetest.WantErr(t, "answer a held question", err, service.ErrConflict, "")
		list, err := f.list(ctx, f.studentA, "u-"+f.uniA.Code, question.ListOptions{})
		if err != nil || len(list) != 0 {
			t.Fatalf("held question listed: %v, %v", ids(list), err)
		}

		queue, err := f.svc.ReviewQueue(ctx, f.adminA)
		if err != nil || len(queue) != 1 || queue[0].Kind != question.TargetQuestion || queue[0].ID != q.ID || queue[0].Body != q.Body {
			t.Fatalf("A's review queue = %+v, %v", queue, err)
		}
		if queue, err := f.svc.ReviewQueue(ctx, f.adminB); err != nil || len(queue) != 1 || queue[0].ID != q2.ID {
			t.Fatalf("B's review queue = %+v, %v; want only B's student's question", queue, err)
		}
		if queue, err := f.svc.ReviewQueue(ctx, f.province); err != nil || len(queue) != 2 {
			t.Fatalf("province review queue has %d items, %v; want both", len(queue), err)
		}
		for _, who := range []model.User{f.studentA, f.cadreA1} {
			_, err := f.svc.ReviewQueue(ctx, who)
			servicetest.WantErr(t, "review queue of "+who.Role, err, service.ErrForbidden, "")
		}
		servicetest.WantErr(t, "B's admin approving", f.svc.Approve(ctx, f.adminB, question.TargetQuestion, q.ID), service.ErrNotFound, "")

		f.clk.Advance(3 * time.Hour)
		if err := f.svc.Approve(ctx, f.adminA, question.TargetQuestion, q.ID); err != nil {
			t.Fatal(err)
		}
		got := f.reload(t, q.ID)
		approved := t0.Add(3 * time.Hour)
		if got.Status != model.QuestionOpen || !got.DueAt.Equal(approved.Add(24*time.Hour)) || !got.CreatedAt.Equal(approved) {
			t.Fatalf("after approval status %q created %v due %v; want open, due 24h after %v", got.Status, got.CreatedAt, got.DueAt, approved)
		}
		servicetest.WantRecipients(t, "question_new after approval", f.alertsFor(t, alertkind.QuestionNew, q.ID), f.cadreA1, f.cadreA2)
		mod := f.alertsFor(t, alertkind.Moderated, q.ID)
		servicetest.WantRecipients(t, "moderated", mod, f.studentA)
		if d := servicetest.AlertData(t, mod[0]); d["phrase2"] != "审核通过" {
			t.Fatalf("moderated data = %v", d)
		}
		servicetest.WantErr(t, "approving twice", f.svc.Approve(ctx, f.adminA, question.TargetQuestion, q.ID), service.ErrConflict, "")
		if _, err := f.svc.Get(ctx, f.studentB, q.ID); err != nil {
			t.Fatalf("approved question hidden from others: %v", err)
		}
		if queue, err := f.svc.ReviewQueue(ctx, f.adminA); err != nil || len(queue) != 0 {
			t.Fatalf("A's review queue after approval = %+v, %v", queue, err)
		}

		// The 24-hour clock counts from approval: nothing is due 20 hours
		// after asking, the reminder comes 20 hours after approval.
		f.clk.Set(t0.Add(20 * time.Hour))
		if r, o, err := f.svc.Sweep(ctx); err != nil || r != 0 || o != 0 {
			t.Fatalf("sweep 20h after asking: %d reminders, %d overdue, %v", r, o, err)
		}
		f.clk.Set(approved.Add(20 * time.Hour))
		if r, _, err := f.svc.Sweep(ctx); err != nil || r != 1 {
			t.Fatalf("sweep 20h after approval: %d reminders, %v", r, err)
		}
	})
}

func TestSensitiveAnswerHeldForReview(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *model.DB) {
		f := setup(t, db)
		ctx := context.Background()
		q := f.ask(t, f.studentA, "", "考试复习", "期末怎么复习", false)
		f.clk.Advance(time.Hour)
		a := f.answer(t, f.cadreA1, q.ID, "我认识赌博 网站的人")
		if a.Status != model.AnswerReview {
			t.Fatalf("answer status %q, want review", a.Status)
		}
		got := f.reload(t, q.ID)
		if got.Status != model.QuestionOpen || got.FirstAnsweredAt != nil || got.PromiseKept != nil {
			t.Fatalf("held answer counted: %+v", got)
		}
		if n := len(f.alerts(t, alertkind.Answered)); n != 0 {
			t.Fatalf("held answer alerted the asker (%d rows)", n)
		}
		for _, who := range []model.User{f.studentA, f.studentA2, f.cadreA2} {
			v, err := f.svc.Get(ctx, who, q.ID)
			if err != nil || len(v.Answers) != 0 {
				t.Fatalf("%s sees %d answers (%v), want none", who.Account, len(v.Answers), err)
			}
		}
		if v, err := f.svc.Get(ctx, f.cadreA1, q.ID); err != nil || len(v.Answers) != 1 || !v.Answers[0].Mine {
			t.Fatalf("author's view = %+v, %v", v.Answers, err)
		}
		if v, err := f.svc.Get(ctx, f.adminA, q.ID); err != nil || len(v.Answers) != 1 {
			t.Fatalf("admin's view = %+v, %v", v.Answers, err)
		}
		queue, err := f.svc.ReviewQueue(ctx, f.adminA)
		if err != nil || len(queue) != 1 || queue[0].Kind != question.TargetAnswer || queue[0].ID != a.ID || queue[0].Question.ID != q.ID {
			t.Fatalf("A's queue = %+v, %v", queue, err)
		}
		if queue, err := f.svc.ReviewQueue(ctx, f.adminB); err != nil || len(queue) != 0 {
			t.Fatalf("B's queue = %+v, %v", queue, err)
		}
		servicetest.WantErr(t, "B's admin approving", f.svc.Approve(ctx, f.adminB, question.TargetAnswer, a.ID), service.ErrNotFound, "")

		// Still unanswered as far as the 24-hour promise goes.
		f.clk.Set(t0.Add(20 * time.Hour))
		if r, _, err := f.svc.Sweep(ctx); err != nil || r != 1 {
			t.Fatalf("sweep with only a held answer: %d reminders, %v", r, err)
		}

		f.clk.Set(t0.Add(21 * time.Hour))
		if err := f.svc.Approve(ctx, f.adminA, question.TargetAnswer, a.ID); err != nil {
			t.Fatal(err)
		}
		got = f.reload(t, q.ID)
		if got.Status != model.QuestionAnswered || got.FirstAnsweredAt == nil || !got.FirstAnsweredAt.Equal(t0.Add(21*time.Hour)) ||
			got.FirstResponseS == nil || *got.FirstResponseS != 21*3600 || got.PromiseKept == nil || !*got.PromiseKept {
			t.Fatalf("after approving the answer: %+v", got)
		}
		servicetest.WantRecipients(t, "answered", f.alerts(t, alertkind.Answered), f.studentA)
		servicetest.WantRecipients(t, "moderated", f.alerts(t, alertkind.Moderated), f.cadreA1)
		if v, err := f.svc.Get(ctx, f.studentA2, q.ID); err != nil || len(v.Answers) != 1 || v.Answers[0].AuthorName != "王老师" {
			t.Fatalf("approved answer seen by others: %+v, %v", v.Answers, err)
		}
	})
}

func TestAnonymity(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *model.DB) {
		f := setup(t, db)
		ctx := context.Background()
		anon := f.ask(t, f.studentA, "", "心理压力奖学金", "匿名提问", true)
		named := f.ask(t, f.studentA2, "", "公开提问奖学金", "实名提问", false)
		f.answer(t, f.cadreA1, anon.ID, "可以去心理中心")
		if _, err := f.svc.FollowUp(ctx, f.studentA, anon.ID, "心理中心在哪里"); err != nil {
			t.Fatal(err)
		}
		cases := []struct {
			name   string
			viewer model.User
			want   string
		}{
			{"another student", f.studentA2, question.AnonymousName},
			{"a student of another university", f.studentB, question.AnonymousName},
			{"a cadre of another university", f.cadreB, question.AnonymousName},
			{"the asker", f.studentA, "李四"},
			{"a cadre of the university", f.cadreA2, "李四"},
			{"the university admin", f.adminA, "李四"},
			{"the province admin", f.province, "李四"},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				v, err := f.svc.Get(ctx, tc.viewer, anon.ID)
				if err != nil {
					t.Fatal(err)
				}
				if v.AskerName != tc.want {
					t.Fatalf("Get: asker %q, want %q", v.AskerName, tc.want)
				}
				if len(v.Answers) != 2 || v.Answers[1].Kind != model.AnswerKindFollowUp || v.Answers[1].AuthorName != tc.want ||
					v.Answers[0].AuthorName != "王老师" || v.Answers[0].AuthorRole != "团学干部" {
					t.Fatalf("answers = %+v; the follow-up must be signed %q", v.Answers, tc.want)
				}
				list, err := f.list(ctx, tc.viewer, "u-"+f.uniA.Code, question.ListOptions{})
				if err != nil {
					t.Fatal(err)
				}
				found, err := f.svc.Search(ctx, tc.viewer, "", "奖学金", 1)
				if err != nil {
					t.Fatal(err)
				}
				for what, ss := range map[string][]question.Summary{"List": list, "Search": found} {
					if len(ss) != 2 {
						t.Fatalf("%s returned %v", what, ids(ss))
					}
					for _, s := range ss {
						want := tc.want
						if s.ID == named.ID {
							want = model.DefaultDisplayName // never the account
						}
						if s.AskerName != want {
							t.Fatalf("%s: question %d asker %q, want %q", what, s.ID, s.AskerName, want)
						}
					}
				}
			})
		}
		mine, err := f.mine(ctx, f.studentA)
		if err != nil || len(mine) != 1 || mine[0].AskerName != "李四" {
			t.Fatalf("Mine = %+v, %v", mine, err)
		}

		// On a provincial board a cadre of any university may answer, but
		// only the asker's own university (and the province) learns who
		// asked.
		prov := f.ask(t, f.studentA, "province-3", "匿名的省级提问", "", true)
		for _, tc := range []struct {
			name      string
			viewer    model.User
			want      string
			canAnswer bool
		}{
			{"a cadre of another university", f.cadreB, question.AnonymousName, true},
			{"another university's admin", f.adminB, question.AnonymousName, true},
			{"a student of another university", f.studentB, question.AnonymousName, false},
			{"a cadre of the asker's university", f.cadreA2, "李四", true},
			{"the asker's university admin", f.adminA, "李四", true},
			{"the province admin", f.province, "李四", true},
		} {
			t.Run("provincial board/"+tc.name, func(t *testing.T) {
				v, err := f.svc.Get(ctx, tc.viewer, prov.ID)
				if err != nil {
					t.Fatal(err)
				}
				if v.AskerName != tc.want || v.CanAnswer != tc.canAnswer {
					t.Fatalf("asker %q, can answer %v; want %q, %v", v.AskerName, v.CanAnswer, tc.want, tc.canAnswer)
				}
				list, err := f.list(ctx, tc.viewer, "province-3", question.ListOptions{})
				if err != nil {
					t.Fatal(err)
				}
				if len(list) != 1 || list[0].ID != prov.ID || list[0].AskerName != tc.want {
					t.Fatalf("List shows %+v, want the question asked by %q", list, tc.want)
				}
			})
		}
	})
}

func TestAnswerPermissions(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *model.DB) {
		f := setup(t, db)
		ctx := context.Background()
		onA := f.ask(t, f.studentA, "", "本校问题", "", false)
		onProv := f.ask(t, f.studentA, "province-4", "省级问题", "", false)
		byCadre := f.ask(t, f.cadreA1, "", "干部自己的问题", "", false)
		cases := []struct {
			name string
			who  model.User
			q    model.Question
			kind error // nil: allowed
		}{
			{"a student", f.studentA2, onA, service.ErrForbidden},
			{"a student on a provincial board", f.studentB, onProv, service.ErrForbidden},
			{"a student of another university", f.studentB, onA, service.ErrForbidden},
			{"the asker, although a cadre", f.cadreA1, byCadre, service.ErrForbidden},
			{"a cadre of another university on a provincial board", f.cadreB, onProv, nil},
			{"a cadre of the university", f.cadreA2, onA, nil},
			{"the university admin", f.adminA, onA, nil},
			{"the province admin", f.province, onA, nil},
			{"another cadre on the cadre's question", f.cadreA2, byCadre, nil},
			// Cross-board replies (外校回帖): see crossboard_test.go.
			{"a cadre of another university", f.cadreB, onA, nil},
			{"another university's admin", f.adminB, onA, nil},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				v, err := f.svc.Get(ctx, tc.who, tc.q.ID)
				if err != nil {
					t.Fatal(err)
				}
				if v.CanAnswer != (tc.kind == nil) {
					t.Fatalf("CanAnswer = %v", v.CanAnswer)
				}
				a, err := f.svc.Answer(ctx, tc.who, tc.q.ID, "这是答复")
				if tc.kind != nil {
					servicetest.WantErr(t, tc.name, err, tc.kind, "")
					return
				}
				if err != nil || a.ID == 0 || a.Status != model.AnswerPublished || a.AuthorID != tc.who.ID {
					t.Fatalf("answer = %+v, %v", a, err)
				}
			})
		}
		var n int64
		if err := db.Conn(ctx).Model(&model.Answer{}).Count(&n).Error; err != nil || n != 7 {
			t.Fatalf("%d answers stored, want the 7 allowed ones (%v)", n, err)
		}
		_, err := f.svc.Answer(ctx, f.cadreA1, onA.ID, " \n ")
		servicetest.WantErr(t, "empty answer", err, service.ErrInvalid, "")
		// An invisible answer would stop the 24-hour clock without saying anything.
		_, err = f.svc.Answer(ctx, f.cadreA1, onA.ID, "\u200b")
		servicetest.WantErr(t, "zero-width answer", err, service.ErrInvalid, "")
		_, err = f.svc.Answer(ctx, f.cadreA1, onA.ID, runes("答", 2001))
		servicetest.WantErr(t, "2001-character answer", err, service.ErrInvalid, "")
		_, err = f.svc.Answer(ctx, f.cadreA1, 987654, "答复")
		servicetest.WantErr(t, "unknown question", err, service.ErrNotFound, "")
	})
}

func TestFirstAnswerPromise(t *testing.T) {
	cases := []struct {
		name  string
		after time.Duration
		kept  bool
	}{
		{"within 24 hours", 3*time.Hour + 25*time.Second, true},
		{"exactly at 24 hours", 24 * time.Hour, true},
		{"after 25 hours", 25 * time.Hour, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dbtest.Each(t, func(t *testing.T, db *model.DB) {
				f := setup(t, db)
				ctx := context.Background()
				q := f.ask(t, f.studentA, "", "选课系统打不开", "", false)
				f.clk.Advance(tc.after)
				first := f.answer(t, f.cadreA1, q.ID, "教务处正在修复")
				got := f.reload(t, q.ID)
				at := t0.Add(tc.after)
				if got.Status != model.QuestionAnswered || got.FirstAnsweredAt == nil || !got.FirstAnsweredAt.Equal(at) {
					t.Fatalf("status %q first answered %v, want answered at %v", got.Status, got.FirstAnsweredAt, at)
				}
				if got.FirstResponseS == nil || *got.FirstResponseS != int64(tc.after.Seconds()) {
					t.Fatalf("first response %v, want %v s", got.FirstResponseS, tc.after.Seconds())
				}
				if got.PromiseKept == nil || *got.PromiseKept != tc.kept {
					t.Fatalf("promise kept = %s, want %v", boolPtr(got.PromiseKept), tc.kept)
				}
				ms := f.alerts(t, alertkind.Answered)
				servicetest.WantRecipients(t, "answered", ms, f.studentA)
				if d := servicetest.AlertData(t, ms[0]); d["thing1"] != "选课系统打不开" || d["thing2"] != "王老师" || d["time3"] != notify.Time(at) {
					t.Fatalf("answered data = %v", d)
				}
				if v, err := f.svc.Get(ctx, f.studentA, q.ID); err != nil || !v.CanResolve || !v.CanFollowUp || v.CanAnswer {
					t.Fatalf("asker's view = %+v, %v", v, err)
				}

				f.clk.Advance(2 * time.Hour)
				second := f.answer(t, f.cadreA2, q.ID, "补充：可以用手机端")
				again := f.reload(t, q.ID)
				if !again.FirstAnsweredAt.Equal(at) || *again.FirstResponseS != *got.FirstResponseS || *again.PromiseKept != tc.kept ||
					again.Status != model.QuestionAnswered {
					t.Fatalf("second answer changed the first response: %+v", again)
				}
				if n := len(f.alerts(t, alertkind.Answered)); n != 2 {
					t.Fatalf("%d answered alerts after two answers, want 2", n)
				}
				v, err := f.svc.Get(ctx, f.studentA2, q.ID)
				if err != nil || len(v.Answers) != 2 || v.Answers[0].ID != first.ID || v.Answers[1].ID != second.ID {
					t.Fatalf("answers = %+v, %v; want both, oldest first", v.Answers, err)
				}
			})
		})
	}
}

func TestFollowUp(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *model.DB) {
		f := setup(t, db)
		ctx := context.Background()
		q := f.ask(t, f.studentA, "", "奖学金名额", "", false)

		t.Run("before any answer it goes to the university's cadres", func(t *testing.T) {
			if _, err := f.svc.FollowUp(ctx, f.studentA, q.ID, "有人吗"); err != nil {
				t.Fatal(err)
			}
			servicetest.WantRecipients(t, "followup", f.alerts(t, alertkind.FollowUp), f.cadreA1, f.cadreA2)
			if got := f.reload(t, q.ID); got.Status != model.QuestionOpen || got.FirstAnsweredAt != nil {
				t.Fatalf("a follow-up answered the question: %+v", got)
			}
		})
		f.answer(t, f.cadreA1, q.ID, "每班两个")
		before := len(f.alerts(t, alertkind.FollowUp))

		for _, who := range []model.User{f.studentA2, f.cadreA1, f.adminA} {
			_, err := f.svc.FollowUp(ctx, who, q.ID, "我也想问")
			servicetest.WantErr(t, "follow-up by "+who.Role, err, service.ErrForbidden, "")
		}
		_, err := f.svc.FollowUp(ctx, f.studentA, q.ID, "")
		servicetest.WantErr(t, "empty follow-up", err, service.ErrInvalid, "")

		fu, err := f.svc.FollowUp(ctx, f.studentA, q.ID, "那研究生呢？")
		if err != nil || fu.Kind != model.AnswerKindFollowUp || fu.Status != model.AnswerPublished {
			t.Fatalf("follow-up = %+v, %v", fu, err)
		}
		ms := f.alerts(t, alertkind.FollowUp)[before:]
		// Only the cadre who answered, not the other cadre of A.
		servicetest.WantRecipients(t, "followup after an answer", ms, f.cadreA1)
		if d := servicetest.AlertData(t, ms[0]); d["thing2"] != "那研究生呢？" || !strings.HasSuffix(ms[0].URL, questionNext(q.ID)) {
			t.Fatalf("followup alert = %+v", ms[0])
		}
		if got := f.reload(t, q.ID); got.Status != model.QuestionAnswered {
			t.Fatalf("status after follow-up %q", got.Status)
		}

		t.Run("a follow-up with a sensitive word is held and alerts nobody", func(t *testing.T) {
			n := len(f.alerts(t, alertkind.FollowUp))
			held, err := f.svc.FollowUp(ctx, f.studentA, q.ID, "能代考吗")
			if err != nil || held.Status != model.AnswerReview {
				t.Fatalf("follow-up = %+v, %v", held, err)
			}
			if got := len(f.alerts(t, alertkind.FollowUp)); got != n {
				t.Fatalf("held follow-up alerted %d", got-n)
			}
		})
	})
}

func TestResolve(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *model.DB) {
		f := setup(t, db)
		ctx := context.Background()
		q := f.ask(t, f.studentA, "", "食堂太贵", "", false)

		_, err := f.svc.Resolve(ctx, f.studentA, q.ID, "满意", "")
		servicetest.WantErr(t, "resolve before an answer", err, service.ErrConflict, "")
		if servicetest.Code(err) != "not_answered" {
			t.Fatalf("resolve before an answer: code %q", servicetest.Code(err))
		}

		f.answer(t, f.cadreA1, q.ID, "已反馈后勤")
		for _, rating := range []string{"", "好", "非常满意", "satisfied"} {
			_, err := f.svc.Resolve(ctx, f.studentA, q.ID, rating, "")
			servicetest.WantErr(t, fmt.Sprintf("rating %q", rating), err, service.ErrInvalid, "")
		}
		_, err = f.svc.Resolve(ctx, f.studentA, q.ID, "满意", runes("评", 201))
		servicetest.WantErr(t, "201-character comment", err, service.ErrInvalid, "")
		// The comment is public at once: words that would hold a question
		// for review are refused, with the field named.
		_, err = f.svc.Resolve(ctx, f.studentA, q.ID, "满意", "推荐一个赌博网站")
		servicetest.WantErr(t, "comment with a sensitive word", err, service.ErrInvalid, "")
		if servicetest.Code(err) != "comment_needs_review" {
			t.Fatalf("comment with a sensitive word: code %q", servicetest.Code(err))
		}
		_, err = f.svc.Resolve(ctx, f.studentA2, q.ID, "满意", "")
		servicetest.WantErr(t, "resolve by another student", err, service.ErrForbidden, "")
		if got := f.reload(t, q.ID); got.Status != model.QuestionAnswered || got.Rating != "" {
			t.Fatalf("refused resolves changed the question: %+v", got)
		}

		f.clk.Advance(time.Hour)
		r, err := f.svc.Resolve(ctx, f.studentA, q.ID, " 一般 ", " 价格  降了一点\n")
		if err != nil || r.Status != model.QuestionResolved || r.Rating != "一般" || r.RatingComment != "价格 降了一点" {
			t.Fatalf("resolve = %+v, %v", r, err)
		}
		got := f.reload(t, q.ID)
		if got.Status != model.QuestionResolved || got.Rating != "一般" || got.RatingComment != "价格 降了一点" {
			t.Fatalf("stored = %+v", got)
		}
		_, err = f.svc.Resolve(ctx, f.studentA, q.ID, "满意", "")
		servicetest.WantErr(t, "second resolve", err, service.ErrConflict, "")
		if servicetest.Code(err) != "already_resolved" {
			t.Fatalf("second resolve: code %q", servicetest.Code(err))
		}
		if got := f.reload(t, q.ID); got.Rating != "一般" {
			t.Fatalf("second resolve changed the rating to %q", got.Rating)
		}
		_, err = f.svc.Answer(ctx, f.cadreA2, q.ID, "还有补充")
		servicetest.WantErr(t, "answer after resolve", err, service.ErrConflict, "")
		if servicetest.Code(err) != "resolved" {
			t.Fatalf("answer after resolve: code %q", servicetest.Code(err))
		}
		_, err = f.svc.FollowUp(ctx, f.studentA, q.ID, "还有问题")
		servicetest.WantErr(t, "follow-up after resolve", err, service.ErrConflict, "")
		if v, err := f.svc.Get(ctx, f.studentA, q.ID); err != nil || v.CanResolve || v.CanFollowUp {
			t.Fatalf("view after resolve = %+v, %v", v, err)
		}
		// A resolved question stays public.
		if list, err := f.list(ctx, f.studentB, "u-"+f.uniA.Code, question.ListOptions{}); err != nil || !sameIDs(ids(list), q.ID) {
			t.Fatalf("list = %v, %v", ids(list), err)
		}

		t.Run("every listed rating is accepted", func(t *testing.T) {
			for _, rating := range question.Ratings {
				q := f.ask(t, f.studentA2, "", "评价"+rating, "", false)
				f.answer(t, f.cadreA1, q.ID, "答复")
				if r, err := f.svc.Resolve(ctx, f.studentA2, q.ID, rating, ""); err != nil || r.Rating != rating {
					t.Fatalf("rating %q: %+v, %v", rating, r, err)
				}
			}
		})
	})
}

func TestHideQuestion(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *model.DB) {
		f := setup(t, db)
		ctx := context.Background()
		boardA := "u-" + f.uniA.Code
		q := f.ask(t, f.studentA, "", "奖学金黑幕", "广告内容", false)
		keep := f.ask(t, f.studentA2, "", "奖学金评定", "正常问题", false)

		servicetest.WantErr(t, "hide without reason", f.svc.Hide(ctx, f.adminA, question.TargetQuestion, q.ID, "  "), service.ErrInvalid, "")
		servicetest.WantErr(t, "hide with a 101-character reason", f.svc.Hide(ctx, f.adminA, question.TargetQuestion, q.ID, runes("因", 101)), service.ErrInvalid, "")
		servicetest.WantErr(t, "unknown target kind", f.svc.Hide(ctx, f.adminA, "user", q.ID, "原因"), service.ErrInvalid, "")
		for _, who := range []model.User{f.adminB, f.cadreA1, f.studentA2, f.studentA} {
			servicetest.WantErr(t, "hide by "+who.Role, f.svc.Hide(ctx, who, question.TargetQuestion, q.ID, "原因"), service.ErrForbidden, "")
		}
		if got := f.reload(t, q.ID); got.Status != model.QuestionOpen {
			t.Fatalf("refused hides changed the status to %q", got.Status)
		}

		if err := f.svc.Hide(ctx, f.adminA, question.TargetQuestion, q.ID, "含广告内容"); err != nil {
			t.Fatal(err)
		}
		mod := f.alerts(t, alertkind.Moderated)
		servicetest.WantRecipients(t, "moderated", mod, f.studentA)
		if d := servicetest.AlertData(t, mod[0]); d["phrase2"] != "已被隐藏" || d["thing3"] != "含广告内容" {
			t.Fatalf("moderated data = %v", d)
		}
		for _, viewer := range []model.User{f.studentA2, f.cadreA1, f.province} {
			if list, err := f.list(ctx, viewer, boardA, question.ListOptions{}); err != nil || !sameIDs(ids(list), keep.ID) {
				t.Fatalf("list for %s = %v, %v", viewer.Role, ids(list), err)
			}
			if found, err := f.svc.Search(ctx, viewer, "", "奖学金", 1); err != nil || !sameIDs(ids(found), keep.ID) {
				t.Fatalf("search for %s = %v, %v", viewer.Role, ids(found), err)
			}
		}
		for _, viewer := range []model.User{f.studentA2, f.cadreA1, f.adminB} {
			_, err := f.svc.Get(ctx, viewer, q.ID)
			servicetest.WantErr(t, "hidden question seen by "+viewer.Role, err, service.ErrNotFound, "")
		}
		v, err := f.svc.Get(ctx, f.studentA, q.ID)
		if err != nil || v.Question.Status != model.QuestionHidden || v.Question.HiddenReason != "含广告内容" || v.CanFollowUp {
			t.Fatalf("asker's view = %+v, %v", v.Question, err)
		}
		if name := question.StatusName(v.Question); name != "已隐藏" || v.Question.RejectedAt != nil {
			t.Fatalf("a question hidden after publication shows %q (rejected_at %v), want 已隐藏", name, v.Question.RejectedAt)
		}
		if mine, err := f.mine(ctx, f.studentA); err != nil || len(mine) != 1 || mine[0].Status != model.QuestionHidden {
			t.Fatalf("Mine = %+v, %v", mine, err)
		}
		servicetest.WantErr(t, "hide twice", f.svc.Hide(ctx, f.adminA, question.TargetQuestion, q.ID, "再次"), service.ErrConflict, "")
		_, err = f.svc.Answer(ctx, f.adminA, q.ID, "答复")
		servicetest.WantErr(t, "answer a hidden question", err, service.ErrConflict, "")
		servicetest.WantErr(t, "reopen by B's admin", f.svc.Reopen(ctx, f.adminB, question.TargetQuestion, q.ID), service.ErrNotFound, "")
		servicetest.WantErr(t, "reopen a visible question", f.svc.Reopen(ctx, f.adminA, question.TargetQuestion, keep.ID), service.ErrConflict, "")

		if err := f.svc.Reopen(ctx, f.adminA, question.TargetQuestion, q.ID); err != nil {
			t.Fatal(err)
		}
		if got := f.reload(t, q.ID); got.Status != model.QuestionOpen || got.HiddenReason != "" {
			t.Fatalf("reopened = %+v", got)
		}
		if _, err := f.svc.Get(ctx, f.studentA2, q.ID); err != nil {
			t.Fatalf("reopened question still hidden: %v", err)
		}
		if n := len(f.alerts(t, alertkind.Moderated)); n != 2 {
			t.Fatalf("%d moderated alerts, want hide + reopen", n)
		}

		t.Run("reopen restores the previous status", func(t *testing.T) {
			cases := []struct {
				name    string
				prepare func(q model.Question)
				want    string
			}{
				{"open", func(model.Question) {}, model.QuestionOpen},
				{"answered", func(q model.Question) { f.answer(t, f.cadreA1, q.ID, "答复") }, model.QuestionAnswered},
				{"resolved", func(q model.Question) {
					f.answer(t, f.cadreA1, q.ID, "答复")
					if _, err := f.svc.Resolve(ctx, f.studentB, q.ID, "满意", ""); err != nil {
						t.Fatal(err)
					}
				}, model.QuestionResolved},
			}
			for _, tc := range cases {
				q := f.ask(t, f.studentB, "province-5", "恢复测试"+tc.name, "", false)
				tc.prepare(q)
				// The province admin moderates any university.
				if err := f.svc.Hide(ctx, f.province, question.TargetQuestion, q.ID, "测试"); err != nil {
					t.Fatal(err)
				}
				if err := f.svc.Reopen(ctx, f.province, question.TargetQuestion, q.ID); err != nil {
					t.Fatal(err)
				}
				if got := f.reload(t, q.ID); got.Status != tc.want {
					t.Fatalf("%s: reopened as %q", tc.name, got.Status)
				}
			}
		})
	})
}

func TestHideAnswer(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *model.DB) {
		f := setup(t, db)
		ctx := context.Background()
		q := f.ask(t, f.studentA, "", "问题", "", false)
		a := f.answer(t, f.cadreA1, q.ID, "不当答复")
		ok := f.answer(t, f.cadreA2, q.ID, "正常答复")

		servicetest.WantErr(t, "cadre hiding an answer", f.svc.Hide(ctx, f.cadreA2, question.TargetAnswer, a.ID, "原因"), service.ErrNotFound, "")
		servicetest.WantErr(t, "B's admin hiding an answer", f.svc.Hide(ctx, f.adminB, question.TargetAnswer, a.ID, "原因"), service.ErrNotFound, "")
		servicetest.WantErr(t, "unknown answer", f.svc.Hide(ctx, f.adminA, question.TargetAnswer, 987654, "原因"), service.ErrNotFound, "")
		if err := f.svc.Hide(ctx, f.adminA, question.TargetAnswer, a.ID, "答复不当"); err != nil {
			t.Fatal(err)
		}
		servicetest.WantRecipients(t, "moderated", f.alerts(t, alertkind.Moderated), f.cadreA1)
		for _, viewer := range []model.User{f.studentA, f.studentA2, f.cadreA2} {
			v, err := f.svc.Get(ctx, viewer, q.ID)
			if err != nil || len(v.Answers) != 1 || v.Answers[0].ID != ok.ID {
				t.Fatalf("%s sees %+v, %v; want only the visible answer", viewer.Role, v.Answers, err)
			}
		}
		v, err := f.svc.Get(ctx, f.cadreA1, q.ID)
		if err != nil || len(v.Answers) != 2 || v.Answers[0].Status != model.AnswerHidden || v.Answers[0].HiddenReason != "答复不当" {
			t.Fatalf("author's view = %+v, %v", v.Answers, err)
		}
		// Hiding an answer does not undo the first response.
		if got := f.reload(t, q.ID); got.Status != model.QuestionAnswered || got.FirstAnsweredAt == nil {
			t.Fatalf("question after hiding its first answer: %+v", got)
		}
		if err := f.svc.Reopen(ctx, f.adminA, question.TargetAnswer, a.ID); err != nil {
			t.Fatal(err)
		}
		if v, err := f.svc.Get(ctx, f.studentA2, q.ID); err != nil || len(v.Answers) != 2 {
			t.Fatalf("after reopening the answer: %+v, %v", v.Answers, err)
		}

		t.Run("rejecting a held answer", func(t *testing.T) {
			held := f.answer(t, f.cadreA2, q.ID, "去找代考吧")
			if err := f.svc.Hide(ctx, f.adminA, question.TargetAnswer, held.ID, "含敏感词"); err != nil {
				t.Fatal(err)
			}
			ms := f.alerts(t, alertkind.Moderated)
			last := ms[len(ms)-1]
			if last.OpenID != servicetest.OpenID(f.cadreA2) || servicetest.AlertData(t, last)["phrase2"] != "未通过审核" {
				t.Fatalf("last moderated alert = %+v", last)
			}
			if queue, err := f.svc.ReviewQueue(ctx, f.adminA); err != nil || len(queue) != 0 {
				t.Fatalf("queue = %+v, %v", queue, err)
			}
		})
	})
}

func TestListOrderAndPages(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *model.DB) {
		f := setup(t, db)
		ctx := context.Background()
		boardA := "u-" + f.uniA.Code
		old := f.ask(t, f.studentA, "", "最早的问题", "", false)
		f.clk.Advance(time.Minute)
		answered := f.ask(t, f.studentA2, "", "已答复的问题", "", false)
		f.clk.Advance(time.Minute)
		newest := f.ask(t, f.studentA3, "", "最新的问题", "", false)
		f.answer(t, f.cadreA1, answered.ID, "答复")
		f.ask(t, f.studentA, "province-1", "别的版区", "", false)

		cases := []struct {
			name       string
			viewer     model.User
			unanswered bool
			want       []uint64
		}{
			{"cadre sees unanswered first", f.cadreA1, false, []uint64{newest.ID, old.ID, answered.ID}},
			{"university admin sees unanswered first", f.adminA, false, []uint64{newest.ID, old.ID, answered.ID}},
			{"student sees newest first", f.studentA, false, []uint64{newest.ID, answered.ID, old.ID}},
			{"other university's cadre sees newest first", f.cadreB, false, []uint64{newest.ID, answered.ID, old.ID}},
			{"unanswered filter for a student", f.studentB, true, []uint64{newest.ID, old.ID}},
			{"unanswered filter for a cadre", f.cadreA2, true, []uint64{newest.ID, old.ID}},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				b, p, err := f.svc.List(ctx, tc.viewer, boardA, question.ListOptions{Unanswered: tc.unanswered})
				if err != nil || b.Key != boardA {
					t.Fatalf("board %q, %v", b.Key, err)
				}
				if !sameIDs(ids(p.Items), tc.want...) || p.Prev != "" || p.Next != "" {
					t.Fatalf("order = %v (prev %q, next %q), want %v and no other page", ids(p.Items), p.Prev, p.Next, tc.want)
				}
			})
		}
		if _, err := f.list(ctx, f.studentA, "nope", question.ListOptions{}); !errors.Is(err, service.ErrNotFound) {
			t.Fatalf("unknown board: %v", err)
		}

		t.Run("overdue flag", func(t *testing.T) {
			f.clk.Set(t0.Add(24*time.Hour + time.Second))
			list, err := f.list(ctx, f.studentA, boardA, question.ListOptions{})
			if err != nil {
				t.Fatal(err)
			}
			for _, s := range list {
				want := s.ID == old.ID
				if s.Overdue != want {
					t.Fatalf("question %d overdue = %v, want %v", s.ID, s.Overdue, want)
				}
				if v, err := f.svc.Get(ctx, f.studentA, s.ID); err != nil || v.Overdue != want {
					t.Fatalf("Get %d: overdue = %v, %v; want %v", s.ID, v.Overdue, err, want)
				}
			}
		})

		t.Run("pages of 20", func(t *testing.T) {
			var all []uint64
			askers := []model.User{f.studentB, servicetest.NewNamedUser(t, db, model.RoleStudent, &f.uniB.ID, true, "")}
			for i := range 25 {
				f.clk.Advance(time.Minute)
				q := f.ask(t, askers[i%2], "province-5", fmt.Sprintf("分页 %02d", i), "", false)
				all = append([]uint64{q.ID}, all...) // newest first
			}
			// Old links by page number still open those pages.
			var byNumber []uint64
			for page, want := range []int{20, 5, 0} {
				opts := question.ListOptions{PageOptions: question.PageOptions{Page: page + 1}}
				list, err := f.list(ctx, f.studentA, "province-5", opts)
				if err != nil || len(list) != want {
					t.Fatalf("page %d: %d questions, %v; want %d", page+1, len(list), err, want)
				}
				byNumber = append(byNumber, ids(list)...)
			}
			if !sameIDs(byNumber, all...) {
				t.Fatalf("pages 1-3 hold %v, want %v", byNumber, all)
			}
			if list, err := f.list(ctx, f.studentA, "province-5", question.ListOptions{}); err != nil || !sameIDs(ids(list), all[:20]...) {
				t.Fatalf("page 0 is %v, %v; want the first page", ids(list), err)
			}
		})
	})
}

func TestSearch(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *model.DB) {
		f := setup(t, db)
		ctx := context.Background()
		boardA := "u-" + f.uniA.Code
		national := f.ask(t, f.studentA, "", "评定时间", "请问国家奖学金什么时候评定？", false)
		f.clk.Advance(time.Minute)
		inspire := f.ask(t, f.studentB, "province-1", "关于奖学金", "励志奖学金申请条件", false)
		f.clk.Advance(time.Minute)
		dorm := f.ask(t, f.studentA2, "", "宿舍空调", "宿舍什么时候装空调", false)
		f.clk.Advance(time.Minute)
		percent := f.ask(t, f.studentA3, "", "打折50%", "第_章看不懂", false)
		f.clk.Advance(time.Minute)
		wild := f.ask(t, f.studentA3, "", "打折500", "第三章看不懂", false)
		bang := f.ask(t, f.studentA3, "province-2", "通知!!", "", false)
		hidden := f.ask(t, f.studentC, "", "奖学金隐藏", "", false)
		if err := f.svc.Hide(ctx, f.province, question.TargetQuestion, hidden.ID, "重复"); err != nil {
			t.Fatal(err)
		}
		held := f.ask(t, f.studentC, "", "奖学金代考", "", false)
		if held.Status != model.QuestionReview {
			t.Fatalf("held status %q", held.Status)
		}

		cases := []struct {
			name, board, query string
			want               []uint64
		}{
			{"word in the body within a board", boardA, "奖学金", []uint64{national.ID}},
			{"word across boards, newest first", "", "奖学金", []uint64{inspire.ID, national.ID}},
			{"word in the title", "", "空调", []uint64{dorm.ID}},
			{"words are ANDed", "", "奖学金 励志", []uint64{inspire.ID}},
			{"words are ANDed across title and body", "", "关于  条件", []uint64{inspire.ID}},
			{"no common match", "", "奖学金 宿舍", nil},
			// Full-text search (issue 19): punctuation is not searched
			// but separates words, numbers match whole, and a character
			// alone is not searched (LIKE matched all of these literally).
			{"a number matches whole, % is not searched", "", "50%", []uint64{percent.ID}},
			{"punctuation separates words", "", "看不懂!!打折", []uint64{wild.ID, percent.ID}},
			{"a character alone beside a word is ignored", "", "调 宿舍", []uint64{dorm.ID}},
			{"plain text still matches both", "", "看不懂", []uint64{wild.ID, percent.ID}},
			{"a word before punctuation", "", "通知", []uint64{bang.ID}},
			{"other board", "province-1", "宿舍", nil},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				for _, viewer := range []model.User{f.studentA, f.adminA, f.province} {
					got, err := f.svc.Search(ctx, viewer, tc.board, tc.query, 1)
					if err != nil {
						t.Fatalf("%s: %v", viewer.Role, err)
					}
					if !sameIDs(ids(got), tc.want...) {
						t.Fatalf("%s: search %q in %q = %v, want %v", viewer.Role, tc.query, tc.board, ids(got), tc.want)
					}
				}
			})
		}
		for _, q := range []string{"", "   ", "\n\t"} {
			_, err := f.svc.Search(ctx, f.studentA, "", q, 1)
			servicetest.WantErr(t, fmt.Sprintf("query %q", q), err, service.ErrInvalid, "")
		}
		for _, q := range []string{"调", "知!", "第_章", "%", "_", `\`, "!%", "a", "4", "C++"} {
			_, err := f.svc.Search(ctx, f.studentA, "", q, 1)
			servicetest.WantErr(t, fmt.Sprintf("query %q", q), err, service.ErrInvalid, "")
			if servicetest.Code(err) != "query_too_short" || !strings.Contains(err.Error(), "至少两个字") {
				t.Fatalf("query %q: %v, want query_too_short saying 至少两个字", q, err)
			}
		}
		_, err := f.svc.Search(ctx, f.studentA, "province-99", "奖学金", 1)
		servicetest.WantErr(t, "unknown board", err, service.ErrNotFound, "")
		if got, err := f.svc.Search(ctx, f.studentA, "", "奖学金", 2); err != nil || len(got) != 0 {
			t.Fatalf("page 2 = %v, %v", ids(got), err)
		}
	})
}

func TestSweepReminderAndOverdue(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *model.DB) {
		f := setup(t, db)
		ctx := context.Background()
		q := f.ask(t, f.studentA, "province-3", "失眠怎么办", "", false)
		done := f.ask(t, f.studentA2, "", "已被答复", "", false)
		f.clk.Advance(time.Hour)
		f.answer(t, f.cadreA1, done.ID, "答复")

		f.clk.Set(t0.Add(19*time.Hour + 59*time.Minute))
		if r, o, err := f.svc.Sweep(ctx); err != nil || r != 0 || o != 0 {
			t.Fatalf("sweep at 19h59m: %d, %d, %v", r, o, err)
		}
		if n := len(f.alerts(t, alertkind.Reminder)); n != 0 {
			t.Fatalf("%d reminders at 19h59m", n)
		}

		f.clk.Set(t0.Add(20 * time.Hour))
		if r, o, err := f.svc.Sweep(ctx); err != nil || r != 1 || o != 0 {
			t.Fatalf("sweep at 20h: %d reminders, %d overdue, %v; want 1, 0", r, o, err)
		}
		rem := f.alerts(t, alertkind.Reminder)
		servicetest.WantRecipients(t, "reminder", rem, f.cadreA1, f.cadreA2, f.adminA)
		for _, m := range rem {
			d := servicetest.AlertData(t, m)
			if !strings.HasSuffix(m.URL, questionNext(q.ID)) || d["thing1"] != "失眠怎么办" || d["thing2"] != "心理健康" || d["time3"] != "2026-11-26 17:00" {
				t.Fatalf("reminder = %+v / %v", m, d)
			}
		}
		if got := f.reload(t, q.ID); got.RemindedAt == nil || !got.RemindedAt.Equal(t0.Add(20*time.Hour)) || got.OverdueAt != nil {
			t.Fatalf("after reminding: reminded %v overdue %v", got.RemindedAt, got.OverdueAt)
		}
		if got := f.reload(t, done.ID); got.RemindedAt != nil {
			t.Fatal("answered question was reminded")
		}

		f.clk.Set(t0.Add(23 * time.Hour))
		if r, o, err := f.svc.Sweep(ctx); err != nil || r != 0 || o != 0 {
			t.Fatalf("second sweep: %d, %d, %v", r, o, err)
		}
		if n := len(f.alerts(t, alertkind.Reminder)); n != 3 {
			t.Fatalf("%d reminders after a second sweep, want still 3", n)
		}
		if ov, err := f.svc.OverdueFor(ctx, f.adminA); err != nil || len(ov.Questions) != 0 {
			t.Fatalf("overdue before 24h: %v, %v", ids(ov.Questions), err)
		}

		f.clk.Set(t0.Add(24*time.Hour + time.Second))
		if r, o, err := f.svc.Sweep(ctx); err != nil || r != 0 || o != 1 {
			t.Fatalf("sweep at 24h+1s: %d reminders, %d overdue, %v; want 0, 1", r, o, err)
		}
		ov := f.alerts(t, alertkind.Overdue)
		servicetest.WantRecipients(t, "overdue", ov, f.adminA, f.province, f.province2)
		if d := servicetest.AlertData(t, ov[0]); d["thing1"] != "失眠怎么办" || !strings.HasPrefix(f.uniA.Name, strings.TrimSuffix(d["thing2"], "…")) || d["time3"] != "2026-11-26 17:00" {
			t.Fatalf("overdue data = %v", d)
		}
		if got := f.reload(t, q.ID); got.OverdueAt == nil {
			t.Fatal("overdue_at not set")
		}
		f.clk.Advance(time.Hour)
		if r, o, err := f.svc.Sweep(ctx); err != nil || r != 0 || o != 0 {
			t.Fatalf("sweep after overdue: %d, %d, %v", r, o, err)
		}

		t.Run("OverdueFor", func(t *testing.T) {
			got, err := f.svc.OverdueFor(ctx, f.adminA)
			if err != nil || !sameIDs(ids(got.Questions), q.ID) || !got.Questions[0].Overdue || got.ByUniversity != nil {
				t.Fatalf("A's admin: %+v, %v", got, err)
			}
			if got, err := f.svc.OverdueFor(ctx, f.adminB); err != nil || len(got.Questions) != 0 {
				t.Fatalf("B's admin: %v, %v", ids(got.Questions), err)
			}
			got, err = f.svc.OverdueFor(ctx, f.province)
			if err != nil || !sameIDs(ids(got.Questions), q.ID) {
				t.Fatalf("province: %v, %v", ids(got.Questions), err)
			}
			want := []question.UniversityCount{{UniversityID: f.uniA.ID, Name: f.uniA.Name, Count: 1}}
			if !slices.Equal(got.ByUniversity, want) || got.Total != 1 {
				t.Fatalf("by university = %+v (total %d), want %+v (total 1)", got.ByUniversity, got.Total, want)
			}
			for _, who := range []model.User{f.studentA, f.cadreA1} {
				_, err := f.svc.OverdueFor(ctx, who)
				servicetest.WantErr(t, "OverdueFor by "+who.Role, err, service.ErrForbidden, "")
			}
			// Answering late takes it off the list.
			f.answer(t, f.cadreA2, q.ID, "抱歉回复晚了")
			if got, err := f.svc.OverdueFor(ctx, f.province); err != nil || len(got.Questions) != 0 || len(got.ByUniversity) != 0 {
				t.Fatalf("after answering: %+v, %v", got, err)
			}
			if got := f.reload(t, q.ID); got.PromiseKept == nil || *got.PromiseKept {
				t.Fatalf("late answer promise kept = %s", boolPtr(got.PromiseKept))
			}
		})
	})
}

// A sweep catching up after the deadline (no instance ran at the 20-hour
// mark) reminds the cadres and alerts the admins as overdue; the
// university's admin gets the overdue alert only, not both at once.
func TestSweepCatchingUpPastTheDeadline(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *model.DB) {
		f := setup(t, db)
		ctx := context.Background()
		q := f.ask(t, f.studentA, "", "宿舍断网怎么办", "", false)
		f.clk.Set(t0.Add(30 * time.Hour))
		if r, o, err := f.svc.Sweep(ctx); err != nil || r != 1 || o != 1 {
			t.Fatalf("catch-up sweep: %d reminders, %d overdue, %v; want 1, 1", r, o, err)
		}
		servicetest.WantRecipients(t, "reminder", f.alerts(t, alertkind.Reminder), f.cadreA1, f.cadreA2)
		servicetest.WantRecipients(t, "overdue", f.alerts(t, alertkind.Overdue), f.adminA, f.province, f.province2)
		if got := f.reload(t, q.ID); got.RemindedAt == nil || got.OverdueAt == nil {
			t.Fatalf("after the catch-up: reminded %v overdue %v", got.RemindedAt, got.OverdueAt)
		}
	})
}

func TestSweepCountsPerUniversity(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *model.DB) {
		f := setup(t, db)
		ctx := context.Background()
		f.ask(t, f.studentB, "", "乙一", "", false)
		f.ask(t, f.studentB, "", "乙二", "", false)
		f.ask(t, f.studentC, "", "丙一", "", false)
		f.clk.Advance(25 * time.Hour)
		// Nobody swept between 20h and 24h: both alerts go out now, the
		// reminder to the cadres only (the admins get the overdue alert).
		if r, o, err := f.svc.Sweep(ctx); err != nil || r != 3 || o != 3 {
			t.Fatalf("sweep: %d reminders, %d overdue, %v; want 3, 3", r, o, err)
		}
		// C has no cadre: nobody gets its reminder; its admin gets the
		// overdue alert.
		if n := len(f.alerts(t, alertkind.Reminder)); n != 2 {
			t.Fatalf("%d reminders, want 1 for each of B's questions (its cadre) and none for C's", n)
		}
		if n := len(f.alerts(t, alertkind.Overdue)); n != 3*3 {
			t.Fatalf("%d overdue alerts, want 3 for each question (its admin, 2 provincial admins)", n)
		}
		got, err := f.svc.OverdueFor(ctx, f.province)
		if err != nil || len(got.Questions) != 3 {
			t.Fatalf("province: %v, %v", ids(got.Questions), err)
		}
		want := []question.UniversityCount{{UniversityID: f.uniB.ID, Name: f.uniB.Name, Count: 2}, {UniversityID: f.uniC.ID, Name: f.uniC.Name, Count: 1}}
		if !slices.Equal(got.ByUniversity, want) {
			t.Fatalf("by university = %+v, want %+v", got.ByUniversity, want)
		}
	})
}

// A question whose provincial board was deleted from the table (by an
// operator) is still reminded and alerted, and holds up nothing. (A row
// whose alert fails is retried without holding up the others: model's
// TestClaimEachReadsPastFailingRows.)
func TestSweepQuestionOnDeletedBoard(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *model.DB) {
		f := setup(t, db)
		ctx := context.Background()
		orphan := f.ask(t, f.studentA, "province-3", "版区被删的问题", "", false)
		f.clk.Advance(time.Minute)
		fine := f.ask(t, f.studentB, "", "乙校的问题", "", false)
		if err := db.Conn(ctx).Where("id = ?", orphan.BoardID).Delete(&model.Board{}).Error; err != nil {
			t.Fatal(err)
		}

		f.clk.Set(t0.Add(20*time.Hour + time.Minute))
		r, o, err := f.svc.Sweep(ctx)
		if err != nil || r != 2 || o != 0 {
			t.Fatalf("sweep at 20h: %d reminders, %d overdue, err %v; want both reminders", r, o, err)
		}
		servicetest.WantRecipients(t, "reminder of the fine question", f.alertsFor(t, alertkind.Reminder, fine.ID), f.cadreB, f.adminB)
		rem := f.alertsFor(t, alertkind.Reminder, orphan.ID)
		servicetest.WantRecipients(t, "reminder of the question on the deleted board", rem, f.cadreA1, f.cadreA2, f.adminA)
		if got := servicetest.AlertData(t, rem[0])["thing2"]; got != "（版区已删除）" {
			t.Fatalf("reminder names board %q", got)
		}

		f.clk.Set(t0.Add(24*time.Hour + 2*time.Minute))
		r, o, err = f.svc.Sweep(ctx)
		if err != nil || r != 0 || o != 2 {
			t.Fatalf("sweep at 24h: %d reminders, %d overdue, err %v; want both overdue alerts", r, o, err)
		}
		servicetest.WantRecipients(t, "overdue of the question on the deleted board", f.alertsFor(t, alertkind.Overdue, orphan.ID), f.adminA, f.province, f.province2)
		servicetest.WantRecipients(t, "overdue of the fine question", f.alertsFor(t, alertkind.Overdue, fine.ID), f.adminB, f.province, f.province2)

		// Still readable, and answerable by the asker's university's cadres:
		// it counts as their board, so another university's cadre only
		// replies across boards.
		v, err := f.svc.Get(ctx, f.studentA, orphan.ID)
		if err != nil || v.Board.Name != "（版区已删除）" {
			t.Fatalf("question on the deleted board: %v, board %q", err, v.Board.Name)
		}
		if a, err := f.svc.Answer(ctx, f.cadreB, orphan.ID, "乙校干部的答复"); err != nil || !a.CrossBoard {
			t.Fatalf("another university's cadre: %+v, %v; want a cross-board reply", a, err)
		}
		if got := f.reload(t, orphan.ID); got.FirstAnsweredAt != nil {
			t.Fatalf("a cross-board reply answered the question on the deleted board: %+v", got)
		}
		f.answer(t, f.cadreA1, orphan.ID, "甲校干部的答复")
		if got := f.reload(t, orphan.ID); got.FirstAnsweredAt == nil || got.Status != model.QuestionAnswered {
			t.Fatalf("the university's cadre did not answer the question on the deleted board: %+v", got)
		}
	})
}

func TestSweepConcurrentInstances(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *model.DB) {
		f := setup(t, db)
		ctx := context.Background()
		askers := []model.User{f.studentA, f.studentA2}
		var qs []model.Question
		for i := range 30 {
			qs = append(qs, f.ask(t, askers[i%2], "", fmt.Sprintf("并发 %02d", i), "", false))
		}
		sweepAll := func(at time.Duration) (reminded, overdue int) {
			f.clk.Set(t0.Add(at))
			var wg sync.WaitGroup
			var mu sync.Mutex
			for range 4 {
				svc := f.newService(t)
				wg.Add(1)
				go func() {
					defer wg.Done()
					r, o, err := svc.Sweep(ctx)
					if err != nil {
						t.Errorf("sweep: %v", err)
					}
					mu.Lock()
					reminded, overdue = reminded+r, overdue+o
					mu.Unlock()
				}()
			}
			wg.Wait()
			return reminded, overdue
		}
		if r, o := sweepAll(20 * time.Hour); r != 30 || o != 0 {
			t.Fatalf("concurrent sweeps at 20h claimed %d reminders and %d overdue, want 30 and 0", r, o)
		}
		if r, o := sweepAll(24*time.Hour + time.Second); r != 0 || o != 30 {
			t.Fatalf("concurrent sweeps at 24h+1s claimed %d reminders and %d overdue, want 0 and 30", r, o)
		}
		for _, q := range qs {
			servicetest.WantRecipients(t, fmt.Sprintf("reminder for %d", q.ID), f.alertsFor(t, alertkind.Reminder, q.ID), f.cadreA1, f.cadreA2, f.adminA)
			servicetest.WantRecipients(t, fmt.Sprintf("overdue for %d", q.ID), f.alertsFor(t, alertkind.Overdue, q.ID), f.adminA, f.province, f.province2)
		}
		if n := len(f.alerts(t, alertkind.Reminder)); n != 90 {
			t.Fatalf("%d reminder rows, want 90", n)
		}
	})
}

// A cadre answering (or the asker following up) while an admin hides the
// question: the write waits for the hide and is refused; the question
// stays hidden and its asker gets no "answered" alert.
func TestWriteDuringHideIsRefused(t *testing.T) {
	cases := []struct {
		name string
		want error // the cadre no longer sees the question; its asker does
		act  func(f *fixture, q model.Question) error
	}{
		{"answer", service.ErrNotFound, func(f *fixture, q model.Question) error {
			_, err := f.svc.Answer(context.Background(), f.cadreA1, q.ID, "我们来处理")
			return err
		}},
		{"follow-up", service.ErrConflict, func(f *fixture, q model.Question) error {
			_, err := f.svc.FollowUp(context.Background(), f.studentA, q.ID, "请尽快回复")
			return err
		}},
	}
	dbtest.Each(t, func(t *testing.T, db *model.DB) {
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				f := setup(t, db)
				ctx := context.Background()
				q := f.ask(t, f.studentA, "", "正在被隐藏的问题", "", false)
				hidden, release := make(chan struct{}), make(chan struct{})
				hideErr := make(chan error, 1)
				go func() {
					hideErr <- db.WithTx(ctx, func(ctx context.Context) error {
						err := f.svc.Hide(ctx, f.adminA, question.TargetQuestion, q.ID, "违规内容")
						close(hidden)
						<-release // the hide is done but not yet committed
						return err
					})
				}()
				<-hidden
				actErr := make(chan error, 1)
				go func() { actErr <- tc.act(f, q) }()
				time.Sleep(200 * time.Millisecond) // let the write reach the question
				close(release)
				if err := <-hideErr; err != nil {
					t.Fatalf("hide: %v", err)
				}
				servicetest.WantErr(t, tc.name, <-actErr, tc.want, "")
				got := f.reload(t, q.ID)
				if got.Status != model.QuestionHidden || got.FirstAnsweredAt != nil {
					t.Fatalf("after the race: status %q, first answered %v; want hidden and unanswered", got.Status, got.FirstAnsweredAt)
				}
				var n int64
				if err := db.Conn(ctx).Model(&model.Answer{}).Where("question_id = ?", q.ID).Count(&n).Error; err != nil || n != 0 {
					t.Fatalf("%d answers stored on the hidden question (%v)", n, err)
				}
				if a := f.alerts(t, alertkind.Answered); len(a) != 0 {
					t.Fatalf("%d answered alerts", len(a))
				}
			})
		}
	})
}

// Several admins acting on the same item at once: one wins, the others get
// a conflict, and the alerts go out once.
func TestConcurrentModerationAlertsOnce(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *model.DB) {
		f := setup(t, db)
		ctx := context.Background()
		cases := []struct {
			name string
			// prepare returns the question and the moderation target.
			prepare func(t *testing.T) (q model.Question, kind string, id uint64)
			act     func(svc *question.Service, admin model.User, kind string, id uint64) error
			// alerts about the question after the race, per template.
			want map[alertkind.Kind][]model.User
		}{
			{"approve a held question",
				func(t *testing.T) (model.Question, string, uint64) {
					q := f.ask(t, f.studentA, "", "代考求助", "", false)
					return q, question.TargetQuestion, q.ID
				},
				func(svc *question.Service, admin model.User, kind string, id uint64) error {
					return svc.Approve(ctx, admin, kind, id)
				},
				map[alertkind.Kind][]model.User{alertkind.QuestionNew: {f.cadreA1, f.cadreA2}, alertkind.Moderated: {f.studentA}}},
			{"approve a held answer",
				func(t *testing.T) (model.Question, string, uint64) {
					q := f.ask(t, f.studentA, "", "答复待审", "", false)
					a := f.answer(t, f.cadreA1, q.ID, "可以代考")
					return q, question.TargetAnswer, a.ID
				},
				func(svc *question.Service, admin model.User, kind string, id uint64) error {
					return svc.Approve(ctx, admin, kind, id)
				},
				map[alertkind.Kind][]model.User{alertkind.Answered: {f.studentA}, alertkind.Moderated: {f.cadreA1}}},
			{"hide a question",
				func(t *testing.T) (model.Question, string, uint64) {
					q := f.ask(t, f.studentA, "", "要被隐藏", "", false)
					return q, question.TargetQuestion, q.ID
				},
				func(svc *question.Service, admin model.User, kind string, id uint64) error {
					return svc.Hide(ctx, admin, kind, id, "广告")
				},
				map[alertkind.Kind][]model.User{alertkind.Moderated: {f.studentA}}},
			{"reopen a question",
				func(t *testing.T) (model.Question, string, uint64) {
					q := f.ask(t, f.studentA, "", "要被恢复", "", false)
					if err := f.svc.Hide(ctx, f.adminA, question.TargetQuestion, q.ID, "误判"); err != nil {
						t.Fatal(err)
					}
					return q, question.TargetQuestion, q.ID
				},
				func(svc *question.Service, admin model.User, kind string, id uint64) error {
					return svc.Reopen(ctx, admin, kind, id)
				},
				map[alertkind.Kind][]model.User{alertkind.Moderated: {f.studentA, f.studentA}}}, // hide, then one reopen
			{"hide an answer",
				func(t *testing.T) (model.Question, string, uint64) {
					q := f.ask(t, f.studentA, "", "答复要被隐藏", "", false)
					a := f.answer(t, f.cadreA2, q.ID, "不当答复")
					return q, question.TargetAnswer, a.ID
				},
				func(svc *question.Service, admin model.User, kind string, id uint64) error {
					return svc.Hide(ctx, admin, kind, id, "不当")
				},
				map[alertkind.Kind][]model.User{alertkind.Answered: {f.studentA}, alertkind.Moderated: {f.cadreA2}}},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				q, kind, id := tc.prepare(t)
				var wg sync.WaitGroup
				var mu sync.Mutex
				var ok, conflict int
				for i := range 6 {
					svc := f.newService(t)
					admin := f.adminA
					if i%2 == 1 {
						admin = f.province
					}
					wg.Add(1)
					go func() {
						defer wg.Done()
						err := tc.act(svc, admin, kind, id)
						mu.Lock()
						defer mu.Unlock()
						switch {
						case err == nil:
							ok++
						case errors.Is(err, service.ErrConflict):
							conflict++
						default:
							t.Errorf("%s: %v", tc.name, err)
						}
					}()
				}
				wg.Wait()
				if ok != 1 || conflict != 5 {
					t.Fatalf("%d succeeded, %d conflicted; want 1 and 5", ok, conflict)
				}
				for key, to := range tc.want {
					servicetest.WantRecipients(t, key.Key(), f.alertsFor(t, key, q.ID), to...)
				}
			})
		}
	})
}

// The overdue list shows the 200 longest overdue; its total counts all.
func TestOverdueTotalBeyondTheList(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *model.DB) {
		f := setup(t, db)
		ctx := context.Background()
		q := f.ask(t, f.studentA, "", "第一个超时的问题", "", false)
		rows := make([]model.Question, 250)
		for i := range rows {
			r := q
			r.ID = 0
			r.Title = fmt.Sprintf("超时 %03d", i)
			r.CreatedAt = q.CreatedAt.Add(time.Duration(i+1) * time.Second)
			r.DueAt = r.CreatedAt.Add(question.AnswerWithin)
			rows[i] = r
		}
		if err := db.Conn(ctx).CreateInBatches(rows, 100).Error; err != nil {
			t.Fatal(err)
		}
		// Rows written around the service are counted as a bulk import's
		// are (youthvoice stats-rebuild).
		if err := question.RecountOpen(ctx, db); err != nil {
			t.Fatal(err)
		}
		f.clk.Advance(48 * time.Hour)
		for _, admin := range []model.User{f.adminA, f.province} {
			got, err := f.svc.OverdueFor(ctx, admin)
			if err != nil {
				t.Fatal(err)
			}
			if got.Total != 251 || len(got.Questions) != 200 || got.Questions[0].ID != q.ID {
				t.Fatalf("%s: total %d, listed %d, first %d; want 251, 200, %d", admin.Role, got.Total, len(got.Questions), got.Questions[0].ID, q.ID)
			}
		}
	})
}
