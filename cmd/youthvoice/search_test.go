package main

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gdyouth/youthvoice/model"
)

// Questions loaded straight into the database are found after `search
// rebuild`.
func TestSearchRebuild(t *testing.T) {
	e := sandboxEnv(t)
	if _, _, err := runCmd(t, e, "migrate"); err != nil {
		t.Fatal(err)
	}
	db, err := model.OpenSQLite(filepath.Join(e["YV_DATA_DIR"], "youthvoice.db"))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	now := time.Now().UTC()
	for _, status := range []string{model.QuestionOpen, model.QuestionAnswered, model.QuestionHidden} {
		if err := db.Conn(ctx).Create(&model.Question{BoardID: 1, UniversityID: 1, AskerID: 1, Title: "导入的奖学金问题",
			Status: status, DueAt: now, CreatedAt: now, UpdatedAt: now}).Error; err != nil {
			t.Fatal(err)
		}
	}
	find := func() []uint64 {
		ids, err := db.SearchQuestions(ctx, model.QuestionSearch{Pieces: []string{"奖学金"}, Limit: 20})
		if err != nil {
			t.Fatal(err)
		}
		return ids
	}
	if got := find(); len(got) != 0 {
		t.Fatalf("found %v before the rebuild", got)
	}
	_ = db.Close()

	out, _, err := runCmd(t, e, "search", "rebuild")
	if err != nil || !strings.Contains(out, "搜索索引已重建：2 个已发布的问题") {
		t.Fatalf("search rebuild: %q, %v", out, err)
	}
	if db, err = model.OpenSQLite(filepath.Join(e["YV_DATA_DIR"], "youthvoice.db")); err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if got := find(); len(got) != 2 {
		t.Fatalf("found %v after the rebuild, want the 2 published", got)
	}
	if _, _, err := runCmd(t, e, "search", "again"); err == nil || !strings.Contains(err.Error(), "search rebuild") {
		t.Fatalf("search again: %v", err)
	}
}
