package cadre

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"gorm.io/gorm"

	"github.com/gdyouth/youthvoice/model"
	"github.com/gdyouth/youthvoice/service"
	"github.com/gdyouth/youthvoice/service/account"
	"github.com/gdyouth/youthvoice/service/alertkind"
	"github.com/gdyouth/youthvoice/service/audit"
	"github.com/gdyouth/youthvoice/service/notify"
)

// MaxLeaveReason is the limit of the reason a cadre left (离任原因), told
// to the person.
const MaxLeaveReason = 100

// Person is one person of the roster as an office types or imports it
// (附件1 table 1, or table 2 for the station's team).
type Person struct {
	Category string // model.Category*; empty: guessed from the position
	Position string // 职务
	RealName string // 姓名
	Phone    string // 手机号
	Email    string // 邮箱
	QQ       string // QQ号
	WeChatID string // 微信号
}

// validate cleans p and checks it with the application's rules, so a
// roster entry and an application of the same person agree.
func (p *Person) validate() error {
	a := Application{Position: p.Position, RealName: p.RealName, Phone: p.Phone, Email: p.Email, QQ: p.QQ, WeChatID: p.WeChatID}
	if err := a.validate(); err != nil {
		return err
	}
	p.Position, p.RealName, p.Phone, p.Email, p.QQ, p.WeChatID = a.Position, a.RealName, a.Phone, a.Email, a.QQ, a.WeChatID
	p.Category = strings.TrimSpace(p.Category)
	if p.Category == "" {
		p.Category = GuessCategory(p.Position)
	}
	if !slices.Contains(model.Categories, p.Category) {
		return service.Invalid("invalid_category", "请选择类别", map[string]string{"category": "请选择类别"})
	}
	return nil
}

// GuessCategory is the category a position most likely belongs to: the
// form's table 1 has no category column, so imported and approved people
// are sorted by their 职务 (the office corrects the odd one by hand).
func GuessCategory(position string) string {
	switch {
	case strings.Contains(position, "学生会") || strings.Contains(position, "研究生会") ||
		strings.Contains(position, "社团") || strings.Contains(position, "社长") ||
		strings.Contains(position, "主席") || strings.Contains(position, "学生"):
		return model.CategoryStudentLeader
	case strings.Contains(position, "书记") && (strings.Contains(position, "院") || strings.Contains(position, "系")) &&
		!strings.Contains(position, "校团委"):
		return model.CategoryCollegeSecretary
	}
	return model.CategoryLeagueCadre
}

// RosterLine is one roster entry as the roster page and API show it.
type RosterLine struct {
	model.RosterEntry
	Account string // the linked account's name, if any
}

// Completeness is one university's line of the province's roster table.
type Completeness struct {
	University model.University
	Expected   int // 应注册: listed and not left
	Registered int // 已注册
	Left       int // 已离任
}

// Rate is Registered/Expected as a fraction (0 when nobody is listed).
func (c Completeness) Rate() float64 {
	if c.Expected == 0 {
		return 0
	}
	return float64(c.Registered) / float64(c.Expected)
}

// Roster lists university uni's roster for its admin or the province:
// by category, then 待注册 before 已注册 before 已离任, then name. Phones are
// in full: these are the people who must be able to call them.
func (s *Service) Roster(ctx context.Context, actor model.User, uni uint64) ([]RosterLine, error) {
	if !canManage(actor, uni) {
		return nil, service.Forbidden("forbidden", "只有本校团委管理员或省级管理员可以查看干部名册")
	}
	var es []model.RosterEntry
	if err := s.db.Conn(ctx).Where("university_id = ?", uni).Order("id").Find(&es).Error; err != nil {
		return nil, service.Wrap("读取干部名册", err)
	}
	var ids []uint64
	for _, e := range es {
		if e.UserID != nil {
			ids = append(ids, *e.UserID)
		}
	}
	accounts := map[uint64]string{}
	if len(ids) > 0 {
		var us []model.User
		if err := s.db.Conn(ctx).Select("id", "account").Where("id IN ?", ids).Find(&us).Error; err != nil {
			return nil, service.Wrap("读取干部名册", err)
		}
		for _, u := range us {
			accounts[u.ID] = u.Account
		}
	}
	out := make([]RosterLine, len(es))
	for i, e := range es {
		out[i] = RosterLine{RosterEntry: e}
		if e.UserID != nil {
			out[i].Account = accounts[*e.UserID]
		}
	}
	rank := func(v string, in []string) int { return slices.Index(in, v) }
	statuses := []string{model.RosterPending, model.RosterRegistered, model.RosterLeft}
	slices.SortStableFunc(out, func(a, b RosterLine) int {
		return cmp.Or(cmp.Compare(rank(a.Category, model.Categories), rank(b.Category, model.Categories)),
			cmp.Compare(rank(a.Status, statuses), rank(b.Status, statuses)),
			strings.Compare(a.RealName, b.RealName))
	})
	return out, nil
}

