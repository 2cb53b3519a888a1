package question

import (
	"context"
	"errors"
	"slices"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/gdyouth/youthvoice/model"
	"github.com/gdyouth/youthvoice/service"
)

// Tally is a 同问 or 有用 count and whether the viewer is one of them.
type Tally struct {
	Count int  `json:"count"`
	On    bool `json:"on"`
}

// Metoo sets (on) or withdraws u's 同问 on question questionID: anybody
// who may see a published question except its asker. Setting what is
// already set changes nothing, so a double tap counts once. Those who
// 同问 are alerted of its answers as the asker is (published).
func (s *Service) Metoo(ctx context.Context, u model.User, questionID uint64, on bool) (Tally, error) {
	var t Tally
	err := s.db.WithTx(ctx, func(ctx context.Context) error {
		q, _, err := s.load(ctx, u, questionID) // locked: taps on one question count one after another
		if err != nil {
			return err
		}
		if q.AskerID == u.ID {
			return service.Forbidden("own_question", "不能同问自己的提问")
		}
		if !slices.Contains(publicStatuses, q.Status) {
			return service.Conflict("not_published", "问题未公开，暂不能同问", nil)
		}
		delta, err := s.toggle(ctx, on, &model.QuestionMetoo{QuestionID: q.ID, UserID: u.ID, CreatedAt: s.now()},
			"question_id = ? AND user_id = ?", q.ID, u.ID)
		if err != nil {
			return err
		}
		if delta != 0 {
			// updated_at stays: a 同问 is not a change to the question.
			if err := s.db.Conn(ctx).Model(&model.Question{}).Where("id = ?", q.ID).
				UpdateColumn("metoo_count", gorm.Expr("metoo_count + ?", delta)).Error; err != nil {
				return err
			}
		}
		t = Tally{Count: q.MetooCount + delta, On: on}
		return nil
	})
	if err != nil {
		return Tally{}, service.Wrap("同问", err)
	}
	s.lists.changed() // boards sorted by 同问 show the new count
	return t, nil
}

// Helpful sets (on) or withdraws u's 有用 on a cadre's published answer
// to a published question; not on one's own answer. Idempotent as Metoo.
func (s *Service) Helpful(ctx context.Context, u model.User, answerID uint64, on bool) (Tally, error) {
	var t Tally
	err := s.db.WithTx(ctx, func(ctx context.Context) error {
		var a model.Answer
		err := s.db.Conn(ctx).Take(&a, answerID).Error
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return service.NotFound("answer_not_found", "答复不存在或已被删除")
		}
		if err != nil {
			return err
		}
		q, _, err := s.load(ctx, u, a.QuestionID) // locked, as Metoo
		if err != nil {
			return err
		}
		if err := s.db.Conn(ctx).Take(&a, answerID).Error; err != nil { // again, under the lock
			return err
		}
		if a.Status != model.AnswerPublished || !slices.Contains(publicStatuses, q.Status) {
			return service.NotFound("answer_not_found", "答复不存在或已被删除")
		}
		if a.Kind != model.AnswerKindAnswer {
			return service.Invalid("not_answer", "只能给团学干部的答复点有用", nil)
		}
		if a.AuthorID == u.ID {
			return service.Forbidden("own_answer", "不能给自己的答复点有用")
		}
		delta, err := s.toggle(ctx, on, &model.AnswerHelpful{AnswerID: a.ID, UserID: u.ID, CreatedAt: s.now()},
			"answer_id = ? AND user_id = ?", a.ID, u.ID)
		if err != nil {
			return err
		}
		if delta != 0 {
			if err := s.db.Conn(ctx).Model(&model.Answer{}).Where("id = ?", a.ID).
				UpdateColumn("helpful_count", gorm.Expr("helpful_count + ?", delta)).Error; err != nil {
				return err
			}
		}
		t = Tally{Count: a.HelpfulCount + delta, On: on}
		return nil
	})
	if err != nil {
		return Tally{}, service.Wrap("有用", err)
	}
	return t, nil
}

// toggle inserts row (on) or deletes the row matching where, and says by
// how much the count moves: 0 when it was so already. The primary key
// keeps a person to one row however often they tap.
func (s *Service) toggle(ctx context.Context, on bool, row any, where string, args ...any) (int, error) {
	if on {
		res := s.db.Conn(ctx).Clauses(clause.OnConflict{DoNothing: true}).Create(row)
		return int(res.RowsAffected), res.Error
	}
	res := s.db.Conn(ctx).Where(where, args...).Delete(row)
	return -int(res.RowsAffected), res.Error
}

// metooers are the bound users who said 同问 to question id, to be
// alerted of its answers.
func (s *Service) metooers(ctx context.Context, id uint64) ([]model.User, error) {
	var us []model.User
	err := s.db.Conn(ctx).Where("openid IS NOT NULL AND id IN (?)",
		s.db.Conn(ctx).Model(&model.QuestionMetoo{}).Select("user_id").Where("question_id = ?", id)).
		Order("id").Find(&us).Error
	return us, err
}
