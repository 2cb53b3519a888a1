// Package question runs the boards: students ask, cadres answer within 24
// hours, askers follow up and rate, admins moderate. Every rule about who
// may see or change what is checked here, and every alert is enqueued in
// the same transaction as the change that causes it.
package question

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"
	"unicode/utf8"

	"gorm.io/gorm"

	"github.com/gdyouth/youthvoice/model"
	"github.com/gdyouth/youthvoice/service"
	"github.com/gdyouth/youthvoice/service/clock"
	"github.com/gdyouth/youthvoice/service/notify"
)

// Field limits, in characters. The service refuses longer text with a
// field error naming the field and its limit; the pages' maxlength and
// the API's documentation take them from here.
const (
	MaxTitle    = 50   // question title (标题)
	MaxBody     = 2000 // question body (补充说明)
	MaxAnswer   = 2000 // a cadre's answer (答复)
	MaxFollowUp = 2000 // the asker's follow-up (追问)
	MaxReason   = 100  // why content was hidden or rejected, told to the author (原因)
	MaxComment  = 200  // the asker's comment with the rating (评价)
)

// The promise and its limits.
const (
	AnswerWithin  = 24 * time.Hour
	RemindAfter   = 20 * time.Hour
	maxAsksPerDay = 20
)

// Ratings the asker may give.
var Ratings = []string{"满意", "一般", "不满意"}

// Service is the question service.
type Service struct {
	db     *model.DB
	clk    clock.Clock
	notify *notify.Notifier
	words  *Words
	log    *slog.Logger
	search searchCache
	boards boardCache // for the list pages
	lists  pageCache
}

// New builds the service. All dependencies are required; words may be
// empty but not nil.
func New(db *model.DB, clk clock.Clock, n *notify.Notifier, words *Words, log *slog.Logger) (*Service, error) {
	if db == nil || clk == nil || n == nil || words == nil || log == nil {
		return nil, errors.New("question.New: nil dependency")
	}
	return &Service{db: db, clk: clk, notify: n, words: words, log: log}, nil
}

func (s *Service) now() time.Time { return s.clk.Now().UTC().Truncate(time.Second) }

// AskInput is a new question.
type AskInput struct {
	BoardKey  string // "" for the asker's university board
	Title     string
	Body      string
	Anonymous bool
	// Images are the question's photos, stored already (service/photo
	// prepares them); their rows are written with the question.
	Images []model.PostImage
}

// checkBody checks the text of form field field, called label on the
// page, against its limit.
func checkBody(field, label, body string, limit int, required bool) error {
	n := utf8.RuneCountInString(body)
	if required && n == 0 {
		return service.Invalid("empty", label+"不能为空", map[string]string{field: "请填写" + label})
	}
	if n > limit {
		msg := fmt.Sprintf("%s不能超过 %d 个字（当前 %d 个字）", label, limit, n)
		return service.Invalid("too_long", msg, map[string]string{field: msg})
	}
	return nil
}

// Ask publishes a question, or holds it for review when it contains a
// sensitive word. The asker's university cadres are alerted.
func (s *Service) Ask(ctx context.Context, u model.User, in AskInput) (model.Question, error) {
	defer s.lists.changed() // the board pages show it at once
	if u.UniversityID == nil {
		return model.Question{}, service.Forbidden("no_university", "请先完成激活并选择学校，再提问")
	}
	in.Title = service.CleanLine(in.Title)
	in.Body = service.CleanText(in.Body)
	// Every field's problem at once, so the form lists them all.
	fields := map[string]string{}
	code := ""
	switch n := utf8.RuneCountInString(in.Title); {
	case n == 0:
		fields["title"], code = "请填写问题标题", "title_required"
	case n > MaxTitle:
		fields["title"], code = fmt.Sprintf("标题不能超过 %d 个字（当前 %d 个字）", MaxTitle, n), "title_too_long"
	}
	var se *service.Error
	if err := checkBody("body", "补充说明", in.Body, MaxBody, false); errors.As(err, &se) {
		for f, m := range se.Fields {
			fields[f] = m
		}
		if code == "" {
			code = se.Code
		}
	}
	if len(fields) > 1 {
		code = "invalid_input"
	}
	if err := service.InvalidFields(code, fields, "title", "body"); err != nil {
		return model.Question{}, err
	}
	now := s.now()
	var q model.Question
	err := s.db.WithTx(ctx, func(ctx context.Context) error {
		// Concurrent asks of one user are counted one after another: the
		// user's row lock (MySQL) / the single connection (SQLite) orders
		// them. The lock is the transaction's first read, so the count
		// below sees every question committed before it was granted.
		var me model.User
		if err := s.db.ForUpdate(ctx).Select("id").Take(&me, u.ID).Error; err != nil {
			return err
		}
		board, err := s.askBoard(ctx, u, in.BoardKey)
		if err != nil {
			return err
		}
		var today int64
		if err := s.db.Conn(ctx).Model(&model.Question{}).
			Where("asker_id = ? AND created_at > ?", u.ID, now.Add(-24*time.Hour)).Count(&today).Error; err != nil {
			return err
		}
		if today >= maxAsksPerDay {
			return service.TooMany("ask_limit", fmt.Sprintf("24 小时内最多提问 %d 次，请稍后再试", maxAsksPerDay))
		}
		q = model.Question{
			BoardID: board.ID, UniversityID: *u.UniversityID, AskerID: u.ID,
			Title: in.Title, Body: in.Body, Anonymous: in.Anonymous,
			Status: model.QuestionOpen, DueAt: now.Add(AnswerWithin), CreatedAt: now, UpdatedAt: now,
		}
		if s.words.Match(in.Title, in.Body) != "" {
			q.Status = model.QuestionReview
		}
		if err := s.db.Conn(ctx).Create(&q).Error; err != nil {
			return err
		}
		if err := s.addImages(ctx, model.ImageOwnerQuestion, q.ID, in.Images); err != nil {
			return err
		}
		if err := s.statusChanged(ctx, q.UniversityID, "", q.Status); err != nil {
			return err
		}
		if q.Status != model.QuestionOpen {
			return nil // not searchable until approved
		}
		if err := s.alertNewQuestion(ctx, q, board); err != nil {
			return err
		}
		return s.index(ctx, q)
	})
	if err != nil {
		return model.Question{}, service.Wrap("提问", err)
	}
	return q, nil
}

