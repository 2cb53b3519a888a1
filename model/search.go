package model

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"

	"gorm.io/gorm"
)

// Question search. The index holds the published questions only: a
// question enters it when it is published (asked without sensitive words,
// approved, restored) and leaves it when it is hidden, so the statuses
// in between (open, answered, resolved) need no index writes. The engine
// depends on the backend (see migrate0012):
//
//   - MariaDB: the Mroonga table question_search. Mroonga is not
//     transactional: a write there stays even when the transaction that
//     made it rolls back, and it is seen before that transaction commits.
//     So the index is a list of candidates, and callers must check each
//     question's status in the questions table before showing it.
//   - MySQL 8: the FULLTEXT ngram index of the questions table itself.
//   - SQLite: the FTS5 table question_search, written in the caller's
//     transaction.

// The SQLite index holds terms as migration 12 cut them, and queries must
// be cut the same way. Another format needs a migration that rebuilds it.
var (
	ftsNormalize = fts0012Normalize
	ftsClass     = fts0012Class
	ftsTokens    = fts0012Tokens
)

type searchEngine int32

const (
	engineUnknown searchEngine = iota
	engineFTS5                 // SQLite
	engineMroonga              // MariaDB
	engineNgram                // MySQL 8
)

// searchEngine tells MariaDB from MySQL 8 once, on first use.
func (d *DB) searchEngine(ctx context.Context) (searchEngine, error) {
	if d.dialect == SQLite {
		return engineFTS5, nil
	}
	if e := searchEngine(d.engine.Load()); e != engineUnknown {
		return e, nil
	}
	var version string
	if err := d.Conn(ctx).Raw("SELECT VERSION()").Scan(&version).Error; err != nil {
		return engineUnknown, fmt.Errorf("读取数据库版本: %w", err)
	}
	e := engineNgram
	if strings.Contains(strings.ToLower(version), "mariadb") {
		e = engineMroonga
	}
	d.engine.Store(int32(e))
	return e, nil
}

// SearchPieces cuts a query into the pieces a search looks for: runs of
// letters and digits, folded as the index folds text (full-width forms,
// case). Spaces, punctuation and symbols separate pieces and are not
// searched. "CET-4，奖学金" gives cet, 4 and 奖学金.
func SearchPieces(query string) []string {
	var out []string
	var cur []rune
	flush := func() {
		if len(cur) > 0 {
			out = append(out, string(cur))
			cur = cur[:0]
		}
	}
	for _, r := range ftsNormalize(query) {
		if c := ftsClass(r); (c == fts0012Alpha || c == fts0012Digit || c == fts0012Ngram) &&
			(unicode.IsLetter(r) || unicode.IsDigit(r)) {
			cur = append(cur, r)
			continue
		}
		flush()
	}
	flush()
	return out
}

// QuestionSearch is a search of the published questions.
type QuestionSearch struct {
	// Pieces must come from SearchPieces, each of two characters or
	// more; a question matches when it holds every piece in its title or
	// its body. Chinese matches anywhere ("学金" finds 奖学金); a run of
	// letters or of digits matches whole ("cet" finds CET4, "ce" does
	// not).
	Pieces []string
	// BoardID limits the search to one board; 0 searches them all.
	BoardID uint64
	// Statuses are the published statuses (MySQL 8 reads the questions
	// table, where the others are too).
	Statuses      []string
	Offset, Limit int
}

