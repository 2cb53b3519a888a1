package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/gdyouth/youthvoice/config"
	"github.com/gdyouth/youthvoice/model"
	"github.com/gdyouth/youthvoice/service/clock"
	"github.com/gdyouth/youthvoice/service/kv"
	"github.com/gdyouth/youthvoice/service/menu"
	"github.com/gdyouth/youthvoice/service/question"
	"github.com/gdyouth/youthvoice/service/stats"
	"github.com/gdyouth/youthvoice/service/wxapi"
)

// Sandbox credentials: used only when no real WeChat credentials are set,
// and never together with them (config.Real decides).
var sandboxCredentials = wxapi.Credentials{
	AppID:  "wxsandbox0000000000",
	Secret: "sandbox-secret",
	Token:  "sandbox",
	AESKey: "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG",
}

// base is what every subcommand needs: configuration, logs, the database
// and the kv store.
type base struct {
	cfg   config.Config
	log   *slog.Logger
	db    *model.DB
	store kv.Store
	cred  wxapi.Credentials
}

func newLogger(w io.Writer, level string) *slog.Logger {
	var l slog.Level
	_ = l.UnmarshalText([]byte(strings.ToUpper(level)))
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: l}))
}

// open loads the configuration and connects to the stores. Any bad
// setting stops here with a message naming it.
func open(ctx context.Context, configFile string, getenv func(string) string, stderr io.Writer) (*base, error) {
	cfg, err := config.Load(configFile, getenv)
	if err != nil {
		return nil, err
	}
	log := newLogger(stderr, cfg.LogLevel)
	// silenceper logs through logrus; keep its debug output (raw messages)
	// out of our logs.
	logrus.SetOutput(stderr)
	logrus.SetLevel(logrus.WarnLevel)

	b := &base{cfg: cfg, log: log}
	opts := model.Options{ReplicaDSN: cfg.MySQLReplicaDSN, ReportTimeout: cfg.ReportTimeout, Log: log}
	if cfg.MySQLDSN != "" {
		b.db, err = model.OpenMySQLWith(ctx, cfg.MySQLDSN, opts)
	} else {
		b.db, err = model.OpenSQLiteWith(filepath.Join(cfg.DataDir, "youthvoice.db"), opts)
	}
	if err != nil {
		return nil, err
	}
	if cfg.RedisAddr != "" {
		kv.LogRedisTo(log)
		b.store, err = kv.NewRedis(ctx, kv.RedisOptions{
			Addr: cfg.RedisAddr, MasterName: cfg.RedisMasterName, Cluster: cfg.RedisCluster,
			Password: cfg.RedisPassword, SentinelPassword: cfg.RedisSentinelPassword, DB: cfg.RedisDB, Prefix: "yv:",
		})
		if err != nil {
			_ = b.db.Close()
			return nil, err
		}
	} else if b.store, err = kv.NewMemory(clock.Real{}); err != nil {
		_ = b.db.Close()
		return nil, err
	}
	if cfg.Real() {
		b.cred = wxapi.Credentials{AppID: cfg.WeChat.AppID, Secret: cfg.WeChat.Secret, Token: cfg.WeChat.Token, AESKey: cfg.WeChat.AESKey}
	} else {
		b.cred = sandboxCredentials
	}
	wxapi.Configure(cfg.WeChat.APIBase, 5*time.Second)
	log.Info("youthvoice starting", "version", version, "config", cfg,
		"database_backend", string(b.db.Dialect()), "kv_backend", b.store.Backend())
	return b, nil
}

func (b *base) close() {
	if err := b.store.Close(); err != nil {
		b.log.Error("closing kv store", "err", err)
	}
	if err := b.db.Close(); err != nil {
		b.log.Error("closing database", "err", err)
	}
}

func (b *base) migrate(ctx context.Context) error {
	applied, err := b.db.Migrate(ctx)
	if err != nil {
		return err
	}
	b.log.Info("database migrations", "applied", applied, "schema_version", model.LatestVersion())
	return nil
}

