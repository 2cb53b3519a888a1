package question

import (
	"context"
	"fmt"
	"strconv"

	"github.com/gdyouth/youthvoice/model"
	"github.com/gdyouth/youthvoice/service/alertkind"
	"github.com/gdyouth/youthvoice/service/notify"
)

// isStaff reports whether the account answers questions.
func isStaff(u model.User) bool {
	return u.HasAny(model.RoleCadre, model.RoleUniversityAdm, model.RoleProvinceAdmin)
}

// staffRoleName is the role an answer is signed with: the highest of the
// author's roles that answers questions.
func staffRoleName(u model.User) string {
	for _, r := range []string{model.RoleProvinceAdmin, model.RoleUniversityAdm, model.RoleCadre} {
		if u.Has(r) {
			return model.RoleName(r)
		}
	}
	return model.RoleName(u.Role)
}

// canAnswer: cadres and admins answer on their own university's board and
// on the provincial boards, and reply on other universities' boards
// (外校回帖, see crossBoard); the province admin answers everywhere.
// Nobody answers their own question.
func canAnswer(u model.User, q model.Question, b model.Board) bool {
	if !isStaff(u) || u.ID == q.AskerID {
		return false
	}
	return answersForHost(u, b) || u.UniversityID != nil
}

// answersForHost reports whether u's answers on board b answer for the
// host, the university whose 24-hour promise the board's questions are:
// on a university's board its own cadres and admins (its questions are
// all its students', see askBoard), on the provincial boards every cadre
// and admin as before, and the province admin everywhere. Only host
// answers are first answers (published) and keep a question answered
// (unanswerIfLast).
func answersForHost(u model.User, b model.Board) bool {
	if u.Has(model.RoleProvinceAdmin) || b.Kind == model.BoardProvince {
		return true
	}
	return u.UniversityID != nil && b.UniversityID != nil && *u.UniversityID == *b.UniversityID
}

// crossBoard reports whether author's answer on board b is a reply from
// another university's cadre (外校回帖): shown as 外校干部, counted in the
// replier's engagement, and never the host's answer, so the question
// stays with its own cadres and their 24 hours. Queries tell such rows
// apart with model.CrossBoardAnswerSQL.
func crossBoard(author model.User, b model.Board) bool {
	return author.UniversityID != nil && !answersForHost(author, b)
}

// CrossBoardRole is how a cross-board reply's author is labelled.
const CrossBoardRole = "外校干部"

// canModerate: the admin of the asker's university, or the province admin.
func canModerate(u model.User, uni uint64) bool {
	switch {
	case u.Has(model.RoleProvinceAdmin):
		return true
	case u.Has(model.RoleUniversityAdm):
		return u.UniversityID != nil && *u.UniversityID == uni
	}
	return false
}

// canSeeAsker: who asked an anonymous question is seen by the asker, the
// cadres and admins of the asker's university (who may follow it up with
// the student) and the province admin. Cadres of other universities may
// answer it on a provincial board or reply on its university's board, but
// to them the asker stays 匿名同学.
func canSeeAsker(u model.User, q model.Question) bool {
	if u.ID == q.AskerID || canModerate(u, q.UniversityID) {
		return true
	}
	return isStaff(u) && u.UniversityID != nil && *u.UniversityID == q.UniversityID
}

// usersWith lists the bound users of a university with one of roles.
func (s *Service) usersWith(ctx context.Context, uni *uint64, roles ...string) ([]model.User, error) {
	q := model.WithRoles(s.db.Conn(ctx).Where("openid IS NOT NULL"), uni, roles...)
	var us []model.User
	return us, q.Order("id").Find(&us).Error
}

// cadresOf are the people a new question of university uni goes to: its
// cadres, or its admins when it has no cadre yet.
func (s *Service) cadresOf(ctx context.Context, uni uint64) ([]model.User, error) {
	us, err := s.usersWith(ctx, &uni, model.RoleCadre)
	if err != nil || len(us) > 0 {
		return us, err
	}
	return s.usersWith(ctx, &uni, model.RoleUniversityAdm)
}

func questionPath(id uint64) string { return "/h5/questions/" + strconv.FormatUint(id, 10) }

func (s *Service) alertNewQuestion(ctx context.Context, q model.Question, b model.Board) error {
	to, err := s.cadresOf(ctx, q.UniversityID)
	if err != nil {
		return fmt.Errorf("查找本校团学干部: %w", err)
	}
	return s.notify.Send(ctx, alertkind.QuestionNew, to, questionPath(q.ID), map[string]string{
		"title": q.Title, "board": b.Name, "time": notify.Time(q.CreatedAt),
	})
}
