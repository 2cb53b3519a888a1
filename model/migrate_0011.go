package model

import (
	"fmt"
	"time"

	"gorm.io/gorm"
)

// migrate0011 adds the reports heartbeat: one row whose time an instance
// rewrites on the primary every few seconds. Read on a read replica, it
// is the time up to which the replica has applied the primary's changes
// (数据截至 on the statistics page), whatever the replication's own
// counters say. Frozen: do not edit.
func migrate0011(tx *gorm.DB, d Dialect) error {
	type ReportHeartbeat struct {
		ID     uint8     `gorm:"primaryKey;autoIncrement:false"`
		BeatAt time.Time `gorm:"not null"`
	}
	if err := createTables(tx, &ReportHeartbeat{}); err != nil {
		return fmt.Errorf("report_heartbeats: %w", err)
	}
	// The epoch: older than any replica lag, so a replica counts as fresh
	// only once a real beat has reached it.
	if err := tx.Exec(insertIgnore(d)+" INTO report_heartbeats (id, beat_at) VALUES (1, ?)", time.Unix(0, 0).UTC()).Error; err != nil {
		return fmt.Errorf("report_heartbeats 初始行: %w", err)
	}
	return nil
}
