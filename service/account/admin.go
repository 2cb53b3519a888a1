package account

import (
	"context"
	"strings"

	"github.com/gdyouth/youthvoice/model"
	"github.com/gdyouth/youthvoice/service"
	"github.com/gdyouth/youthvoice/service/audit"
)

// CreateProvinceAdmin bootstraps a province admin (`youthvoice admin
// create`): a new account with that role, or an existing account promoted
// when the password matches it.
func (s *Service) CreateProvinceAdmin(ctx context.Context, account, password, name string) (model.User, error) {
	account = strings.TrimSpace(account)
	fields := map[string]string{}
	checkAccount(fields, account)
	checkPassword(fields, "password", password)
	if len(fields) > 0 {
		return model.User{}, service.InvalidFields("invalid_input", fields, fieldOrder...)
	}
	var existing model.User
	err := s.db.Conn(ctx).Where("account_key = ?", AccountKey(account)).Take(&existing).Error
	if err == nil {
		if _, err := s.Login(ctx, account, password, ""); err != nil {
			return model.User{}, service.Conflict("account_taken", "账号已存在且密码不匹配，无法设为省级管理员", nil)
		}
		err := s.db.WithTx(ctx, func(ctx context.Context) error {
			if _, err := GrantRole(ctx, s.db, existing.ID, model.RoleProvinceAdmin, s.clock.Now().UTC()); err != nil {
				return err
			}
			return recordAdminCreate(ctx, s.db, existing)
		})
		if err != nil {
			return model.User{}, service.Wrap("设置省级管理员", err)
		}
		return s.UserByID(ctx, existing.ID)
	}
	// A new admin's password follows the admins' rule; an account
	// promoted keeps its password until its next login asks for a
	// stronger one (see Login).
	if !AdminPasswordOK(password) {
		return model.User{}, service.Invalid("invalid_input", msgAdminPassword, map[string]string{"password": msgAdminPassword})
	}
	hash, err := s.hash(password)
	if err != nil {
		return model.User{}, err
	}
	now := s.clock.Now().UTC()
	u := model.User{Account: account, AccountKey: AccountKey(account), PasswordHash: hash, Name: strings.TrimSpace(name),
		Role: model.RoleProvinceAdmin, ActivatedAt: &now, CreatedAt: now, UpdatedAt: now}
	err = s.db.WithTx(ctx, func(ctx context.Context) error {
		if err := s.db.Conn(ctx).Create(&u).Error; err != nil {
			return err
		}
		return recordAdminCreate(ctx, s.db, u)
	})
	if err != nil {
		if isDuplicate(err) {
			return model.User{}, service.Conflict("account_taken", msgAccountTaken, nil)
		}
		return model.User{}, service.Wrap("创建省级管理员", err)
	}
	return u, nil
}

// recordAdminCreate records the command line's appointment of a province
// admin: by the system (the operator at the server), not by an account.
func recordAdminCreate(ctx context.Context, db *model.DB, u model.User) error {
	return audit.Record(ctx, db, audit.Entry{Action: audit.ActionRoleGrant, ObjectType: "user", ObjectID: audit.ID(u.ID),
		Summary: "命令行 youthvoice admin create：设 " + u.Account + " 为省级管理员", Detail: map[string]any{"role": model.RoleProvinceAdmin}})
}

// RecordScanSignIn adds an admin's sign-in on a PC by WeChat scan to the
// audit trail (the PC's address comes with ctx, see audit.WithRequest).
func (s *Service) RecordScanSignIn(ctx context.Context, u model.User, openid string) error {
	return audit.Record(ctx, s.db, audit.Entry{Actor: &u, UniversityID: u.UniversityID, Action: audit.ActionLoginScan,
		ObjectType: "user", ObjectID: audit.ID(u.ID), Summary: "在电脑上扫码登录管理后台",
		Detail: map[string]any{"wechat": maskWeChat(openid)}})
}

// maskWeChat keeps an openid's ends: enough to tell two WeChats apart in
// the trail, not to use.
func maskWeChat(openid string) string {
	if len(openid) <= 8 {
		return "****"
	}
	return openid[:4] + "****" + openid[len(openid)-4:]
}
