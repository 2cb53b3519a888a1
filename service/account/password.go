package account

import (
	"context"
	"crypto/rand"
	"errors"
	"math/big"
	"strings"

	"gorm.io/gorm"

	"github.com/gdyouth/youthvoice/model"
	"github.com/gdyouth/youthvoice/service"
	"github.com/gdyouth/youthvoice/service/alertkind"
	"github.com/gdyouth/youthvoice/service/audit"
	"github.com/gdyouth/youthvoice/service/notify"
)

// How a password was changed: the log's method and, in Chinese, the
// alert's 方式.
const (
	MethodChange = "change" // 设置 → 修改密码, with the current password
	MethodWeChat = "wechat" // reset in the WeChat bound to the account
	MethodAdmin  = "admin"  // a temporary password an admin issued
)

var methodNames = map[string]string{MethodChange: "本人修改", MethodWeChat: "微信内重置", MethodAdmin: "管理员重置"}

// TemporaryLength is the length of an admin-issued temporary password:
// about 57 bits from the alphabet below, and it is single-use.
const TemporaryLength = 10

// temporaryAlphabet leaves out characters read one for another when an
// admin passes the password on by voice or on paper (0/O, 1/l/I).
const temporaryAlphabet = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"

// Passwords changes and resets passwords. It is apart from Service
// because it alerts the person, and the notifier is built after the
// account service.
type Passwords struct {
	s      *Service
	notify *notify.Notifier
}

// NewPasswords builds the password service.
func NewPasswords(s *Service, n *notify.Notifier) (*Passwords, error) {
	if s == nil || n == nil {
		return nil, errors.New("account.NewPasswords: nil dependency")
	}
	return &Passwords{s: s, notify: n}, nil
}

// ChangeInput is a new password, typed twice; Current is the password in
// use (not asked while the account must change a temporary password: the
// session has just proved it).
type ChangeInput struct {
	Current  string
	New      string
	Confirm  string
	ClientIP string
}

// checkNew applies activation's rules (an admin's stricter ones) to u's
// new password.
func checkNew(fields map[string]string, u model.User, in ChangeInput) {
	checkPasswordFor(fields, u, "new", in.New)
	if fields["new"] == "" && in.Confirm != in.New {
		fields["confirm"] = "两次输入的新密码不一致"
	}
}

// Change sets u's password from 设置. The current password is required
// (unless u must change a temporary one), and a wrong one counts as a
// failed login of the account and the client IP: a stolen session must
// not become a way to guess the password.
func (p *Passwords) Change(ctx context.Context, u model.User, in ChangeInput) (model.User, error) {
	fields := map[string]string{}
	if !u.MustChangePassword && in.Current == "" {
		fields["current"] = "请输入当前密码"
	}
	checkNew(fields, u, in)
	if len(fields) > 0 {
		return model.User{}, service.InvalidFields("invalid_input", fields, "current", "new", "confirm")
	}
	if !u.MustChangePassword {
		if err := p.checkCurrent(ctx, u, in.Current, in.ClientIP); err != nil {
			return model.User{}, err
		}
	}
	if p.s.compare([]byte(u.PasswordHash), []byte(in.New)) == nil {
		// A temporary password kept would be known to the admin.
		return model.User{}, service.Invalid("same_password", "新密码不能与当前密码相同", map[string]string{"new": "新密码不能与当前密码相同"})
	}
	return p.set(ctx, u, u, in.New, false, MethodChange)
}

// checkCurrent checks u's current password under the login throttle.
func (p *Passwords) checkCurrent(ctx context.Context, u model.User, current, clientIP string) error {
	at, err := p.s.reserve(ctx, u.AccountKey, clientIP)
	if err != nil {
		return err
	}
	if p.s.compare([]byte(u.PasswordHash), []byte(current)) != nil {
		err := p.s.failed(ctx, at)
		if errors.Is(err, service.ErrTooMany) {
			return err
		}
		return service.Invalid("wrong_password", "当前密码不正确", map[string]string{"current": "当前密码不正确"})
	}
	_ = p.s.kv.Del(ctx, failKeyAccount(u.AccountKey))
	if clientIP != "" {
		p.s.release(ctx, failKeyIP(clientIP))
	}
	return nil
}

// ResetInWeChat sets u's password without the current one, for a person
// who forgot it: openid is the WeChat the session was authorized by
// (OAuth), and it must be the one bound to u — that WeChat is the proof.
func (p *Passwords) ResetInWeChat(ctx context.Context, u model.User, openid string, in ChangeInput) (model.User, error) {
	if openid == "" || u.OpenID == nil || *u.OpenID != openid {
		return model.User{}, service.Forbidden("wechat_required", "请在已绑定本账号的微信中打开此页面重置密码")
	}
	fields := map[string]string{}
	checkNew(fields, u, in)
	if len(fields) > 0 {
		return model.User{}, service.InvalidFields("invalid_input", fields, "new", "confirm")
	}
	return p.set(ctx, u, u, in.New, false, MethodWeChat)
}

