package api

import (
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/gdyouth/youthvoice/handler/web"
	"github.com/gdyouth/youthvoice/model"
	"github.com/gdyouth/youthvoice/service"
	"github.com/gdyouth/youthvoice/service/notice"
)

func (w *API) registerNotices(r gin.IRouter) {
	w.kit.Upload(r, "/admin/notices", notice.MaxAttachment, w.apiPublishNotice)
	r.GET("/admin/notices", w.apiSentNotices)
	r.GET("/admin/notices/:id/reads", w.apiNoticeReads)
	r.POST("/admin/notices/:id/remind", w.apiRemindNotice)
	r.GET("/notices", w.apiMyNotices)
	r.GET("/notices/:id", w.apiOpenNotice)
	r.GET("/notices/:id/attachment", w.apiNoticeAttachment)
}

var errNoticeID = service.Invalid("bad_id", "通知编号无效", nil)

// apiAttachmentView describes a notice's attachment.
type apiAttachmentView struct {
	Name string `json:"name"`
	Type string `json:"type"`
	Size int64  `json:"size"`
	URL  string `json:"url"`
}

// apiNoticeView is a notice; Body is left out of lists.
type apiNoticeView struct {
	ID           uint64             `json:"id"`
	Title        string             `json:"title"`
	Body         string             `json:"body,omitempty"`
	Target       string             `json:"target"`
	Batch        int                `json:"batch,omitempty"`
	Cadres       bool               `json:"cadres"`
	Audience     string             `json:"audience"`
	Universities int                `json:"universities,omitempty"`
	Recipients   int                `json:"recipients"`
	ReadCount    int                `json:"read_count"`
	Attachment   *apiAttachmentView `json:"attachment"`
	CreatedAt    time.Time          `json:"created_at"`
	Read         *bool              `json:"read,omitempty"`
	ReadAt       *time.Time         `json:"read_at,omitempty"`
}

func viewNotice(n model.Notice, universities int) apiNoticeView {
	v := apiNoticeView{ID: n.ID, Title: n.Title, Body: n.Body, Target: n.Target, Batch: n.Batch, Cadres: n.Cadres,
		Audience: notice.TargetText(n, universities), Universities: universities, Recipients: n.Recipients,
		ReadCount: n.ReadCount, CreatedAt: n.CreatedAt}
	if n.AttachmentName != "" {
		v.Attachment = &apiAttachmentView{Name: n.AttachmentName, Type: n.AttachmentType, Size: n.AttachmentSize,
			URL: "/api/v1/notices/" + strconv.FormatUint(n.ID, 10) + "/attachment"}
	}
	return v
}

// apiNoticeRequest is a notice as JSON (without attachment: send a
// multipart form with the file in field attachment for one).
type apiNoticeRequest struct {
	Title        string   `json:"title"`
	Body         string   `json:"body"`
	Target       string   `json:"target" binding:"max=10"`
	Batch        int      `json:"batch"`
	Universities []string `json:"universities" binding:"max=200"`
	Cadres       bool     `json:"cadres"`
}

// apiPublishNotice publishes a notice: JSON, or a multipart form with
// the attachment.
func (w *API) apiPublishNotice(c *gin.Context) {
	u, signedIn := w.kit.RequireUser(c)
	if !signedIn {
		return
	}
	var in notice.Input
	if web.IsMultipart(c) {
		vals, err := web.MultipartValues(c)
		if err != nil {
			w.kit.Fail(c, err)
			return
		}
		if in, err = web.NoticeForm(vals); err != nil {
			w.kit.Fail(c, err)
			return
		}
		name, data, has, err := web.FormFile(c, "attachment", notice.MaxAttachment)
		if err != nil {
			w.kit.Fail(c, err)
			return
		}
		if has {
			in.Attachment = &notice.Attachment{Name: name, Data: data}
		}
	} else {
		var req apiNoticeRequest
		if err := web.Bind(c, &req); err != nil {
			w.kit.Fail(c, err)
			return
		}
		in = notice.Input{Title: req.Title, Body: req.Body, Target: req.Target, Batch: req.Batch, Universities: req.Universities, Cadres: req.Cadres}
	}
	n, err := w.svc.Notices.Publish(c.Request.Context(), *u, in)
	if err != nil {
		w.kit.Fail(c, err)
		return
	}
	ok(c, http.StatusCreated, viewNotice(n, 0))
}

