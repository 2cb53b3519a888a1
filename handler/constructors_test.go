package handler_test

import (
	"context"
	"io"
	"log/slog"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/gdyouth/youthvoice/handler"
	"github.com/gdyouth/youthvoice/handler/api"
	"github.com/gdyouth/youthvoice/handler/h5"
	"github.com/gdyouth/youthvoice/handler/sandbox"
	"github.com/gdyouth/youthvoice/handler/web"
	"github.com/gdyouth/youthvoice/handler/wechat"
	"github.com/gdyouth/youthvoice/service/account"
	"github.com/gdyouth/youthvoice/service/clock"
	"github.com/gdyouth/youthvoice/service/kv"
	"github.com/gdyouth/youthvoice/service/session"
	"github.com/gdyouth/youthvoice/service/wxapi/wxfake"
)

type oauthStub struct{}

func (oauthStub) OAuthOpenID(context.Context, string) (string, error) { return "", nil }

// Every constructor of the handler packages refuses a nil dependency with
// an error (never a handler that panics on its first request).
func TestConstructorsRejectNil(t *testing.T) {
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	// A kit whose services are never called: only its construction counts.
	store, err := kv.NewMemory(clock.Real{})
	if err != nil {
		t.Fatal(err)
	}
	kit, err := web.New(&account.Service{}, &session.Store{}, store, log, web.Options{})
	if err != nil {
		t.Fatal(err)
	}
	fake := wxfake.New()
	for name, build := range map[string]func() error{
		"web.New": func() error { _, err := web.New(nil, nil, nil, nil, web.Options{}); return err },
		"web.New without log": func() error {
			_, err := web.New(&account.Service{}, &session.Store{}, store, nil, web.Options{})
			return err
		},
		"web.New without kv": func() error {
			_, err := web.New(&account.Service{}, &session.Store{}, nil, log, web.Options{})
			return err
		},
		"h5.New": func() error { _, err := h5.New(nil, web.Services{}, nil); return err },
		"h5.New without services": func() error {
			_, err := h5.New(kit, web.Services{}, oauthStub{})
			return err
		},
		"api.New":                  func() error { _, err := api.New(nil, web.Services{}); return err },
		"api.New without services": func() error { _, err := api.New(kit, web.Services{}); return err },
		"sandbox.New":              func() error { _, err := sandbox.New(nil, fake, sandbox.Options{DataDir: t.TempDir()}); return err },
		"sandbox.New without fake": func() error { _, err := sandbox.New(kit, nil, sandbox.Options{DataDir: t.TempDir()}); return err },
		"sandbox.NewAPI":           func() error { _, err := sandbox.NewAPI(nil, fake); return err },
		"sandbox.NewAPI without fake": func() error {
			_, err := sandbox.NewAPI(kit, nil)
			return err
		},
		"wechat.New": func() error {
			_, err := wechat.New(nil, "token", nil, nil, nil, nil, wechat.Options{})
			return err
		},
		"handler.NewOps":    func() error { _, err := handler.NewOps(nil, nil); return err },
		"handler.NewRouter": func() error { _, err := handler.NewRouter(nil, prometheus.NewRegistry(), nil); return err },
	} {
		if err := build(); err == nil {
			t.Errorf("%s accepted a nil dependency", name)
		}
	}
}
