package account

import (
	"context"
	"errors"
	"time"

	"gorm.io/gorm"

	"github.com/gdyouth/youthvoice/model"
	"github.com/gdyouth/youthvoice/service"
)

// CodeOneIdentity is the code of GrantRole's refusal.
const CodeOneIdentity = "one_identity"

// GrantRole gives account userID role, under the rule "one identity per
// account": an account is a student, or a cadre, a station admin, a
// university admin or a province admin, never two of them. So a role is
// granted only to a student; an account that has another role keeps it
// and is refused (Conflict CodeOneIdentity, naming the role it has and,
// for a 站点管理员, how to give that up: leave every station team, which
// makes it a student again). Granting the role an account already has
// changes nothing. Every path that grants a role goes through here: cadre
// approval, the appointment of university admins, the first station
// team, the bootstrap of a province admin.
//
// It runs in the transaction of ctx (its own otherwise) and locks the
// account's row first, so the role it checks is the one it replaces.
func GrantRole(ctx context.Context, db *model.DB, userID uint64, role string, now time.Time) (model.User, error) {
	var u model.User
	err := db.WithTx(ctx, func(ctx context.Context) error {
		err := db.ForUpdate(ctx).Take(&u, userID).Error
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return service.NotFound("user_not_found", "账号不存在")
		}
		if err != nil {
			return err
		}
		switch u.Role {
		case role:
			return nil
		case model.RoleStudent:
		default:
			return oneIdentity(u.Role, role)
		}
		if err := db.Conn(ctx).Model(&model.User{}).Where("id = ? AND role = ?", u.ID, model.RoleStudent).
			Updates(map[string]any{"role": role, "updated_at": now}).Error; err != nil {
			return err
		}
		u.Role, u.UpdatedAt = role, now
		return nil
	})
	if err != nil {
		return model.User{}, service.Wrap("设置身份", err)
	}
	return u, nil
}

// oneIdentity is the refusal to make an account of role has a want.
func oneIdentity(has, want string) error {
	msg := "该账号已是「" + model.RoleName(has) + "」，一个账号只能有一种身份，不能再设为「" + model.RoleName(want) + "」"
	if has == model.RoleStationAdmin {
		msg = "该账号已是「站点管理员」，一个账号只能有一种身份：请先将其移出服务站团队，再设为「" + model.RoleName(want) + "」"
	}
	return service.Conflict(CodeOneIdentity, msg, nil)
}
