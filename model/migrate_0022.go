package model

import (
	"fmt"
	"time"

	"gorm.io/gorm"
)

// migrate0022 adds 同问 on questions and 有用 on answers (issue 23):
//
//   - question_metoos: who said 同问 to which question; the primary key
//     (question_id, user_id) makes a double tap one; (user_id, created_at)
//     lists a person's.
//   - answer_helpfuls: who found which answer 有用, the same way.
//   - questions.metoo_count and answers.helpful_count: the counts, kept in
//     the transaction that adds or removes a row, so lists never count.
//     ADD COLUMN with a default is instant on MariaDB (a million
//     questions at province scale).
//   - (board_id, metoo_count, id, status) reads a board's questions most
//     同问 first from a cursor on, the status checked in the index, as
//     idx_question_board_created does newest first.
//
// Frozen: do not edit.
func migrate0022(tx *gorm.DB, d Dialect) error {
	type QuestionMetoo struct {
		QuestionID uint64    `gorm:"primaryKey;autoIncrement:false"`
		UserID     uint64    `gorm:"primaryKey;autoIncrement:false;index:idx_question_metoo_user,priority:1"`
		CreatedAt  time.Time `gorm:"not null;index:idx_question_metoo_user,priority:2"`
	}
	type AnswerHelpful struct {
		AnswerID  uint64    `gorm:"primaryKey;autoIncrement:false"`
		UserID    uint64    `gorm:"primaryKey;autoIncrement:false;index:idx_answer_helpful_user,priority:1"`
		CreatedAt time.Time `gorm:"not null;index:idx_answer_helpful_user,priority:2"`
	}
	if err := createTables(tx, &QuestionMetoo{}, &AnswerHelpful{}); err != nil {
		return fmt.Errorf("question_metoos, answer_helpfuls: %w", err)
	}
	tx = tx.Session(&gorm.Session{NewDB: true})
	m := tx.Migrator()
	for _, c := range []struct{ table, col string }{{"questions", "metoo_count"}, {"answers", "helpful_count"}} {
		if m.HasColumn(c.table, c.col) {
			continue // a resumed step
		}
		if err := tx.Exec("ALTER TABLE " + c.table + " ADD COLUMN " + c.col + " INT NOT NULL DEFAULT 0").Error; err != nil {
			return fmt.Errorf("%s.%s: %w", c.table, c.col, err)
		}
	}
	if !m.HasIndex("questions", "idx_question_board_metoo") {
		if err := tx.Exec("CREATE INDEX idx_question_board_metoo ON questions (board_id, metoo_count, id, status)").Error; err != nil {
			return fmt.Errorf("questions 索引: %w", err)
		}
	}
	return nil
}
