package account

import (
	"context"
	"errors"
	"time"

	"gorm.io/gorm"

	"github.com/gdyouth/youthvoice/model"
	"github.com/gdyouth/youthvoice/service"
)

// GrantRole adds role to account userID's set of roles: an account may
// be a cadre, a station admin and a university admin at once (a student
// leader who runs the station). Granting a role the account holds
// changes nothing. Every path that grants a role goes through here:
// cadre approval, the appointment of university admins, joining a
// station team, the bootstrap of a province admin.
//
// It runs in the transaction of ctx (its own otherwise) and locks the
// account's row first, so concurrent grants and revocations each see the
// set the other left.
func GrantRole(ctx context.Context, db *model.DB, userID uint64, role string, now time.Time) (model.User, error) {
	return setRole(ctx, db, userID, role, true, now)
}

// RevokeRole removes role from account userID's set (离任, leaving the
// last station team). The account's history (answers, bookings
// handled) stays and keeps counting for the period it was made in.
func RevokeRole(ctx context.Context, db *model.DB, userID uint64, role string, now time.Time) (model.User, error) {
	return setRole(ctx, db, userID, role, false, now)
}

func setRole(ctx context.Context, db *model.DB, userID uint64, role string, grant bool, now time.Time) (model.User, error) {
	bit := model.RoleBit(role)
	if bit == 0 {
		return model.User{}, service.Invalid("unknown_role", "未知的身份", nil)
	}
	var u model.User
	err := db.WithTx(ctx, func(ctx context.Context) error {
		err := db.ForUpdate(ctx).Take(&u, userID).Error
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return service.NotFound("user_not_found", "账号不存在")
		}
		if err != nil {
			return err
		}
		roles := u.Roles &^ bit
		if grant {
			roles = u.Roles | bit
		}
		if roles == u.Roles {
			return nil
		}
		primary := model.PrimaryRole(roles)
		if err := db.Conn(ctx).Model(&model.User{}).Where("id = ?", u.ID).
			Updates(map[string]any{"roles": roles, "role": primary, "updated_at": now}).Error; err != nil {
			return err
		}
		u.Roles, u.Role, u.UpdatedAt = roles, primary, now
		return nil
	})
	if err != nil {
		return model.User{}, service.Wrap("设置身份", err)
	}
	return u, nil
}