// Completenesses is the province's table: every university with its
// roster's 应注册 and 已注册, sorted by sort: "rate" (lowest first, the
// ones to chase), "-rate", "expected", or the code (default).
func (s *Service) Completenesses(ctx context.Context, actor model.User, sort string) ([]Completeness, error) {
	if !actor.Has(model.RoleProvinceAdmin) {
		return nil, service.Forbidden("forbidden", "只有省级管理员可以查看全省干部注册情况")
	}
	var unis []model.University
	if err := s.db.Conn(ctx).Order("code").Find(&unis).Error; err != nil {
		return nil, service.Wrap("读取高校", err)
	}
	// One pass over the roster (a few dozen entries per university).
	var rows []struct {
		UniversityID uint64
		Status       string
		N            int
	}
	if err := s.db.Conn(ctx).Model(&model.RosterEntry{}).Select("university_id, status, COUNT(*) AS n").
		Group("university_id, status").Scan(&rows).Error; err != nil {
		return nil, service.Wrap("统计干部名册", err)
	}
	by := map[uint64]*Completeness{}
	out := make([]Completeness, len(unis))
	for i, u := range unis {
		out[i].University = u
		by[u.ID] = &out[i]
	}
	for _, r := range rows {
		c := by[r.UniversityID]
		if c == nil {
			continue
		}
		switch r.Status {
		case model.RosterLeft:
			c.Left += r.N
		case model.RosterRegistered:
			c.Registered += r.N
			c.Expected += r.N
		default:
			c.Expected += r.N
		}
	}
	switch sort {
	case "rate":
		slices.SortStableFunc(out, func(a, b Completeness) int { return cmp.Compare(a.Rate(), b.Rate()) })
	case "-rate":
		slices.SortStableFunc(out, func(a, b Completeness) int { return cmp.Compare(b.Rate(), a.Rate()) })
	case "expected":
		slices.SortStableFunc(out, func(a, b Completeness) int { return cmp.Compare(b.Expected, a.Expected) })
	}
	return out, nil
}

// AddPerson lists a person on university uni's roster. A person already
// listed (the same phone) is refused, unless they had left: then they are
// listed again. An approved cadre account with the phone is linked at
// once.
func (s *Service) AddPerson(ctx context.Context, actor model.User, uni uint64, p Person) (model.RosterEntry, error) {
	if !canManage(actor, uni) {
		return model.RosterEntry{}, service.Forbidden("forbidden", "只有本校团委管理员或省级管理员可以管理干部名册")
	}
	if err := p.validate(); err != nil {
		return model.RosterEntry{}, err
	}
	var e model.RosterEntry
	err := s.db.WithTx(ctx, func(ctx context.Context) error {
		var err error
		if e, err = s.upsertPerson(ctx, uni, p, "manual", false); err != nil {
			return err
		}
		return audit.Record(ctx, s.db, audit.Entry{Actor: &actor, UniversityID: &uni, Action: audit.ActionRosterAdd,
			ObjectType: "roster_entry", ObjectID: audit.ID(e.ID), Summary: "名册添加 " + e.RealName + "（" + e.Position + "）",
			Detail: map[string]any{"real_name": e.RealName, "position": e.Position, "phone": audit.MaskPhone(e.Phone)}})
	})
	if err != nil {
		return model.RosterEntry{}, service.Wrap("添加名册人员", err)
	}
	return e, nil
}

