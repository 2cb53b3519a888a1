package model

import (
	"fmt"

	"gorm.io/gorm"
)

// migrate0007 indexes the bookings the reminder sweeps look for every 30
// seconds on every instance: waiting ones by reminder time, accepted ones
// by appointment time. Without them each sweep read every booking ever
// made. Frozen: do not edit.
func migrate0007(tx *gorm.DB, _ Dialect) error {
	m := tx.Migrator()
	for _, ix := range []struct{ name, cols string }{
		{"idx_booking_status_remind", "status, remind_at"},
		{"idx_booking_status_confirmed", "status, confirmed_at"},
	} {
		if m.HasIndex("bookings", ix.name) {
			continue // a resumed step
		}
		if err := tx.Exec("CREATE INDEX " + ix.name + " ON bookings (" + ix.cols + ")").Error; err != nil {
			return fmt.Errorf("bookings 索引 %s: %w", ix.name, err)
		}
	}
	return nil
}
