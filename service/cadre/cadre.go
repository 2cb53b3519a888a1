// Package cadre registers real-name cadres (团学干部) with the fields of the
// notice's 附件1, and lets admins decide applications and appoint
// university admins. Every rule about who may do what lives here.
package cadre

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"gorm.io/gorm"

	"github.com/gdyouth/youthvoice/model"
	"github.com/gdyouth/youthvoice/service"
	"github.com/gdyouth/youthvoice/service/account"
	"github.com/gdyouth/youthvoice/service/alertkind"
	"github.com/gdyouth/youthvoice/service/audit"
	"github.com/gdyouth/youthvoice/service/clock"
	"github.com/gdyouth/youthvoice/service/notify"
)

// Service is the cadre service.
type Service struct {
	db     *model.DB
	clock  clock.Clock
	notify *notify.Notifier
}

// New builds the service.
func New(db *model.DB, clk clock.Clock, n *notify.Notifier) (*Service, error) {
	if db == nil || clk == nil || n == nil {
		return nil, errors.New("cadre.New: nil dependency")
	}
	return &Service{db: db, clock: clk, notify: n}, nil
}

// Field limits of the application (附件1) and of a decision, in
// characters. The service refuses longer text with a field error naming
// the field and its limit; the pages' maxlength and the API's
// documentation take them from here.
const (
	MaxPosition = 30  // 职务
	MaxRealName = 20  // 姓名 (at least 2)
	MaxPhone    = 11  // 手机号: exactly 11 digits
	MaxEmail    = 100 // 邮箱
	MaxQQ       = 12  // QQ号: 5–12 digits
	MaxWeChatID = 20  // 微信号: 6–20
	MaxReason   = 100 // why an application was rejected (驳回原因), told to the applicant
)

var (
	phoneRE  = regexp.MustCompile(`^1[3-9][0-9]{9}$`)
	emailRE  = regexp.MustCompile(`^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}$`)
	qqRE     = regexp.MustCompile(fmt.Sprintf(`^[1-9][0-9]{4,%d}$`, MaxQQ-1))
	wechatRE = regexp.MustCompile(fmt.Sprintf(`^[A-Za-z][-_A-Za-z0-9]{5,%d}$`, MaxWeChatID-1))
)

// Application is what an applicant fills in (附件1).
type Application struct {
	Position string // 职务
	RealName string // 姓名
	Phone    string // 手机号
	Email    string // 邮箱
	QQ       string // QQ号
	WeChatID string // 微信号
}

func (a *Application) validate() error {
	a.Position, a.RealName = service.CleanLine(a.Position), service.CleanLine(a.RealName)
	a.Phone, a.Email = strings.TrimSpace(a.Phone), strings.TrimSpace(a.Email)
	a.QQ, a.WeChatID = strings.TrimSpace(a.QQ), strings.TrimSpace(a.WeChatID)
	f := map[string]string{}
	if n := utf8.RuneCountInString(a.Position); n == 0 || n > MaxPosition {
		f["position"] = fmt.Sprintf("请填写职务（不超过 %d 个字）", MaxPosition)
	}
	if n := utf8.RuneCountInString(a.RealName); n < 2 || n > MaxRealName {
		f["real_name"] = fmt.Sprintf("请填写真实姓名（2–%d 个字）", MaxRealName)
	}
	if !phoneRE.MatchString(a.Phone) {
		f["phone"] = "请填写 11 位中国大陆手机号"
	}
	switch {
	case utf8.RuneCountInString(a.Email) > MaxEmail:
		f["email"] = fmt.Sprintf("邮箱不能超过 %d 个字符", MaxEmail)
	case a.Email != "" && !emailRE.MatchString(a.Email):
		f["email"] = "邮箱格式不正确"
	}
	if a.QQ != "" && !qqRE.MatchString(a.QQ) {
		f["qq"] = fmt.Sprintf("QQ 号应为 5–%d 位数字", MaxQQ)
	}
	if a.WeChatID != "" && !wechatRE.MatchString(a.WeChatID) {
		f["wechat_id"] = fmt.Sprintf("微信号应为 6–%d 位，以字母开头，可含字母、数字、下划线和减号", MaxWeChatID)
	}
	// Every field's problem at once, so the form lists them all.
	return service.InvalidFields("invalid_input", f, "position", "real_name", "phone", "email", "qq", "wechat_id")
}

