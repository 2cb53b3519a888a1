package privacy_test

import (
	"testing"
	"time"

	"github.com/gdyouth/youthvoice/model"
	"github.com/gdyouth/youthvoice/service/clock"
	"github.com/gdyouth/youthvoice/service/servicetest"
)

// With the roll-ups running, 注销 renames the person's pushes day by day
// (the days come from stats_openid_days, never a scan of the log): the
// rolled-up days and the days since the last roll-up pass end under the
// pseudonym; a classmate's pushes on the same days stay theirs.
func TestCloseRenamesTheLogByDay(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		stu := servicetest.NewNamedUser(t, e.db, model.RoleStudent, &e.uni, true, "王小明")
		other := servicetest.NewNamedUser(t, e.db, model.RoleStudent, &e.uni, true, "李小红")
		openid, otherID := servicetest.OpenID(stu), servicetest.OpenID(other)
		now := e.clk.Now().UTC()
		day := func(t time.Time) int {
			b := t.In(clock.Beijing)
			return b.Year()*10000 + int(b.Month())*100 + b.Day()
		}
		scanned := now.Add(-time.Hour)
		e.create(t, &model.StatsState{Name: "scanned", TimeAt: &scanned})
		for _, ago := range []int{30, 10} {
			at := now.AddDate(0, 0, -ago)
			e.create(t, &model.Interaction{OpenID: openid, MsgType: "text", Content: "你好", SentAt: at, CreatedAt: at})
			e.create(t, &model.Interaction{OpenID: otherID, MsgType: "text", Content: "你好", SentAt: at, CreatedAt: at})
			e.create(t, &model.StatsOpenIDDay{OpenID: openid, Day: day(at), N: 1})
		}
		// Since the last pass: not rolled up yet.
		e.create(t, &model.Interaction{OpenID: openid, MsgType: "text", Content: "在吗", SentAt: now, CreatedAt: now})

		if err := e.svc.Close(ctx, stu, "注销"); err != nil {
			t.Fatal(err)
		}
		pseudonym := *servicetest.Reload(t, e.db, stu.ID).OpenID
		if n := e.count(t, &model.Interaction{}, "openid = ?", openid); n != 0 {
			t.Fatalf("%d pushes keep the openid", n)
		}
		if n := e.count(t, &model.Interaction{}, "openid = ?", pseudonym); n != 3 {
			t.Fatalf("%d pushes under the pseudonym, want 3", n)
		}
		if n := e.count(t, &model.Interaction{}, "openid = ?", otherID); n != 2 {
			t.Fatalf("the classmate's pushes changed: %d", n)
		}
		if n := e.count(t, &model.StatsOpenIDDay{}, "openid = ?", pseudonym); n != 2 {
			t.Fatalf("%d roll-up days under the pseudonym, want 2", n)
		}
	})
}