// IssueTemporary gives the account named account a random single-use
// password, returned once for the admin to pass on; the person must
// change it at the next login. A university admin may do this for the
// accounts of their own university (not a province admin's), the
// province admin for any.
func (p *Passwords) IssueTemporary(ctx context.Context, admin model.User, account string) (model.User, string, error) {
	province := admin.Has(model.RoleProvinceAdmin)
	if !province && !admin.Has(model.RoleUniversityAdm) {
		return model.User{}, "", service.Forbidden("admin_only", "仅高校团委管理员和省级管理员可以重置密码")
	}
	var u model.User
	err := p.s.db.Conn(ctx).Where("account_key = ?", AccountKey(account)).Take(&u).Error
	if errors.Is(err, gorm.ErrRecordNotFound) || strings.TrimSpace(account) == "" {
		return model.User{}, "", service.NotFound("user_not_found", "账号不存在")
	}
	if err != nil {
		return model.User{}, "", service.Wrap("查询账号", err)
	}
	if !province {
		sameUni := admin.UniversityID != nil && u.UniversityID != nil && *admin.UniversityID == *u.UniversityID
		if !sameUni || u.Has(model.RoleProvinceAdmin) {
			// Not found rather than forbidden: other universities'
			// account names are not the admin's to probe.
			return model.User{}, "", service.NotFound("user_not_found", "本校没有该账号")
		}
	}
	temp, err := temporaryPassword()
	for err == nil && IsAdmin(u) && !AdminPasswordOK(temp) {
		// An admin's temporary password follows the admins' rule too
		// (it is changed at once, but a weak one would be refused at
		// the next login in between).
		temp, err = temporaryPassword()
	}
	if err != nil {
		return model.User{}, "", err
	}
	u, err = p.set(ctx, admin, u, temp, true, MethodAdmin)
	if err != nil {
		return model.User{}, "", err
	}
	return u, temp, nil
}

func temporaryPassword() (string, error) {
	b := make([]byte, TemporaryLength)
	for i := range b {
		n, err := rand.Int(rand.Reader, big.NewInt(int64(len(temporaryAlphabet))))
		if err != nil {
			return "", err
		}
		b[i] = temporaryAlphabet[n.Int64()]
	}
	return string(b), nil
}

// set stores password as u's, ends u's other sessions (those begun before
// password_changed_at are refused), forgets the account's login failures
// (a reset is how a locked-out person gets back in), logs who did it and
// alerts the person, who learns of a change they did not make.
func (p *Passwords) set(ctx context.Context, actor, u model.User, password string, mustChange bool, method string) (model.User, error) {
	hash, err := p.s.hash(password)
	if err != nil {
		return model.User{}, err
	}
	now := p.s.clock.Now().UTC()
	err = p.s.db.WithTx(ctx, func(ctx context.Context) error {
		err := p.s.db.Conn(ctx).Model(&model.User{}).Where("id = ?", u.ID).Updates(map[string]any{
			"password_hash": hash, "must_change_password": mustChange, "password_changed_at": now, "updated_at": now,
		}).Error
		if err != nil {
			return err
		}
		if err := recordPassword(ctx, p.s.db, actor, u, method); err != nil {
			return err
		}
		return p.notify.Send(ctx, alertkind.PasswordChanged, []model.User{u}, "/h5/settings",
			map[string]string{"how": methodNames[method], "time": notify.Time(now)})
	})
	if err != nil {
		return model.User{}, service.Wrap("修改密码", err)
	}
	_ = p.s.kv.Del(ctx, failKeyAccount(u.AccountKey))
	p.s.log.InfoContext(ctx, "password changed", "method", method, "user_id", u.ID, "actor_id", actor.ID)
	u.PasswordHash, u.MustChangePassword, u.PasswordChangedAt, u.UpdatedAt = hash, mustChange, &now, now
	return u, nil
}

// recordPassword adds a password change or reset to the audit trail (never
// the password): on the account's university, by whom and how.
func recordPassword(ctx context.Context, db *model.DB, actor, u model.User, method string) error {
	action, summary := audit.ActionPasswordReset, "在微信中重置了账号 "+u.Account+" 的密码"
	switch method {
	case MethodChange:
		action, summary = audit.ActionPasswordChange, "修改了账号 "+u.Account+" 的密码"
	case MethodAdmin:
		action, summary = audit.ActionPasswordTemporary, "为账号 "+u.Account+" 发放临时密码（须在下次登录时修改）"
	}
	return audit.Record(ctx, db, audit.Entry{Actor: &actor, UniversityID: u.UniversityID, Action: action,
		ObjectType: "user", ObjectID: audit.ID(u.ID), Summary: summary, Detail: map[string]any{"method": method}})
}
