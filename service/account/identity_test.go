package account_test

import (
	"strings"
	"testing"

	"github.com/gdyouth/youthvoice/model"
	"github.com/gdyouth/youthvoice/service"
	"github.com/gdyouth/youthvoice/service/account"
	"github.com/gdyouth/youthvoice/service/servicetest"
)

// The bootstrap of a province admin promotes an existing account only if
// it has no other identity: a station admin is refused (and told to leave
// the team first), a student is promoted, and running it again changes
// nothing.
func TestProvinceAdminKeepsOneIdentity(t *testing.T) {
	each(t, envOpt{}, func(t *testing.T, e *env) {
		lead := e.newUser(t, "lead001", "pass1234", "")
		if err := e.db.Conn(ctx).Model(&model.User{}).Where("id = ?", lead.ID).Update("role", model.RoleStationAdmin).Error; err != nil {
			t.Fatal(err)
		}
		_, err := e.svc.CreateProvinceAdmin(ctx, "lead001", "pass1234", "")
		se := servicetest.WantErr(t, "promoting a station admin", err, service.ErrConflict, account.CodeOneIdentity)
		if !strings.Contains(se.Message, "移出服务站团队") {
			t.Fatalf("refusal %q does not say how to give up the station", se.Message)
		}
		if r := e.reload(t, lead.ID).Role; r != model.RoleStationAdmin {
			t.Fatalf("refused account's role = %q", r)
		}

		student := e.newUser(t, "stud001", "pass1234", "")
		for range 2 {
			u, err := e.svc.CreateProvinceAdmin(ctx, "stud001", "pass1234", "")
			if err != nil || u.Role != model.RoleProvinceAdmin || u.ID != student.ID {
				t.Fatalf("promoting a student: %+v, %v", u, err)
			}
		}
	})
}

// GrantRole itself: a student gets the role, the same role again is no
// change, any other identity is refused and kept.
func TestGrantRole(t *testing.T) {
	each(t, envOpt{}, func(t *testing.T, e *env) {
		u := e.newUser(t, "grant01", "pass1234", "")
		now := e.clk.Now().UTC()
		got, err := account.GrantRole(ctx, e.db, u.ID, model.RoleCadre, now)
		if err != nil || got.Role != model.RoleCadre {
			t.Fatalf("granting a student: %+v, %v", got, err)
		}
		if _, err := account.GrantRole(ctx, e.db, u.ID, model.RoleCadre, now); err != nil {
			t.Fatalf("granting the role it has: %v", err)
		}
		_, err = account.GrantRole(ctx, e.db, u.ID, model.RoleUniversityAdm, now)
		se := servicetest.WantErr(t, "granting a cadre another role", err, service.ErrConflict, account.CodeOneIdentity)
		if !strings.Contains(se.Message, "团学干部") || !strings.Contains(se.Message, "高校团委管理员") {
			t.Fatalf("refusal %q names neither role", se.Message)
		}
		if r := e.reload(t, u.ID).Role; r != model.RoleCadre {
			t.Fatalf("refused account's role = %q", r)
		}
		_, err = account.GrantRole(ctx, e.db, 999999, model.RoleCadre, now)
		servicetest.WantErr(t, "granting a missing account", err, service.ErrNotFound, "user_not_found")
	})
}
