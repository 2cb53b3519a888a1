package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/gdyouth/youthvoice/service/account"
	"github.com/gdyouth/youthvoice/service/clock"
)

// importCSV runs `account import` or `campus import`: everything in the
// file is imported, or nothing is and every bad line is listed.
func importCSV(ctx context.Context, configFile string, getenv func(string) string, what, path string, stdout, stderr io.Writer) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("打开导入文件失败: %w", err)
	}
	defer f.Close()
	b, err := open(ctx, configFile, getenv, stderr)
	if err != nil {
		return err
	}
	defer b.close()
	if err := b.migrate(ctx); err != nil {
		return err
	}
	accounts, err := account.New(b.db, b.store, clock.Real{}, b.log, account.Options{})
	if err != nil {
		return err
	}
	start := time.Now()
	var rep account.ImportReport
	if what == "account" {
		rep, err = accounts.ImportAccounts(ctx, f)
	} else {
		rep, err = accounts.ImportUniversities(ctx, f)
	}
	if err != nil {
		return err
	}
	noun := map[string]string{"account": "账号", "campus": "高校"}[what]
	fmt.Fprintf(stdout, "导入完成（%s）：新增 %d 个%s，更新 %d 个，未变化 %d 个，用时 %s。\n",
		path, rep.Added, noun, rep.Updated, rep.Unchanged, time.Since(start).Round(time.Millisecond))
	return nil
}