// apiSentNotices is the province's list, newest first, ?page=.
func (w *API) apiSentNotices(c *gin.Context) {
	u, signedIn := w.kit.RequireUser(c)
	if !signedIn {
		return
	}
	page := web.PageParam(c)
	ns, total, err := w.svc.Notices.Sent(c.Request.Context(), *u, page)
	if err != nil {
		w.kit.Fail(c, err)
		return
	}
	items := viewAll(ns, func(s notice.Summary) apiNoticeView {
		v := viewNotice(s.Notice, s.Universities)
		v.Body = ""
		return v
	})
	ok(c, http.StatusOK, gin.H{"notices": items, "total": total, "page": page, "page_size": notice.PageSize})
}

// apiReader is a recipient in the receipts.
type apiReader struct {
	Name       string     `json:"name"`
	Kind       string     `json:"kind"`
	ReadAt     *time.Time `json:"read_at,omitempty"`
	RemindedAt *time.Time `json:"reminded_at,omitempty"`
}

// apiUniversityReads is a university's line of the receipts.
type apiUniversityReads struct {
	University universityView `json:"university"`
	Recipients int            `json:"recipients"`
	Read       int            `json:"read"`
	LastReadAt *time.Time     `json:"last_read_at"`
	Unread     []apiReader    `json:"unread"`
	Readers    []apiReader    `json:"readers"`
}

func viewReader(p notice.Person) apiReader {
	return apiReader{Name: p.Name, Kind: p.Kind, ReadAt: p.ReadAt, RemindedAt: p.RemindedAt}
}

// apiNoticeReads is a notice's receipts per university (province).
func (w *API) apiNoticeReads(c *gin.Context) {
	u, id, signedIn := w.kit.UserAndID(c, "id", errNoticeID)
	if !signedIn {
		return
	}
	r, err := w.svc.Notices.Reads(c.Request.Context(), u, id)
	if err != nil {
		w.kit.Fail(c, err)
		return
	}
	unis := viewAll(r.Universities, func(ur notice.UniversityReads) apiUniversityReads {
		return apiUniversityReads{University: viewUniversity(ur.University), Recipients: ur.Recipients, Read: ur.Read,
			LastReadAt: ur.LastRead, Unread: viewAll(ur.Unread, viewReader), Readers: viewAll(ur.Readers, viewReader)}
	})
	ok(c, http.StatusOK, gin.H{"notice": viewNotice(r.Notice, len(r.Universities)), "universities": unis})
}

// apiRemindRequest narrows 提醒未读 to one university.
type apiRemindRequest struct {
	University string `json:"university" binding:"max=20"`
}

// apiRemindNotice alerts the unread again (province).
func (w *API) apiRemindNotice(c *gin.Context) {
	u, id, signedIn := w.kit.UserAndID(c, "id", errNoticeID)
	if !signedIn {
		return
	}
	var req apiRemindRequest
	if c.Request.ContentLength != 0 {
		if err := web.Bind(c, &req); err != nil {
			w.kit.Fail(c, err)
			return
		}
	}
	res, err := w.svc.Notices.Remind(c.Request.Context(), u, id, req.University)
	if err != nil {
		w.kit.Fail(c, err)
		return
	}
	ok(c, http.StatusOK, gin.H{"reminded": res.Reminded, "waiting": res.Waiting, "next_at": res.Next})
}

// apiMyNotices is the caller's 通知 list: unread first, newest first.
func (w *API) apiMyNotices(c *gin.Context) {
	u, signedIn := w.kit.RequireUser(c)
	if !signedIn {
		return
	}
	items, err := w.svc.Notices.Mine(c.Request.Context(), *u)
	okList(w, c, items, err, func(it notice.Item) apiNoticeView {
		v := viewNotice(it.Notice, 0)
		read := it.ReadAt != nil
		v.Body, v.Read, v.ReadAt = "", &read, it.ReadAt
		return v
	})
}

// apiOpenNotice is one notice; a recipient's first GET records it read.
func (w *API) apiOpenNotice(c *gin.Context) {
	u, id, signedIn := w.kit.UserAndID(c, "id", errNoticeID)
	if !signedIn {
		return
	}
	v, err := w.svc.Notices.Open(c.Request.Context(), u, id)
	if err != nil {
		w.kit.Fail(c, err)
		return
	}
	out := viewNotice(v.Notice, v.Universities)
	if v.Recipient {
		read := true
		out.Read, out.ReadAt = &read, v.ReadAt
	}
	ok(c, http.StatusOK, out)
}

// apiNoticeAttachment downloads a notice's attachment under its name.
func (w *API) apiNoticeAttachment(c *gin.Context) {
	u, id, signedIn := w.kit.UserAndID(c, "id", errNoticeID)
	if !signedIn {
		return
	}
	n, data, err := w.svc.Notices.AttachmentOf(c.Request.Context(), u, id)
	if err != nil {
		w.kit.Fail(c, err)
		return
	}
	web.SendFile(c, n.AttachmentName, n.AttachmentType, data)
}
