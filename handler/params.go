package handler

import (
	"errors"
	"reflect"
	"strconv"

	"github.com/gin-gonic/gin"
	"github.com/go-playground/validator/v10"

	"github.com/gdyouth/youthvoice/model"
	"github.com/gdyouth/youthvoice/service"
	"github.com/gdyouth/youthvoice/service/question"
)

// paramID reads the positive integer path parameter name; anything else
// is answered with bad (a NotFound on pages, an Invalid on the API). Ids
// are at most 2^63-1: the databases' signed BIGINT, and the most the
// SQLite driver takes.
func paramID(c *gin.Context, name string, bad error) (uint64, error) {
	id, err := strconv.ParseUint(c.Param(name), 10, 63)
	if err != nil || id == 0 {
		return 0, bad
	}
	return id, nil
}

// pageParam reads ?page=: 1 when absent or not a positive number, at most
// 500 (the services cap it too).
func pageParam(c *gin.Context) int {
	p, err := strconv.Atoi(c.Query("page"))
	if err != nil || p < 1 {
		return 1
	}
	return min(p, 500)
}

// pageOptions reads where a list page is: ?after= or ?before= (cursors
// from a neighbouring page), else ?page= (old links, by number).
func pageOptions(c *gin.Context) question.PageOptions {
	return question.PageOptions{Page: pageParam(c), After: c.Query("after"), Before: c.Query("before")}
}

// userAndID is the signed-in user and the :id of an API route; it
// responds itself when ok is false.
func (w *Web) userAndID(c *gin.Context) (u model.User, id uint64, ok bool) {
	user, signedIn := w.requireUser(c)
	if !signedIn {
		return u, 0, false
	}
	id, err := apiPathID(c)
	if err != nil {
		w.fail(c, err)
		return u, 0, false
	}
	return *user, id, true
}

var (
	errTooLong = service.Invalid("too_long", "输入内容过长", nil)
	errBadForm = service.Invalid("bad_form", "提交的内容格式不正确（选项或编号无效），请返回页面重新填写", nil)
)

// bindError is what a page says when binding its form failed: a value
// over its length limit, or one that cannot be read as its field's type
// (a yes/no or number field holding something else) or is missing.
func bindError(err error) error {
	var se *service.Error
	if errors.As(err, &se) {
		return err // already says what is wrong
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
	return errTooLong
}
