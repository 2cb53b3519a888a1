package h5

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"net/url"

	"github.com/gin-gonic/gin"

	"github.com/gdyouth/youthvoice/handler/web"
	"github.com/gdyouth/youthvoice/model"
	"github.com/gdyouth/youthvoice/service"
	"github.com/gdyouth/youthvoice/service/cadre"
)

// registerRosterImportPages mounts 附件1's import (upload, preview,
// confirm) and its download. The uploaded file waits server-side for the
// confirmation (Kit.KeepUpload), so 确认导入 does not upload it again.
func (w *Pages) registerRosterImportPages(h gin.IRouter) {
	h.GET("/admin/roster/import", w.rosterImportPage)
	w.kit.Upload(h, "/admin/roster/import", cadre.MaxFormBytes, w.rosterImportPreview)
	h.POST("/admin/roster/import/confirm", w.rosterImportConfirm)
	h.GET("/admin/roster/form.xlsx", w.rosterFormXLSX)
}

// rosterImportView is the import page's data.
type rosterImportView struct {
	// University is the school imported into; nil while the province
	// picks one from Universities.
	University   *model.University
	Universities []model.University
	Listed       int // people on the roster now
	Result       *cadre.FormImport
	Problems     []cadre.FormProblem
	Token        string // the kept upload, for 确认导入
	FileName     string
	Done         bool
}

// Query is the ?uni= of the page's links.
func (v rosterImportView) Query() string {
	if v.University == nil {
		return ""
	}
	return "?uni=" + url.QueryEscape(v.University.Code)
}

// importUniversity is the school of ?uni=, or the caller's own; nil for
// the province without one (it picks).
func (w *Pages) importUniversity(c *gin.Context, u *model.User) (*model.University, error) {
	code := c.Query("uni")
	if code == "" && !u.Has(model.RoleProvinceAdmin) && u.UniversityID != nil {
		uni, err := w.svc.Accounts.UniversityByID(c.Request.Context(), *u.UniversityID)
		return &uni, err
	}
	if code == "" {
		return nil, nil
	}
	uni, err := w.svc.Accounts.UniversityByCode(c.Request.Context(), code)
	if err != nil {
		return nil, err
	}
	return &uni, nil
}

// rosterImportStart is the page's first part for every action: the
// caller, their school and what its roster holds (which checks they may
// manage it). ok false: answered.
func (w *Pages) rosterImportStart(c *gin.Context) (*model.User, rosterImportView, bool) {
	u, signedIn := w.kit.RequireUser(c)
	if !signedIn {
		return nil, rosterImportView{}, false
	}
	var v rosterImportView
	uni, err := w.importUniversity(c, u)
	if err != nil {
		w.kit.Fail(c, err)
		return nil, v, false
	}
	v.University = uni
	if uni == nil {
		if !u.Has(model.RoleProvinceAdmin) {
			w.kit.Fail(c, service.Forbidden("forbidden", "只有本校团委管理员或省级管理员可以导入附件1"))
			return nil, v, false
		}
		if v.Universities, err = w.svc.Accounts.Universities(c.Request.Context()); err != nil {
			w.kit.Fail(c, err)
			return nil, v, false
		}
		return u, v, true
	}
	roster, err := w.svc.Cadres.Roster(c.Request.Context(), *u, uni.ID)
	if err != nil {
		w.kit.Fail(c, err)
		return nil, v, false
	}
	for _, l := range roster {
		if l.Status != model.RosterLeft {
			v.Listed++
		}
	}
	return u, v, true
}

func (w *Pages) rosterImportPage(c *gin.Context) {
	if _, v, ok := w.rosterImportStart(c); ok {
		w.showRosterImport(c, http.StatusOK, v, nil)
	}
}

func (w *Pages) showRosterImport(c *gin.Context, status int, v rosterImportView, err error) {
	p := web.Page{Title: "导入附件1", FormURL: "/h5/admin/roster/import", Extra: v}
	if v.University != nil {
		p.FormURL += "?uni=" + v.University.Code
	}
	if v.Done {
		p.Notice = "导入完成，名册已更新"
	}
	if len(v.Problems) > 0 {
		// The list of the file's problems is the answer to the upload
		// itself (the file is not kept), so it is shown, not redirected.
		status = w.kit.FormError(c, &p, err)
		w.pages.Render(c, status, "roster_import", p)
		return
	}
	w.pages.RenderForm(c, status, "roster_import", p, err)
}

