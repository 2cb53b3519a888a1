package station_test

import (
	"testing"

	"github.com/gdyouth/youthvoice/model"
	"github.com/gdyouth/youthvoice/model/dbtest"
	"github.com/gdyouth/youthvoice/service/servicetest"
	"github.com/gdyouth/youthvoice/service/station"
)

// The station form lists every problem at once: a blank name, an
// unknown service, a bad slot length and a bad capacity come back
// together, each at its field and all in the message.
func TestSaveProfileListsEveryProblem(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *model.DB) {
		f := bare(t, db)
		_, err := f.svc.SaveProfile(f.ctx, f.adminA, f.uniA.ID, station.Profile{
			Name: "  ", Services: []string{"占卜"}, SlotMinutes: 5, SlotCapacity: 500,
		})
		servicetest.WantFieldError(t, "save", err, "name", "请填写站点名称")
		servicetest.WantFieldError(t, "save", err, "services", "未知的服务项目：占卜")
		servicetest.WantFieldError(t, "save", err, "slot_minutes", "15–240 分钟")
		servicetest.WantFieldError(t, "save", err, "slot_capacity", "0–100")
		if got := servicetest.Code(err); got != "invalid_input" {
			t.Fatalf("code %q, want invalid_input", got)
		}
		// One problem keeps its own code.
		p := fullProfile("青年之家甲站")
		p.SlotMinutes = 5
		_, err = f.svc.SaveProfile(f.ctx, f.adminA, f.uniA.ID, p)
		if got := servicetest.Code(err); got != "bad_slot" {
			t.Fatalf("one problem: code %q, want bad_slot", got)
		}
	})
}