// askBoard resolves where u may ask: their university's board by default,
// or an enabled provincial board. Another university's board is refused.
func (s *Service) askBoard(ctx context.Context, u model.User, key string) (model.Board, error) {
	if key == "" {
		return s.universityBoard(ctx, *u.UniversityID)
	}
	b, err := s.boardByKey(ctx, key)
	if err != nil {
		return b, err
	}
	if b.Kind == model.BoardUniversity && (b.UniversityID == nil || *b.UniversityID != *u.UniversityID) {
		return b, service.Forbidden("other_university_board", "只能在本校版区或省级版区提问")
	}
	return b, nil
}

func (s *Service) boardByKey(ctx context.Context, key string) (model.Board, error) {
	var b model.Board
	err := s.db.Conn(ctx).Where("`key` = ? AND enabled = ?", key, true).Take(&b).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return b, service.NotFound("board_not_found", "版区不存在或已关闭")
	}
	return b, err
}

func (s *Service) boardByID(ctx context.Context, id uint64) (model.Board, error) {
	var b model.Board
	err := s.db.Conn(ctx).Take(&b, id).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return b, service.NotFound("board_not_found", "版区不存在")
	}
	return b, err
}

// deletedBoardName stands for a board an operator deleted from the table.
const deletedBoardName = "（版区已删除）"

// boardOf returns q's board. When an operator has deleted it from the
// table, a stand-in keeps the question readable, answerable and alerted:
// it counts as the asker's university's board, the narrowest scope.
func (s *Service) boardOf(ctx context.Context, q model.Question) (model.Board, error) {
	b, err := s.boardByID(ctx, q.BoardID)
	if errors.Is(err, service.ErrNotFound) {
		uni := q.UniversityID
		return model.Board{ID: q.BoardID, Name: deletedBoardName, Kind: model.BoardUniversity, UniversityID: &uni}, nil
	}
	return b, err
}

// universityBoard returns the university's board, creating it for a
// university added after the migrations seeded the boards.
func (s *Service) universityBoard(ctx context.Context, uni uint64) (model.Board, error) {
	var b model.Board
	err := s.db.Conn(ctx).Where("university_id = ?", uni).Take(&b).Error
	if err == nil || !errors.Is(err, gorm.ErrRecordNotFound) {
		return b, err
	}
	var u model.University
	if err := s.db.Conn(ctx).Take(&u, uni).Error; err != nil {
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return b, service.NotFound("university_not_found", "学校不存在")
		}
		return b, err
	}
	b = model.Board{Key: "u-" + u.Code, Name: u.Name + "版区", Kind: model.BoardUniversity, UniversityID: &u.ID, SortOrder: 100, Enabled: true}
	if err := s.db.Conn(ctx).Create(&b).Error; err != nil {
		if errors.Is(err, gorm.ErrDuplicatedKey) {
			// Created concurrently: read the winner's row. A locking read,
			// because in a MySQL transaction a plain one would answer from
			// the snapshot taken before the winner committed.
			b = model.Board{}
			return b, s.db.ForUpdate(ctx).Where("university_id = ?", uni).Take(&b).Error
		}
		return b, err
	}
	return b, nil
}

// Boards lists where u may ask and read: their university's board first,
// then the provincial boards in order.
func (s *Service) Boards(ctx context.Context, u model.User) ([]model.Board, error) {
	var out []model.Board
	if u.UniversityID != nil {
		b, err := s.universityBoard(ctx, *u.UniversityID)
		if err != nil {
			return nil, service.Wrap("读取版区", err)
		}
		out = append(out, b)
	}
	var prov []model.Board
	if err := s.db.Conn(ctx).Where("kind = ? AND enabled = ?", model.BoardProvince, true).
		Order("sort_order").Order("id").Find(&prov).Error; err != nil {
		return nil, service.Wrap("读取版区", err)
	}
	return append(out, prov...), nil
}

// Board returns an enabled board by key.
func (s *Service) Board(ctx context.Context, key string) (model.Board, error) {
	b, err := s.boardByKey(ctx, key)
	return b, service.Wrap("读取版区", err)
}
