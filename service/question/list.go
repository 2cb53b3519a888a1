package question

import (
	"context"

	"gorm.io/gorm"

	"github.com/gdyouth/youthvoice/model"
	"github.com/gdyouth/youthvoice/service"
)

// PageSize is how many questions a list page holds.
const PageSize = 20

// Summary is a question in a list.
type Summary struct {
	model.Question
	BoardName string `json:"board_name"`
	AskerName string `json:"asker_name"`
	Overdue   bool   `json:"overdue"`
}

// publicStatuses are what everybody may read on a board.
var publicStatuses = []string{model.QuestionOpen, model.QuestionAnswered, model.QuestionResolved}

// summarize adds board names and (possibly anonymised) asker names.
func (s *Service) summarize(ctx context.Context, viewer model.User, qs []model.Question) ([]Summary, error) {
	if len(qs) == 0 {
		return []Summary{}, nil
	}
	boardIDs, userIDs := []uint64{}, []uint64{}
	for _, q := range qs {
		boardIDs, userIDs = append(boardIDs, q.BoardID), append(userIDs, q.AskerID)
	}
	var boards []model.Board
	if err := s.db.Conn(ctx).Where("id IN ?", boardIDs).Find(&boards).Error; err != nil {
		return nil, err
	}
	var users []model.User
	if err := s.db.Conn(ctx).Select("id", "account", "name").Where("id IN ?", userIDs).Find(&users).Error; err != nil {
		return nil, err
	}
	bs, us := map[uint64]model.Board{}, map[uint64]model.User{}
	for _, b := range boards {
		bs[b.ID] = b
	}
	for _, u := range users {
		us[u.ID] = u
	}
	now := s.now()
	out := make([]Summary, 0, len(qs))
	for _, q := range qs {
		b := bs[q.BoardID]
		name := displayName(us[q.AskerID])
		if q.Anonymous && !canSeeAsker(viewer, q) {
			name = AnonymousName
		}
		out = append(out, Summary{Question: q, BoardName: b.Name, AskerName: name,
			Overdue: q.Status == model.QuestionOpen && now.After(q.DueAt)})
	}
	return out, nil
}

// Mine lists u's own questions, newest first, whatever their status.
func (s *Service) Mine(ctx context.Context, u model.User, page int) ([]Summary, error) {
	var qs []model.Question
	if err := s.db.Conn(ctx).Where("asker_id = ?", u.ID).Order("created_at DESC").Order("id DESC").
		Offset(offset(page)).Limit(PageSize).Find(&qs).Error; err != nil {
		return nil, service.Wrap("读取我的提问", err)
	}
	out, err := s.summarize(ctx, u, qs)
	return out, service.Wrap("读取我的提问", err)
}

func offset(page int) int {
	if page < 1 {
		page = 1
	}
	if page > 500 {
		page = 500
	}
	return (page - 1) * PageSize
}

// ListOptions filter a board list.
type ListOptions struct {
	Unanswered bool
	Page       int
}

// List shows a board's published questions: newest first, and for those
// who answer there, unanswered ones first.
func (s *Service) List(ctx context.Context, viewer model.User, boardKey string, o ListOptions) (model.Board, []Summary, error) {
	b, err := s.boardByKey(ctx, boardKey)
	if err != nil {
		return b, nil, err
	}
	q := s.db.Conn(ctx).Where("board_id = ?", b.ID)
	if o.Unanswered {
		q = q.Where("status = ?", model.QuestionOpen)
	} else {
		q = q.Where("status IN ?", publicStatuses)
	}
	if canAnswer(viewer, model.Question{}, b) {
		// Order ignores a gorm.Expr; the status is a constant, so inline it.
		q = q.Order("CASE WHEN status = '" + model.QuestionOpen + "' THEN 0 ELSE 1 END")
	}
	var qs []model.Question
	if err := q.Order("created_at DESC").Order("id DESC").Offset(offset(o.Page)).Limit(PageSize).Find(&qs).Error; err != nil {
		return b, nil, service.Wrap("读取版区问题", err)
	}
	out, err := s.summarize(ctx, viewer, qs)
	return b, out, service.Wrap("读取版区问题", err)
}

// UniversityCount is how many questions of one university are overdue.
type UniversityCount struct {
	UniversityID uint64 `json:"university_id"`
	Name         string `json:"name"`
	Count        int64  `json:"count"`
}

// Overdue is the overdue view: the questions still unanswered past their
// 24 hours in the admin's scope, and for the province the count per
// university.
type Overdue struct {
	Total        int64             `json:"total"`     // all overdue questions in scope
	Questions    []Summary         `json:"questions"` // the longest overdue first, at most overdueListed
	ByUniversity []UniversityCount `json:"by_university,omitempty"`
}

// overdueListed is how many overdue questions OverdueFor lists.
const overdueListed = 200

// OverdueFor lists overdue questions for a university or province admin.
func (s *Service) OverdueFor(ctx context.Context, admin model.User) (Overdue, error) {
	scope, err := moderationScope(admin)
	if err != nil {
		return Overdue{}, err
	}
	now := s.now()
	base := func() *gorm.DB {
		q := s.db.Conn(ctx).Model(&model.Question{}).Where("status = ? AND due_at < ?", model.QuestionOpen, now)
		if scope != nil {
			q = q.Where("university_id = ?", *scope)
		}
		return q
	}
	var qs []model.Question
	if err := base().Order("due_at").Order("id").Limit(overdueListed).Find(&qs).Error; err != nil {
		return Overdue{}, service.Wrap("读取超时问题", err)
	}
	var out Overdue
	out.Total = int64(len(qs))
	if len(qs) == overdueListed {
		if err := base().Count(&out.Total).Error; err != nil {
			return Overdue{}, service.Wrap("统计超时问题", err)
		}
	}
	if out.Questions, err = s.summarize(ctx, admin, qs); err != nil {
		return Overdue{}, service.Wrap("读取超时问题", err)
	}
	if scope == nil {
		if err := base().Select("questions.university_id AS university_id, universities.name AS name, COUNT(*) AS count").
			Joins("JOIN universities ON universities.id = questions.university_id").
			Group("questions.university_id, universities.name").Order("count DESC").Order("questions.university_id").
			Scan(&out.ByUniversity).Error; err != nil {
			return Overdue{}, service.Wrap("统计超时问题", err)
		}
	}
	return out, nil
}
