package model_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/gdyouth/youthvoice/model"
	"github.com/gdyouth/youthvoice/model/dbtest"
)

func TestFTSTokensAsTokenBigram(t *testing.T) {
	// The terms Mroonga's TokenBigram with NormalizerAuto gives (Groonga
	// 7.0.7, mroonga_command('tokenize …')), symbols as "·".
	cases := map[string]string{
		"我要考CET4英语四级，Python入门 cet-4 ＣＥＴ４ 50% 第_章": "我要 要考 考 cet 4 英语 语四 四级 级 · python 入门 门 cet · 4 cet 4 50 · 第 · 章",
		"Ⅳ ① ² ½ ﬁ ＡＢ":           "iv 1 2 1 · 2 fi ab",
		"É Ωμέγα Привет 한국어 テスト": "é Ωμέγα Привет 한국 국어 어 テス スト ト",
		"我要 考试":                  "我要 要 考试 试",
		"":                       "",
	}
	for text, want := range cases {
		if got := strings.Join(model.FTSTokens(text), " "); got != want {
			t.Errorf("tokens of %q = %q, want %q", text, got, want)
		}
	}
}

func TestSearchPieces(t *testing.T) {
	cases := map[string][]string{
		"奖学金":               {"奖学金"},
		"  国家 奖学金  ":        {"国家", "奖学金"},
		"CET-4，奖学金":         {"cet", "4", "奖学金"},
		"ＣＥＴ４考试":            {"cet4考试"},
		`"奖学金" +宿舍 -空调 *`:   {"奖学金", "宿舍", "空调"},
		`\" OR 1=1 --`:      {"or", "1", "1"},
		"%_!\\“”《》。😀\u200b": nil,
		"Python入门":          {"python入门"},
	}
	for q, want := range cases {
		if got := model.SearchPieces(q); !slices.Equal(got, want) {
			t.Errorf("SearchPieces(%q) = %q, want %q", q, got, want)
		}
	}
}

func TestRequireMroongaSaysHow(t *testing.T) {
	for _, support := range []string{"YES", "DEFAULT"} {
		if err := model.RequireMroonga(support); err != nil {
			t.Fatalf("%s: %v", support, err)
		}
	}
	for _, support := range []string{"", "NO", "DISABLED"} {
		err := model.RequireMroonga(support)
		if err == nil || !strings.Contains(err.Error(), "apt-get install mariadb-plugin-mroonga") ||
			!strings.Contains(err.Error(), "INSTALL SONAME 'ha_mroonga'") || !strings.Contains(err.Error(), "Mroonga") {
			t.Fatalf("support %q: %v", support, err)
		}
	}
}

// insertQuestion writes a question straight into the table, as a data
// load or a restored backup would.
func insertQuestion(t *testing.T, db *model.DB, board uint64, status, title, body string, at time.Time) model.Question {
	t.Helper()
	q := model.Question{BoardID: board, UniversityID: 1, AskerID: 1, Title: title, Body: body, Status: status,
		DueAt: at.Add(24 * time.Hour), CreatedAt: at, UpdatedAt: at}
	if err := db.Conn(context.Background()).Create(&q).Error; err != nil {
		t.Fatal(err)
	}
	return q
}

var published = []string{model.QuestionOpen, model.QuestionAnswered, model.QuestionResolved}

func search(t *testing.T, db *model.DB, board uint64, pieces ...string) []uint64 {
	t.Helper()
	ids, err := db.SearchQuestions(context.Background(), model.QuestionSearch{Pieces: pieces, BoardID: board,
		Statuses: published, Limit: 1000})
	if err != nil {
		t.Fatalf("search %q: %v", pieces, err)
	}
	return ids
}

func sorted(ids []uint64) []uint64 {
	ids = slices.Clone(ids)
	slices.Sort(ids)
	return ids
}

