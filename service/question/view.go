package question

import (
	"context"
	"errors"
	"slices"
	"time"

	"gorm.io/gorm"

	"github.com/gdyouth/youthvoice/model"
	"github.com/gdyouth/youthvoice/service"
)

// AnonymousName is what other students see instead of an anonymous asker.
const AnonymousName = "匿名同学"

// AnswerView is an answer or follow-up as a viewer may see it.
type AnswerView struct {
	model.Answer
	AuthorName string `json:"author_name"`
	AuthorRole string `json:"author_role"` // 外校干部 for a cross-board reply
	Mine       bool   `json:"mine"`
	// CrossBoard: a reply by another university's cadre (crossBoard);
	// AuthorUniversity is then the replier's university.
	CrossBoard       bool   `json:"cross_board"`
	AuthorUniversity string `json:"author_university,omitempty"`
	// Helpful: the viewer said 有用 (the count is Answer.HelpfulCount);
	// CanHelpful: the viewer may say or withdraw it.
	Helpful    bool `json:"helpful"`
	CanHelpful bool `json:"can_helpful"`
}

// labelCrossBoard marks v as a cross-board reply by a cadre of uni.
func (v *AnswerView) labelCrossBoard(uni string) {
	v.CrossBoard, v.AuthorRole, v.AuthorUniversity = true, CrossBoardRole, uni
}

// View is a question page: the question, its answers and follow-ups, and
// what the viewer may do.
type View struct {
	Question    model.Question `json:"question"`
	Board       model.Board    `json:"board"`
	AskerName   string         `json:"asker_name"`
	Mine        bool           `json:"mine"`
	Answers     []AnswerView   `json:"answers"`
	CanAnswer   bool           `json:"can_answer"`
	CanFollowUp bool           `json:"can_follow_up"`
	CanResolve  bool           `json:"can_resolve"`
	CanModerate bool           `json:"can_moderate"`
	// Overdue: still unanswered past its 24 hours.
	Overdue bool `json:"overdue"`
	// Metoo: the viewer said 同问 (the count is Question.MetooCount);
	// CanMetoo: the viewer may say or withdraw it.
	Metoo    bool `json:"metoo"`
	CanMetoo bool `json:"can_metoo"`
	// AnswerCrossBoard: the viewer's answer would be a cross-board reply
	// (外校回帖), which does not answer for the question's university.
	AnswerCrossBoard bool `json:"answer_cross_board"`
	// Referral is the latest referral of the question to the campus
	// station (转介), shown to those who may see the asker; nil if none.
	Referral *Referral `json:"referral,omitempty"`
	// CanEdit: the viewer asked it and may still edit or withdraw it (no
	// answer yet, not hidden); Edited: its text was edited (已编辑);
	// Withdrawn: its asker withdrew it (已撤回).
	CanEdit   bool `json:"can_edit"`
	Edited    bool `json:"edited"`
	Withdrawn bool `json:"withdrawn"`
}

// Referral is a booking a cadre made at the station for the asker.
type Referral struct {
	BookingID uint64    `json:"booking_id"`
	Status    string    `json:"status"` // the booking's status
	CreatedAt time.Time `json:"created_at"`
}

// load reads a question and its board; missing questions, and questions
// the viewer may not see (held for review or hidden, unless they asked or
// moderate), are NotFound alike. In a transaction (every change to a
// question) the question is locked until it ends, so answers, follow-ups,
// ratings and moderation of one question apply one after another, each
// to what the one before left.
func (s *Service) load(ctx context.Context, viewer model.User, id uint64) (model.Question, model.Board, error) {
	var q model.Question
	err := s.db.ForUpdate(ctx).Take(&q, id).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return q, model.Board{}, service.NotFound("question_not_found", "问题不存在或已被删除")
	}
	if err != nil {
		return q, model.Board{}, err
	}
	if (q.Status == model.QuestionReview || q.Status == model.QuestionHidden) &&
		viewer.ID != q.AskerID && !canModerate(viewer, q.UniversityID) {
		return q, model.Board{}, service.NotFound("question_not_found", "问题不存在或已被删除")
	}
	b, err := s.boardOf(ctx, q)
	return q, b, err
}

// StatusName is the Chinese name of q's status; a question rejected in
// review is 未通过审核 rather than 已隐藏.
func StatusName(q model.Question) string {
	switch q.Status {
	case model.QuestionReview:
		return "审核中"
	case model.QuestionOpen:
		return "待答复"
	case model.QuestionAnswered:
		return "已答复"
	case model.QuestionResolved:
		return "已解决"
	case model.QuestionHidden:
		if q.HiddenReason == WithdrawnReason {
			return "已撤回"
		}
		if q.RejectedAt != nil {
			return "未通过审核"
		}
		return "已隐藏"
	}
	return q.Status
}

