package question

import (
	"context"
	"errors"
	"fmt"
	"time"
	"unicode/utf8"

	"gorm.io/gorm"

	"github.com/gdyouth/youthvoice/model"
	"github.com/gdyouth/youthvoice/service"
	"github.com/gdyouth/youthvoice/service/alertkind"
	"github.com/gdyouth/youthvoice/service/audit"
)

// Moderation targets.
const (
	TargetQuestion = "question"
	TargetAnswer   = "answer"
)

// target is a question or one of its answers, loaded for moderation.
type target struct {
	q      model.Question
	b      model.Board
	a      *model.Answer
	author uint64
}

func (s *Service) loadTarget(ctx context.Context, admin model.User, kind string, id uint64) (target, error) {
	var t target
	var qid uint64
	switch kind {
	case TargetQuestion:
		qid = id
	case TargetAnswer:
		var a model.Answer
		err := s.db.Conn(ctx).Select("question_id").Take(&a, id).Error
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return t, service.NotFound("answer_not_found", "答复不存在")
		}
		if err != nil {
			return t, err
		}
		qid = a.QuestionID
	default:
		return t, service.Invalid("bad_target", "只能处理问题或答复", nil)
	}
	var err error
	if t.q, t.b, err = s.load(ctx, admin, qid); err != nil {
		return t, err
	}
	if kind == TargetAnswer {
		// Read again under the question's lock: the answer as the last
		// change to its question left it.
		var a model.Answer
		if err := s.db.ForUpdate(ctx).Take(&a, id).Error; err != nil {
			return t, err
		}
		t.a = &a
	}
	if !canModerate(admin, t.q.UniversityID) {
		if t.a != nil {
			return t, service.NotFound("answer_not_found", "答复不存在")
		}
		if admin.Has(model.RoleUniversityAdm) {
			return t, service.Forbidden("other_university", "只能处理本校学生的内容")
		}
		return t, service.Forbidden("not_admin", "只有高校团委或省级管理员可以处理内容")
	}
	t.author = t.q.AskerID
	if t.a != nil {
		t.author = t.a.AuthorID
	}
	return t, nil
}

func checkReason(reason string) (string, error) {
	reason = service.CleanLine(reason)
	if reason == "" {
		return "", service.Invalid("reason_required", "请填写原因（会告知作者）", map[string]string{"reason": "请填写原因"})
	}
	if utf8.RuneCountInString(reason) > MaxReason {
		msg := fmt.Sprintf("原因不能超过 %d 个字", MaxReason)
		return "", service.Invalid("reason_too_long", msg, map[string]string{"reason": msg})
	}
	return reason, nil
}

// Hide hides a question or answer (also: rejects one held for review);
// the author is told why.
func (s *Service) Hide(ctx context.Context, admin model.User, kind string, id uint64, reason string) error {
	defer s.lists.changed() // the board pages show it at once
	reason, err := checkReason(reason)
	if err != nil {
		return err
	}
	return service.Wrap("隐藏内容", s.db.WithTx(ctx, func(ctx context.Context) error {
		t, err := s.loadTarget(ctx, admin, kind, id)
		if err != nil {
			return err
		}
		now := s.now()
		result := "已被隐藏"
		if t.a == nil {
			if t.q.Status == model.QuestionHidden {
				return service.Conflict("already_hidden", "该问题已被隐藏", nil)
			}
			upd := map[string]any{"status": model.QuestionHidden, "hidden_reason": reason, "updated_at": now}
			if t.q.Status == model.QuestionReview {
				// Rejected: never published, so not one of the questions
				// asked unless an admin restores it (Reopen).
				result, upd["rejected_at"] = "未通过审核", now
			}
			if t.q.Status == model.QuestionOpen && t.q.FirstAnsweredAt == nil && now.After(t.q.DueAt) {
				// Already past its 24 hours unanswered: it stays late in the
				// statistics, or hiding would erase the broken promise.
				upd["promise_kept"] = false
			}
			if err := claimed(s.db.Conn(ctx).Model(&model.Question{}).Where("id = ? AND status = ?", t.q.ID, t.q.Status).
				Updates(upd)); err != nil {
				return err
			}
			if err := s.statusChanged(ctx, t.q.UniversityID, t.q.Status, model.QuestionHidden); err != nil {
				return err
			}
		} else {
			if t.a.Status == model.AnswerHidden {
				return service.Conflict("already_hidden", "该答复已被隐藏", nil)
			}
			if t.a.Status == model.AnswerReview {
				result = "未通过审核"
			}
			if err := claimed(s.db.Conn(ctx).Model(&model.Answer{}).Where("id = ? AND status = ?", t.a.ID, t.a.Status).
				Updates(map[string]any{"status": model.AnswerHidden, "hidden_reason": reason, "updated_at": now})); err != nil {
				return err
			}
			if t.a.Kind == model.AnswerKindAnswer && t.a.Status == model.AnswerPublished {
				if err := s.unanswerIfLast(ctx, t.q, t.b, now); err != nil {
					return err
				}
			}
		}
		if err := s.recordModeration(ctx, admin, t, audit.ActionPostHide, result, reason); err != nil {
			return err
		}
		if err := s.alertModerated(ctx, t, result, reason); err != nil {
			return err
		}
		if t.a == nil {
			return s.unindex(ctx, t.q.ID)
		}
		return nil
	}))
}