// Both engines find what the oracle finds: SQLite's FTS5 with the terms
// cut in Go, and on MariaDB Mroonga's own TokenBigram, which the Go terms
// imitate. Random short texts over a small alphabet make many near
// misses: a Chinese run split by a space or a symbol, letters next to
// digits, full-width forms, upper case.
func TestSearchAgreesWithOracle(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *model.DB) {
		ctx := context.Background()
		rng := rand.New(rand.NewPCG(19, 3))
		alphabet := []rune("奖学金考试国家aAbБ12Ａ５ ,-“é")
		text := func(n int) string {
			rs := make([]rune, n)
			for i := range rs {
				rs[i] = alphabet[rng.IntN(len(alphabet))]
			}
			return string(rs)
		}
		at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
		var docs []model.Question
		for i := 0; i < 80; i++ {
			q := insertQuestion(t, db, uint64(1+i%2), model.QuestionOpen, text(rng.IntN(8)), text(rng.IntN(16)), at.Add(time.Duration(i)*time.Minute))
			if err := db.IndexQuestion(ctx, q); err != nil {
				t.Fatal(err)
			}
			docs = append(docs, q)
		}
		var queries [][]string
		for len(queries) < 200 {
			var pieces []string
			for _, p := range model.SearchPieces(text(2 + rng.IntN(4))) {
				if len([]rune(p)) >= 2 {
					pieces = append(pieces, p)
				}
			}
			if len(pieces) > 0 {
				queries = append(queries, pieces[:min(len(pieces), 2)])
			}
		}
		hits := 0
		for _, pieces := range queries {
			var want []uint64
			for _, q := range docs {
				all := true
				for _, p := range pieces {
					all = all && (model.SearchOracle(q.Title, p) || model.SearchOracle(q.Body, p))
				}
				if all {
					want = append(want, q.ID)
				}
			}
			hits += len(want)
			if got := sorted(search(t, db, 0, pieces...)); !slices.Equal(got, want) {
				var diff []string
				for _, q := range docs {
					if slices.Contains(got, q.ID) != slices.Contains(want, q.ID) {
						diff = append(diff, fmt.Sprintf("#%d %q / %q (found %v)", q.ID, q.Title, q.Body, slices.Contains(got, q.ID)))
					}
				}
				t.Errorf("search %q: got %v, oracle %v; differ on %s", pieces, got, want, strings.Join(diff, "; "))
			}
		}
		if hits < 100 {
			t.Fatalf("only %d hits over %d queries: the test finds too little to compare", hits, len(queries))
		}
	})
}

// Questions written straight into the table (a data load, a restored
// backup) are found after RebuildQuestionSearch, which also drops what
// is no longer published or no longer exists.
func TestRebuildQuestionSearch(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *model.DB) {
		ctx := context.Background()
		at := time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)
		open := insertQuestion(t, db, 1, model.QuestionOpen, "奖学金评定", "", at)
		answered := insertQuestion(t, db, 2, model.QuestionAnswered, "国家奖学金", "什么时候发", at.Add(time.Minute))
		resolved := insertQuestion(t, db, 1, model.QuestionResolved, "奖学金", "", at.Add(2*time.Minute))
		insertQuestion(t, db, 1, model.QuestionHidden, "奖学金广告", "", at)
		insertQuestion(t, db, 1, model.QuestionReview, "奖学金代考", "", at)
		if got := search(t, db, 0, "奖学金"); len(got) != 0 {
			t.Fatalf("found %v before the rebuild: the rows were written behind the index's back", got)
		}
		// A question hidden behind the index's back, another deleted.
		gone := insertQuestion(t, db, 1, model.QuestionOpen, "奖学金删除", "", at)
		stale := insertQuestion(t, db, 1, model.QuestionOpen, "奖学金旧", "", at)
		for _, q := range []model.Question{gone, stale} {
			if err := db.IndexQuestion(ctx, q); err != nil {
				t.Fatal(err)
			}
		}
		if err := db.Conn(ctx).Delete(&model.Question{}, gone.ID).Error; err != nil {
			t.Fatal(err)
		}
		if err := db.Conn(ctx).Model(&model.Question{}).Where("id = ?", stale.ID).Update("status", model.QuestionHidden).Error; err != nil {
			t.Fatal(err)
		}
		for range 2 { // and again: the same result
			n, err := db.RebuildQuestionSearch(ctx, published)
			if err != nil || n != 3 {
				t.Fatalf("rebuild = %d, %v; want the 3 published questions", n, err)
			}
			if got, want := sorted(search(t, db, 0, "奖学金")), []uint64{open.ID, answered.ID, resolved.ID}; !slices.Equal(got, want) {
				t.Fatalf("after the rebuild found %v, want %v", got, want)
			}
			if got := search(t, db, 2, "奖学金"); !slices.Equal(got, []uint64{answered.ID}) {
				t.Fatalf("board 2 after the rebuild: %v, want %d", got, answered.ID)
			}
		}
	})
}

