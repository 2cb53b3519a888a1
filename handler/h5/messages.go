package h5

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/gdyouth/youthvoice/handler/web"
	"github.com/gdyouth/youthvoice/service"
	"github.com/gdyouth/youthvoice/service/inbox"
)

// registerMessagePages mounts 我的消息: the list, a message (opening it
// marks it read and goes to its page) and 全部标为已读.
func (w *Pages) registerMessagePages(h gin.IRouter) {
	h.GET("/messages", w.messagesPage)
	h.GET("/messages/:id", w.openMessage)
	h.POST("/messages/read-all", w.readAllMessages)
}

var errMessagePage = service.NotFound("message_not_found", "消息不存在")

// messagesView is the list's data.
type messagesView struct {
	inbox.Page
	NextURL string
	First   bool // the first page (the 全部标为已读 button is there)
	// Unread: a message of the page is unread (else the button is left
	// out).
	Unread bool
}

func (w *Pages) messagesPage(c *gin.Context) {
	u, ok := w.kit.RequireUser(c)
	if !ok {
		return
	}
	after := c.Query("after")
	p, err := w.svc.Inbox.List(c.Request.Context(), *u, after)
	if err != nil {
		w.kit.Fail(c, err)
		return
	}
	v := messagesView{Page: p, First: after == ""}
	for _, m := range p.Messages {
		v.Unread = v.Unread || m.ReadAt == nil
	}
	if p.Next != "" {
		v.NextURL = "/h5/messages?after=" + url.QueryEscape(p.Next)
	}
	notice := ""
	if c.Query("notice") == "allread" {
		notice = "已全部标为已读"
	}
	w.pages.Render(c, http.StatusOK, "messages", web.Page{Title: "我的消息", Notice: notice, Extra: v})
}

// openMessage marks the message read and opens the page it is about.
func (w *Pages) openMessage(c *gin.Context) {
	u, id, ok := w.kit.UserAndID(c, "id", errMessagePage)
	if !ok {
		return
	}
	m, err := w.svc.Inbox.Open(c.Request.Context(), u, id)
	if err != nil {
		w.kit.Fail(c, err)
		return
	}
	// Our own pages only: the path was written by the services, but a
	// redirect never leaves the site.
	to := m.Path
	if !strings.HasPrefix(to, "/h5/") || strings.HasPrefix(to, "//") {
		to = "/h5/messages"
	}
	c.Redirect(http.StatusFound, to)
}

func (w *Pages) readAllMessages(c *gin.Context) {
	u, ok := w.kit.RequireUser(c)
	if !ok {
		return
	}
	if _, err := w.svc.Inbox.ReadAll(c.Request.Context(), *u); err != nil {
		w.kit.Fail(c, err)
		return
	}
	c.Redirect(http.StatusSeeOther, "/h5/messages?notice=allread")
}
