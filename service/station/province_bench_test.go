package station

import (
	"context"
	"io"
	"log/slog"
	"os"
	"testing"

	"github.com/gdyouth/youthvoice/config"
	"github.com/gdyouth/youthvoice/model"
	"github.com/gdyouth/youthvoice/service/alert"
	"github.com/gdyouth/youthvoice/service/clock"
	"github.com/gdyouth/youthvoice/service/notify"
)

// BenchmarkProvince times the booking sweeps and the escalation
// recipients on a database at province volume, named by
// YV_BENCH_PROVINCE_DSN (see the question package's). Skipped without it.
func BenchmarkProvince(b *testing.B) {
	dsn := os.Getenv("YV_BENCH_PROVINCE_DSN")
	if dsn == "" {
		b.Skip("YV_BENCH_PROVINCE_DSN not set")
	}
	ctx := context.Background()
	db, err := model.OpenMySQL(ctx, dsn)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	outbox, err := alert.NewOutbox(db, clock.Real{})
	if err != nil {
		b.Fatal(err)
	}
	n, err := notify.New(outbox, notify.FromConfig(config.Default().Alerts.Templates, true), "https://yv.example.org")
	if err != nil {
		b.Fatal(err)
	}
	svc, err := New(db, clock.Real{}, n, slog.New(slog.NewTextHandler(io.Discard, nil)), 0)
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