// Reopen restores a hidden question or answer.
func (s *Service) Reopen(ctx context.Context, admin model.User, kind string, id uint64) error {
	defer s.lists.changed() // the board pages show it at once
	return service.Wrap("恢复内容", s.db.WithTx(ctx, func(ctx context.Context) error {
		t, err := s.loadTarget(ctx, admin, kind, id)
		if err != nil {
			return err
		}
		now := s.now()
		if t.a == nil {
			if t.q.Status != model.QuestionHidden {
				return service.Conflict("not_hidden", "该问题没有被隐藏", nil)
			}
			if Withdrawn(t.q) {
				return service.Conflict("withdrawn", "提问者已撤回该问题，不能恢复", nil)
			}
			status := model.QuestionOpen
			switch {
			case t.q.Rating != "":
				status = model.QuestionResolved
			case t.q.FirstAnsweredAt != nil:
				status = model.QuestionAnswered
			}
			upd := map[string]any{"status": status, "hidden_reason": "", "updated_at": now}
			switch {
			case status == model.QuestionOpen && t.q.PromiseKept != nil && !*t.q.PromiseKept:
				// It was already late when hidden: it comes back late, with
				// its deadline, and stays counted late until answered.
				upd["promise_kept"] = nil
			case status == model.QuestionOpen:
				// Still unanswered (perhaps never published: rejected in
				// review): the time it spent hidden does not count against
				// the cadres, who are told of it now. Its first response is
				// timed from now too (see published).
				t.q.DueAt = now.Add(AnswerWithin)
				upd["due_at"], upd["reminded_at"], upd["overdue_at"] = t.q.DueAt, nil, nil
			}
			if t.q.RejectedAt != nil {
				// Rejected in review and restored: published now, as if
				// approved now (see Approve), and asked now for the
				// statistics.
				t.q.CreatedAt = now
				upd["rejected_at"], upd["created_at"] = nil, now
			}
			if err := claimed(s.db.Conn(ctx).Model(&model.Question{}).Where("id = ? AND status = ?", t.q.ID, model.QuestionHidden).
				Updates(upd)); err != nil {
				return err
			}
			if err := s.statusChanged(ctx, t.q.UniversityID, model.QuestionHidden, status); err != nil {
				return err
			}
			if status == model.QuestionOpen {
				t.q.Status = status
				if err := s.alertNewQuestion(ctx, t.q, t.b); err != nil {
					return err
				}
			}
		} else {
			if t.a.Status != model.AnswerHidden {
				return service.Conflict("not_hidden", "该答复没有被隐藏", nil)
			}
			if err := claimed(s.db.Conn(ctx).Model(&model.Answer{}).Where("id = ? AND status = ?", t.a.ID, model.AnswerHidden).
				Updates(map[string]any{"status": model.AnswerPublished, "hidden_reason": "", "updated_at": now})); err != nil {
				return err
			}
			// A cadre answer restored before any other published one (say,
			// rejected in review) is the first answer: it stops the clock
			// and the asker is told. A cross-board reply restored then is
			// told to the asker and leaves the question open (published).
			if t.a.Kind == model.AnswerKindAnswer && t.q.FirstAnsweredAt == nil && answerable(t.q) == nil {
				var author model.User
				if err := s.db.Conn(ctx).Take(&author, t.a.AuthorID).Error; err != nil {
					return err
				}
				if err := s.published(ctx, t.q, t.b, *t.a, author); err != nil {
					return err
				}
			}
		}
		if err := s.recordModeration(ctx, admin, t, audit.ActionPostRestore, "已恢复显示", ""); err != nil {
			return err
		}
		if err := s.alertModerated(ctx, t, "已恢复显示", "管理员已恢复"); err != nil {
			return err
		}
		if t.a == nil {
			return s.index(ctx, t.q)
		}
		return nil
	}))
}

