package handler

import (
	"strconv"

	"github.com/gin-gonic/gin"

	"github.com/gdyouth/youthvoice/model"
)

// paramID reads the positive integer path parameter name; anything else
// is answered with bad (a NotFound on pages, an Invalid on the API).
func paramID(c *gin.Context, name string, bad error) (uint64, error) {
	id, err := strconv.ParseUint(c.Param(name), 10, 64)
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
