package model

import (
	"fmt"
	"strings"

	"gorm.io/gorm"
)

// migrate0013 indexes what the board pages, the reminder sweeps, the
// overdue view and the alert recipients look up, measured at province
// volume (a million questions, half a million users):
//
//   - board pages read a board newest first from a cursor on, 20 index
//     entries at any depth, where (board_id, status) made MariaDB sort the
//     whole board: its public questions from (board_id, created_at, id,
//     status), the status checked in the index; its open ones, which may
//     be few and far apart, from (board_id, status, created_at, id), which
//     replaces (board_id, status). A walk through an answerer's open-first
//     list also looks up the questions of the board answered since the
//     walk began: (board_id, first_answered_at).
//   - "my questions" the same way by asker: (asker_id, created_at, id)
//     replaces (asker_id).
//   - the question sweeps look for open questions whose reminder or
//     overdue alert is unsent and due: (status, reminded_at, due_at) and
//     (status, overdue_at, due_at) find exactly those, where due_at alone
//     had them read every question ever due.
//   - the overdue view: (status, due_at, id, university_id) lists the
//     province's oldest first and counts them per university without
//     reading the table; (university_id, status, due_at, id) does both for
//     one university.
//   - alert recipients by role (province admins, a university's cadres
//     and admins): (role, university_id); role was not indexed at all.
//   - the booking sweeps likewise: (status, reminded_at, remind_at)
//     replaces (status, remind_at), and (status, escalated_at, due_at).
//
// On MySQL each table gets one ALTER TABLE (the indexes are built in one
// pass, online, and the statement is atomic, so an interrupted step left
// all or nothing of a table); SQLite runs the step in a transaction.
// Frozen: do not edit.
func migrate0013(tx *gorm.DB, d Dialect) error {
	type index struct{ name, cols string }
	tables := []struct {
		table string
		add   []index
		drop  []string
	}{
		{"questions", []index{
			{"idx_question_board_created", "board_id, created_at, id, status"},
			{"idx_question_board_list", "board_id, status, created_at, id"},
			{"idx_question_board_answered", "board_id, first_answered_at"},
			{"idx_question_asker_list", "asker_id, created_at, id"},
			{"idx_question_remind_sweep", "status, reminded_at, due_at"},
			{"idx_question_overdue_sweep", "status, overdue_at, due_at"},
			{"idx_question_status_due", "status, due_at, id, university_id"},
			{"idx_question_university_due", "university_id, status, due_at, id"},
		}, []string{"idx_question_board_status", "idx_questions_asker_id"}},
		{"users", []index{
			{"idx_user_role", "role, university_id"},
		}, nil},
		{"bookings", []index{
			{"idx_booking_remind_sweep", "status, reminded_at, remind_at"},
			{"idx_booking_escalate_sweep", "status, escalated_at, due_at"},
		}, []string{"idx_booking_status_remind"}},
	}
	m := tx.Migrator()
	for _, t := range tables {
		var ddl []string
		for _, ix := range t.add {
			if m.HasIndex(t.table, ix.name) {
				continue // a resumed step
			}
			if d == MySQL {
				ddl = append(ddl, "ADD INDEX "+ix.name+" ("+ix.cols+")")
			} else {
				ddl = append(ddl, "CREATE INDEX "+ix.name+" ON "+t.table+" ("+ix.cols+")")
			}
		}
		// The replaced indexes go after their replacements exist (in the
		// same statement on MySQL).
		for _, name := range t.drop {
			if m.HasIndex(t.table, name) {
				ddl = append(ddl, "DROP INDEX "+name)
			}
		}
		if len(ddl) == 0 {
			continue
		}
		stmts := ddl
		if d == MySQL {
			stmts = []string{"ALTER TABLE " + t.table + " " + strings.Join(ddl, ", ")}
		}
		for _, s := range stmts {
			if err := tx.Exec(s).Error; err != nil {
				return fmt.Errorf("%s 索引: %w", t.table, err)
			}
		}
	}
	return nil
}