// Apply files a cadre application for a bound user of a university.
func (s *Service) Apply(ctx context.Context, user model.User, a Application) (model.CadreApplication, error) {
	if user.OpenID == nil {
		return model.CadreApplication{}, service.Forbidden("not_bound", "请先在微信中完成激活绑定再申请")
	}
	if user.UniversityID == nil {
		return model.CadreApplication{}, service.Forbidden("no_university", "请先选择学校再申请")
	}
	if user.Has(model.RoleCadre) {
		return model.CadreApplication{}, service.Conflict("already_cadre", "你已是「团学干部」，无需申请", nil)
	}
	if err := a.validate(); err != nil {
		return model.CadreApplication{}, err
	}
	now := s.clock.Now().UTC()
	app := model.CadreApplication{
		UserID: user.ID, UniversityID: *user.UniversityID, Position: a.Position, RealName: a.RealName,
		Phone: a.Phone, Email: a.Email, QQ: a.QQ, WeChatID: a.WeChatID, Status: model.ApplicationPending,
		CreatedAt: now, UpdatedAt: now,
	}
	err := s.db.WithTx(ctx, func(ctx context.Context) error {
		// Concurrent applications of one user are checked one after
		// another: the user's row lock (MySQL) / the single connection
		// (SQLite) orders them. The lock is the transaction's first read,
		// so the count below sees every application committed before it
		// was granted, and the role is the current one.
		var me model.User
		if err := s.db.ForUpdate(ctx).Select("id", "roles").Take(&me, user.ID).Error; err != nil {
			return err
		}
		if me.Has(model.RoleCadre) {
			return service.Conflict("already_cadre", "你已是「团学干部」，无需申请", nil)
		}
		var n int64
		if err := s.db.Conn(ctx).Model(&model.CadreApplication{}).
			Where("user_id = ? AND status = ?", user.ID, model.ApplicationPending).Count(&n).Error; err != nil {
			return err
		}
		if n > 0 {
			return service.Conflict("pending_exists", "你已有一份待审核的申请，请耐心等待", nil)
		}
		return s.db.Conn(ctx).Create(&app).Error
	})
	if err != nil {
		return model.CadreApplication{}, service.Wrap("提交申请", err)
	}
	return app, nil
}

// canManage reports whether actor administers university uni.
func canManage(actor model.User, uni uint64) bool {
	switch {
	case actor.Has(model.RoleProvinceAdmin):
		return true
	case actor.Has(model.RoleUniversityAdm):
		return actor.UniversityID != nil && *actor.UniversityID == uni
	}
	return false
}

