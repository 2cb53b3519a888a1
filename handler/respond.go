package handler

import (
	"errors"
	"log/slog"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/gdyouth/youthvoice/service"
)

// statusOf maps service errors to HTTP statuses.
func statusOf(err error) int {
	switch {
	case errors.Is(err, service.ErrInvalid):
		return http.StatusBadRequest
	case errors.Is(err, service.ErrUnauthorized):
		return http.StatusUnauthorized
	case errors.Is(err, service.ErrForbidden):
		return http.StatusForbidden
	case errors.Is(err, service.ErrNotFound):
		return http.StatusNotFound
	case errors.Is(err, service.ErrConflict):
		return http.StatusConflict
	case errors.Is(err, service.ErrTooMany):
		return http.StatusTooManyRequests
	case errors.Is(err, service.ErrUnavailable):
		return http.StatusServiceUnavailable
	}
	return http.StatusInternalServerError
}

// APIError is the JSON error body of /api/v1.
type APIError struct {
	Code    string            `json:"code"`
	Message string            `json:"message"`
	Fields  map[string]string `json:"fields,omitempty"`
}

// describe turns err into what a user may see; unexpected errors are
// logged here, once, and shown as a generic message.
func describe(c *gin.Context, log *slog.Logger, err error) (int, APIError) {
	status := statusOf(err)
	var se *service.Error
	if errors.As(err, &se) {
		return status, APIError{Code: se.Code, Message: se.Message, Fields: se.Fields}
	}
	switch status {
	case http.StatusInternalServerError:
		log.ErrorContext(c.Request.Context(), "request failed", "route", c.FullPath(), "err", err)
		return status, APIError{Code: "internal", Message: "服务器开小差了，请稍后重试"}
	case http.StatusUnauthorized:
		return status, APIError{Code: "unauthorized", Message: "请先登录"}
	case http.StatusForbidden:
		return status, APIError{Code: "forbidden", Message: "没有权限执行此操作"}
	case http.StatusNotFound:
		return status, APIError{Code: "not_found", Message: "内容不存在"}
	case http.StatusTooManyRequests:
		return status, APIError{Code: "too_many_requests", Message: "操作过于频繁，请稍后再试"}
	case http.StatusServiceUnavailable:
		return status, APIError{Code: "unavailable", Message: "服务暂时不可用，请稍后重试"}
	}
	return status, APIError{Code: "invalid", Message: "请求有误"}
}

// wantsJSON tells API requests from page requests.
func wantsJSON(c *gin.Context) bool {
	return strings.HasPrefix(c.Request.URL.Path, "/api/")
}

// ok writes the success envelope of /api/v1.
func ok(c *gin.Context, status int, data any) {
	c.JSON(status, gin.H{"data": data})
}

// okList answers a list from a service through view, or the service's
// error.
func okList[T, V any](w *Web, c *gin.Context, items []T, err error, view func(T) V) {
	if err != nil {
		w.fail(c, err)
		return
	}
	ok(c, http.StatusOK, viewAll(items, view))
}

// viewAll maps items to their API views; an empty list is [] in JSON.
func viewAll[T, V any](items []T, view func(T) V) []V {
	out := make([]V, 0, len(items))
	for _, it := range items {
		out = append(out, view(it))
	}
	return out
}
