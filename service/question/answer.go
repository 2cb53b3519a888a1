package question

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/gdyouth/youthvoice/model"
	"github.com/gdyouth/youthvoice/service"
	"github.com/gdyouth/youthvoice/service/alertkind"
	"github.com/gdyouth/youthvoice/service/notify"
)

// Answer posts a cadre's answer. The host's first published answer
// records the first-response time and whether the 24-hour promise was
// kept; the asker and those who said 同问 are alerted of every published
// answer, a cross-board reply (crossBoard) included. An answer with a sensitive word waits for
// review. The answer is returned as its author sees it.
func (s *Service) Answer(ctx context.Context, cadre model.User, questionID uint64, body string) (AnswerView, error) {
	return s.AnswerWithImages(ctx, cadre, questionID, body, nil)
}

// AnswerWithImages is Answer with photos, stored already (service/photo
// prepares them); their rows are written with the answer.
func (s *Service) AnswerWithImages(ctx context.Context, cadre model.User, questionID uint64, body string, images []model.PostImage) (AnswerView, error) {
	defer s.lists.changed() // the board pages show it at once
	body = service.CleanText(body)
	if err := checkBody("body", "答复", body, MaxAnswer, true); err != nil {
		return AnswerView{}, err
	}
	var a model.Answer
	var b model.Board
	err := s.db.WithTx(ctx, func(ctx context.Context) error {
		q, qb, err := s.load(ctx, cadre, questionID)
		if err != nil {
			return err
		}
		b = qb
		if !canAnswer(cadre, q, b) {
			if !isStaff(cadre) {
				return service.Forbidden("not_cadre", "只有团学干部可以答复问题")
			}
			if cadre.ID == q.AskerID {
				return service.Forbidden("own_question", "不能答复自己的提问")
			}
			return service.Forbidden("no_university", "你的账号未关联学校，只能答复省级版区的问题")
		}
		if err := answerable(q); err != nil {
			return err
		}
		now := s.now()
		a = model.Answer{QuestionID: q.ID, AuthorID: cadre.ID, Kind: model.AnswerKindAnswer, Body: body,
			Status: model.AnswerPublished, CreatedAt: now, UpdatedAt: now}
		if s.words.Match(body) != "" {
			a.Status = model.AnswerReview
		}
		if err := s.db.Conn(ctx).Create(&a).Error; err != nil {
			return err
		}
		if err := s.addImages(ctx, model.ImageOwnerAnswer, a.ID, images); err != nil {
			return err
		}
		if a.Status == model.AnswerPublished {
			return s.published(ctx, q, b, a, cadre)
		}
		return nil
	})
	if err != nil {
		return AnswerView{}, service.Wrap("答复", err)
	}
	v := AnswerView{Answer: a, AuthorName: cadre.PublicName(), AuthorRole: staffRoleName(cadre), Mine: true}
	if crossBoard(cadre, b) {
		unis, err := s.universityNames(ctx, []model.User{cadre})
		if err != nil {
			// Posted all the same: only the label's university is missing.
			s.log.WarnContext(ctx, "reading the replier's university failed", "err", err, "answer_id", a.ID)
		}
		v.labelCrossBoard(unis[*cadre.UniversityID])
	}
	return v, nil
}

// answerableStatuses are the statuses in which a question takes answers.
var answerableStatuses = []string{model.QuestionOpen, model.QuestionAnswered}

func answerable(q model.Question) error {
	switch q.Status {
	case model.QuestionOpen, model.QuestionAnswered:
		return nil
	case model.QuestionResolved:
		return service.Conflict("resolved", "提问者已将问题标记为已解决", nil)
	case model.QuestionReview:
		return service.Conflict("in_review", "问题正在审核，暂不能答复", nil)
	}
	return service.Conflict("hidden", "问题已被隐藏", nil)
}

// published applies a newly published cadre answer a to question q on
// board b: the host's first one stops the 24-hour clock; the asker is
// alerted. A cross-board reply changes nothing of the question: it stays
// open, timed and reminded for its own cadres (the asker still hears of
// the reply: someone has answered them). Those who said 同问 hear of it
// with the asker.
func (s *Service) published(ctx context.Context, q model.Question, b model.Board, a model.Answer, author model.User) error {
	now := s.now()
	cross := crossBoard(author, b)
	switch {
	case cross:
		// Not the host's answer: the question is untouched.
	case q.FirstAnsweredAt == nil:
		// Timed from the start of its current 24 hours: its creation, or
		// when it was restored after being hidden unanswered.
		secs := int64(now.Sub(q.DueAt.Add(-AnswerWithin)).Seconds())
		kept := !now.After(q.DueAt)
		// q was read locked (load), so the conditions hold; they are
		// checked all the same, so that no answer ever turns a hidden or
		// resolved question back into an answered one, and so that the
		// open count moves from the status the row really had.
		if err := claimed(s.db.Conn(ctx).Model(&model.Question{}).
			Where("id = ? AND first_answered_at IS NULL AND status IN ? AND status = ?", q.ID, answerableStatuses, q.Status).
			Updates(map[string]any{"first_answered_at": now, "first_response_seconds": secs, "promise_kept": kept,
				"status": model.QuestionAnswered, "updated_at": now})); err != nil {
			return err
		}
		if err := s.statusChanged(ctx, q.UniversityID, q.Status, model.QuestionAnswered); err != nil {
			return err
		}
	case q.Status == model.QuestionOpen:
		if err := claimed(s.db.Conn(ctx).Model(&model.Question{}).Where("id = ? AND status = ?", q.ID, model.QuestionOpen).
			Updates(map[string]any{"status": model.QuestionAnswered, "updated_at": now})); err != nil {
			return err
		}
		if err := s.statusChanged(ctx, q.UniversityID, model.QuestionOpen, model.QuestionAnswered); err != nil {
			return err
		}
	}
	var asker model.User
	if err := s.db.Conn(ctx).Take(&asker, q.AskerID).Error; err != nil {
		return fmt.Errorf("读取提问者: %w", err)
	}
	// Those who said 同问 want the same answer: they hear of each one as
	// the asker does (Send alerts each person once), but not its author.
	metoo, err := s.metooers(ctx, q.ID)
	if err != nil {
		return fmt.Errorf("读取同问的人: %w", err)
	}
	to := []model.User{asker}
	for _, u := range metoo {
		if u.ID != author.ID {
			to = append(to, u)
		}
	}
	answerer := author.PublicName()
	if cross {
		answerer += "（" + CrossBoardRole + "）"
	}
	return s.notify.Send(ctx, alertkind.Answered, to, questionPath(q.ID), map[string]string{
		"title": q.Title, "answerer": answerer, "time": notify.Time(a.CreatedAt),
	})
}

