package web

import (
	"strconv"

	"github.com/gin-gonic/gin"

	"github.com/gdyouth/youthvoice/service/question"
)

// ParamID reads the positive integer path parameter name; anything else
// is answered with bad (a NotFound on pages, an Invalid on the API). Ids
// are at most 2^63-1: the databases' signed BIGINT, and the most the
// SQLite driver takes.
func ParamID(c *gin.Context, name string, bad error) (uint64, error) {
	id, err := strconv.ParseUint(c.Param(name), 10, 63)
	if err != nil || id == 0 {
		return 0, bad
	}
	return id, nil
}

// PageParam reads ?page=: 1 when absent or not a positive number, at most
// 500 (the services cap it too).
func PageParam(c *gin.Context) int {
	p, err := strconv.Atoi(c.Query("page"))
	if err != nil || p < 1 {
		return 1
	}
	return min(p, 500)
}

// PageOptions reads where a list page is: ?after= or ?before= (cursors
// from a neighbouring page), else ?page= (old links, by number).
func PageOptions(c *gin.Context) question.PageOptions {
	return question.PageOptions{Page: PageParam(c), After: c.Query("after"), Before: c.Query("before")}
}