// SearchQuestions returns the ids of the questions found, the most
// relevant first, then the newest. On MariaDB some may no longer be
// published (see the top of this file): check before showing them.
func (d *DB) SearchQuestions(ctx context.Context, s QuestionSearch) ([]uint64, error) {
	if len(s.Pieces) == 0 || s.Limit <= 0 {
		return nil, nil
	}
	for _, p := range s.Pieces {
		if len([]rune(p)) < 2 || len(SearchPieces(p)) != 1 || SearchPieces(p)[0] != p {
			return nil, fmt.Errorf("搜索词 %q 不是 SearchPieces 给出的两个字以上的片段", p)
		}
	}
	e, err := d.searchEngine(ctx)
	if err != nil {
		return nil, err
	}
	var ids []uint64
	switch e {
	case engineFTS5:
		phrases := make([]string, len(s.Pieces))
		for i, p := range s.Pieces {
			phrases[i] = ftsPhrase(p)
		}
		q := d.Conn(ctx).Table("question_search").Where("question_search MATCH ?", strings.Join(phrases, " AND "))
		if s.BoardID != 0 {
			q = q.Where("board_id = ?", s.BoardID)
		}
		err = q.Order("bm25(question_search)").Order("created_at DESC").Order("rowid DESC").
			Offset(s.Offset).Limit(s.Limit).Pluck("rowid", &ids).Error
	case engineMroonga:
		against := booleanQuery(s.Pieces)
		where, args := "", []any{against}
		if s.BoardID != 0 {
			where, args = " AND board_id = ?", append(args, s.BoardID)
		}
		// Without escalation: when a word has no exact hit, Groonga would
		// look for it as a prefix and then inside every term of the
		// lexicon, which makes a search with no hits the slowest of all.
		err = d.Conn(ctx).Raw("SET STATEMENT mroonga_match_escalation_threshold = -1 FOR "+
			"SELECT question_id FROM question_search WHERE MATCH(title, body) AGAINST(? IN BOOLEAN MODE)"+where+
			" ORDER BY MATCH(title, body) AGAINST(? IN BOOLEAN MODE) DESC, created_at DESC, question_id DESC LIMIT ? OFFSET ?",
			append(args, against, s.Limit, s.Offset)...).Scan(&ids).Error
	case engineNgram:
		against := booleanQuery(s.Pieces)
		where, args := "", []any{against, s.Statuses}
		if s.BoardID != 0 {
			where, args = " AND board_id = ?", append(args, s.BoardID)
		}
		err = d.Conn(ctx).Raw("SELECT id FROM questions WHERE MATCH(title, body) AGAINST(? IN BOOLEAN MODE) AND status IN ?"+where+
			" ORDER BY MATCH(title, body) AGAINST(? IN BOOLEAN MODE) DESC, created_at DESC, id DESC LIMIT ? OFFSET ?",
			append(args, against, s.Limit, s.Offset)...).Scan(&ids).Error
	}
	return ids, err
}

// booleanQuery requires every piece as a phrase. Pieces are letters and
// digits only, so nothing in them needs escaping.
func booleanQuery(pieces []string) string {
	terms := make([]string, len(pieces))
	for i, p := range pieces {
		terms[i] = `+"` + p + `"`
	}
	return strings.Join(terms, " ")
}

// ftsPhrase is the FTS5 phrase that finds piece where TokenBigram would:
// its terms in a row (ftsPhraseTerms).
func ftsPhrase(piece string) string {
	terms, prefix := ftsPhraseTerms(piece)
	p := `"` + strings.Join(terms, " ") + `"`
	if prefix {
		p += "*"
	}
	return p
}

// ftsPhraseTerms are the terms of piece as they follow one another in a
// text that holds it. When the piece ends in Chinese, the text may go on
// where the piece stops, so the last character alone (indexed only at the
// end of a run) is left out, or, when it is the only Chinese character
// there, it is matched as the start of a term (prefix): "cet考" finds
// "CET考试".
func ftsPhraseTerms(piece string) (terms []string, prefix bool) {
	terms = ftsTokens(piece)
	rs := []rune(piece)
	run := 0
	for i := len(rs) - 1; i >= 0 && ftsClass(rs[i]) == fts0012Ngram; i-- {
		run++
	}
	switch {
	case run >= 2:
		terms = terms[:len(terms)-1]
	case run == 1:
		prefix = true
	}
	return terms, prefix
}

// ftsText is a title or body as the SQLite index holds it.
func ftsText(s string) string { return strings.Join(ftsTokens(s), " ") }

