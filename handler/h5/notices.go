package h5

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/gdyouth/youthvoice/handler/web"
	"github.com/gdyouth/youthvoice/model"
	"github.com/gdyouth/youthvoice/service"
	"github.com/gdyouth/youthvoice/service/clock"
	"github.com/gdyouth/youthvoice/service/notice"
)

// registerNoticePages mounts the 通知 pages: a recipient's list and a
// notice, and the province's publishing form, list and receipts.
func (w *Pages) registerNoticePages(h gin.IRouter) {
	h.GET("/notices", w.noticesPage)
	h.GET("/notices/:id", w.noticePage)
	h.GET("/notices/:id/attachment", w.noticeAttachment)
	h.GET("/admin/notices", w.sentNoticesPage)
	h.GET("/admin/notices/new", w.newNoticeForm)
	w.kit.Upload(h, "/admin/notices", notice.MaxAttachment, w.publishNotice)
	h.GET("/admin/notices/:id", w.noticeReadsPage)
	h.POST("/admin/notices/:id/remind", w.remindNotice)
}

var errNoticePage = service.NotFound("notice_not_found", "通知不存在")

// noticesView is the 通知 list's data.
type noticesView struct {
	Items    []notice.Item
	Unread   int
	Province bool
}

func (w *Pages) noticesPage(c *gin.Context) {
	u, ok := w.kit.RequireUser(c)
	if !ok {
		return
	}
	items, err := w.svc.Notices.Mine(c.Request.Context(), *u)
	if err != nil {
		w.kit.Fail(c, err)
		return
	}
	v := noticesView{Items: items, Province: u.Has(model.RoleProvinceAdmin)}
	for _, it := range items {
		if it.ReadAt == nil {
			v.Unread++
		}
	}
	w.pages.Render(c, http.StatusOK, "notices", web.Page{Title: "通知", Extra: v})
}

// noticeView is a notice's page data.
type noticeView struct {
	notice.View
	Audience string
	Province bool
}

func (w *Pages) noticePage(c *gin.Context) {
	u, id, ok := w.kit.UserAndID(c, "id", errNoticePage)
	if !ok {
		return
	}
	v, err := w.svc.Notices.Open(c.Request.Context(), u, id)
	if err != nil {
		w.kit.Fail(c, err)
		return
	}
	w.pages.Render(c, http.StatusOK, "notice", web.Page{Title: v.Notice.Title, Extra: noticeView{View: v,
		Audience: notice.TargetText(v.Notice, v.Universities), Province: u.Has(model.RoleProvinceAdmin)}})
}

func (w *Pages) noticeAttachment(c *gin.Context) {
	u, id, ok := w.kit.UserAndID(c, "id", errNoticePage)
	if !ok {
		return
	}
	n, data, err := w.svc.Notices.AttachmentOf(c.Request.Context(), u, id)
	if err != nil {
		w.kit.Fail(c, err)
		return
	}
	web.SendFile(c, n.AttachmentName, n.AttachmentType, data)
}

// sentView is the province's list.
type sentView struct {
	Items            []notice.Summary
	Total            int64
	Page             int
	PrevURL, NextURL string
}

func (w *Pages) sentNoticesPage(c *gin.Context) {
	u, ok := w.kit.RequireUser(c)
	if !ok {
		return
	}
	p := web.PageParam(c)
	items, total, err := w.svc.Notices.Sent(c.Request.Context(), *u, p)
	if err != nil {
		w.kit.Fail(c, err)
		return
	}
	v := sentView{Items: items, Total: total, Page: p}
	if p > 1 {
		v.PrevURL = "/h5/admin/notices?page=" + strconv.Itoa(p-1)
	}
	if int64(p*notice.PageSize) < total {
		v.NextURL = "/h5/admin/notices?page=" + strconv.Itoa(p+1)
	}
	w.pages.Render(c, http.StatusOK, "notice_sent", web.Page{Title: "省团委通知", Extra: v})
}

// noticeFormView is the publishing form's data: the universities by
// batch for the chooser, and what was chosen when the form comes back.
type noticeFormView struct {
	Batches  []noticeBatch
	Chosen   map[string]bool
	Kinds    string
	MaxMiB   int
	Selected int
}

// noticeBatch is a batch's universities in the chooser.
type noticeBatch struct {
	Batch        int
	Name         string
	Universities []model.University
}

func (w *Pages) newNoticeForm(c *gin.Context) {
	u, ok := w.kit.RequireUser(c)
	if !ok {
		return
	}
	if !u.Has(model.RoleProvinceAdmin) {
		w.kit.Fail(c, service.Forbidden("not_province_admin", "只有省级管理员可以发布通知"))
		return
	}
	w.showNoticeForm(c, http.StatusOK, map[string]string{"target": model.NoticeTargetAll}, nil, nil)
}

