package question_test

import (
	"context"
	"testing"
	"time"

	"github.com/gdyouth/youthvoice/model"
	"github.com/gdyouth/youthvoice/model/dbtest"
	"github.com/gdyouth/youthvoice/service/alertkind"
	"github.com/gdyouth/youthvoice/service/servicetest"
)

// The overdue alert reaches the university's liaison (联络专员) too, when
// the liaison's account is linked, besides its admin and the province.
func TestOverdueReachesTheLiaison(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *model.DB) {
		f := setup(t, db)
		ctx := context.Background()
		teacher := servicetest.NewUser(t, db, model.RoleCadre, &f.uniA.ID, true)
		l := model.Liaison{UniversityID: f.uniA.ID, RealName: "李联络", Position: "校团委副书记", Phone: "13912345678",
			UserID: &teacher.ID, UpdatedBy: f.adminA.ID, UpdatedAt: time.Now().UTC()}
		if err := db.Conn(ctx).Create(&l).Error; err != nil {
			t.Fatal(err)
		}
		f.ask(t, f.studentA, "", "宿舍什么时候通热水", "", false)
		f.clk.Advance(24*time.Hour + 2*time.Second)
		if _, o, err := f.svc.Sweep(ctx); err != nil || o != 1 {
			t.Fatalf("sweep: %d overdue, %v", o, err)
		}
		servicetest.WantRecipients(t, "overdue", servicetest.Alerts(t, db, alertkind.Overdue), f.adminA, teacher, f.province, f.province2)
	})
}
