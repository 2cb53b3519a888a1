package station

import (
	"context"
	"testing"

	"github.com/gdyouth/youthvoice/service/clock"
	"github.com/gdyouth/youthvoice/service/servicetest"
)

// BenchmarkProvince times the booking sweeps and the escalation
// recipients on a database at province volume, named by
// YV_BENCH_PROVINCE_DSN (see the question package's). Skipped without it.
func BenchmarkProvince(b *testing.B) {
	ctx := context.Background()
	db := servicetest.ProvinceDB(b)
	svc, err := New(db, clock.Real{}, servicetest.Notifier(b, db, clock.Real{}), servicetest.DiscardLog(), servicetest.Workdays(b), 0)
	if err != nil {
		b.Fatal(err)
	}
	var uni uint64
	if err := db.Conn(ctx).Raw("SELECT university_id FROM bookings GROUP BY university_id ORDER BY COUNT(*) DESC LIMIT 1").Scan(&uni).Error; err != nil {
		b.Fatal(err)
	}
	b.Run("sweep-nothing-due", func(b *testing.B) {
		svc.Sweep(ctx) // whatever is due now
		for b.Loop() {
			if _, err := svc.Sweep(ctx); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("recipients/university-admins", func(b *testing.B) {
		for b.Loop() {
			if _, err := svc.universityAdmins(ctx, uni); err != nil {
				b.Fatal(err)
			}
		}
	})
}
