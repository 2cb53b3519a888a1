// Package handler builds the HTTP server: the router with panic
// recovery, request metrics and access logs (NewRouter), the ops
// endpoints (/healthz, /readyz, /metrics), and the mounting of the route
// groups of its subpackages, one per audience: h5 (pages), api (JSON),
// sandbox (the fake WeChat), wechat (the callback). They share the kit in
// handler/web.
package handler

import (
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/gdyouth/youthvoice/handler/web"
)

// Registrar is a group of routes.
type Registrar interface {
	Register(r gin.IRouter)
}

// pageFallback is a route group with pages of its own: it answers the
// requests under its paths that no route matched with its error page,
// and reports whether it did.
type pageFallback interface {
	Unmatched(c *gin.Context, status int, msg string) bool
}

// NewRouter builds the gin engine with recovery, request metrics and
// access logs, and mounts the given route groups.
func NewRouter(log *slog.Logger, reg prometheus.Registerer, trustedProxies []string, groups ...Registrar) (*gin.Engine, error) {
	if log == nil || reg == nil {
		return nil, web.NilDependency("handler.NewRouter")
	}
	requests := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "youthvoice_http_requests_total",
		Help: "HTTP requests by route, method and status.",
	}, []string{"route", "method", "status"})
	latency := prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "youthvoice_http_request_duration_seconds",
		Help:    "HTTP request latency by route.",
		Buckets: []float64{.001, .0025, .005, .01, .02, .05, .1, .25, .5, 1, 2.5, 5},
	}, []string{"route", "method"})
	if err := reg.Register(requests); err != nil {
		return nil, err
	}
	if err := reg.Register(latency); err != nil {
		return nil, err
	}

	r := gin.New()
	if err := r.SetTrustedProxies(trustedProxies); err != nil {
		return nil, fmt.Errorf("YV_TRUSTED_PROXIES: %w", err)
	}
	r.ContextWithFallback = true
	r.HandleMethodNotAllowed = true
	var warnedProxy atomic.Bool
	r.Use(recovery(log), func(c *gin.Context) {
		start := time.Now()
		// A proxy forwards requests but is not trusted: every client looks
		// like the proxy, and per-IP login throttling would lock everyone
		// out together. Said once (and checked only until then), so the
		// log stays readable and proxied requests pay nothing after.
		if !warnedProxy.Load() && c.GetHeader("X-Forwarded-For") != "" && c.ClientIP() == c.RemoteIP() &&
			warnedProxy.CompareAndSwap(false, true) {
			log.WarnContext(c.Request.Context(), "X-Forwarded-For from an address not in YV_TRUSTED_PROXIES: every client is seen as this proxy and shares its login throttle; add the proxy's address to YV_TRUSTED_PROXIES",
				"remote", c.RemoteIP())
		}
		c.Next()
		route := c.FullPath()
		if route == "" {
			route = "unmatched"
		}
		elapsed := time.Since(start)
		status := c.Writer.Status()
		requests.WithLabelValues(route, c.Request.Method, strconv.Itoa(status)).Inc()
		latency.WithLabelValues(route, c.Request.Method).Observe(elapsed.Seconds())
		if log.Enabled(c.Request.Context(), slog.LevelDebug) {
			log.DebugContext(c.Request.Context(), "http", "method", c.Request.Method, "route", route,
				"status", status, "ms", elapsed.Milliseconds(), "remote", c.ClientIP())
		}
	})
	unmatched := func(status int, body web.ErrorBody) gin.HandlerFunc {
		return func(c *gin.Context) {
			for _, g := range groups {
				if p, ok := g.(pageFallback); ok && p.Unmatched(c, status, body.Message) {
					return
				}
			}
			c.JSON(status, body)
		}
	}
	r.NoRoute(unmatched(http.StatusNotFound, web.ErrorBody{Code: "not_found", Message: "页面不存在"}))
	r.NoMethod(unmatched(http.StatusMethodNotAllowed, web.ErrorBody{Code: "method_not_allowed", Message: "不支持该请求方法"}))
	for _, g := range groups {
		g.Register(r)
	}
	return r, nil
}

// recovery turns a panic into a logged 500 instead of a dropped connection.
func recovery(log *slog.Logger) gin.HandlerFunc {
	return gin.CustomRecoveryWithWriter(nil, func(c *gin.Context, err any) {
		log.ErrorContext(c.Request.Context(), "panic in handler", "route", c.FullPath(), "panic", err)
		c.AbortWithStatusJSON(http.StatusInternalServerError, web.ErrorBody{Code: "internal", Message: "服务器内部错误，请稍后重试"})
	})
}
