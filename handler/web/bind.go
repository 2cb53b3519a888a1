package web

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"reflect"
	"strings"

	"github.com/gin-gonic/gin"
	"github.com/go-playground/validator/v10"

	"github.com/gdyouth/youthvoice/service"
)

// MaxBody is the largest request body a page form or an API call may
// send; larger ones are refused with 413 before anything reads them.
const MaxBody = 64 << 10

// msgTooLong is the message of a form value over its length limit.
const msgTooLong = "输入内容过长"

// errTooLarge is the kind of errBodyTooLarge (StatusOf: 413).
var errTooLarge = errors.New("request body too large")

var (
	errBodyTooLarge = &service.Error{Kind: errTooLarge, Code: "body_too_large",
		Message: "提交的内容过大（不能超过 64 KiB），请删减后重试"}
	errBadBody = service.Invalid("bad_body", "请求体读取失败，请重试", nil)
	errBadJSON = service.Invalid("bad_json", "请求体不是有效的 JSON 或字段过长", nil)
	// ErrTooLong is a page's error for a value over its length limit (also
	// for a form field the handler reads itself rather than through Bind).
	ErrTooLong = service.Invalid("too_long", msgTooLong, nil)
	errBadForm = service.Invalid("bad_form", "提交的内容格式不正确（选项或编号无效），请返回页面重新填写", nil)
)

// LimitBody refuses a body over MaxBody (a multipart one to an Upload
// route: over its own cap) with 413, before the CSRF check
// or a handler reads it: by its Content-Length, or, sent chunked, by
// reading at most MaxBody+1 bytes of it here. Group puts it first on
// every group; a route outside a Group (the sandbox's fake WeChat API)
// adds it itself.
func (k *Kit) LimitBody(c *gin.Context) {
	r := c.Request
	limit, tooLarge := int64(MaxBody), error(errBodyTooLarge)
	// An Upload route's larger cap is for its files: a JSON or urlencoded
	// body to it is capped like any other.
	if up, ok := k.uploads[r.Method+" "+c.FullPath()]; ok && IsMultipart(c) {
		limit, tooLarge = up, uploadTooLarge(up)
	}
	if r.ContentLength > limit {
		k.refuseBody(c, tooLarge)
		return
	}
	if r.ContentLength < 0 {
		body, err := io.ReadAll(io.LimitReader(r.Body, limit+1))
		switch {
		case int64(len(body)) > limit:
			k.refuseBody(c, tooLarge)
			return
		case err != nil:
			k.refuseBody(c, errBadBody)
			return
		}
		r.Body, r.ContentLength = io.NopCloser(bytes.NewReader(body)), int64(len(body))
	}
	r.Body = http.MaxBytesReader(c.Writer, r.Body, limit)
	c.Next()
}

// Bind decodes the request into req, a pointer to a request struct whose
// binding tags set each field's limits. The body is capped at MaxBody
// before anything is decoded (413 beyond). Under /api the body is JSON
// whatever its Content-Type, and a field over its limit, or a required
// one missing, is named in the error's fields; a page's form gets the
// page's messages (输入内容过长, or a value that is not an option).
func Bind(c *gin.Context, req any) error {
	c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, MaxBody)
	if WantsJSON(c) {
		return jsonError(req, c.ShouldBindJSON(req))
	}
	return formError(req, c.ShouldBind(req))
}

// BindQuery decodes the query string into req; errors as for a form.
func BindQuery(c *gin.Context, req any) error {
	return formError(req, c.ShouldBindQuery(req))
}

// jsonError is what the API says when binding its JSON body failed.
func jsonError(req any, err error) error {
	if err == nil {
		return nil
	}
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		return errBodyTooLarge
	}
	if fields := bindingFields(req, err, "json"); len(fields) > 0 {
		return service.Invalid("invalid_input", "请求内容有误，请检查标出的字段", fields)
	}
	return errBadJSON
}

// formError is what a page says when binding its form failed: a value
// over its length limit, or one that cannot be read as its field's type
// (a yes/no or number field holding something else) or is missing. Every
// field over its limit is named, so the form marks them all.
func formError(req any, err error) error {
	if err == nil {
		return nil
	}
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		return errBodyTooLarge
	}
	var ve validator.ValidationErrors
	if !errors.As(err, &ve) {
		return errBadForm
	}
	for _, fe := range ve {
		// max on a number (an id past the largest) is a bad value, not a
		// long one.
		if fe.Tag() != "max" || fe.Kind() != reflect.String {
			return errBadForm
		}
	}
	return service.Invalid("too_long", msgTooLong, bindingFields(req, err, "form"))
}

// fieldError is the part of validator's FieldError the binder reads.
type fieldError interface {
	StructField() string
	Tag() string
	Param() string
}

// bindingFields maps binding validation errors (validator's
// ValidationErrors, a slice of FieldError) to field names (by the struct
// tag named tag: json or form) and Chinese messages; nil for any other
// error.
func bindingFields(req any, err error, tag string) map[string]string {
	v := reflect.ValueOf(err)
	if v.Kind() != reflect.Slice || v.Len() == 0 {
		return nil
	}
	t := reflect.TypeOf(req)
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	fields := map[string]string{}
	for i := range v.Len() {
		fe, ok := v.Index(i).Interface().(fieldError)
		if !ok {
			return nil
		}
		name := fe.StructField()
		if sf, ok := t.FieldByName(name); ok {
			if n, _, _ := strings.Cut(sf.Tag.Get(tag), ","); n != "" && n != "-" {
				name = n
			}
		}
		switch fe.Tag() {
		case "max":
			fields[name] = "不能超过 " + fe.Param() + " 个字"
		case "required":
			fields[name] = "此项必填"
		default:
			fields[name] = "取值无效"
		}
	}
	return fields
}