// loadWords reads the sensitive-word list: YV_SENSITIVE_WORDS_FILE or the
// built-in one.
func loadWords(cfg config.Config) (*question.Words, error) {
	raw := config.DefaultSensitiveWords
	if cfg.SensitiveWordsFile != "" {
		var err error
		if raw, err = os.ReadFile(cfg.SensitiveWordsFile); err != nil {
			return nil, fmt.Errorf("读取敏感词文件 YV_SENSITIVE_WORDS_FILE=%s 失败: %w", cfg.SensitiveWordsFile, err)
		}
	}
	return question.ParseWords(raw), nil
}

func loadMenu(cfg config.Config) (*menu.Menu, error) {
	raw := config.DefaultMenu
	if cfg.MenuFile != "" {
		var err error
		if raw, err = os.ReadFile(cfg.MenuFile); err != nil {
			return nil, fmt.Errorf("读取菜单文件失败（YV_MENU_FILE）: %w", err)
		}
	}
	return menu.Parse(raw, cfg.PublicURL)
}

func migrate(ctx context.Context, configFile string, getenv func(string) string, stdout, stderr io.Writer) error {
	b, err := open(ctx, configFile, getenv, stderr)
	if err != nil {
		return err
	}
	defer b.close()
	if err := b.migrate(ctx); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "数据库已是最新版本 %d\n", model.LatestVersion())
	return nil
}

func menuSync(ctx context.Context, configFile string, getenv func(string) string, stdout, stderr io.Writer) error {
	cfg, err := config.Load(configFile, getenv)
	if err != nil {
		return err
	}
	m, err := loadMenu(cfg)
	if err != nil {
		return err
	}
	if !cfg.Real() {
		fmt.Fprintln(stdout, "菜单校验通过。沙箱模式（未配置微信凭据）：未推送到微信。")
		return nil
	}
	b, err := open(ctx, configFile, getenv, stderr)
	if err != nil {
		return err
	}
	defer b.close()
	client, err := wxapi.New(b.cred, b.store, b.log)
	if err != nil {
		return err
	}
	if err := client.CreateMenu(ctx, m.Buttons()); err != nil {
		return fmt.Errorf("推送菜单失败: %w", err)
	}
	fmt.Fprintln(stdout, "菜单已推送到微信，约 5 分钟内对用户生效。")
	return nil
}

// statsRebuild recomputes the statistics roll-ups from the base tables:
// needed after data was written into them directly (a bulk load), which
// the builder's passes do not see. Reports read the base tables while it
// runs; a running server's builder waits for its lease.
func statsRebuild(ctx context.Context, configFile string, getenv func(string) string, stdout, stderr io.Writer) error {
	b, err := open(ctx, configFile, getenv, stderr)
	if err != nil {
		return err
	}
	defer b.close()
	if err := b.migrate(ctx); err != nil {
		return err
	}
	svc, err := stats.New(b.db, clock.Real{})
	if err != nil {
		return err
	}
	began := time.Now()
	// The open-question counts of the overdue view are rebuilt with the
	// roll-ups: both are what a bulk import or a repair must redo.
	if err := question.RecountOpen(ctx, b.db); err != nil {
		return fmt.Errorf("重算未答复问题计数失败: %w", err)
	}
	for {
		days, err := svc.Rebuild(ctx)
		if errors.Is(err, stats.ErrBusy) {
			fmt.Fprintln(stderr, "另一个实例正在更新统计汇总，等待 5 秒后重试…")
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(5 * time.Second):
			}
			continue
		}
		if err != nil {
			return fmt.Errorf("重算统计汇总失败: %w", err)
		}
		fmt.Fprintf(stdout, "统计汇总已重算：%d 天，用时 %s\n", days, time.Since(began).Round(time.Millisecond))
		return nil
	}
}