// upsertPerson writes p into uni's roster: updating the entry with the
// same phone when update is set (an import), refusing it otherwise. It
// links the person's approved account when one has the phone.
func (s *Service) upsertPerson(ctx context.Context, uni uint64, p Person, source string, update bool) (model.RosterEntry, error) {
	now := s.clock.Now().UTC()
	var e model.RosterEntry
	err := s.db.ForUpdate(ctx).Where("university_id = ? AND phone = ?", uni, p.Phone).Take(&e).Error
	switch {
	case errors.Is(err, gorm.ErrRecordNotFound):
		e = model.RosterEntry{UniversityID: uni, Status: model.RosterPending, Source: source, CreatedAt: now}
	case err != nil:
		return e, err
	case e.Status != model.RosterLeft && !update:
		return e, service.Conflict("already_listed", "手机号 "+p.Phone+" 已在名册中（"+e.RealName+"）", nil)
	}
	if e.Status == model.RosterLeft {
		e.Status, e.LeftReason, e.LeftAt, e.UserID = model.RosterPending, "", nil, nil
	}
	e.Category, e.Position, e.RealName, e.Phone = p.Category, p.Position, p.RealName, p.Phone
	e.Email, e.QQ, e.WeChatID, e.UpdatedAt = p.Email, p.QQ, p.WeChatID, now
	if e.UserID == nil {
		uid, err := s.approvedAccount(ctx, uni, p.Phone)
		if err != nil {
			return e, err
		}
		if uid != 0 {
			e.UserID, e.Status = &uid, model.RosterRegistered
		}
	}
	if err := s.db.Conn(ctx).Save(&e).Error; err != nil {
		return e, err
	}
	return e, nil
}

// approvedAccount is the account of university uni whose latest approved
// application has phone and that is a cadre today, 0 if none.
func (s *Service) approvedAccount(ctx context.Context, uni uint64, phone string) (uint64, error) {
	var ids []uint64
	err := s.db.Conn(ctx).Model(&model.CadreApplication{}).
		Where("university_id = ? AND phone = ? AND status = ?", uni, phone, model.ApplicationApproved).
		Order("id DESC").Limit(1).Pluck("user_id", &ids).Error
	if err != nil || len(ids) == 0 {
		return 0, err
	}
	var u model.User
	if err := s.db.Conn(ctx).Select("id", "roles", "university_id").Take(&u, ids[0]).Error; err != nil {
		return 0, err
	}
	if !u.Has(model.RoleCadre) || u.UniversityID == nil || *u.UniversityID != uni {
		return 0, nil
	}
	return u.ID, nil
}

// linkApproved puts the applicant of an approved application on the
// roster: the entry listed with the same phone is linked (已注册), or a
// new entry is made from the application.
func linkApproved(ctx context.Context, db *model.DB, app model.CadreApplication, now time.Time) error {
	var e model.RosterEntry
	err := db.ForUpdate(ctx).Where("university_id = ? AND phone = ?", app.UniversityID, app.Phone).Take(&e).Error
	switch {
	case errors.Is(err, gorm.ErrRecordNotFound):
		e = model.RosterEntry{UniversityID: app.UniversityID, Category: GuessCategory(app.Position),
			Position: clip(app.Position, MaxPosition), RealName: clip(app.RealName, MaxRealName), Phone: app.Phone,
			Email: app.Email, QQ: app.QQ, WeChatID: app.WeChatID, Source: "application", CreatedAt: now}
	case err != nil:
		return err
	}
	uid := app.UserID
	e.UserID, e.Status, e.LeftReason, e.LeftAt, e.UpdatedAt = &uid, model.RosterRegistered, "", nil, now
	// Unlink this account from any other entry of the roster: one
	// person, one line.
	if err := db.Conn(ctx).Model(&model.RosterEntry{}).Where("user_id = ? AND id <> ?", uid, e.ID).
		Updates(map[string]any{"user_id": nil, "status": model.RosterPending, "updated_at": now}).Error; err != nil {
		return err
	}
	return db.Conn(ctx).Save(&e).Error
}

func clip(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n])
	}
	return s
}

