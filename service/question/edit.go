package question

import (
	"context"
	"fmt"
	"unicode/utf8"

	"github.com/gdyouth/youthvoice/model"
	"github.com/gdyouth/youthvoice/service"
	"github.com/gdyouth/youthvoice/service/alertkind"
	"github.com/gdyouth/youthvoice/service/notify"
)

// WithdrawnReason is the hidden_reason of a question its asker withdrew.
// A withdrawn question is a hidden one (status hidden: off the boards and
// out of search, not open, so the reminder and overdue timers pass it
// by) with rejected_at set, which takes it out of the statistics exactly
// as a question rejected in review (`rejected_at IS NULL` in the stats
// queries). No column is added: the reason marks it as withdrawn.
const WithdrawnReason = "提问者撤回"

// Withdrawn reports whether q was withdrawn by its asker.
func Withdrawn(q model.Question) bool {
	return q.Status == model.QuestionHidden && q.HiddenReason == WithdrawnReason
}

// EditInput is the asker's new text for a question.
type EditInput struct {
	Title string
	Body  string
}

// loadOwn loads question id for its asker u to change, under the
// question's lock: only the asker, only before the first published
// answer, and not when hidden (withdrawn, rejected or hidden by an admin).
func (s *Service) loadOwn(ctx context.Context, u model.User, id uint64, verb string) (model.Question, model.Board, error) {
	q, b, err := s.load(ctx, u, id)
	if err != nil {
		return q, b, err
	}
	if q.AskerID != u.ID {
		return q, b, service.Forbidden("not_asker", "只有提问者本人可以"+verb+"问题")
	}
	switch {
	case q.Status == model.QuestionHidden:
		return q, b, service.Conflict("question_hidden", "该问题已撤回或已被隐藏，不能"+verb, nil)
	case q.FirstAnsweredAt != nil || q.Status == model.QuestionAnswered || q.Status == model.QuestionResolved:
		return q, b, service.Conflict("already_answered", "问题已有答复，不能再"+verb, nil)
	}
	return q, b, nil
}

// CanChange reports whether u may still edit or withdraw q (the pages
// show 编辑 and 撤回 by it).
func CanChange(u model.User, q model.Question) bool {
	return u.ID != 0 && u.ID == q.AskerID && q.FirstAnsweredAt == nil &&
		(q.Status == model.QuestionOpen || q.Status == model.QuestionReview)
}

// Edit changes the title and body of u's own question before its first
// answer. The text has the limits of Ask and is checked for sensitive
// words again: an open question with one goes back to review (off the
// boards and out of search until an admin approves it). The search index
// follows the new text. updated_at records the edit; the page shows 已编辑
// when it is later than the question's creation (see Edited).
func (s *Service) Edit(ctx context.Context, u model.User, id uint64, in EditInput) (model.Question, error) {
	defer s.lists.changed()
	in.Title = service.CleanLine(in.Title)
	in.Body = service.CleanText(in.Body)
	switch n := utf8.RuneCountInString(in.Title); {
	case n == 0:
		return model.Question{}, service.Invalid("title_required", "请填写问题标题", map[string]string{"title": "请填写问题标题"})
	case n > MaxTitle:
		msg := fmt.Sprintf("标题不能超过 %d 个字（当前 %d 个字）", MaxTitle, n)
		return model.Question{}, service.Invalid("title_too_long", msg, map[string]string{"title": msg})
	}
	if err := checkBody("body", "补充说明", in.Body, MaxBody, false); err != nil {
		return model.Question{}, err
	}
	var q model.Question
	err := s.db.WithTx(ctx, func(ctx context.Context) error {
		var err error
		q, _, err = s.loadOwn(ctx, u, id, "编辑")
		if err != nil {
			return err
		}
		now := s.now()
		from := q.Status
		to := from
		if s.words.Match(in.Title, in.Body) != "" {
			to = model.QuestionReview
		}
		if err := claimed(s.db.Conn(ctx).Model(&model.Question{}).Where("id = ? AND status = ?", q.ID, from).
			Updates(map[string]any{"title": in.Title, "body": in.Body, "status": to, "updated_at": now})); err != nil {
			return err
		}
		q.Title, q.Body, q.Status, q.UpdatedAt = in.Title, in.Body, to, now
		if err := s.statusChanged(ctx, q.UniversityID, from, to); err != nil {
			return err
		}
		if to == model.QuestionOpen {
			return s.index(ctx, q)
		}
		if from == model.QuestionOpen {
			return s.unindex(ctx, q.ID)
		}
		return nil
	})
	if err != nil {
		return model.Question{}, service.Wrap("编辑问题", err)
	}
	return q, nil
}

// Withdraw withdraws u's own question before its first answer (see
// WithdrawnReason). When it had been published, the cadres who were told
// of it (the university's cadres, see alertNewQuestion) are told it was
// withdrawn, with a link to its board.
func (s *Service) Withdraw(ctx context.Context, u model.User, id uint64) error {
	defer s.lists.changed()
	return service.Wrap("撤回问题", s.db.WithTx(ctx, func(ctx context.Context) error {
		q, b, err := s.loadOwn(ctx, u, id, "撤回")
		if err != nil {
			return err
		}
		now := s.now()
		if err := claimed(s.db.Conn(ctx).Model(&model.Question{}).Where("id = ? AND status = ?", q.ID, q.Status).
			Updates(map[string]any{"status": model.QuestionHidden, "hidden_reason": WithdrawnReason,
				"rejected_at": now, "updated_at": now})); err != nil {
			return err
		}
		if err := s.statusChanged(ctx, q.UniversityID, q.Status, model.QuestionHidden); err != nil {
			return err
		}
		if q.Status != model.QuestionOpen {
			return nil // held for review: never published, nobody was told
		}
		to, err := s.cadresOf(ctx, q.UniversityID)
		if err != nil {
			return fmt.Errorf("查找本校团学干部: %w", err)
		}
		// The question is no longer theirs to see: the alert leads to
		// its board (主页 for a deleted board).
		link := "/h5/home"
		if b.Key != "" {
			link = "/h5/boards/" + b.Key
		}
		if err := s.notify.Send(ctx, alertkind.QuestionWithdrawn, to, link, map[string]string{
			"title": q.Title, "board": b.Name, "time": notify.Time(now),
		}); err != nil {
			return err
		}
		return s.unindex(ctx, q.ID)
	}))
}

// Edited reports whether q's text was changed by its asker after it was
// asked. There is no edited_at column: before the first answer only an
// edit stamps updated_at later than created_at, besides two rare admin
// actions (restoring a question hidden while open; hiding its only
// answer), after which the page shows 已编辑 too.
func Edited(q model.Question) bool {
	return q.UpdatedAt.After(q.CreatedAt) && q.FirstAnsweredAt == nil && q.Status != model.QuestionHidden
}
