package cadre_test

import (
	"context"
	"testing"

	"github.com/gdyouth/youthvoice/model"
	"github.com/gdyouth/youthvoice/model/dbtest"
	"github.com/gdyouth/youthvoice/service"
	"github.com/gdyouth/youthvoice/service/cadre"
	"github.com/gdyouth/youthvoice/service/servicetest"
)

var goodLiaison = cadre.LiaisonInput{RealName: "李联络", Position: "校团委副书记", Phone: "13912345678", Email: "ll@example.edu.cn"}

// Each university's admin names its liaison (the province any); the
// province's directory lists all 166 with the missing ones first, a
// university admin sees only their own, and nobody else any.
func TestLiaisons(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *model.DB) {
		f := setup(t, db)
		ctx := context.Background()

		bad := goodLiaison
		bad.Phone, bad.RealName, bad.Email = "12345", "李", "not-an-email"
		_, err := f.svc.SetLiaison(ctx, f.adminA, f.uniA, bad)
		se := servicetest.WantErr(t, "bad input", err, service.ErrInvalid, "invalid_liaison")
		if se.Fields["phone"] == "" || se.Fields["real_name"] == "" || se.Fields["email"] == "" {
			t.Fatalf("field errors %v", se.Fields)
		}
		_, err = f.svc.SetLiaison(ctx, f.adminB, f.uniA, goodLiaison)
		servicetest.WantErr(t, "another university's admin", err, service.ErrForbidden, "")
		_, err = f.svc.SetLiaison(ctx, f.student, f.uniA, goodLiaison)
		servicetest.WantErr(t, "a student", err, service.ErrForbidden, "")

		// Linked to an account of another university: refused.
		other := goodLiaison
		other.Account = f.adminB.Account
		_, err = f.svc.SetLiaison(ctx, f.adminA, f.uniA, other)
		servicetest.WantErr(t, "another university's account", err, service.ErrInvalid, "other_university")

		teacher := servicetest.NewUser(t, db, model.RoleCadre, &f.uniA, true)
		in := goodLiaison
		in.Account = teacher.Account
		l, err := f.svc.SetLiaison(ctx, f.adminA, f.uniA, in)
		if err != nil || l.UserID == nil || *l.UserID != teacher.ID {
			t.Fatalf("set by the university's admin: %+v, %v", l, err)
		}
		// Renamed by the province, without an account this time.
		in2 := goodLiaison
		in2.RealName = "王联络"
		if _, err := f.svc.SetLiaison(ctx, f.province, f.uniA, in2); err != nil {
			t.Fatal(err)
		}
		if users, err := db.LiaisonUsers(ctx, f.uniA); err != nil || len(users) != 0 {
			t.Fatalf("liaison accounts after unlinking: %v, %v", users, err)
		}
		in2.Account = teacher.Account
		if _, err := f.svc.SetLiaison(ctx, f.province, f.uniA, in2); err != nil {
			t.Fatal(err)
		}
		if users, err := db.LiaisonUsers(ctx, f.uniA); err != nil || len(users) != 1 || users[0].ID != teacher.ID {
			t.Fatalf("liaison accounts: %v, %v", users, err)
		}

		all, err := f.svc.Liaisons(ctx, f.province)
		if err != nil || len(all) != 166 {
			t.Fatalf("directory: %d entries, %v", len(all), err)
		}
		last := all[len(all)-1]
		if all[0].Liaison != nil || last.University.ID != f.uniA || last.Liaison == nil || last.Liaison.RealName != "王联络" || last.Account != teacher.Account {
			t.Fatalf("directory: first %+v, last %+v; want the missing first and 甲校 last with its liaison", all[0], last)
		}
		own, err := f.svc.Liaisons(ctx, f.adminB)
		if err != nil || len(own) != 1 || own[0].University.ID != f.uniB || own[0].Liaison != nil {
			t.Fatalf("university B's admin sees %+v, %v", own, err)
		}
		_, err = f.svc.Liaisons(ctx, f.student)
		servicetest.WantErr(t, "a student's directory", err, service.ErrForbidden, "")
	})
}