// UpdatePerson corrects an entry's fields (category, 职务, contacts).
func (s *Service) UpdatePerson(ctx context.Context, actor model.User, id uint64, p Person) (model.RosterEntry, error) {
	if err := p.validate(); err != nil {
		return model.RosterEntry{}, err
	}
	var e model.RosterEntry
	err := s.db.WithTx(ctx, func(ctx context.Context) error {
		var err error
		if e, err = s.entry(ctx, actor, id); err != nil {
			return err
		}
		if p.Phone != e.Phone {
			var n int64
			if err := s.db.Conn(ctx).Model(&model.RosterEntry{}).Where("university_id = ? AND phone = ?", e.UniversityID, p.Phone).
				Count(&n).Error; err != nil {
				return err
			}
			if n > 0 {
				return service.Conflict("already_listed", "手机号 "+p.Phone+" 已在名册中", nil)
			}
		}
		before := rosterDetail(e)
		e.Category, e.Position, e.RealName, e.Phone = p.Category, p.Position, p.RealName, p.Phone
		e.Email, e.QQ, e.WeChatID, e.UpdatedAt = p.Email, p.QQ, p.WeChatID, s.clock.Now().UTC()
		if err := s.db.Conn(ctx).Save(&e).Error; err != nil {
			return err
		}
		return audit.Record(ctx, s.db, audit.Entry{Actor: &actor, UniversityID: &e.UniversityID, Action: audit.ActionRosterUpdate,
			ObjectType: "roster_entry", ObjectID: audit.ID(e.ID), Summary: "修改名册中 " + e.RealName + " 的信息",
			Detail: map[string]any{"before": before, "after": rosterDetail(e)}})
	})
	if err != nil {
		return model.RosterEntry{}, service.Wrap("修改名册人员", err)
	}
	return e, nil
}

// entry reads roster entry id for actor (ForUpdate in a transaction); an
// entry of a university actor does not manage is not found.
func (s *Service) entry(ctx context.Context, actor model.User, id uint64) (model.RosterEntry, error) {
	var e model.RosterEntry
	err := s.db.ForUpdate(ctx).Take(&e, id).Error
	if errors.Is(err, gorm.ErrRecordNotFound) || (err == nil && !canManage(actor, e.UniversityID)) {
		return e, service.NotFound("roster_entry_not_found", "名册中没有这个人")
	}
	return e, err
}

// LinkAccount links entry id to an account by hand (the person applied
// with another phone, or registered before the roster existed): the
// account must belong to the university, and becomes a cadre.
func (s *Service) LinkAccount(ctx context.Context, actor model.User, id uint64, accountName string) (model.RosterEntry, error) {
	accountName = strings.TrimSpace(accountName)
	if accountName == "" {
		return model.RosterEntry{}, service.Invalid("account_required", "请输入要关联的账号", map[string]string{"account": "请输入账号"})
	}
	var e model.RosterEntry
	err := s.db.WithTx(ctx, func(ctx context.Context) error {
		var err error
		if e, err = s.entry(ctx, actor, id); err != nil {
			return err
		}
		if e.Status == model.RosterLeft {
			return service.Conflict("roster_left", "此人已离任，请先重新添加到名册", nil)
		}
		var u model.User
		err = s.db.Conn(ctx).Where("account_key = ?", strings.ToLower(accountName)).Take(&u).Error
		switch {
		case errors.Is(err, gorm.ErrRecordNotFound):
			return service.Invalid("user_not_found", "账号不存在", map[string]string{"account": "账号不存在"})
		case err != nil:
			return err
		case u.UniversityID == nil || *u.UniversityID != e.UniversityID:
			return service.Invalid("other_university", "该账号不属于本校", map[string]string{"account": "该账号不属于本校"})
		}
		now := s.clock.Now().UTC()
		if _, err := account.GrantRole(ctx, s.db, u.ID, model.RoleCadre, now); err != nil {
			return err
		}
		if err := s.db.Conn(ctx).Model(&model.RosterEntry{}).Where("user_id = ? AND id <> ?", u.ID, e.ID).
			Updates(map[string]any{"user_id": nil, "status": model.RosterPending, "updated_at": now}).Error; err != nil {
			return err
		}
		e.UserID, e.Status, e.UpdatedAt = &u.ID, model.RosterRegistered, now
		if err := s.db.Conn(ctx).Save(&e).Error; err != nil {
			return err
		}
		return audit.Record(ctx, s.db, audit.Entry{Actor: &actor, UniversityID: &e.UniversityID, Action: audit.ActionRosterLink,
			ObjectType: "roster_entry", ObjectID: audit.ID(e.ID), Summary: "名册中的 " + e.RealName + " 关联账号 " + u.Account + "（成为团学干部）",
			Detail: map[string]any{"user_id": u.ID, "account": u.Account, "role": model.RoleCadre}})
	})
	if err != nil {
		return model.RosterEntry{}, service.Wrap("关联账号", err)
	}
	return e, nil
}

