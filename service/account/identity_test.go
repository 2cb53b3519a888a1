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

// The bootstrap of a province admin promotes an existing account and
// keeps the roles it has: a station admin stays one. Running it again
// changes nothing.
func TestProvinceAdminKeepsOtherRoles(t *testing.T) {
	each(t, envOpt{}, func(t *testing.T, e *env) {
		lead := e.newUser(t, "lead001", "pass1234", "")
		if _, err := account.GrantRole(ctx, e.db, lead.ID, model.RoleStationAdmin, e.clk.Now()); err != nil {
			t.Fatal(err)
		}
		for range 2 {
			u, err := e.svc.CreateProvinceAdmin(ctx, "lead001", "pass1234", "")
			if err != nil || u.ID != lead.ID {
				t.Fatalf("promoting a station admin: %+v, %v", u, err)
			}
		}
		got := e.reload(t, lead.ID)
		if !got.Has(model.RoleProvinceAdmin) || !got.Has(model.RoleStationAdmin) || got.Role != model.RoleProvinceAdmin {
			t.Fatalf("promoted station admin: role %q, roles %b; want province admin and still station admin", got.Role, got.Roles)
		}
	})
}

// GrantRole and RevokeRole: an account collects roles (a student leader
// is a cadre and a university admin at once), shown by its highest;
// granting a role it has and revoking one it lacks change nothing;
// revoking one leaves the others.
func TestGrantAndRevokeRoles(t *testing.T) {
	each(t, envOpt{}, func(t *testing.T, e *env) {
		u := e.newUser(t, "grant01", "pass1234", "")
		now := e.clk.Now().UTC()
		steps := []struct {
			name        string
			grant       bool
			role        string
			wantPrimary string
			wantNames   string
		}{
			{"cadre", true, model.RoleCadre, model.RoleCadre, "团学干部"},
			{"cadre again", true, model.RoleCadre, model.RoleCadre, "团学干部"},
			{"also university admin", true, model.RoleUniversityAdm, model.RoleUniversityAdm, "高校团委管理员、团学干部"},
			{"also station admin", true, model.RoleStationAdmin, model.RoleUniversityAdm, "高校团委管理员、站点管理员、团学干部"},
			{"no longer a cadre", false, model.RoleCadre, model.RoleUniversityAdm, "高校团委管理员、站点管理员"},
			{"revoking a role it lacks", false, model.RoleCadre, model.RoleUniversityAdm, "高校团委管理员、站点管理员"},
			{"no longer an admin", false, model.RoleUniversityAdm, model.RoleStationAdmin, "站点管理员"},
			{"student again", false, model.RoleStationAdmin, model.RoleStudent, "青年学生"},
		}
		for _, st := range steps {
			t.Run(st.name, func(t *testing.T) {
				op := account.RevokeRole
				if st.grant {
					op = account.GrantRole
				}
				got, err := op(ctx, e.db, u.ID, st.role, now)
				if err != nil {
					t.Fatal(err)
				}
				stored := e.reload(t, u.ID)
				for _, v := range []model.User{got, stored} {
					if v.Role != st.wantPrimary || v.RoleNames() != st.wantNames {
						t.Fatalf("role %q (%s), want %q (%s)", v.Role, v.RoleNames(), st.wantPrimary, st.wantNames)
					}
				}
			})
		}
		_, err := account.GrantRole(ctx, e.db, 999999, model.RoleCadre, now)
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
