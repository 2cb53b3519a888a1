package handler

import (
	"context"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/gdyouth/youthvoice/handler/web"
)

// Pinger is anything /readyz checks (the database, the kv store).
type Pinger interface {
	Ping(ctx context.Context) error
}

// Ops serves /healthz, /readyz and /metrics.
type Ops struct {
	checks   map[string]Pinger
	gatherer prometheus.Gatherer
}

// NewOps builds the ops endpoints; checks are named for the /readyz body.
func NewOps(checks map[string]Pinger, g prometheus.Gatherer) (*Ops, error) {
	if g == nil {
		return nil, web.NilDependency("handler.NewOps")
	}
	for name, p := range checks {
		if p == nil {
			return nil, web.NilDependency("handler.NewOps: " + name)
		}
	}
	return &Ops{checks: checks, gatherer: g}, nil
}

// Register mounts the routes.
func (o *Ops) Register(r gin.IRouter) {
	r.GET("/healthz", func(c *gin.Context) { c.String(http.StatusOK, "ok") })
	r.GET("/readyz", o.ready)
	r.GET("/metrics", gin.WrapH(promhttp.HandlerFor(o.gatherer, promhttp.HandlerOpts{})))
}

func (o *Ops) ready(c *gin.Context) {
	ctx, cancel := context.WithTimeout(c.Request.Context(), 2*time.Second)
	defer cancel()
	status, out := http.StatusOK, gin.H{}
	for name, p := range o.checks {
		if err := p.Ping(ctx); err != nil {
			status = http.StatusServiceUnavailable
			out[name] = "不可用: " + err.Error()
			continue
		}
		out[name] = "ok"
	}
	c.JSON(status, out)
}