// unanswerIfLast undoes q's first answer when the cadre answer just hidden
// was its last published host answer (answersForHost; cross-board replies
// on its board b do not count): the question is unanswered again, back
// with the cadres under its original deadline (overdue at once if that
// has passed), instead of counting as answered on time with nothing, or
// only other universities' replies, to read. A question the asker has
// marked resolved stays resolved.
func (s *Service) unanswerIfLast(ctx context.Context, q model.Question, b model.Board, now time.Time) error {
	if q.FirstAnsweredAt == nil || q.Status != model.QuestionAnswered {
		return nil
	}
	left := s.db.Conn(ctx).Model(&model.Answer{}).
		Where("question_id = ? AND kind = ? AND status = ?", q.ID, model.AnswerKindAnswer, model.AnswerPublished)
	if b.Kind != model.BoardProvince && b.UniversityID != nil {
		// A university's board: the answers that are not cross-board
		// replies (crossBoard), its own people's and the province admin's.
		left = left.Where("author_id IN (?)", s.db.Conn(ctx).Model(&model.User{}).Select("id").
			Where("university_id = ? OR university_id IS NULL OR "+model.HasRoleSQL, *b.UniversityID, model.RoleBit(model.RoleProvinceAdmin)))
	}
	var n int64
	if err := left.Count(&n).Error; err != nil {
		return err
	}
	if n > 0 {
		return nil
	}
	if err := claimed(s.db.Conn(ctx).Model(&model.Question{}).Where("id = ? AND status = ?", q.ID, model.QuestionAnswered).
		Updates(map[string]any{"status": model.QuestionOpen, "first_answered_at": nil, "first_response_seconds": nil,
			"promise_kept": nil, "updated_at": now})); err != nil {
		return err
	}
	return s.statusChanged(ctx, q.UniversityID, model.QuestionAnswered, model.QuestionOpen)
}

// Approve publishes a question or answer held for review. An approved
// question starts its 24-hour clock now and goes to the cadres.
func (s *Service) Approve(ctx context.Context, admin model.User, kind string, id uint64) error {
	defer s.lists.changed() // the board pages show it at once
	return service.Wrap("审核通过", s.db.WithTx(ctx, func(ctx context.Context) error {
		t, err := s.loadTarget(ctx, admin, kind, id)
		if err != nil {
			return err
		}
		now := s.now()
		if t.a == nil {
			if t.q.Status != model.QuestionReview {
				return service.Conflict("not_in_review", "该问题不在待审核状态", nil)
			}
			t.q.Status, t.q.DueAt, t.q.CreatedAt = model.QuestionOpen, now.Add(AnswerWithin), now
			if err := claimed(s.db.Conn(ctx).Model(&model.Question{}).Where("id = ? AND status = ?", t.q.ID, model.QuestionReview).
				Updates(map[string]any{"status": model.QuestionOpen, "due_at": t.q.DueAt, "created_at": now, "updated_at": now})); err != nil {
				return err
			}
			if err := s.statusChanged(ctx, t.q.UniversityID, model.QuestionReview, model.QuestionOpen); err != nil {
				return err
			}
			if err := s.alertNewQuestion(ctx, t.q, t.b); err != nil {
				return err
			}
		} else {
			if t.a.Status != model.AnswerReview {
				return service.Conflict("not_in_review", "该答复不在待审核状态", nil)
			}
			if err := answerable(t.q); err != nil {
				return err
			}
			t.a.Status, t.a.CreatedAt = model.AnswerPublished, now
			if err := claimed(s.db.Conn(ctx).Model(&model.Answer{}).Where("id = ? AND status = ?", t.a.ID, model.AnswerReview).
				Updates(map[string]any{"status": model.AnswerPublished, "created_at": now, "updated_at": now})); err != nil {
				return err
			}
			var author model.User
			if err := s.db.Conn(ctx).Take(&author, t.a.AuthorID).Error; err != nil {
				return err
			}
			if t.a.Kind == model.AnswerKindAnswer {
				if err := s.published(ctx, t.q, t.b, *t.a, author); err != nil {
					return err
				}
			} else if err := s.alertFollowUp(ctx, t.q, *t.a); err != nil {
				return err
			}
		}
		if err := s.recordModeration(ctx, admin, t, audit.ActionPostApprove, "审核通过", ""); err != nil {
			return err
		}
		if err := s.alertModerated(ctx, t, "审核通过", "内容已发布"); err != nil {
			return err
		}
		if t.a == nil {
			return s.index(ctx, t.q)
		}
		return nil
	}))
}

