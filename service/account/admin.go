package account

import (
	"context"
	"strings"

	"github.com/gdyouth/youthvoice/model"
	"github.com/gdyouth/youthvoice/service"
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
		return model.User{}, service.Invalid("invalid_input", firstMessage(fields), fields)
	}
	var existing model.User
	err := s.db.Conn(ctx).Where("account_key = ?", AccountKey(account)).Take(&existing).Error
	if err == nil {
		if _, err := s.Login(ctx, account, password, ""); err != nil {
			return model.User{}, service.Conflict("account_taken", "账号已存在且密码不匹配，无法设为省级管理员", nil)
		}
		if _, err := GrantRole(ctx, s.db, existing.ID, model.RoleProvinceAdmin, s.clock.Now().UTC()); err != nil {
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
	if err := s.db.Conn(ctx).Create(&u).Error; err != nil {
		if isDuplicate(err) {
			return model.User{}, service.Conflict("account_taken", msgAccountTaken, nil)
		}
		return model.User{}, service.Wrap("创建省级管理员", err)
	}
	return u, nil
}
