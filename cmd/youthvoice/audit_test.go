package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gdyouth/youthvoice/model"
	"github.com/gdyouth/youthvoice/model/dbtest"
	"github.com/gdyouth/youthvoice/service/audit"
)

// youthvoice audit verify passes an intact chain, and names the record
// where an edited or deleted row breaks it, exiting non-zero.
func TestAuditVerifyCommand(t *testing.T) {
	type backend struct {
		name string
		env  func(t *testing.T) (env, func(t *testing.T) *model.DB)
	}
	backends := []backend{{"sqlite", func(t *testing.T) (env, func(t *testing.T) *model.DB) {
		e := sandboxEnv(t)
		return e, func(t *testing.T) *model.DB {
			db, err := model.OpenSQLite(filepath.Join(e["YV_DATA_DIR"], "youthvoice.db"))
			if err != nil {
				t.Fatal(err)
			}
			return db
		}
	}}}
	if os.Getenv(dbtest.EnvMySQL) != "" {
		backends = append(backends, backend{"mysql", func(t *testing.T) (env, func(t *testing.T) *model.DB) {
			dsn := dbtest.NewMySQLDatabase(t)
			e := sandboxEnv(t).with(env{"YV_MYSQL_DSN": dsn})
			return e, func(t *testing.T) *model.DB {
				db, err := model.OpenMySQL(context.Background(), dsn)
				if err != nil {
					t.Fatal(err)
				}
				return db
			}
		}})
	}
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			e, openDB := b.env(t)
			out, _, err := runCmd(t, e, "audit", "verify")
			if err != nil || !strings.Contains(out, "审计日志为空") {
				t.Fatalf("empty trail: %q %v", out, err)
			}
			db := openDB(t)
			defer db.Close()
			ctx := context.Background()
			for i := 1; i <= 2500; i++ { // more than two batches
				if err := audit.Record(ctx, db, audit.Entry{Action: audit.ActionPostHide, Summary: fmt.Sprintf("第 %d 条", i)}); err != nil {
					t.Fatal(err)
				}
			}
			out, _, err = runCmd(t, e, "audit", "verify")
			if err != nil || !strings.Contains(out, "审计链完整") || !strings.Contains(out, "2500") {
				t.Fatalf("intact chain: %q %v", out, err)
			}
			if err := db.Conn(ctx).Exec("UPDATE audit_log SET summary = '改过了' WHERE id = 1234").Error; err != nil {
				t.Fatal(err)
			}
			out, _, err = runCmd(t, e, "audit", "verify")
			if !errors.Is(err, errChainBroken) || !strings.Contains(out, "记录 1234 处断开") || !strings.Contains(out, "被修改") {
				t.Fatalf("edited record 1234: %q %v", out, err)
			}
			if err := db.Conn(ctx).Exec("UPDATE audit_log SET summary = '第 1234 条' WHERE id = 1234").Error; err != nil {
				t.Fatal(err)
			}
			if _, _, err := runCmd(t, e, "audit", "verify"); err != nil {
				t.Fatalf("restored: %v", err)
			}
			if err := db.Conn(ctx).Exec("DELETE FROM audit_log WHERE id = 2000").Error; err != nil {
				t.Fatal(err)
			}
			out, _, err = runCmd(t, e, "audit", "verify")
			if !errors.Is(err, errChainBroken) || !strings.Contains(out, "记录 2001 处断开") || !strings.Contains(out, "缺少记录 2000") {
				t.Fatalf("deleted record 2000: %q %v", out, err)
			}
		})
	}
}
