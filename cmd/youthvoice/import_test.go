package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestImportCommands(t *testing.T) {
	dir := t.TempDir()
	getenv := func(k string) string {
		if k == "YV_DATA_DIR" {
			return dir
		}
		return ""
	}
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	ctx := context.Background()

	t.Run("accounts all or nothing", func(t *testing.T) {
		bad := write("bad.csv", "account,password,university_code\nstudent01,pass1234,4144010558\nab,pass1234,4144010558\n")
		var out, errb bytes.Buffer
		err := run(ctx, []string{"account", "import", bad}, getenv, &out, &errb)
		if err == nil || !strings.Contains(err.Error(), "第 3 行") {
			t.Fatalf("bad file: err = %v, want the failing line named", err)
		}
		good := write("good.csv", "账号,密码,学校代码,姓名\nstudent01,pass1234,4144010558,张三\nstudent02,pass5678,4144010561,\n")
		out.Reset()
		if err := run(ctx, []string{"account", "import", good}, getenv, &out, &errb); err != nil {
			t.Fatalf("good file: %v", err)
		}
		if !strings.Contains(out.String(), "新增 2 个账号") {
			t.Fatalf("output = %q", out.String())
		}
		// The rejected file wrote nothing: importing student01 again now
		// fails because the good file added it, not the bad one.
		again := write("again.csv", "account,password,university_code\nstudent01,pass1234,4144010558\n")
		if err := run(ctx, []string{"account", "import", again}, getenv, &out, &errb); err == nil {
			t.Fatal("importing an existing account succeeded")
		}
	})
	t.Run("campus update", func(t *testing.T) {
		f := write("campus.csv", "code,name,city,level,ownership,note\n4144010558,中山大学,广州市,本科,公办,\n4144099990,示例职业学院,汕尾市,专科,民办,\n")
		var out, errb bytes.Buffer
		if err := run(ctx, []string{"campus", "import", f}, getenv, &out, &errb); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(out.String(), "新增 1 个高校") || !strings.Contains(out.String(), "未变化 1 个") {
			t.Fatalf("output = %q", out.String())
		}
	})
	t.Run("usage", func(t *testing.T) {
		var out, errb bytes.Buffer
		if err := run(ctx, []string{"account", "export"}, getenv, &out, &errb); err == nil || !strings.Contains(err.Error(), "import FILE.csv") {
			t.Fatalf("err = %v", err)
		}
	})
}

func TestAdminCreate(t *testing.T) {
	dir := t.TempDir()
	env := map[string]string{"YV_DATA_DIR": dir}
	getenv := func(k string) string { return env[k] }
	ctx := context.Background()
	var out, errb bytes.Buffer
	if err := run(ctx, []string{"admin", "create", "gdadmin01"}, getenv, &out, &errb); err == nil || !strings.Contains(err.Error(), "YV_ADMIN_PASSWORD") {
		t.Fatalf("without a password: %v", err)
	}
	env["YV_ADMIN_PASSWORD"] = "Secret2026"
	if err := run(ctx, []string{"admin", "create", "gdadmin01"}, getenv, &out, &errb); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "省级管理员 gdadmin01 已就绪") {
		t.Fatalf("output = %q", out.String())
	}
	if strings.Contains(errb.String(), "Secret2026") {
		t.Fatal("the password appeared in the logs")
	}
	// Running it again is harmless; a wrong password for an existing account is refused.
	if err := run(ctx, []string{"admin", "create", "GDADMIN01"}, getenv, &out, &errb); err != nil {
		t.Fatalf("second run: %v", err)
	}
	env["YV_ADMIN_PASSWORD"] = "Other2026"
	if err := run(ctx, []string{"admin", "create", "gdadmin01"}, getenv, &out, &errb); err == nil {
		t.Fatal("promoted an existing account with the wrong password")
	}
}