// Get shows question id to viewer.
func (s *Service) Get(ctx context.Context, viewer model.User, id uint64) (View, error) {
	q, b, err := s.load(ctx, viewer, id)
	if err != nil {
		return View{}, service.Wrap("读取问题", err)
	}
	v := View{Question: q, Board: b, Mine: viewer.ID == q.AskerID}
	var answers []model.Answer
	if err := s.db.Conn(ctx).Where("question_id = ?", q.ID).Order("created_at").Order("id").Find(&answers).Error; err != nil {
		return View{}, service.Wrap("读取答复", err)
	}
	ids := []uint64{q.AskerID}
	for _, a := range answers {
		ids = append(ids, a.AuthorID)
	}
	var users []model.User
	if err := s.db.Conn(ctx).Select(model.NameColumns).Where("id IN ?", ids).Find(&users).Error; err != nil {
		return View{}, service.Wrap("读取用户", err)
	}
	byID := map[uint64]model.User{}
	for _, u := range users {
		byID[u.ID] = u
	}
	v.AskerName = byID[q.AskerID].PublicName()
	if q.Anonymous && !canSeeAsker(viewer, q) {
		v.AskerName = AnonymousName
	}
	mod := canModerate(viewer, q.UniversityID)
	var repliers []model.User // of cross-board replies
	for _, a := range answers {
		if a.Kind == model.AnswerKindAnswer && crossBoard(byID[a.AuthorID], b) {
			repliers = append(repliers, byID[a.AuthorID])
		}
	}
	unis, err := s.universityNames(ctx, repliers)
	if err != nil {
		return View{}, service.Wrap("读取学校", err)
	}
	public := slices.Contains(publicStatuses, q.Status)
	var n int64
	if err := s.db.Conn(ctx).Model(&model.QuestionMetoo{}).Where("question_id = ? AND user_id = ?", q.ID, viewer.ID).
		Count(&n).Error; err != nil {
		return View{}, service.Wrap("读取同问", err)
	}
	v.Metoo, v.CanMetoo = n > 0, public && !v.Mine
	helpful := map[uint64]bool{}
	if len(answers) > 0 {
		ids := make([]uint64, len(answers))
		for i, a := range answers {
			ids[i] = a.ID
		}
		var mine []uint64
		if err := s.db.Conn(ctx).Model(&model.AnswerHelpful{}).Where("user_id = ? AND answer_id IN ?", viewer.ID, ids).
			Pluck("answer_id", &mine).Error; err != nil {
			return View{}, service.Wrap("读取有用", err)
		}
		for _, id := range mine {
			helpful[id] = true
		}
	}
	for _, a := range answers {
		if a.Status != model.AnswerPublished && a.AuthorID != viewer.ID && !mod {
			continue
		}
		author := byID[a.AuthorID]
		av := AnswerView{Answer: a, AuthorName: author.PublicName(), AuthorRole: staffRoleName(author), Mine: a.AuthorID == viewer.ID,
			Helpful: helpful[a.ID]}
		av.CanHelpful = public && a.Kind == model.AnswerKindAnswer && a.Status == model.AnswerPublished && !av.Mine
		switch {
		case a.Kind == model.AnswerKindFollowUp:
			av.AuthorName, av.AuthorRole = v.AskerName, "提问者"
		case crossBoard(author, b):
			av.labelCrossBoard(unis[*author.UniversityID])
		}
		v.Answers = append(v.Answers, av)
	}
	live := q.Status == model.QuestionOpen || q.Status == model.QuestionAnswered
	v.CanAnswer = live && canAnswer(viewer, q, b)
	v.AnswerCrossBoard = v.CanAnswer && crossBoard(viewer, b)
	v.CanFollowUp = live && v.Mine
	v.CanResolve = q.Status == model.QuestionAnswered && v.Mine
	v.CanModerate = mod
	v.Overdue = q.Status == model.QuestionOpen && s.now().After(q.DueAt)
	v.CanEdit, v.Edited, v.Withdrawn = CanChange(viewer, q), Edited(q), Withdrawn(q)
	if canSeeAsker(viewer, q) {
		var bs []model.Booking
		if err := s.db.Conn(ctx).Select("id", "status", "created_at").Where("question_id = ?", q.ID).
			Order("id DESC").Limit(1).Find(&bs).Error; err != nil {
			return View{}, service.Wrap("读取转介", err)
		}
		if len(bs) == 1 {
			v.Referral = &Referral{BookingID: bs[0].ID, Status: bs[0].Status, CreatedAt: bs[0].CreatedAt}
		}
	}
	return v, nil
}

// universityNames are the names of us' universities by id.
func (s *Service) universityNames(ctx context.Context, us []model.User) (map[uint64]string, error) {
	var ids []uint64
	for _, u := range us {
		if u.UniversityID != nil {
			ids = append(ids, *u.UniversityID)
		}
	}
	if len(ids) == 0 {
		return nil, nil
	}
	var unis []model.University
	if err := s.db.Conn(ctx).Select("id", "name").Where("id IN ?", ids).Find(&unis).Error; err != nil {
		return nil, err
	}
	out := make(map[uint64]string, len(unis))
	for _, u := range unis {
		out[u.ID] = u.Name
	}
	return out, nil
}