// Leave marks entry id as left (离任) with a reason. The linked account
// stops being a cadre and is told why; its answers and other history stay
// and keep counting, in the statistics, for the days they were given. A
// successor, when given, takes the same category and 职务 (移交): listed
// as 待注册, or linked at once when already an approved cadre.
func (s *Service) Leave(ctx context.Context, actor model.User, id uint64, reason string, successor *Person) (model.RosterEntry, error) {
	reason = service.CleanLine(reason)
	if reason == "" {
		return model.RosterEntry{}, service.Invalid("reason_required", "请填写离任原因", map[string]string{"reason": "请填写离任原因"})
	}
	if utf8.RuneCountInString(reason) > MaxLeaveReason {
		msg := fmt.Sprintf("离任原因不能超过 %d 个字", MaxLeaveReason)
		return model.RosterEntry{}, service.Invalid("reason_too_long", msg, map[string]string{"reason": msg})
	}
	var e model.RosterEntry
	err := s.db.WithTx(ctx, func(ctx context.Context) error {
		var err error
		if e, err = s.entry(ctx, actor, id); err != nil {
			return err
		}
		if e.Status == model.RosterLeft {
			return service.Conflict("roster_left", "此人已离任", nil)
		}
		now := s.clock.Now().UTC()
		e.Status, e.LeftReason, e.LeftAt, e.UpdatedAt = model.RosterLeft, reason, &now, now
		if err := s.db.Conn(ctx).Save(&e).Error; err != nil {
			return err
		}
		if successor != nil {
			successor.Category, successor.Position = e.Category, e.Position
			if err := successor.validate(); err != nil {
				return successorFields(err)
			}
			if successor.Phone == e.Phone {
				return service.Invalid("same_person", "接任者不能是离任者本人", map[string]string{"successor_phone": "接任者不能是离任者本人"})
			}
			if _, err := s.upsertPerson(ctx, e.UniversityID, *successor, "manual", false); err != nil {
				return err
			}
		}
		if err := audit.Record(ctx, s.db, audit.Entry{Actor: &actor, UniversityID: &e.UniversityID, Action: audit.ActionRosterLeave,
			ObjectType: "roster_entry", ObjectID: audit.ID(e.ID), Summary: e.RealName + "（" + e.Position + "）离任：" + reason,
			Detail: map[string]any{"reason": reason, "user_id": e.UserID, "successor": successor != nil}}); err != nil {
			return err
		}
		if e.UserID == nil {
			return nil
		}
		// The station's team (table 2) is managed on the station's page:
		// leaving the roster there does not end the station role.
		u, err := account.RevokeRole(ctx, s.db, *e.UserID, model.RoleCadre, now)
		if e.Category == model.CategoryStationHead || e.Category == model.CategoryStationAdmin {
			err = s.db.Conn(ctx).Take(&u, *e.UserID).Error
		}
		if err != nil {
			return err
		}
		result := "已离任"
		if successor != nil {
			result = "已移交"
		}
		return s.notify.Send(ctx, alertkind.RoleChanged, []model.User{u}, "/h5/home",
			map[string]string{"role": "团学干部（" + e.Position + "）", "result": result, "reason": reason, "time": notify.Time(now)})
	})
	if err != nil {
		return model.RosterEntry{}, service.Wrap("办理离任", err)
	}
	return e, nil
}

// Entry reads one roster entry for its university's admin or the
// province, with the linked account's name.
func (s *Service) Entry(ctx context.Context, actor model.User, id uint64) (RosterLine, error) {
	e, err := s.entry(ctx, actor, id)
	if err != nil {
		return RosterLine{}, service.Wrap("读取名册", err)
	}
	l := RosterLine{RosterEntry: e}
	if e.UserID != nil {
		var u model.User
		if err := s.db.Conn(ctx).Select("id", "account").Take(&u, *e.UserID).Error; err != nil {
			return l, service.Wrap("读取名册", err)
		}
		l.Account = u.Account
	}
	return l, nil
}

// successorFields names the successor's field errors successor_*, so a
// form with the person's own fields beside them shows each in its place.
func successorFields(err error) error {
	var se *service.Error
	if !errors.As(err, &se) || len(se.Fields) == 0 {
		return err
	}
	f := make(map[string]string, len(se.Fields))
	for k, v := range se.Fields {
		f["successor_"+k] = v
	}
	return &service.Error{Kind: se.Kind, Code: se.Code, Message: "接任者：" + se.Message, Fields: f}
}

// rosterDetail is an entry's fields as an audit record shows them, the
// phone masked (the record is about the person, not their number).
func rosterDetail(e model.RosterEntry) map[string]any {
	return map[string]any{"category": e.Category, "position": e.Position, "real_name": e.RealName, "phone": audit.MaskPhone(e.Phone)}
}