// Decide approves or rejects an application. Only the province admin or
// the admin of the applicant's university may; a rejection needs a reason.
func (s *Service) Decide(ctx context.Context, actor model.User, appID uint64, approve bool, reason string) (model.CadreApplication, error) {
	reason = strings.TrimSpace(reason)
	if !approve && reason == "" {
		return model.CadreApplication{}, service.Invalid("reason_required", "驳回时请填写原因", map[string]string{"reason": "请填写驳回原因"})
	}
	if utf8.RuneCountInString(reason) > MaxReason {
		msg := fmt.Sprintf("驳回原因不能超过 %d 个字", MaxReason)
		return model.CadreApplication{}, service.Invalid("reason_too_long", msg, map[string]string{"reason": msg})
	}
	var app model.CadreApplication
	err := s.db.WithTx(ctx, func(ctx context.Context) error {
		err := s.db.Conn(ctx).Take(&app, appID).Error
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return service.NotFound("application_not_found", "申请不存在")
		}
		if err != nil {
			return err
		}
		if !canManage(actor, app.UniversityID) {
			// Do not reveal other universities' applications.
			return service.NotFound("application_not_found", "申请不存在")
		}
		if app.Status != model.ApplicationPending {
			return service.Conflict("already_decided", "该申请已处理", nil)
		}
		now := s.clock.Now().UTC()
		status := model.ApplicationRejected
		if approve {
			status = model.ApplicationApproved
		}
		res := s.db.Conn(ctx).Model(&model.CadreApplication{}).
			Where("id = ? AND status = ?", app.ID, model.ApplicationPending).
			Updates(map[string]any{"status": status, "reason": reason, "decided_by": actor.ID, "decided_at": now, "updated_at": now})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return service.Conflict("already_decided", "该申请已处理", nil)
		}
		if approve {
			// The applicant keeps any role gained since applying (a
			// station admin becomes a cadre as well).
			if _, err := account.GrantRole(ctx, s.db, app.UserID, model.RoleCadre, now); err != nil {
				return err
			}
			if err := linkApproved(ctx, s.db, app, now); err != nil {
				return err
			}
			if err := s.db.Conn(ctx).Model(&model.User{}).Where("id = ?", app.UserID).
				Updates(map[string]any{"name": app.RealName, "updated_at": now}).Error; err != nil {
				return err
			}
		}
		app.Status, app.Reason, app.DecidedBy, app.DecidedAt = status, reason, &actor.ID, &now
		var applicant model.User
		if err := s.db.Conn(ctx).Take(&applicant, app.UserID).Error; err != nil {
			return err
		}
		result, why := "未通过", reason
		action := audit.ActionCadreReject
		if approve {
			result, why, action = "已通过", "你已成为团学干部", audit.ActionCadreApprove
		}
		if err := audit.Record(ctx, s.db, audit.Entry{Actor: &actor, UniversityID: &app.UniversityID, Action: action,
			ObjectType: "cadre_application", ObjectID: audit.ID(app.ID),
			Summary: fmt.Sprintf("%s %s（%s）的团学干部申请", result, app.RealName, applicant.Account),
			Detail:  map[string]any{"applicant_id": app.UserID, "status": status, "reason": reason}}); err != nil {
			return err
		}
		return s.notify.Send(ctx, alertkind.ApplicationDecided, []model.User{applicant}, "/h5/cadre/apply",
			map[string]string{"result": result, "reason": why, "time": notify.Time(now)})
	})
	if err != nil {
		return model.CadreApplication{}, service.Wrap("处理申请", err)
	}
	return app, nil
}

// Pending lists the applications actor may decide, oldest first, with
// phone numbers masked.
func (s *Service) Pending(ctx context.Context, actor model.User) ([]model.CadreApplication, error) {
	q := s.db.Conn(ctx).Where("status = ?", model.ApplicationPending).Order("id")
	switch {
	case actor.Has(model.RoleProvinceAdmin):
	case actor.Has(model.RoleUniversityAdm):
		if actor.UniversityID == nil {
			return nil, service.Forbidden("forbidden", "没有权限查看申请")
		}
		q = q.Where("university_id = ?", *actor.UniversityID)
	default:
		return nil, service.Forbidden("forbidden", "没有权限查看申请")
	}
	var apps []model.CadreApplication
	if err := q.Find(&apps).Error; err != nil {
		return nil, service.Wrap("读取申请", err)
	}
	for i := range apps {
		apps[i].Phone = MaskPhone(apps[i].Phone)
	}
	return apps, nil
}

// AppointUniversityAdmin makes user userID an admin of their university
// (高校团委管理员). Only the province admin may.
func (s *Service) AppointUniversityAdmin(ctx context.Context, actor model.User, userID uint64) error {
	_, err := s.appoint(ctx, actor, "id = ?", userID)
	return err
}

// AppointUniversityAdminByAccount is AppointUniversityAdmin for the account
// the province admin typed (in any letter case); it returns the appointed
// user.
func (s *Service) AppointUniversityAdminByAccount(ctx context.Context, actor model.User, account string) (model.User, error) {
	account = strings.TrimSpace(account)
	if account == "" {
		return model.User{}, service.Invalid("account_required", "请输入要任命的账号", map[string]string{"account": "请输入账号"})
	}
	return s.appoint(ctx, actor, "account_key = ?", strings.ToLower(account))
}

