package model

import (
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"
)

// migrate0003 adds cadre applications, boards (one per university plus the
// provincial topic boards), questions and answers, and the outbox columns
// of template_messages. Frozen: do not edit.
func migrate0003(tx *gorm.DB, d Dialect) error {
	type CadreApplication struct {
		ID           uint64     `gorm:"primaryKey"`
		UserID       uint64     `gorm:"not null;index"`
		UniversityID uint64     `gorm:"not null;index:idx_cadre_app_uni_status,priority:1"`
		Position     string     `gorm:"size:50;not null"`
		RealName     string     `gorm:"size:50;not null"`
		Phone        string     `gorm:"size:11;not null"`
		Email        string     `gorm:"size:100;not null;default:''"`
		QQ           string     `gorm:"column:qq;size:15;not null;default:''"`
		WeChatID     string     `gorm:"column:wechat_id;size:40;not null;default:''"`
		Status       string     `gorm:"size:16;not null;index:idx_cadre_app_uni_status,priority:2"`
		Reason       string     `gorm:"size:200;not null;default:''"`
		DecidedBy    *uint64    `gorm:""`
		DecidedAt    *time.Time `gorm:""`
		CreatedAt    time.Time  `gorm:"not null"`
		UpdatedAt    time.Time  `gorm:"not null"`
	}
	type Board struct {
		ID           uint64  `gorm:"primaryKey"`
		Key          string  `gorm:"size:40;not null;uniqueIndex"`
		Name         string  `gorm:"size:120;not null"`
		Kind         string  `gorm:"size:16;not null"`
		UniversityID *uint64 `gorm:"uniqueIndex"`
		SortOrder    int     `gorm:"not null;default:0"`
		Enabled      bool    `gorm:"not null"`
	}
	type Question struct {
		ID              uint64     `gorm:"primaryKey"`
		BoardID         uint64     `gorm:"not null;index:idx_question_board_status,priority:1"`
		UniversityID    uint64     `gorm:"not null;index"`
		AskerID         uint64     `gorm:"not null;index"`
		Title           string     `gorm:"size:200;not null"`
		Body            string     `gorm:"type:text;not null"`
		Anonymous       bool       `gorm:"not null"`
		Status          string     `gorm:"size:16;not null;index:idx_question_board_status,priority:2"`
		DueAt           time.Time  `gorm:"not null;index"`
		FirstAnsweredAt *time.Time `gorm:""`
		FirstResponseS  *int64     `gorm:"column:first_response_seconds"`
		PromiseKept     *bool      `gorm:""`
		RemindedAt      *time.Time `gorm:""`
		OverdueAt       *time.Time `gorm:""`
		Rating          string     `gorm:"size:8;not null;default:''"`
		RatingComment   string     `gorm:"size:200;not null;default:''"`
		HiddenReason    string     `gorm:"size:200;not null;default:''"`
		CreatedAt       time.Time  `gorm:"not null;index"`
		UpdatedAt       time.Time  `gorm:"not null"`
	}
	type Answer struct {
		ID           uint64    `gorm:"primaryKey"`
		QuestionID   uint64    `gorm:"not null;index"`
		AuthorID     uint64    `gorm:"not null;index"`
		Kind         string    `gorm:"size:16;not null"`
		Body         string    `gorm:"type:text;not null"`
		Status       string    `gorm:"size:16;not null"`
		HiddenReason string    `gorm:"size:200;not null;default:''"`
		CreatedAt    time.Time `gorm:"not null"`
		UpdatedAt    time.Time `gorm:"not null"`
	}
	type TemplateMessage struct {
		ClaimedBy    string     `gorm:"size:64;not null;default:''"`
		ClaimedUntil *time.Time `gorm:""`
		ConfigError  bool       `gorm:"not null;default:false"`
	}
	if err := createTables(tx, &CadreApplication{}, &Board{}, &Question{}, &Answer{}); err != nil {
		return err
	}
	for _, col := range []string{"ClaimedBy", "ClaimedUntil", "ConfigError"} {
		m := tx.Table("template_messages").Migrator()
		if m.HasColumn(&TemplateMessage{}, col) {
			continue // a resumed step (see createTables)
		}
		if err := m.AddColumn(&TemplateMessage{}, col); err != nil {
			return fmt.Errorf("template_messages.%s: %w", col, err)
		}
	}
	if d == MySQL && !tx.Migrator().HasIndex("questions", "ft_questions_title_body") {
		// MySQL 8 tokenises Chinese with the ngram parser; MariaDB has no
		// ngram parser, so it gets a plain FULLTEXT index and search there
		// falls back to LIKE for CJK words.
		var version string
		if err := tx.Raw("SELECT VERSION()").Scan(&version).Error; err != nil {
			return err
		}
		ddl := "ALTER TABLE questions ADD FULLTEXT INDEX ft_questions_title_body (title, body)"
		if !strings.Contains(strings.ToLower(version), "mariadb") {
			ddl += " WITH PARSER ngram"
		}
		if err := tx.Exec(ddl).Error; err != nil {
			return fmt.Errorf("全文索引: %w", err)
		}
	}
	// Provincial topic boards, then one board per university.
	topics := []string{"学业发展", "就业创业", "心理健康", "权益维护", "社会实践", "其他"}
	for i, name := range topics {
		if err := tx.Exec(insertIgnore(d)+" INTO boards (`key`, name, kind, sort_order, enabled) VALUES (?, ?, 'province', ?, ?)",
			fmt.Sprintf("province-%d", i+1), name, i+1, true).Error; err != nil {
			return err
		}
	}
	key, name := "CONCAT('u-', code)", "CONCAT(name, '版区')"
	if d == SQLite {
		key, name = "'u-' || code", "name || '版区'"
	}
	return tx.Exec(insertIgnore(d)+" INTO boards (`key`, name, kind, university_id, sort_order, enabled) SELECT "+
		key+", "+name+", 'university', id, 100, ? FROM universities", true).Error
}
