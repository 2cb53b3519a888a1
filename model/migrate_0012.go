package model

import (
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
	"gorm.io/gorm"
)

// migrate0012 gives question search a full-text index on every backend
// and fills it with the published questions (open, answered, resolved):
//
//   - MariaDB: question_search, a Mroonga table (TokenBigram, so any two
//     adjacent Chinese characters are a term; NormalizerAuto folds case
//     and full-width forms). Mroonga is not transactional, so it holds a
//     copy of the searchable columns, not the questions themselves. The
//     InnoDB FULLTEXT index of step 3, useless without a CJK parser, is
//     dropped: every question written paid for it.
//   - MySQL 8: nothing; step 3 gave questions a FULLTEXT ngram index.
//   - SQLite: question_search, an FTS5 table of the text cut into terms
//     the way TokenBigram cuts it (fts0012Tokens), so that both backends
//     find the same questions. FTS5's trigram tokenizer would miss the
//     two-character words most Chinese searches are.
//
// On MariaDB without the Mroonga plugin the step fails and says how to
// enable it. Frozen: do not edit.
func migrate0012(tx *gorm.DB, d Dialect) error {
	public := []string{"open", "answered", "resolved"}
	if d == SQLite {
		if err := tx.Exec("CREATE VIRTUAL TABLE IF NOT EXISTS question_search USING fts5(" +
			"title, body, board_id UNINDEXED, created_at UNINDEXED, tokenize = 'ascii')").Error; err != nil {
			return fmt.Errorf("question_search: %w", err)
		}
		// Emptied first: a step run again (its record deleted by hand)
		// rebuilds the index rather than failing on rows it holds.
		if err := tx.Exec("DELETE FROM question_search").Error; err != nil {
			return fmt.Errorf("question_search: %w", err)
		}
		type row struct {
			ID        uint64
			BoardID   uint64
			Title     string
			Body      string
			CreatedAt time.Time
		}
		return fts0012Batches(func(after uint64) (uint64, error) {
			var rows []row
			if err := tx.Raw("SELECT id, board_id, title, body, created_at FROM questions WHERE id > ? AND status IN ? ORDER BY id LIMIT 500",
				after, public).Scan(&rows).Error; err != nil {
				return 0, err
			}
			for _, r := range rows {
				if err := tx.Exec("INSERT INTO question_search (rowid, title, body, board_id, created_at) VALUES (?, ?, ?, ?, ?)",
					r.ID, strings.Join(fts0012Tokens(r.Title), " "), strings.Join(fts0012Tokens(r.Body), " "),
					r.BoardID, r.CreatedAt.Unix()).Error; err != nil {
					return 0, err
				}
				after = r.ID
			}
			if len(rows) == 0 {
				return 0, nil
			}
			return after, nil
		})
	}

	var version string
	if err := tx.Raw("SELECT VERSION()").Scan(&version).Error; err != nil {
		return err
	}
	if !strings.Contains(strings.ToLower(version), "mariadb") {
		return nil // MySQL 8: the ngram index of step 3
	}
	var support string
	if err := tx.Raw("SELECT SUPPORT FROM information_schema.ENGINES WHERE ENGINE = 'Mroonga'").Scan(&support).Error; err != nil {
		return err
	}
	if err := fts0012RequireMroonga(support); err != nil {
		return err
	}
	// The full-text index comes after the rows: Groonga builds it over a
	// filled table about ten times faster than row by row (a million
	// questions: a minute instead of ten).
	if err := tx.Exec("CREATE TABLE IF NOT EXISTS question_search (" +
		"question_id BIGINT UNSIGNED NOT NULL PRIMARY KEY, " +
		"board_id BIGINT UNSIGNED NOT NULL, " +
		"created_at DATETIME NOT NULL, " +
		"title VARCHAR(200) NOT NULL, " +
		"body TEXT NOT NULL, " +
		"KEY idx_question_search_board (board_id)" +
		") ENGINE=Mroonga DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci").Error; err != nil {
		return fmt.Errorf("question_search: %w", err)
	}
	if tx.Migrator().HasIndex("questions", "ft_questions_title_body") {
		if err := tx.Exec("ALTER TABLE questions DROP INDEX ft_questions_title_body").Error; err != nil {
			return fmt.Errorf("questions 全文索引 ft_questions_title_body: %w", err)
		}
	}
	// By ranges of ids, so that no statement holds the questions for long.
	// INSERT IGNORE: a resumed step passes over the rows it copied.
	var last uint64
	if err := tx.Raw("SELECT COALESCE(MAX(id), 0) FROM questions").Scan(&last).Error; err != nil {
		return err
	}
	const batch = 5000
	for from := uint64(0); from < last; from += batch {
		if err := tx.Exec("INSERT IGNORE INTO question_search (question_id, board_id, created_at, title, body) "+
			"SELECT id, board_id, created_at, title, body FROM questions WHERE id > ? AND id <= ? AND status IN ?",
			from, from+batch, public).Error; err != nil {
			return fmt.Errorf("question_search 填充: %w", err)
		}
	}
	if !tx.Migrator().HasIndex("question_search", "ft_question_search") {
		if err := tx.Exec("ALTER TABLE question_search ADD FULLTEXT INDEX ft_question_search (title, body) " +
			`COMMENT 'tokenizer "TokenBigram", normalizer "NormalizerAuto"'`).Error; err != nil {
			return fmt.Errorf("question_search 全文索引: %w", err)
		}
	}
	return nil
}