func (s *Service) appoint(ctx context.Context, actor model.User, where string, arg any) (model.User, error) {
	if !actor.Has(model.RoleProvinceAdmin) {
		return model.User{}, service.Forbidden("forbidden", "只有省级管理员可以任命高校管理员")
	}
	var u model.User
	err := s.db.Conn(ctx).Where(where, arg).Take(&u).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return u, service.NotFound("user_not_found", "账号不存在")
	}
	if err != nil {
		return u, service.Wrap("读取账号", err)
	}
	if u.UniversityID == nil {
		return u, service.Invalid("no_university", "该账号没有所属学校，请让其先完成激活并选择学校", nil)
	}
	err = s.db.WithTx(ctx, func(ctx context.Context) error {
		now := s.clock.Now().UTC()
		// The account keeps its other roles (a cadre may also be an admin).
		if u, err = account.GrantRole(ctx, s.db, u.ID, model.RoleUniversityAdm, now); err != nil {
			return err
		}
		if err := audit.Record(ctx, s.db, audit.Entry{Actor: &actor, UniversityID: u.UniversityID, Action: audit.ActionRoleGrant,
			ObjectType: "user", ObjectID: audit.ID(u.ID), Summary: "任命 " + u.Account + " 为高校团委管理员",
			Detail: map[string]any{"role": model.RoleUniversityAdm}}); err != nil {
			return err
		}
		// The university goes live (上线) the day its first admin is
		// appointed, unless the province set its launch date already.
		return s.db.DefaultLaunch(ctx, *u.UniversityID, now.In(clock.Beijing).Format(time.DateOnly), now)
	})
	if err != nil {
		return model.User{}, service.Wrap("任命高校管理员", err)
	}
	return u, nil
}

// MaskPhone shows the first three and last four digits: 138****5678.
func MaskPhone(p string) string {
	if len(p) != 11 {
		return "****"
	}
	return p[:3] + "****" + p[7:]
}

// Latest returns the user's most recent application, or NotFound.
func (s *Service) Latest(ctx context.Context, userID uint64) (model.CadreApplication, error) {
	var app model.CadreApplication
	err := s.db.Conn(ctx).Where("user_id = ?", userID).Order("id DESC").Take(&app).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return app, service.NotFound("application_not_found", "还没有提交过申请")
	}
	return app, service.Wrap("读取申请", err)
}

// RevokeUniversityAdmin ends account's appointment as a university admin
// (移交 to a successor is appointing them): only the province admin may,
// with a reason, which the person is told. The account keeps its other
// roles, and what it did as an admin stays in the statistics.
func (s *Service) RevokeUniversityAdmin(ctx context.Context, actor model.User, accountName, reason string) (model.User, error) {
	if !actor.Has(model.RoleProvinceAdmin) {
		return model.User{}, service.Forbidden("forbidden", "只有省级管理员可以撤销高校团委管理员")
	}
	accountName, reason = strings.TrimSpace(accountName), service.CleanLine(reason)
	f := map[string]string{}
	if accountName == "" {
		f["account"] = "请输入要撤销的账号"
	}
	if reason == "" {
		f["reason"] = "请填写撤销原因"
	} else if utf8.RuneCountInString(reason) > MaxLeaveReason {
		f["reason"] = fmt.Sprintf("原因不能超过 %d 个字", MaxLeaveReason)
	}
	if len(f) > 0 {
		return model.User{}, service.Invalid("invalid_input", "请检查账号和原因", f)
	}
	var u model.User
	err := s.db.WithTx(ctx, func(ctx context.Context) error {
		err := s.db.Conn(ctx).Where("account_key = ?", strings.ToLower(accountName)).Take(&u).Error
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return service.Invalid("user_not_found", "账号不存在", map[string]string{"account": "账号不存在"})
		}
		if err != nil {
			return err
		}
		if !u.Has(model.RoleUniversityAdm) {
			return service.Invalid("not_university_admin", "该账号不是高校团委管理员", map[string]string{"account": "该账号不是高校团委管理员"})
		}
		now := s.clock.Now().UTC()
		if u, err = account.RevokeRole(ctx, s.db, u.ID, model.RoleUniversityAdm, now); err != nil {
			return err
		}
		if err := audit.Record(ctx, s.db, audit.Entry{Actor: &actor, UniversityID: u.UniversityID, Action: audit.ActionRoleRevoke,
			ObjectType: "user", ObjectID: audit.ID(u.ID), Summary: "撤销 " + u.Account + " 的高校团委管理员职务",
			Detail: map[string]any{"role": model.RoleUniversityAdm, "reason": reason}}); err != nil {
			return err
		}
		return s.notify.Send(ctx, alertkind.RoleChanged, []model.User{u}, "/h5/home",
			map[string]string{"role": model.RoleName(model.RoleUniversityAdm), "result": "已撤销", "reason": reason, "time": notify.Time(now)})
	})
	if err != nil {
		return model.User{}, service.Wrap("撤销高校团委管理员", err)
	}
	return u, nil
}
