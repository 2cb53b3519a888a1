package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/gdyouth/youthvoice/config"
	"github.com/gdyouth/youthvoice/handler"
	"github.com/gdyouth/youthvoice/handler/api"
	"github.com/gdyouth/youthvoice/handler/h5"
	"github.com/gdyouth/youthvoice/handler/sandbox"
	"github.com/gdyouth/youthvoice/handler/web"
	"github.com/gdyouth/youthvoice/handler/wechat"
	"github.com/gdyouth/youthvoice/service/account"
	"github.com/gdyouth/youthvoice/service/alert"
	"github.com/gdyouth/youthvoice/service/audit"
	"github.com/gdyouth/youthvoice/service/cadre"
	"github.com/gdyouth/youthvoice/service/callback"
	"github.com/gdyouth/youthvoice/service/clock"
	"github.com/gdyouth/youthvoice/service/inbox"
	"github.com/gdyouth/youthvoice/service/notice"
	"github.com/gdyouth/youthvoice/service/notify"
	"github.com/gdyouth/youthvoice/service/onboarding"
	"github.com/gdyouth/youthvoice/service/photo"
	"github.com/gdyouth/youthvoice/service/privacy"
	"github.com/gdyouth/youthvoice/service/promotion"
	"github.com/gdyouth/youthvoice/service/question"
	"github.com/gdyouth/youthvoice/service/retention"
	"github.com/gdyouth/youthvoice/service/scanlogin"
	"github.com/gdyouth/youthvoice/service/session"
	"github.com/gdyouth/youthvoice/service/station"
	"github.com/gdyouth/youthvoice/service/stats"
	"github.com/gdyouth/youthvoice/service/storage"
	"github.com/gdyouth/youthvoice/service/wxapi"
	"github.com/gdyouth/youthvoice/service/wxapi/wxfake"
)

// loopback turns a listener address such as [::]:8080 into one this
// process can call itself on.
func loopback(a net.Addr) string {
	tcp, ok := a.(*net.TCPAddr)
	if !ok || tcp.IP == nil || tcp.IP.IsUnspecified() {
		_, port, _ := net.SplitHostPort(a.String())
		return net.JoinHostPort("127.0.0.1", port)
	}
	return tcp.String()
}

// photoStore is where the photos of questions and answers are kept:
// S3-compatible object storage when YV_S3_ENDPOINT is set (several
// instances), a directory under YV_DATA_DIR otherwise.
func photoStore(cfg config.Config) (storage.Store, error) {
	if cfg.S3.Enabled() {
		return storage.NewS3(storage.S3Options{Endpoint: cfg.S3.Endpoint, Bucket: cfg.S3.Bucket, AccessKey: cfg.S3.AccessKey,
			SecretKey: cfg.S3.SecretKey, Region: cfg.S3.Region, UseSSL: cfg.S3.UseSSL})
	}
	return storage.NewDir(cfg.PhotoDir())
}

// serve runs the HTTP server until ctx is cancelled (SIGINT/SIGTERM), then
// stops accepting connections, finishes in-flight requests and flushes.
// rollupEvery is how often the statistics roll-ups catch up with the
// changes: the reports' figures are at most this old (数据截至 on the page).
const rollupEvery = 15 * time.Second

// retentionEvery is how often the retention purge runs.
const retentionEvery = 10 * time.Minute

func serve(ctx context.Context, configFile string, getenv func(string) string, stderr io.Writer) error {
	b, err := open(ctx, configFile, getenv, stderr)
	if err != nil {
		return err
	}
	defer b.close()
	if err := b.migrate(ctx); err != nil {
		return err
	}
	gc, from := tuneGC(b.cfg.GCPercent, getenv)
	limit, limitFrom := tuneMemoryLimit(b.cfg.MemoryLimitMiB, getenv)
	limitMiB := "none"
	if limit != math.MaxInt64 {
		limitMiB = strconv.FormatInt(limit>>20, 10)
	}
	b.log.Info("garbage collector target", "gc_percent", gc, "from", from, "memory_limit_mib", limitMiB, "memory_limit_from", limitFrom)
	ln, err := net.Listen("tcp", b.cfg.Addr)
	if err != nil {
		return fmt.Errorf("无法监听 YV_ADDR=%s: %w", b.cfg.Addr, err)
	}
	return serveOn(ctx, b, ln)
}