// fts0012RequireMroonga: support is the engine's SUPPORT column in
// information_schema.ENGINES ("" when the plugin is not installed).
func fts0012RequireMroonga(support string) error {
	if support == "YES" || support == "DEFAULT" {
		return nil
	}
	return fmt.Errorf("MariaDB 未启用 Mroonga 全文检索引擎，问题搜索需要它：" +
		"请在数据库服务器上安装插件（Debian/Ubuntu：apt-get install mariadb-plugin-mroonga），" +
		"再以数据库管理员执行 INSTALL SONAME 'ha_mroonga'; 然后重新启动本程序")
}

// fts0012Batches calls next with the last id done until it returns 0.
func fts0012Batches(next func(after uint64) (uint64, error)) error {
	var after uint64
	for {
		n, err := next(after)
		if err != nil || n == 0 {
			return err
		}
		after = n
	}
}

// Character classes of TokenBigram (Groonga's bigram tokenizer), which the
// SQLite index imitates so that both backends find the same questions.
const (
	fts0012Blank  = iota // white space: ends a term, takes no position
	fts0012Alpha         // a run of letters of alphabetic scripts is one term
	fts0012Digit         // a run of digits is one term
	fts0012Symbol        // a run of punctuation and symbols is one term
	fts0012Ngram         // anything else (Chinese, kana, Hangul) is cut into bigrams
)

// fts0012SymbolTerm stands for a run of punctuation or symbols in the SQLite
// index: it takes a position, as in Mroonga, so that no phrase matches
// across it; FTS5's ascii tokenizer would otherwise drop it. No query
// contains it.
const fts0012SymbolTerm = "\ue000"

// fts0012Normalize folds full-width forms and compatibility characters
// (NFKC) and the case of Latin letters, as NormalizerAuto does (Groonga
// 7 leaves Greek and Cyrillic capitals as they are).
func fts0012Normalize(s string) string {
	return strings.Map(func(r rune) rune {
		if r < utf8.RuneSelf || unicode.Is(unicode.Latin, r) {
			return unicode.ToLower(r)
		}
		return r
	}, norm.NFKC.String(s))
}

func fts0012Class(r rune) int {
	switch {
	case unicode.IsSpace(r) || unicode.IsControl(r):
		return fts0012Blank
	case unicode.IsDigit(r):
		return fts0012Digit
	case unicode.IsLetter(r) && (unicode.In(r, unicode.Latin, unicode.Greek, unicode.Cyrillic, unicode.Armenian)):
		return fts0012Alpha
	case unicode.IsPunct(r) || unicode.IsSymbol(r):
		return fts0012Symbol
	}
	return fts0012Ngram
}

// fts0012Tokens cuts text into the terms TokenBigram indexes: each run of
// letters, of digits or of symbols is one term; every other character
// starts a term with the character after it (a bigram), or alone at the
// end of its run. "考CET4英语四级" is 考 cet 4 英语 语四 四级 级.
func fts0012Tokens(text string) []string {
	rs := []rune(fts0012Normalize(text))
	var out []string
	for i := 0; i < len(rs); {
		switch c := fts0012Class(rs[i]); c {
		case fts0012Blank:
			i++
		case fts0012Alpha, fts0012Digit, fts0012Symbol:
			j := i + 1
			for j < len(rs) && fts0012Class(rs[j]) == c {
				j++
			}
			if c == fts0012Symbol {
				out = append(out, fts0012SymbolTerm)
			} else {
				out = append(out, string(rs[i:j]))
			}
			i = j
		default:
			if i+1 < len(rs) && fts0012Class(rs[i+1]) == fts0012Ngram {
				out = append(out, string(rs[i:i+2]))
			} else {
				out = append(out, string(rs[i]))
			}
			i++
		}
	}
	return out
}
