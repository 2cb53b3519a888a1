package handler

import (
	"net/http"

	"github.com/gin-gonic/gin"
)

// SandboxAPIPrefix is where the sandbox serves its fake WeChat API.
const SandboxAPIPrefix = "/sandbox/wxapi"

// SandboxAPI mounts the fake WeChat API (sandbox mode only).
type SandboxAPI struct {
	fake http.Handler
}

// NewSandboxAPI wraps the fake.
func NewSandboxAPI(fake http.Handler) *SandboxAPI { return &SandboxAPI{fake: fake} }

// Register mounts the fake under SandboxAPIPrefix.
func (s *SandboxAPI) Register(r gin.IRouter) {
	h := gin.WrapH(http.StripPrefix(SandboxAPIPrefix, s.fake))
	r.Any(SandboxAPIPrefix+"/*path", h)
}
