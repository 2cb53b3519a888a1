// Command youthvoice is the backend of the 广东青年之声 WeChat service account.
//
//	youthvoice [serve]      run the server (the default)
//	youthvoice migrate      apply database migrations and exit
//	youthvoice menu sync    validate config/menu.json and push it to WeChat
//	youthvoice account import FILE.csv   import accounts from the old platform
//	youthvoice campus import FILE.csv    add or update universities by code
//	youthvoice stats-rebuild             recompute the statistics roll-ups
//	youthvoice search rebuild            rebuild the question search index
//	youthvoice backup [DIR]              back up the database (service running)
//	youthvoice restore [--force] FILE    restore a backup into an empty database
//	youthvoice audit verify              verify the audit trail's hash chain
//	youthvoice version      print the version
//
// Every subcommand accepts --config FILE; YV_* environment variables
// override the file.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	stop()
	if err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "youthvoice:", err)
		}
		os.Exit(1)
	}
}

const usage = `用法: youthvoice [--config FILE] <命令>

命令:
  serve        启动服务（默认）
  migrate      执行数据库迁移后退出
  menu sync    校验 config/menu.json 并推送到微信
  account import FILE.csv   从原平台导入账号（账号,密码或 bcrypt 哈希,学校代码[,姓名]）
  admin create ACCOUNT      创建首个省级管理员（密码取自环境变量 YV_ADMIN_PASSWORD）
  campus import FILE.csv    按学校标识码更新或新增高校（格式同教育部名单）
  stats-rebuild  从业务数据重算考核统计汇总表（直接向数据库批量导入数据后执行）
  search rebuild            按问题表重建搜索索引（直接向数据库导入问题或恢复备份后运行）
  backup [DIR]              备份数据库（服务无需停止），写入 DIR（默认 YV_DATA_DIR/backups）：数据 .sql.gz/.db.gz 和清单 .json
  restore [--force] FILE    把备份恢复到配置的数据库（须为空；--force 覆盖），核对行数后迁移到本程序的版本
  calendar [YEAR]           列出某年的法定节假日和调休上班日（含 YV_HOLIDAYS_FILE 的补充）
  audit verify              校验审计日志的哈希链（发现被修改或删除的记录时报告其编号并以非零状态退出）
  version      显示版本

配置: 可选的 YAML 配置文件（见 config/config.example.yaml），YV_* 环境变量优先。
`

// run parses the command line and dispatches; it returns instead of
// exiting so tests can drive it.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("youthvoice", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, usage) }
	configFile := fs.String("config", "", "YAML 配置文件")
	if err := fs.Parse(args); err != nil {
		return err
	}
	rest := fs.Args()
	force := false
	cmd := "serve"
	if len(rest) > 0 {
		cmd, rest = rest[0], rest[1:]
	}
	// Allow the flag after the subcommand too, between or after its words:
	// youthvoice serve --config x, youthvoice menu sync --config x.
	if len(rest) > 0 {
		sub := flag.NewFlagSet(cmd, flag.ContinueOnError)
		sub.SetOutput(stderr)
		sub.StringVar(configFile, "config", *configFile, "YAML 配置文件")
		sub.BoolVar(&force, "force", false, "restore: 覆盖非空的目标数据库")
		var words []string
		for len(rest) > 0 {
			if err := sub.Parse(rest); err != nil {
				return err
			}
			rest = sub.Args()
			if len(rest) > 0 {
				words, rest = append(words, rest[0]), rest[1:]
			}
		}
		rest = words
	}

	if force && cmd != "restore" {
		return fmt.Errorf("--force 只用于 restore")
	}
	switch cmd {
	case "backup":
		if len(rest) > 1 {
			return errors.New("用法: youthvoice backup [DIR]")
		}
		return backupCmd(ctx, *configFile, getenv, rest, stdout, stderr)
	case "restore":
		if len(rest) != 1 {
			return errors.New("用法: youthvoice restore [--force] FILE（备份的 .sql.gz、.db.gz 或 .json）")
		}
		return restoreCmd(ctx, *configFile, getenv, rest[0], force, stdout, stderr)
	case "version":
		fmt.Fprintln(stdout, "youthvoice", version)
		return nil
	case "serve":
		return serve(ctx, *configFile, getenv, stderr)
	case "migrate":
		return migrate(ctx, *configFile, getenv, stdout, stderr)
	case "stats-rebuild":
		return statsRebuild(ctx, *configFile, getenv, stdout, stderr)
	case "menu":
		if len(rest) != 1 || rest[0] != "sync" {
			return errors.New("用法: youthvoice menu sync")
		}
		return menuSync(ctx, *configFile, getenv, stdout, stderr)
	case "admin":
		if len(rest) != 2 || rest[0] != "create" {
			return errors.New("用法: YV_ADMIN_PASSWORD=… youthvoice admin create ACCOUNT")
		}
		return adminCreate(ctx, *configFile, getenv, rest[1], stdout, stderr)
	case "search":
		if len(rest) != 1 || rest[0] != "rebuild" {
			return errors.New("用法: youthvoice search rebuild")
		}
		return searchRebuild(ctx, *configFile, getenv, stdout, stderr)
	case "audit":
		if len(rest) != 1 || rest[0] != "verify" {
			return errors.New("用法: youthvoice audit verify")
		}
		return auditVerify(ctx, *configFile, getenv, stdout, stderr)
	case "calendar":
		if len(rest) > 1 {
			return errors.New("用法: youthvoice calendar [YEAR]")
		}
		return calendarCmd(*configFile, getenv, rest, stdout)
	case "account", "campus":
		if len(rest) != 2 || rest[0] != "import" {
			return fmt.Errorf("用法: youthvoice %s import FILE.csv", cmd)
		}
		return importCSV(ctx, *configFile, getenv, cmd, rest[1], stdout, stderr)
	default:
		fmt.Fprint(stderr, usage)
		return fmt.Errorf("未知命令 %q", cmd)
	}
}