// IndexQuestion puts q into the search index, or refreshes it there. Call
// it when q is published; on SQLite it joins the transaction of ctx.
func (d *DB) IndexQuestion(ctx context.Context, q Question) error {
	e, err := d.searchEngine(ctx)
	if err != nil {
		return err
	}
	switch e {
	case engineFTS5:
		return d.WithTx(ctx, func(ctx context.Context) error {
			if err := d.Conn(ctx).Exec("DELETE FROM question_search WHERE rowid = ?", q.ID).Error; err != nil {
				return err
			}
			return d.Conn(ctx).Exec("INSERT INTO question_search (rowid, title, body, board_id, created_at) VALUES (?, ?, ?, ?, ?)",
				q.ID, ftsText(q.Title), ftsText(q.Body), q.BoardID, q.CreatedAt.Unix()).Error
		})
	case engineMroonga:
		return d.Conn(ctx).Exec("REPLACE INTO question_search (question_id, board_id, created_at, title, body) VALUES (?, ?, ?, ?, ?)",
			q.ID, q.BoardID, q.CreatedAt.UTC(), q.Title, q.Body).Error
	}
	return nil // MySQL 8 indexes the questions table itself
}

// UnindexQuestion takes question id out of the search index. Call it when
// the question is hidden.
func (d *DB) UnindexQuestion(ctx context.Context, id uint64) error {
	e, err := d.searchEngine(ctx)
	if err != nil {
		return err
	}
	switch e {
	case engineFTS5:
		return d.Conn(ctx).Exec("DELETE FROM question_search WHERE rowid = ?", id).Error
	case engineMroonga:
		return d.Conn(ctx).Exec("DELETE FROM question_search WHERE question_id = ?", id).Error
	}
	return nil
}

// rebuildBatch is how many question ids RebuildQuestionSearch copies per
// statement (MariaDB) or transaction (SQLite).
const rebuildBatch = 5000

// RebuildQuestionSearch makes the search index hold exactly the questions
// whose status is one of statuses, as they are now, and returns how many
// that is. It is for questions written without the question service (a
// restored backup, data loaded straight into the database) and for an
// index that missed changes (on MariaDB, a transaction that failed after
// its index write). The service may keep running: on MariaDB a new index
// is built beside the old one and swapped in; on SQLite the index is
// rewritten in ranges of ids, each in a transaction. A question changed
// at the very moment its part is rebuilt may come out stale: run it
// again when in doubt. On MySQL 8, whose index is InnoDB's own, it only
// counts.
func (d *DB) RebuildQuestionSearch(ctx context.Context, statuses []string) (int64, error) {
	e, err := d.searchEngine(ctx)
	if err != nil {
		return 0, err
	}
	switch e {
	case engineNgram: // InnoDB keeps the FULLTEXT index of questions itself
		var n int64
		err := d.Conn(ctx).Model(&Question{}).Where("status IN ?", statuses).Count(&n).Error
		return n, err
	case engineMroonga:
		return d.rebuildMroonga(ctx, statuses)
	}
	var last uint64
	if err := d.Conn(ctx).Raw("SELECT COALESCE(MAX(id), 0) FROM questions").Scan(&last).Error; err != nil {
		return 0, err
	}
	var total int64
	for from := uint64(0); from < last; from += rebuildBatch {
		n, err := d.rebuildFTS5(ctx, statuses, from, from+rebuildBatch)
		if err != nil {
			return total, fmt.Errorf("重建搜索索引（问题 %d–%d）: %w", from+1, from+rebuildBatch, err)
		}
		total += n
	}
	// Questions deleted from the end of the table.
	if err := d.Conn(ctx).Exec("DELETE FROM question_search WHERE rowid > ?", last).Error; err != nil {
		return total, fmt.Errorf("重建搜索索引: %w", err)
	}
	return total, nil
}

func (d *DB) rebuildFTS5(ctx context.Context, statuses []string, from, to uint64) (int64, error) {
	var qs []Question
	err := d.WithTx(ctx, func(ctx context.Context) error {
		c := d.Conn(ctx)
		if err := c.Where("id > ? AND id <= ? AND status IN ?", from, to, statuses).
			Select("id", "board_id", "title", "body", "created_at").Find(&qs).Error; err != nil {
			return err
		}
		if err := c.Exec("DELETE FROM question_search WHERE rowid > ? AND rowid <= ?", from, to).Error; err != nil {
			return err
		}
		for _, q := range qs {
			if err := c.Exec("INSERT INTO question_search (rowid, title, body, board_id, created_at) VALUES (?, ?, ?, ?, ?)",
				q.ID, ftsText(q.Title), ftsText(q.Body), q.BoardID, q.CreatedAt.Unix()).Error; err != nil {
				return err
			}
		}
		return nil
	})
	return int64(len(qs)), err
}