// Migration 12 fills the index with the questions published before it.
func TestMigrationIndexesExistingQuestions(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *model.DB) {
		ctx := context.Background()
		c := db.Conn(ctx)
		at := time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)
		var want []uint64
		for i := range 12 {
			status := published[i%3]
			if i%4 == 3 {
				status = model.QuestionHidden
			}
			q := insertQuestion(t, db, 1, status, fmt.Sprintf("第%d个问题", i), "宿舍空调坏了", at.Add(time.Duration(i)*time.Minute))
			if status != model.QuestionHidden {
				want = append(want, q.ID)
			}
		}
		// As if step 12 had been cut short after its table (its record
		// gone), then as if it had never run (its table gone too).
		for _, drop := range []bool{false, true} {
			if drop {
				if err := c.Exec("DROP TABLE question_search").Error; err != nil {
					t.Fatal(err)
				}
			}
			if err := c.Exec("DELETE FROM schema_migrations WHERE version = 12").Error; err != nil {
				t.Fatal(err)
			}
			if applied, err := db.Migrate(ctx); err != nil || !slices.Contains(applied, 12) {
				t.Fatalf("Migrate = %v, %v; want step 12 applied", applied, err)
			}
			if got := sorted(search(t, db, 0, "空调")); !slices.Equal(got, want) {
				t.Fatalf("after migration 12 (table dropped: %v) found %v, want the published %v", drop, got, want)
			}
		}
		// Newest first among equals.
		if got := search(t, db, 0, "宿舍", "空调"); got[0] != want[len(want)-1] {
			t.Fatalf("order %v, want the newest (%d) first", got, want[len(want)-1])
		}
		if db.Dialect() == model.MySQL && isMariaDB(t, db) {
			m := c.Migrator()
			if m.HasIndex("questions", "ft_questions_title_body") || !m.HasIndex("question_search", "ft_question_search") {
				t.Fatal("want the InnoDB FULLTEXT index of questions dropped and question_search's full-text index built")
			}
		}
	})
}

func isMariaDB(t *testing.T, db *model.DB) bool {
	var v string
	if err := db.Conn(context.Background()).Raw("SELECT VERSION()").Scan(&v).Error; err != nil {
		t.Fatal(err)
	}
	return strings.Contains(strings.ToLower(v), "mariadb")
}

// On MariaDB one rebuild runs at a time per database; the index in use
// answers while a rebuild builds the new one.
func TestRebuildOneAtATime(t *testing.T) {
	if os.Getenv(dbtest.EnvMySQL) == "" {
		t.Skipf("%s not set", dbtest.EnvMySQL)
	}
	db := dbtest.MySQL(t)
	ctx := context.Background()
	q := insertQuestion(t, db, 1, model.QuestionOpen, "奖学金", "", time.Now().UTC())
	if err := db.IndexQuestion(ctx, q); err != nil {
		t.Fatal(err)
	}
	// Another rebuild holds the lock, on its own connection.
	err := db.Conn(ctx).Connection(func(other *gorm.DB) error {
		var got int
		if err := other.Raw("SELECT GET_LOCK(CONCAT('youthvoice_search_rebuild.', DATABASE()), 0)").Scan(&got).Error; err != nil || got != 1 {
			t.Fatalf("GET_LOCK = %d, %v", got, err)
		}
		defer other.Exec("SELECT RELEASE_LOCK(CONCAT('youthvoice_search_rebuild.', DATABASE()))")
		if _, err := db.RebuildQuestionSearch(ctx, published); err == nil || !strings.Contains(err.Error(), "正在进行") {
			t.Fatalf("a second rebuild: %v, want refused", err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := search(t, db, 0, "奖学金"); !slices.Equal(got, []uint64{q.ID}) {
		t.Fatalf("after the refused rebuild: %v", got)
	}
	if n, err := db.RebuildQuestionSearch(ctx, published); err != nil || n != 1 {
		t.Fatalf("rebuild once the lock is free: %d, %v", n, err)
	}
}