// FollowUp posts the asker's follow-up; the cadres who answered are
// alerted, and the university's cadres too while none of them has
// answered (a cross-board reply does not take the question off them).
func (s *Service) FollowUp(ctx context.Context, asker model.User, questionID uint64, body string) (model.Answer, error) {
	body = service.CleanText(body)
	if err := checkBody("body", "追问", body, MaxFollowUp, true); err != nil {
		return model.Answer{}, err
	}
	var a model.Answer
	err := s.db.WithTx(ctx, func(ctx context.Context) error {
		q, _, err := s.load(ctx, asker, questionID)
		if err != nil {
			return err
		}
		if q.AskerID != asker.ID {
			return service.Forbidden("not_asker", "只有提问者可以追问")
		}
		if err := answerable(q); err != nil {
			return err
		}
		now := s.now()
		a = model.Answer{QuestionID: q.ID, AuthorID: asker.ID, Kind: model.AnswerKindFollowUp, Body: body,
			Status: model.AnswerPublished, CreatedAt: now, UpdatedAt: now}
		if s.words.Match(body) != "" {
			a.Status = model.AnswerReview
		}
		if err := s.db.Conn(ctx).Create(&a).Error; err != nil {
			return err
		}
		if a.Status != model.AnswerPublished {
			return nil
		}
		return s.alertFollowUp(ctx, q, a)
	})
	if err != nil {
		return model.Answer{}, service.Wrap("追问", err)
	}
	return a, nil
}

func (s *Service) alertFollowUp(ctx context.Context, q model.Question, a model.Answer) error {
	var to []model.User
	if err := s.db.Conn(ctx).Where("openid IS NOT NULL AND id IN (?)",
		s.db.Conn(ctx).Model(&model.Answer{}).Select("author_id").
			Where("question_id = ? AND kind = ? AND status = ?", q.ID, model.AnswerKindAnswer, model.AnswerPublished)).
		Order("id").Find(&to).Error; err != nil {
		return err
	}
	if q.FirstAnsweredAt == nil || len(to) == 0 {
		own, err := s.cadresOf(ctx, q.UniversityID)
		if err != nil {
			return err
		}
		to = append(own, to...) // Send skips the repeated
	}
	return s.notify.Send(ctx, alertkind.FollowUp, to, questionPath(q.ID), map[string]string{
		"title": q.Title, "content": a.Body, "time": notify.Time(a.CreatedAt),
	})
}

// Resolve marks an answered question resolved and rates the answers.
func (s *Service) Resolve(ctx context.Context, asker model.User, questionID uint64, rating, comment string) (model.Question, error) {
	defer s.lists.changed() // the board pages show it at once
	rating = strings.TrimSpace(rating)
	comment = service.CleanLine(comment)
	if !slices.Contains(Ratings, rating) {
		return model.Question{}, service.Invalid("bad_rating", "请选择评价：满意、一般或不满意", map[string]string{"rating": "请选择评价"})
	}
	if n := utf8.RuneCountInString(comment); n > MaxComment {
		msg := fmt.Sprintf("评价内容不能超过 %d 个字", MaxComment)
		return model.Question{}, service.Invalid("comment_too_long", msg, map[string]string{"comment": msg})
	}
	// The comment is shown to everyone at once and has no review of its
	// own: words that would hold a question or answer for review are
	// refused here instead.
	if s.words.Match(comment) != "" {
		msg := "评价留言包含需要审核的词语，请修改后再提交"
		return model.Question{}, service.Invalid("comment_needs_review", msg, map[string]string{"comment": msg})
	}
	var q model.Question
	err := s.db.WithTx(ctx, func(ctx context.Context) error {
		var err error
		if q, _, err = s.load(ctx, asker, questionID); err != nil {
			return err
		}
		if q.AskerID != asker.ID {
			return service.Forbidden("not_asker", "只有提问者可以评价")
		}
		switch q.Status {
		case model.QuestionAnswered:
		case model.QuestionResolved:
			return service.Conflict("already_resolved", "你已评价过这个问题", nil)
		default:
			return service.Conflict("not_answered", "问题还没有答复，暂不能评价", nil)
		}
		now := s.now()
		res := s.db.Conn(ctx).Model(&model.Question{}).Where("id = ? AND status = ?", q.ID, model.QuestionAnswered).
			Updates(map[string]any{"status": model.QuestionResolved, "rating": rating, "rating_comment": comment, "updated_at": now})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return service.Conflict("already_resolved", "你已评价过这个问题", nil)
		}
		q.Status, q.Rating, q.RatingComment, q.UpdatedAt = model.QuestionResolved, rating, comment, now
		return nil
	})
	if err != nil {
		return model.Question{}, service.Wrap("评价", err)
	}
	return q, nil
}
