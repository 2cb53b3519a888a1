package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/gdyouth/youthvoice/service/question"
)

// searchRebuild is `youthvoice search rebuild`: it makes the question
// search index match the questions table, after questions were written
// without the service (data loaded straight into the database, a restored
// backup of the questions alone). The service may keep running.
func searchRebuild(ctx context.Context, configFile string, getenv func(string) string, stdout, stderr io.Writer) error {
	b, err := open(ctx, configFile, getenv, stderr)
	if err != nil {
		return err
	}
	defer b.close()
	if err := b.migrate(ctx); err != nil {
		return err
	}
	start := time.Now()
	n, err := question.RebuildSearch(ctx, b.db)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "搜索索引已重建：%d 个已发布的问题，用时 %s\n", n, time.Since(start).Round(time.Millisecond))
	return nil
}