var errNoFile = service.Invalid("file_required", "请选择填好的附件1（.xlsx 文件）", map[string]string{"file": "请选择文件"})

// rosterImportPreview reads the uploaded form without writing anything
// and shows what importing it would do.
func (w *Pages) rosterImportPreview(c *gin.Context) {
	u, v, ok := w.rosterImportStart(c)
	if !ok {
		return
	}
	if v.University == nil {
		w.showRosterImport(c, 0, v, service.Invalid("university_required", "请先选择学校", nil))
		return
	}
	fh, err := c.FormFile("file")
	if err != nil {
		w.showRosterImport(c, 0, v, errNoFile)
		return
	}
	f, err := fh.Open()
	if err != nil {
		w.kit.Fail(c, err)
		return
	}
	defer f.Close()
	// One byte over the limit is enough for the service to say so.
	data, err := io.ReadAll(io.LimitReader(f, cadre.MaxFormBytes+1))
	if err != nil {
		w.kit.Fail(c, err)
		return
	}
	v.FileName = fh.Filename
	w.previewForm(c, u, v, data)
}

// previewForm shows the dry run of data, and keeps data for 确认导入 when
// it has no problem.
func (w *Pages) previewForm(c *gin.Context, u *model.User, v rosterImportView, data []byte) {
	res, err := w.svc.Cadres.ImportForm(c.Request.Context(), *u, v.University.ID, bytes.NewReader(data), true)
	if err != nil {
		if !errors.Is(err, service.ErrInvalid) || len(res.Problems) == 0 {
			w.kit.Fail(c, err)
			return
		}
		v.Problems = res.Problems
		w.showRosterImport(c, http.StatusBadRequest, v, service.Invalid("form_rejected",
			"附件1 有问题，未导入任何数据。请按下面列出的行修改后重新上传。", nil))
		return
	}
	v.Result = &res
	if v.Token, err = w.kit.KeepUpload(c, data); err != nil {
		w.kit.Fail(c, err)
		return
	}
	w.showRosterImport(c, http.StatusOK, v, nil)
}

// rosterImportConfirm imports the file kept at the preview.
func (w *Pages) rosterImportConfirm(c *gin.Context) {
	u, v, ok := w.rosterImportStart(c)
	if !ok {
		return
	}
	if v.University == nil {
		w.showRosterImport(c, 0, v, service.Invalid("university_required", "请先选择学校", nil))
		return
	}
	var req struct {
		Token string `form:"token" binding:"max=64"`
	}
	if err := web.Bind(c, &req); err != nil {
		w.kit.Fail(c, err)
		return
	}
	data, err := w.kit.KeptUpload(c, req.Token)
	if err != nil {
		w.showRosterImport(c, 0, v, err)
		return
	}
	res, err := w.svc.Cadres.ImportForm(c.Request.Context(), *u, v.University.ID, bytes.NewReader(data), false)
	if err != nil {
		if errors.Is(err, service.ErrInvalid) && len(res.Problems) > 0 {
			v.Problems = res.Problems
		}
		w.showRosterImport(c, 0, v, err)
		return
	}
	if err := w.kit.DropUpload(c, req.Token); err != nil {
		w.kit.Log().WarnContext(c.Request.Context(), "forgetting an imported upload failed", "err", err)
	}
	v.Result, v.Done = &res, true
	v.Listed = 0 // shown from the result instead
	w.showRosterImport(c, http.StatusOK, v, nil)
}

// rosterFormXLSX downloads 附件1: the school's, or the province's
// workbook of every school.
func (w *Pages) rosterFormXLSX(c *gin.Context) {
	u, signedIn := w.kit.RequireUser(c)
	if !signedIn {
		return
	}
	uni, err := w.importUniversity(c, u)
	if err != nil {
		w.kit.Fail(c, err)
		return
	}
	var id *uint64
	if uni != nil {
		id = &uni.ID
	}
	wb, err := w.svc.Cadres.ExportForm(c.Request.Context(), *u, id)
	if err != nil {
		w.kit.Fail(c, err)
		return
	}
	c.Header("Content-Disposition", `attachment; filename="`+wb.ASCIIName+`"; filename*=UTF-8''`+url.PathEscape(wb.Name))
	c.Header("Cache-Control", "no-store")
	c.Data(http.StatusOK, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", wb.Data)
}
