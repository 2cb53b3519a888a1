package account_test

import (
	"strconv"
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

// The activation form's fields are taken up to their exported limits and
// refused one character past them, with a message on the field naming it
// and the limit.
func TestFieldLimits(t *testing.T) {
	each(t, envOpt{}, func(t *testing.T, e *env) {
		long := strings.Repeat("a", account.MaxCredential)
		if _, err := e.svc.Activate(ctx, account.ActivateInput{Entry: "gaoxiao", Mode: account.ModeNew, Account: long,
			Password: long, Confirm: long, UniversityCode: codeSYSU, Name: strings.Repeat("名", account.MaxName)}); err != nil {
			t.Fatalf("activation at the limits: %v", err)
		}
		over := strings.Repeat("b", account.MaxCredential+1)
		for _, tc := range []struct {
			name, field, label string
			limit              int
			in                 account.ActivateInput
		}{
			{"account", "account", "账号", account.MaxCredential, account.ActivateInput{Account: over, Password: "pass1234", Confirm: "pass1234"}},
			{"password", "password", "密码", account.MaxCredential, account.ActivateInput{Account: "acct0001", Password: over, Confirm: over}},
			{"name", "name", "姓名", account.MaxName, account.ActivateInput{Account: "acct0002", Password: "pass1234", Confirm: "pass1234",
				Name: strings.Repeat("名", account.MaxName+1)}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				in := tc.in
				in.Entry, in.Mode, in.UniversityCode = "gaoxiao", account.ModeNew, codeSYSU
				_, err := e.svc.Activate(ctx, in)
				se := servicetest.WantErr(t, tc.name, err, service.ErrInvalid, "")
				if m := se.Fields[tc.field]; !strings.Contains(m, tc.label) || !strings.Contains(m, strconv.Itoa(tc.limit)) {
					t.Fatalf("field %s says %q, want it to name %s and %d", tc.field, m, tc.label, tc.limit)
				}
			})
		}
	})
}