func serveOn(ctx context.Context, b *base, ln net.Listener) error {
	m, err := loadMenu(b.cfg)
	if err != nil {
		return err
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))

	clk := clock.Real{}
	client, err := wxapi.New(b.cred, b.store, b.log)
	if err != nil {
		return err
	}
	recorder, err := callback.NewRecorder(b.db, b.log, reg, callback.RecorderOptions{})
	if err != nil {
		return err
	}
	defer recorder.Close()
	words, err := loadWords(b.cfg)
	if err != nil {
		return err
	}
	accounts, err := account.New(b.db, b.store, clk, b.log, account.Options{Throttle: account.Throttle{MaxIPFailures: b.cfg.LoginIPFailures},
		AdminScanOnly: b.cfg.AdminLogin == config.AdminLoginScan, Words: words})
	if err != nil {
		return err
	}
	scans, err := scanlogin.New(accounts, b.store, clk, client, b.log, scanlogin.Options{PublicURL: b.cfg.PublicURL})
	if err != nil {
		return err
	}
	cb, err := callback.New(b.db, b.store, m, clk, recorder, b.log, reg, callback.Options{DedupeTTL: b.cfg.WeChat.DedupeTTL, Logins: scans})
	if err != nil {
		return err
	}
	wxCallback, err := wechat.New(client.OfficialAccount(), b.cred.Token, cb, clk, b.log, reg,
		wechat.Options{MaxSkew: b.cfg.WeChat.MaxClockSkew, RequireAES: b.cfg.WeChat.RequireAES})
	if err != nil {
		return err
	}
	ops, err := handler.NewOps(map[string]handler.Pinger{"database": b.db, "kv": b.store}, reg)
	if err != nil {
		return err
	}
	sessions, err := session.New(b.store, clk, 0, 0)
	if err != nil {
		return err
	}
	outbox, err := alert.NewOutbox(b.db, clk)
	if err != nil {
		return err
	}
	messages, err := inbox.New(b.db, clk)
	if err != nil {
		return err
	}
	notifier, err := notify.New(outbox, messages, notify.FromConfig(b.cfg.Alerts.Templates, !b.cfg.Real()), b.cfg.PublicURL)
	if err != nil {
		return err
	}
	if missing := notifier.Unconfigured(); len(missing) > 0 {
		b.log.Warn("部分模板消息未配置模板 ID，这些提醒不会发送", "templates", missing)
	}
	questions, err := question.New(b.db, clk, notifier, words, b.log)
	if err != nil {
		return err
	}
	cadres, err := cadre.New(b.db, clk, notifier)
	if err != nil {
		return err
	}
	workdays, err := loadCalendar(b.cfg)
	if err != nil {
		return err
	}
	stations, err := station.New(b.db, clk, notifier, b.log, workdays, b.cfg.StationYear)
	if err != nil {
		return err
	}
	statistics, err := stats.New(b.db, clk)
	if err != nil {
		return err
	}
	purger, err := retention.New(b.db, statistics, clk, b.log, reg, retention.Options{
		InteractionDays: b.cfg.Retention.InteractionDays, MessageDays: b.cfg.Retention.MessageDays})
	if err != nil {
		return err
	}
	onboard, err := onboarding.New(b.db, clk, notifier, b.log, workdays)
	if err != nil {
		return err
	}
	notices, err := notice.New(b.db, clk, notifier)
	if err != nil {
		return err
	}
	sender, err := alert.NewSender(b.db, client, clk, b.log, reg, alert.Options{Batch: b.cfg.Alerts.Batch, Workers: b.cfg.Alerts.Workers})
	if err != nil {
		return err
	}
	kit, err := web.New(accounts, sessions, b.store, b.log, web.Options{PublicURL: b.cfg.PublicURL, AppID: b.cred.AppID, Sandbox: !b.cfg.Real(),
		AdminIdle: b.cfg.AdminIdleTimeout})
	if err != nil {
		return err
	}
	promo, err := promotion.New(b.db, client, clk, b.log, promotion.Options{FontPath: b.cfg.PosterFont})
	if err != nil {
		return err
	}
	if font, err := promo.CheckFont(); err != nil {
		b.log.Warn("推广海报没有可用的中文字体，海报下载将返回 503（二维码图片不受影响）：请 apt-get install fonts-noto-cjk，或用 YV_POSTER_FONT 指定字体文件",
			"err", err)
	} else {
		b.log.Info("poster font", "path", font)
	}
	passwords, err := account.NewPasswords(accounts, notifier)
	if err != nil {
		return err
	}
	trail, err := audit.New(b.db, clk, audit.Options{RetentionDays: b.cfg.AuditRetentionDays})
	if err != nil {
		return err
	}
	priv, err := privacy.New(b.db, b.store, clk, b.log)
	if err != nil {
		return err
	}
	files, err := photoStore(b.cfg)
	if err != nil {
		return err
	}
	b.log.Info("photo storage", "store", files.Name())
	photos, err := photo.New(b.db, files, questions, client, clk, b.log, b.cfg.PublicURL)
	if err != nil {
		return err
	}
	svc := web.Services{Accounts: accounts, Questions: questions, Cadres: cadres, Stations: stations, Stats: statistics,
		Onboarding: onboard, Notices: notices, Promotion: promo, Inbox: messages, Outbox: outbox, Passwords: passwords,
		Photos: photos, Privacy: priv, Audit: trail, ScanLogins: scans}
	pages, err := h5.New(kit, svc, client)
	if err != nil {
		return err
	}
	jsonAPI, err := api.New(kit, svc)
	if err != nil {
		return err
	}
	groups := []handler.Registrar{ops, wxCallback, pages, jsonAPI}
	if !b.cfg.Real() {
		// Sandbox: WeChat's API is the built-in fake, served by this
		// process, so every call takes the same path as in production.
		self := "http://" + loopback(ln.Addr())
		fake := wxfake.New()
		fake.AddApp(b.cred.AppID, b.cred.Secret)
		fakeAPI, err := sandbox.NewAPI(kit, fake)
		if err != nil {
			return err
		}
		sb, err := sandbox.New(kit, fake, sandbox.Options{
			AppID: b.cred.AppID, Token: b.cred.Token, CallbackURL: self + "/wechat/callback",
			PublicURL: b.cfg.PublicURL, DataDir: b.cfg.DataDir, Menu: m.Buttons(),
		})
		if err != nil {
			return err
		}
		groups = append(groups, fakeAPI, sb)
		wxapi.Configure(self+sandbox.APIPrefix, 5*time.Second)
		b.log.Warn("沙箱模式：未配置微信凭据，微信接口与微信客户端由内置模拟服务提供", "console", b.cfg.PublicURL+"/sandbox")
	}
	gin.SetMode(gin.ReleaseMode)
	router, err := handler.NewRouter(b.log, reg, b.cfg.TrustedProxies, groups...)
	if err != nil {
		return err
	}

	srv := &http.Server{
		Handler:           router,
		ReadTimeout:       b.cfg.HTTP.ReadTimeout,
		ReadHeaderTimeout: 5 * time.Second,
		WriteTimeout:      b.cfg.HTTP.WriteTimeout,
		IdleTimeout:       b.cfg.HTTP.IdleTimeout,
		MaxHeaderBytes:    64 << 10,
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	// Background work: the alert outbox, the 24-hour timers and the
	// statistics roll-ups. All are safe with several instances (row claims,
	// a lease), so every instance runs them.
	bg, stopBG := context.WithCancel(context.WithoutCancel(ctx))
	var wg sync.WaitGroup
	wg.Add(5)
	go func() { defer wg.Done(); sender.Run(bg, b.cfg.Alerts.PollInterval) }()
	go func() { defer wg.Done(); questions.RunTimers(bg, 30*time.Second) }()
	go func() { defer wg.Done(); stations.RunTimers(bg, 30*time.Second) }()
	// Onboarding counts in days: a minute is prompt enough, and a sweep
	// reads at most the 166 universities not yet operating.
	go func() { defer wg.Done(); onboard.RunTimers(bg, time.Minute) }()
	go func() { defer wg.Done(); statistics.RunRollups(bg, rollupEvery, b.log) }()
	// Retention: old rows go in small batches (service/retention); every
	// 10 minutes keeps each run short at province volume.
	wg.Add(1)
	go func() { defer wg.Done(); purger.Run(bg, retentionEvery) }()
	// The audit trail's retention: hourly is prompt enough for a limit in
	// days, and each run removes small batches (a moment's lock each).
	wg.Add(1)
	go func() { defer wg.Done(); trail.RunRetention(bg, time.Hour, b.log) }()
	// The read replica's freshness (数据截至); returns at once without one.
	wg.Add(1)
	go func() { defer wg.Done(); b.db.RunReportsHeartbeat(bg) }()
	defer func() { stopBG(); wg.Wait() }()

	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	b.log.Info("listening", "addr", ln.Addr().String(), "public_url", b.cfg.PublicURL, "sandbox", !b.cfg.Real())

	select {
	case err := <-errc:
		return fmt.Errorf("HTTP 服务异常退出: %w", err)
	case <-ctx.Done():
	}
	b.log.Info("shutting down; finishing in-flight requests", "timeout", b.cfg.HTTP.ShutdownTimeout)
	// No new background work while requests drain: the sender hands back
	// what it has not sent, the timers stop claiming.
	bgStopped := make(chan struct{})
	go func() {
		stopBG()
		wg.Wait()
		b.log.Info("background work stopped")
		close(bgStopped)
	}()
	sctx, cancel := context.WithTimeout(context.Background(), b.cfg.HTTP.ShutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("优雅停机超时: %w", err)
	}
	<-bgStopped
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	b.log.Info("stopped")
	return nil
}
