package cadre

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/gdyouth/youthvoice/model"
	"github.com/gdyouth/youthvoice/service"
	"github.com/gdyouth/youthvoice/service/audit"
)

// LiaisonInput names a university's 联络专员 (a vice-secretary of its
// league committee, a full-time teacher). Account optionally links the
// person's account on the platform: escalations then reach them too.
type LiaisonInput struct {
	RealName string
	Position string
	Phone    string
	Email    string
	Account  string
}

// LiaisonEntry is one university's line of the directory; Liaison is nil
// while none is named.
type LiaisonEntry struct {
	University model.University
	Liaison    *model.Liaison
	Account    string // the linked account's name, if any
}

func (in *LiaisonInput) validate() error {
	in.RealName = strings.TrimSpace(in.RealName)
	in.Position = strings.TrimSpace(in.Position)
	in.Phone = strings.TrimSpace(in.Phone)
	in.Email = strings.TrimSpace(in.Email)
	in.Account = strings.TrimSpace(in.Account)
	f := map[string]string{}
	if n := utf8.RuneCountInString(in.RealName); n < 2 || n > MaxRealName {
		f["real_name"] = fmt.Sprintf("请填写真实姓名（2–%d 个字）", MaxRealName)
	}
	if n := utf8.RuneCountInString(in.Position); n == 0 || n > MaxPosition {
		f["position"] = fmt.Sprintf("请填写职务（不超过 %d 个字），如 校团委副书记", MaxPosition)
	}
	if !phoneRE.MatchString(in.Phone) {
		f["phone"] = "请填写 11 位手机号"
	}
	switch {
	case utf8.RuneCountInString(in.Email) > MaxEmail:
		f["email"] = fmt.Sprintf("邮箱不能超过 %d 个字符", MaxEmail)
	case in.Email != "" && !emailRE.MatchString(in.Email):
		f["email"] = "邮箱格式不正确"
	}
	if len(f) > 0 {
		return service.Invalid("invalid_liaison", "请检查联络专员信息", f)
	}
	return nil
}

// SetLiaison names (or renames) university uni's liaison. The admin of
// that university and the province may; a linked account must belong to
// the university.
func (s *Service) SetLiaison(ctx context.Context, actor model.User, uni uint64, in LiaisonInput) (model.Liaison, error) {
	if !canManage(actor, uni) {
		return model.Liaison{}, service.Forbidden("forbidden", "只有本校团委管理员或省级管理员可以设置联络专员")
	}
	if err := in.validate(); err != nil {
		return model.Liaison{}, err
	}
	l := model.Liaison{UniversityID: uni, RealName: in.RealName, Position: in.Position, Phone: in.Phone, Email: in.Email,
		UpdatedBy: actor.ID, UpdatedAt: s.clock.Now().UTC()}
	if in.Account != "" {
		var u model.User
		err := s.db.Conn(ctx).Select("id", "university_id").Where("account_key = ?", strings.ToLower(in.Account)).Take(&u).Error
		switch {
		case errors.Is(err, gorm.ErrRecordNotFound):
			return model.Liaison{}, service.Invalid("user_not_found", "账号不存在", map[string]string{"account": "账号不存在"})
		case err != nil:
			return model.Liaison{}, service.Wrap("设置联络专员", err)
		case u.UniversityID == nil || *u.UniversityID != uni:
			return model.Liaison{}, service.Invalid("other_university", "该账号不属于本校", map[string]string{"account": "该账号不属于本校"})
		}
		l.UserID = &u.ID
	}
	err := s.db.WithTx(ctx, func(ctx context.Context) error {
		if err := s.db.Conn(ctx).Clauses(clause.OnConflict{
			Columns:   []clause.Column{{Name: "university_id"}},
			DoUpdates: clause.AssignmentColumns([]string{"real_name", "position", "phone", "email", "user_id", "updated_by", "updated_at"}),
		}).Create(&l).Error; err != nil {
			return err
		}
		// The phone is the point of a liaison: recorded as set.
		return audit.Record(ctx, s.db, audit.Entry{Actor: &actor, UniversityID: &uni, Action: audit.ActionLiaisonSet,
			ObjectType: "liaison", ObjectID: audit.ID(uni), Summary: "设置联络专员为 " + l.RealName + "（" + l.Position + "）",
			Detail: map[string]any{"real_name": l.RealName, "position": l.Position, "phone": l.Phone, "email": l.Email, "user_id": l.UserID}})
	})
	if err != nil {
		return model.Liaison{}, service.Wrap("设置联络专员", err)
	}
	return l, nil
}

// Liaisons is the directory: for the province all 166 universities, the
// ones without a liaison first, then by code; for a university admin
// their own university's line.
func (s *Service) Liaisons(ctx context.Context, actor model.User) ([]LiaisonEntry, error) {
	q := s.db.Conn(ctx).Order("code")
	switch {
	case actor.Has(model.RoleProvinceAdmin):
	case actor.Has(model.RoleUniversityAdm) && actor.UniversityID != nil:
		q = q.Where("id = ?", *actor.UniversityID)
	default:
		return nil, service.Forbidden("not_admin", "只有高校团委或省级管理员可以查看联络专员")
	}
	var unis []model.University
	if err := q.Find(&unis).Error; err != nil {
		return nil, service.Wrap("读取联络专员", err)
	}
	ids := make([]uint64, len(unis))
	for i, u := range unis {
		ids[i] = u.ID
	}
	var ls []model.Liaison
	if err := s.db.Conn(ctx).Where("university_id IN ?", ids).Find(&ls).Error; err != nil {
		return nil, service.Wrap("读取联络专员", err)
	}
	byUni := make(map[uint64]*model.Liaison, len(ls))
	var userIDs []uint64
	for i := range ls {
		byUni[ls[i].UniversityID] = &ls[i]
		if ls[i].UserID != nil {
			userIDs = append(userIDs, *ls[i].UserID)
		}
	}
	accounts := map[uint64]string{}
	if len(userIDs) > 0 {
		var users []model.User
		if err := s.db.Conn(ctx).Select("id", "account").Where("id IN ?", userIDs).Find(&users).Error; err != nil {
			return nil, service.Wrap("读取联络专员", err)
		}
		for _, u := range users {
			accounts[u.ID] = u.Account
		}
	}
	out := make([]LiaisonEntry, len(unis))
	for i, u := range unis {
		out[i] = LiaisonEntry{University: u, Liaison: byUni[u.ID]}
		if l := out[i].Liaison; l != nil && l.UserID != nil {
			out[i].Account = accounts[*l.UserID]
		}
	}
	// Missing first: the province chases those.
	slices.SortStableFunc(out, func(a, b LiaisonEntry) int {
		return cmp.Compare(boolRank(a.Liaison != nil), boolRank(b.Liaison != nil))
	})
	return out, nil
}

func boolRank(b bool) int {
	if b {
		return 1
	}
	return 0
}
