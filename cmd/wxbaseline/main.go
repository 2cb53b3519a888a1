// Command wxbaseline is the yardstick for `make bench`: silenceper/wechat's
// README echo handler mounted on a bare gin engine, with the same app id and
// token as the project's sandbox. It does no deduplication, stores nothing
// and logs nothing; the project must match its throughput while doing both.
//
//	wxbaseline -addr 127.0.0.1:8081
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/silenceper/wechat/v2/cache"
	"github.com/silenceper/wechat/v2/officialaccount"
	offConfig "github.com/silenceper/wechat/v2/officialaccount/config"
	"github.com/silenceper/wechat/v2/officialaccount/message"
	"github.com/sirupsen/logrus"
)

// The project's sandbox credentials (cmd/youthvoice/app.go).
const (
	sandboxAppID  = "wxsandbox0000000000"
	sandboxSecret = "sandbox-secret"
	sandboxToken  = "sandbox"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8081", "listen address")
	flag.Parse()

	// The project keeps silenceper's logrus at warn; so does the baseline.
	logrus.SetOutput(os.Stderr)
	logrus.SetLevel(logrus.WarnLevel)
	gin.SetMode(gin.ReleaseMode)

	// silenceper's README but for the credentials, and for building the
	// account with officialaccount.NewOfficialAccount, which is all that
	// wechat.NewWechat().GetOfficialAccount does (the root package would
	// pull the pay/work modules into go.sum).
	memory := cache.NewMemory()
	cfg := &offConfig.Config{
		AppID:     sandboxAppID,
		AppSecret: sandboxSecret,
		Token:     sandboxToken,
		Cache:     memory,
	}
	officialAccount := officialaccount.NewOfficialAccount(cfg)

	r := gin.New()
	r.GET("/healthz", func(c *gin.Context) { c.String(http.StatusOK, "ok") })
	r.Any("/wechat/callback", func(c *gin.Context) {
		server := officialAccount.GetServer(c.Request, c.Writer)
		server.SetMessageHandler(func(msg *message.MixMessage) *message.Reply {
			text := message.NewText(msg.Content)
			return &message.Reply{MsgType: message.MsgTypeText, MsgData: text}
		})
		if err := server.Serve(); err != nil {
			fmt.Println(err)
			return
		}
		_ = server.Send()
	})

	srv := &http.Server{Addr: *addr, Handler: r, ReadHeaderTimeout: 5 * time.Second}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}()
	if err := srv.ListenAndServe(); err != nil && !errors.Is(err, http.ErrServerClosed) {
		fmt.Fprintln(os.Stderr, "wxbaseline:", err)
		os.Exit(1)
	}
}
