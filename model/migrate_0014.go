package model

import (
	"fmt"

	"gorm.io/gorm"
)

// migrate0014 adds the open-question counter per university and fills it
// from the questions as they are. From here on the question service keeps
// it in the same transaction as each status change. Run it with the
// service stopped (as every migration): a question answered between the
// count and the first write of the new version would be missed until the
// next `youthvoice stats-rebuild`. Frozen: do not edit.
func migrate0014(tx *gorm.DB, _ Dialect) error {
	type QuestionOpenCount struct {
		UniversityID uint64 `gorm:"primaryKey;autoIncrement:false"`
		OpenCount    int64  `gorm:"not null;default:0"`
	}
	if err := createTables(tx, &QuestionOpenCount{}); err != nil {
		return fmt.Errorf("question_open_counts: %w", err)
	}
	if err := tx.Exec("DELETE FROM question_open_counts").Error; err != nil {
		return fmt.Errorf("question_open_counts: %w", err)
	}
	if err := tx.Exec(`INSERT INTO question_open_counts (university_id, open_count)
SELECT university_id, COUNT(*) FROM questions WHERE status = 'open' GROUP BY university_id`).Error; err != nil {
		return fmt.Errorf("question_open_counts 初始计数: %w", err)
	}
	return nil
}
