package web

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/gin-gonic/gin"
)

// A request its client gave up on answers 499 and logs nothing at ERROR:
// the operator's error log holds only what needs them. A real failure
// still logs, and a canceled context that is not the client's (a
// service's own deadline) stays an error.
func TestDescribeClientGone(t *testing.T) {
	var logs bytes.Buffer
	k := &Kit{log: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelInfo}))}
	describe := func(cancelRequest bool, err error) int {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		if cancelRequest {
			cancel()
		}
		c, _ := gin.CreateTestContext(httptest.NewRecorder())
		c.Request = httptest.NewRequest(http.MethodGet, "/h5/home", nil).WithContext(ctx)
		status, _ := k.Describe(c, err)
		return status
	}
	if st := describe(true, fmt.Errorf("读取通知: %w", context.Canceled)); st != StatusClientClosed || logs.Len() != 0 {
		t.Fatalf("client gone: HTTP %d, logged %q; want 499 and nothing", st, logs.String())
	}
	if st := describe(false, fmt.Errorf("读取通知: %w", context.Canceled)); st != http.StatusInternalServerError || logs.Len() == 0 {
		t.Fatalf("canceled inside the server: HTTP %d, logged %q; want 500 and an error line", st, logs.String())
	}
	logs.Reset()
	if st := describe(true, errors.New("磁盘满了")); st != http.StatusInternalServerError || logs.Len() == 0 {
		t.Fatalf("a real failure of a gone client: HTTP %d, logged %q; want 500 logged", st, logs.String())
	}
}