// question_search as migration 12 made it, for RebuildQuestionSearch to
// build a new one beside it: without its full-text index, added once the
// rows are in (Groonga builds it over a filled table about ten times
// faster than row by row). A migration that changes the table changes
// these too.
const (
	mroongaSearchTable = "(question_id BIGINT UNSIGNED NOT NULL PRIMARY KEY, " +
		"board_id BIGINT UNSIGNED NOT NULL, " +
		"created_at DATETIME NOT NULL, " +
		"title VARCHAR(200) NOT NULL, " +
		"body TEXT NOT NULL, " +
		"KEY idx_question_search_board (board_id)" +
		") ENGINE=Mroonga DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci"
	mroongaSearchIndex = "ADD FULLTEXT INDEX ft_question_search (title, body) " +
		`COMMENT 'tokenizer "TokenBigram", normalizer "NormalizerAuto"'`
	// rebuildCatchUp: questions changed this long before a rebuild
	// started are written again once it is done (instances' clocks may
	// differ a little from the rebuild's).
	rebuildCatchUp = 10 * time.Minute
)

// rebuildMroonga builds a new question_search beside the one in use and
// swaps them (RENAME TABLE, atomic), so that searches meanwhile use the
// old one. Changes the service made meanwhile went to the old table; the
// questions changed since the rebuild started (updated_at) are written
// again into the new one after the swap.
func (d *DB) rebuildMroonga(ctx context.Context, statuses []string) (int64, error) {
	var total int64
	err := d.gorm.WithContext(ctx).Connection(func(pinned *gorm.DB) error {
		c := pinned.Session(&gorm.Session{NewDB: true})
		// One rebuild per database at a time (the lock is the server's).
		lock := "CONCAT('youthvoice_search_rebuild.', DATABASE())"
		var got sql.NullInt64
		if err := c.Raw("SELECT GET_LOCK(" + lock + ", 0)").Scan(&got).Error; err != nil {
			return err
		}
		if !got.Valid || got.Int64 != 1 {
			return errors.New("另一个搜索索引重建正在进行，请等它结束")
		}
		defer c.WithContext(context.WithoutCancel(ctx)).Exec("SELECT RELEASE_LOCK(" + lock + ")")
		started := time.Now().UTC()
		for _, stmt := range []string{"DROP TABLE IF EXISTS question_search_new", "CREATE TABLE question_search_new " + mroongaSearchTable} {
			if err := c.Exec(stmt).Error; err != nil {
				return err
			}
		}
		var last uint64
		if err := c.Raw("SELECT COALESCE(MAX(id), 0) FROM questions").Scan(&last).Error; err != nil {
			return err
		}
		for from := uint64(0); from < last; from += rebuildBatch {
			res := c.Exec("INSERT INTO question_search_new (question_id, board_id, created_at, title, body) "+
				"SELECT id, board_id, created_at, title, body FROM questions WHERE id > ? AND id <= ? AND status IN ?",
				from, from+rebuildBatch, statuses)
			if res.Error != nil {
				return fmt.Errorf("问题 %d–%d: %w", from+1, from+rebuildBatch, res.Error)
			}
			total += res.RowsAffected
		}
		for _, stmt := range []string{
			"ALTER TABLE question_search_new " + mroongaSearchIndex,
			"RENAME TABLE question_search TO question_search_old, question_search_new TO question_search",
			"DROP TABLE question_search_old",
		} {
			if err := c.Exec(stmt).Error; err != nil {
				return err
			}
		}
		since := started.Add(-rebuildCatchUp)
		if err := c.Exec("REPLACE INTO question_search (question_id, board_id, created_at, title, body) "+
			"SELECT id, board_id, created_at, title, body FROM questions WHERE updated_at >= ? AND status IN ?", since, statuses).Error; err != nil {
			return err
		}
		return c.Exec("DELETE FROM question_search WHERE question_id IN "+
			"(SELECT id FROM questions WHERE updated_at >= ? AND status NOT IN ?)", since, statuses).Error
	})
	if err != nil {
		return total, fmt.Errorf("重建搜索索引: %w", err)
	}
	return total, nil
}