// claimed checks a conditional status UPDATE: when another admin changed
// the row first (it matched no row), the action is a conflict and its
// alerts must not be sent again.
func claimed(res *gorm.DB) error {
	if res.Error != nil {
		return res.Error
	}
	if res.RowsAffected == 0 {
		return service.Conflict("changed", "内容已被其他管理员处理，请刷新后重试", nil)
	}
	return nil
}

func (s *Service) alertModerated(ctx context.Context, t target, result, reason string) error {
	var author model.User
	if err := s.db.Conn(ctx).Take(&author, t.author).Error; err != nil {
		return fmt.Errorf("读取作者: %w", err)
	}
	return s.notify.Send(ctx, alertkind.Moderated, []model.User{author}, questionPath(t.q.ID), map[string]string{
		"title": t.q.Title, "result": result, "reason": reason,
	})
}

// ReviewItem is a question or answer waiting for review.
type ReviewItem struct {
	Kind     string         `json:"kind"`
	ID       uint64         `json:"id"`
	Question model.Question `json:"question"`
	Body     string         `json:"body"`
}

// ReviewQueue lists what admin must review, oldest first.
func (s *Service) ReviewQueue(ctx context.Context, admin model.User) ([]ReviewItem, error) {
	scope, err := moderationScope(admin)
	if err != nil {
		return nil, err
	}
	var qs []model.Question
	q := s.db.Conn(ctx).Where("status = ?", model.QuestionReview).Order("id").Limit(200)
	if scope != nil {
		q = q.Where("university_id = ?", *scope)
	}
	if err := q.Find(&qs).Error; err != nil {
		return nil, service.Wrap("读取待审核内容", err)
	}
	out := make([]ReviewItem, 0, len(qs))
	for _, x := range qs {
		out = append(out, ReviewItem{Kind: TargetQuestion, ID: x.ID, Question: x, Body: x.Body})
	}
	var as []model.Answer
	aq := s.db.Conn(ctx).Where("status = ?", model.AnswerReview).Order("id").Limit(200)
	if scope != nil {
		aq = aq.Where("question_id IN (?)", s.db.Conn(ctx).Model(&model.Question{}).Select("id").Where("university_id = ?", *scope))
	}
	if err := aq.Find(&as).Error; err != nil {
		return nil, service.Wrap("读取待审核内容", err)
	}
	qids := make([]uint64, 0, len(as))
	for _, a := range as {
		qids = append(qids, a.QuestionID)
	}
	var parents []model.Question
	if len(qids) > 0 {
		if err := s.db.Conn(ctx).Where("id IN ?", qids).Find(&parents).Error; err != nil {
			return nil, service.Wrap("读取待审核内容", err)
		}
	}
	byID := make(map[uint64]model.Question, len(parents))
	for _, x := range parents {
		byID[x.ID] = x
	}
	for _, a := range as {
		out = append(out, ReviewItem{Kind: TargetAnswer, ID: a.ID, Question: byID[a.QuestionID], Body: a.Body})
	}
	return out, nil
}

// moderationScope is the university admin moderates, nil for the whole
// province; others are refused.
func moderationScope(u model.User) (*uint64, error) {
	switch {
	case u.Has(model.RoleProvinceAdmin):
		return nil, nil
	case u.Has(model.RoleUniversityAdm) && u.UniversityID != nil:
		return u.UniversityID, nil
	}
	return nil, service.Forbidden("not_admin", "只有高校团委或省级管理员可以查看")
}

// recordModeration adds a moderation to the audit trail, in its
// transaction: on the board's university (nil for the province's boards).
func (s *Service) recordModeration(ctx context.Context, admin model.User, t target, action, result, reason string) error {
	obj, id, what := "question", t.q.ID, "问题「"+clipTitle(t.q.Title)+"」"
	if t.a != nil {
		obj, id, what = "answer", t.a.ID, what+"的一条答复"
	}
	return audit.Record(ctx, s.db, audit.Entry{Actor: &admin, UniversityID: t.b.UniversityID, Action: action,
		ObjectType: obj, ObjectID: audit.ID(id), Summary: what + result,
		Detail: map[string]any{"question_id": t.q.ID, "result": result, "reason": reason}})
}

// clipTitle keeps a record's summary short.
func clipTitle(s string) string {
	if r := []rune(s); len(r) > 40 {
		return string(r[:40]) + "…"
	}
	return s
}
