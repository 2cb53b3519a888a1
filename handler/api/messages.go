package api

import (
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/gdyouth/youthvoice/model"
	"github.com/gdyouth/youthvoice/service"
	"github.com/gdyouth/youthvoice/service/inbox"
)

func (w *API) registerMessages(r gin.IRouter) {
	r.GET("/messages", w.apiMessages)
	r.GET("/messages/unread-count", w.apiUnreadMessages)
	r.POST("/messages/read-all", w.apiReadAllMessages)
	r.POST("/messages/:id/read", w.apiReadMessage)
}

var errMessageID = service.Invalid("bad_id", "消息编号无效", nil)

// apiMessageView is a message of 我的消息.
type apiMessageView struct {
	ID        uint64     `json:"id"`
	Kind      string     `json:"kind"`
	Title     string     `json:"title"`
	Summary   string     `json:"summary"`
	Path      string     `json:"path"`
	CreatedAt time.Time  `json:"created_at"`
	Read      bool       `json:"read"`
	ReadAt    *time.Time `json:"read_at,omitempty"`
}

func viewMessage(m model.Message) apiMessageView {
	return apiMessageView{ID: m.ID, Kind: m.Kind, Title: m.Title, Summary: m.Summary, Path: m.Path,
		CreatedAt: m.CreatedAt, Read: m.ReadAt != nil, ReadAt: m.ReadAt}
}

// apiMessages is the caller's 我的消息, newest first, ?after= a cursor.
func (w *API) apiMessages(c *gin.Context) {
	u, signedIn := w.kit.RequireUser(c)
	if !signedIn {
		return
	}
	p, err := w.svc.Inbox.List(c.Request.Context(), *u, c.Query("after"))
	if err != nil {
		w.kit.Fail(c, err)
		return
	}
	ok(c, http.StatusOK, gin.H{"messages": viewAll(p.Messages, viewMessage), "next_cursor": p.Next, "page_size": inbox.PageSize})
}

func (w *API) apiUnreadMessages(c *gin.Context) {
	u, signedIn := w.kit.RequireUser(c)
	if !signedIn {
		return
	}
	n, err := w.svc.Inbox.Unread(c.Request.Context(), *u)
	if err != nil {
		w.kit.Fail(c, err)
		return
	}
	ok(c, http.StatusOK, gin.H{"unread": n})
}

// apiReadMessage marks one of the caller's messages read.
func (w *API) apiReadMessage(c *gin.Context) {
	u, id, signedIn := w.kit.UserAndID(c, "id", errMessageID)
	if !signedIn {
		return
	}
	m, err := w.svc.Inbox.Open(c.Request.Context(), u, id)
	if err != nil {
		w.kit.Fail(c, err)
		return
	}
	ok(c, http.StatusOK, viewMessage(m))
}

func (w *API) apiReadAllMessages(c *gin.Context) {
	u, signedIn := w.kit.RequireUser(c)
	if !signedIn {
		return
	}
	n, err := w.svc.Inbox.ReadAll(c.Request.Context(), *u)
	if err != nil {
		w.kit.Fail(c, err)
		return
	}
	ok(c, http.StatusOK, gin.H{"marked": n})
}
