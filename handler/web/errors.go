package web

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/gdyouth/youthvoice/service"
)

// ErrorBody is the one JSON error envelope: the API's error mapping, the
// router's fallbacks (404, 405) and its panic recovery all answer with it.
type ErrorBody struct {
	Code    string            `json:"code"`
	Message string            `json:"message"`
	Fields  map[string]string `json:"fields,omitempty"`
}

// StatusOf maps service errors to HTTP statuses.
func StatusOf(err error) int {
	switch {
	case errors.Is(err, errTooLarge):
		return http.StatusRequestEntityTooLarge
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

// StatusClientClosed is the status of a request its client gave up on
// (nginx's 499 Client Closed Request).
const StatusClientClosed = 499

// Describe turns err into what a user may see; unexpected errors are
// logged here, once, and shown as a generic message.
func (k *Kit) Describe(c *gin.Context, err error) (int, ErrorBody) {
	status := StatusOf(err)
	var se *service.Error
	if errors.As(err, &se) {
		return status, ErrorBody{Code: se.Code, Message: se.Message, Fields: se.Fields}
	}
	if errors.Is(err, context.Canceled) && c.Request.Context().Err() != nil {
		// The client went away (a closed page, a proxy's timeout): not
		// the server's fault, nothing for an operator to act on. 499 is
		// nginx's code for it, so the access logs agree.
		k.log.DebugContext(c.Request.Context(), "request canceled by the client", "route", c.FullPath())
		return StatusClientClosed, ErrorBody{Code: "canceled", Message: "请求已取消"}
	}
	switch status {
	case http.StatusInternalServerError:
		k.log.ErrorContext(c.Request.Context(), "request failed", "route", c.FullPath(), "err", err)
		return status, ErrorBody{Code: "internal", Message: "服务器开小差了，请稍后重试"}
	case http.StatusUnauthorized:
		return status, ErrorBody{Code: "unauthorized", Message: "请先登录"}
	case http.StatusForbidden:
		return status, ErrorBody{Code: "forbidden", Message: "没有权限执行此操作"}
	case http.StatusNotFound:
		return status, ErrorBody{Code: "not_found", Message: "内容不存在"}
	case http.StatusTooManyRequests:
		return status, ErrorBody{Code: "too_many_requests", Message: "操作过于频繁，请稍后再试"}
	case http.StatusServiceUnavailable:
		return status, ErrorBody{Code: "unavailable", Message: "服务暂时不可用，请稍后重试"}
	}
	return status, ErrorBody{Code: "invalid", Message: "请求有误"}
}

// WantsJSON tells API requests from page requests.
func WantsJSON(c *gin.Context) bool {
	return strings.HasPrefix(c.Request.URL.Path, "/api/")
}

// Fail responds with the error: the JSON envelope under /api, the
// Chinese error page otherwise.
func (k *Kit) Fail(c *gin.Context, err error) {
	if WantsJSON(c) {
		c.JSON(k.Describe(c, err))
		return
	}
	k.FailPage(c, err, "出错了", c.Request.URL.RequestURI())
}

// FailPage shows err on the error page under title, with a 重试 link to
// retry (a form that failed links back to the page it was posted from).
//
// A failed post from one of our pages goes back to that page instead,
// which shows the message at the top (POST-redirect-GET, as for forms:
// going back or reloading never re-posts).
func (k *Kit) FailPage(c *gin.Context, err error, title, retry string) {
	status, body := k.Describe(c, err)
	if status != StatusClientClosed && k.actionFailed(c, body.Message) {
		return
	}
	k.ErrorPage(c, status, title, body.Message, retry)
}

// ErrorPage shows the error page: title, the message, and a 重试 link to
// retry when it is not empty and retrying can help. Repeating the very
// request that failed helps only when the failure was the server's or a
// passing one (5xx, 408, 429): a page that does not exist (404), a
// refusal (403) or bad input (400) stays so, and the page offers 返回
// instead — to the page the user came from, or 主页.
func (k *Kit) ErrorPage(c *gin.Context, status int, title, msg, retry string) {
	p := Page{Title: title, Error: msg, Retry: retry}
	if retry == c.Request.URL.RequestURI() && !Retryable(status) {
		p.Retry = ""
	}
	if p.Retry == "" {
		p.Back = backLink(c)
	}
	k.errorPage.Render(c, status, "error", p)
}

// Retryable reports whether repeating a request that failed with status
// may succeed: the server's failures and passing refusals.
func Retryable(status int) bool {
	return status >= 500 || status == http.StatusRequestTimeout || status == http.StatusTooManyRequests
}

// backLink is where 返回 leads without script: the H5 page the request
// came from (its Referer, when on this site and not the failed page
// itself), else 主页. With script, app.js goes back in the history.
func backLink(c *gin.Context) string {
	ref, err := url.Parse(c.Request.Referer())
	if err != nil || ref.Host != c.Request.Host {
		return "/h5/home"
	}
	back := ref.RequestURI()
	if back == c.Request.URL.RequestURI() {
		return "/h5/home"
	}
	return SafeNext(back)
}

// FormError puts err's message and field messages on a form page and
// returns the status to render it with.
func (k *Kit) FormError(c *gin.Context, p *Page, err error) int {
	status, body := k.Describe(c, err)
	p.Error, p.Fields = body.Message, body.Fields
	return status
}