func (w *Pages) showNoticeForm(c *gin.Context, status int, form map[string]string, chosen []string, err error) {
	unis, uerr := w.svc.Accounts.Universities(c.Request.Context())
	if uerr != nil {
		w.kit.Fail(c, uerr)
		return
	}
	v := noticeFormView{Chosen: map[string]bool{}, Kinds: notice.AttachmentKinds, MaxMiB: notice.MaxAttachment >> 20}
	for _, code := range chosen {
		v.Chosen[code] = true
	}
	for _, b := range []int{model.BatchUndergraduate, model.BatchPublicVocational, model.BatchPrivateVocational} {
		nb := noticeBatch{Batch: b, Name: notice.BatchName(b)}
		for _, u := range unis {
			if u.Batch == b {
				nb.Universities = append(nb.Universities, u)
				if v.Chosen[u.Code] {
					v.Selected++
				}
			}
		}
		v.Batches = append(v.Batches, nb)
	}
	// A refused notice goes back to the form (POST-redirect-GET) with
	// every field and the chosen universities; a file input cannot be
	// refilled, so the message asks for the attachment again.
	p := web.Page{Title: "发布通知", Form: form, FormURL: "/h5/admin/notices/new", Extra: v}
	if err != nil && attachmentChosen(c) {
		form["attachment_lost"] = "1"
	}
	w.pages.RenderForm(c, status, "notice_new", p, err)
}

func (w *Pages) publishNotice(c *gin.Context) {
	u, ok := w.kit.RequireUser(c)
	if !ok {
		return
	}
	vals, err := web.MultipartValues(c)
	if err != nil {
		w.kit.Fail(c, err)
		return
	}
	in, err := web.NoticeForm(vals)
	form := map[string]string{"title": in.Title, "body": in.Body, "target": in.Target, "batch": strconv.Itoa(in.Batch)}
	if in.Cadres {
		form["cadres"] = "1"
	}
	if err != nil {
		w.showNoticeForm(c, 0, form, in.Universities, err)
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
	n, err := w.svc.Notices.Publish(c.Request.Context(), *u, in)
	if err != nil {
		if errors.Is(err, service.ErrForbidden) {
			w.kit.Fail(c, err)
			return
		}
		w.showNoticeForm(c, 0, form, in.Universities, err)
		return
	}
	c.Redirect(http.StatusSeeOther, fmt.Sprintf("/h5/admin/notices/%d?notice=published", n.ID))
}

// readsView is a notice's receipts page.
type readsView struct {
	notice.Receipts
	Audience string
	Unread   int
}

func (w *Pages) noticeReadsPage(c *gin.Context) {
	u, id, ok := w.kit.UserAndID(c, "id", errNoticePage)
	if !ok {
		return
	}
	r, err := w.svc.Notices.Reads(c.Request.Context(), u, id)
	if err != nil {
		w.kit.Fail(c, err)
		return
	}
	v := readsView{Receipts: r, Audience: notice.TargetText(r.Notice, len(r.Universities)), Unread: r.Notice.Recipients - r.Notice.ReadCount}
	w.pages.Render(c, http.StatusOK, "notice_reads", web.Page{Title: "阅读情况", Notice: remindNotice(c), Extra: v})
}

// remindNotice is the message after 发布 or 提醒未读, from the query the
// redirect carries.
func remindNotice(c *gin.Context) string {
	if c.Query("notice") == "published" {
		return "通知已发布，接收人会收到公众号提醒。"
	}
	if c.Query("notice") != "reminded" {
		return ""
	}
	n, _ := strconv.Atoi(c.Query("reminded"))
	waiting, _ := strconv.Atoi(c.Query("waiting"))
	msg := fmt.Sprintf("已向 %d 位未读的接收人再次发送提醒。", n)
	if waiting > 0 {
		msg += fmt.Sprintf("另有 %d 人在 1 小时内已收到提醒，暂不重复发送", waiting)
		// Only a time: the query is the browser's, not ours.
		if next, err := time.Parse("15:04", c.Query("next")); err == nil {
			msg += "（" + next.Format("15:04") + " 后可再提醒）"
		}
		msg += "。"
	}
	return msg
}

func (w *Pages) remindNotice(c *gin.Context) {
	u, id, ok := w.kit.UserAndID(c, "id", errNoticePage)
	if !ok {
		return
	}
	var req struct {
		University string `form:"university" binding:"max=20"`
	}
	if err := web.Bind(c, &req); err != nil {
		w.kit.Fail(c, err)
		return
	}
	res, err := w.svc.Notices.Remind(c.Request.Context(), u, id, req.University)
	if err != nil {
		w.kit.FailPage(c, err, "提醒失败", fmt.Sprintf("/h5/admin/notices/%d", id))
		return
	}
	to := fmt.Sprintf("/h5/admin/notices/%d?notice=reminded&reminded=%d&waiting=%d", id, res.Reminded, res.Waiting)
	if res.Next != nil {
		to += "&next=" + res.Next.Add(time.Minute-time.Nanosecond).Truncate(time.Minute).In(clock.Beijing).Format("15:04")
	}
	c.Redirect(http.StatusSeeOther, to)
}

// attachmentChosen reports a refused notice post that carried a file.
func attachmentChosen(c *gin.Context) bool {
	mf := c.Request.MultipartForm
	return mf != nil && len(mf.File["attachment"]) > 0 && mf.File["attachment"][0].Size > 0
}
