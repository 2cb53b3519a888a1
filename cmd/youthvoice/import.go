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
	accounts, done, err := openAccounts(ctx, configFile, getenv, stderr)
	if err != nil {
		return err
	}
	defer done()
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

// adminCreate bootstraps the first province admin. The password comes from
// YV_ADMIN_PASSWORD, never from the command line (visible in ps).
func adminCreate(ctx context.Context, configFile string, getenv func(string) string, acct string, stdout, stderr io.Writer) error {
	password := getenv("YV_ADMIN_PASSWORD")
	if password == "" {
		return fmt.Errorf("请通过环境变量 YV_ADMIN_PASSWORD 提供密码（6–32 位字母或数字）")
	}
	accounts, done, err := openAccounts(ctx, configFile, getenv, stderr)
	if err != nil {
		return err
	}
	defer done()
	u, err := accounts.CreateProvinceAdmin(ctx, acct, password, "")
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "省级管理员 %s 已就绪（id %d）。\n", u.Account, u.ID)
	return nil
}

// openAccounts opens the stores, brings the schema up to date and returns
// the account service, with the function that closes everything.
func openAccounts(ctx context.Context, configFile string, getenv func(string) string, stderr io.Writer) (*account.Service, func(), error) {
	b, err := open(ctx, configFile, getenv, stderr)
	if err != nil {
		return nil, nil, err
	}
	if err := b.migrate(ctx); err != nil {
		b.close()
		return nil, nil, err
	}
	accounts, err := account.New(b.db, b.store, clock.Real{}, b.log, account.Options{})
	if err != nil {
		b.close()
		return nil, nil, err
	}
	return accounts, b.close, nil
}
