package question

import (
	"context"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/gdyouth/youthvoice/model"
)

// statusChanged keeps the university's count of open questions
// (question_open_counts) in step with a question that went from one
// status to another. Call it in the transaction of the change, after the
// claimed UPDATE: the count is then exact in every snapshot, which is
// what lets the province's overdue view read it instead of counting.
func (s *Service) statusChanged(ctx context.Context, university uint64, from, to string) error {
	var delta int64
	switch {
	case from != model.QuestionOpen && to == model.QuestionOpen:
		delta = 1
	case from == model.QuestionOpen && to != model.QuestionOpen:
		delta = -1
	default:
		return nil
	}
	return s.db.Conn(ctx).Clauses(clause.OnConflict{
		Columns:   []clause.Column{{Name: "university_id"}},
		DoUpdates: clause.Assignments(map[string]any{"open_count": gorm.Expr("open_count + ?", delta)}),
	}).Create(&model.QuestionOpenCount{UniversityID: university, OpenCount: delta}).Error
}

// RecountOpen rebuilds the open-question counts from the questions: after
// a bulk load that bypassed the service (scalebench), or to repair
// (youthvoice stats-rebuild). On MariaDB/MySQL the INSERT … SELECT reads
// the questions with shared locks, so a status change running at the same
// time waits and is counted exactly once.
func RecountOpen(ctx context.Context, db *model.DB) error {
	return db.WithTx(ctx, func(ctx context.Context) error {
		if err := db.Conn(ctx).Exec("DELETE FROM question_open_counts").Error; err != nil {
			return err
		}
		return db.Conn(ctx).Exec(`INSERT INTO question_open_counts (university_id, open_count)
SELECT university_id, COUNT(*) FROM questions WHERE status = ? GROUP BY university_id`, model.QuestionOpen).Error
	})
}
