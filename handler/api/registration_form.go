package api

import (
	"net/http"
	"net/url"

	"github.com/gin-gonic/gin"

	"github.com/gdyouth/youthvoice/model"
	"github.com/gdyouth/youthvoice/service"
	"github.com/gdyouth/youthvoice/service/cadre"
)

func (w *API) registerRegistrationForm(r gin.IRouter) {
	r.GET("/admin/registration-form.xlsx", w.apiExportForm)
	w.kit.Upload(r, "/admin/registration-form", cadre.MaxFormBytes, w.apiImportForm)
}

// formUniversity is the university ?university= names: nil without one
// (the province: every university; a university admin: their own, which
// the service picks).
func (w *API) formUniversity(c *gin.Context) (*model.University, error) {
	code := c.Query("university")
	if code == "" {
		return nil, nil
	}
	u, err := w.svc.Accounts.UniversityByCode(c.Request.Context(), code)
	if err != nil {
		return nil, err
	}
	return &u, nil
}

// apiExportForm sends 附件1 filled in from the roster.
func (w *API) apiExportForm(c *gin.Context) {
	u, signedIn := w.kit.RequireUser(c)
	if !signedIn {
		return
	}
	uni, err := w.formUniversity(c)
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
	sendWorkbook(c, wb)
}

// sendWorkbook answers with an exported workbook as a download.
func sendWorkbook(c *gin.Context, wb cadre.Workbook) {
	c.Header("Content-Disposition", `attachment; filename="`+wb.ASCIIName+`"; filename*=UTF-8''`+url.PathEscape(wb.Name))
	c.Header("Cache-Control", "no-store")
	c.Data(http.StatusOK, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", wb.Data)
}

// errFormFile is an upload without its file.
var errFormFile = service.Invalid("file_required", "请选择填好的附件1（.xlsx 文件）", map[string]string{"file": "请选择文件"})

// apiImportForm previews (?dry_run=1) or imports an uploaded 附件1.
func (w *API) apiImportForm(c *gin.Context) {
	u, signedIn := w.kit.RequireUser(c)
	if !signedIn {
		return
	}
	uni, err := w.formUniversity(c)
	switch {
	case err != nil:
		w.kit.Fail(c, err)
		return
	case uni == nil && (u.Has(model.RoleProvinceAdmin) || u.UniversityID == nil):
		w.kit.Fail(c, service.Invalid("university_required", "请用 ?university= 指定导入哪所学校（学校标识码）",
			map[string]string{"university": "请指定学校"}))
		return
	}
	id := u.UniversityID
	if uni != nil {
		id = &uni.ID
	}
	fh, err := c.FormFile("file")
	if err != nil {
		w.kit.Fail(c, errFormFile)
		return
	}
	f, err := fh.Open()
	if err != nil {
		w.kit.Fail(c, err)
		return
	}
	defer f.Close()
	dry := c.Query("dry_run") == "1" || c.Query("dry_run") == "true"
	res, err := w.svc.Cadres.ImportForm(c.Request.Context(), *u, *id, f, dry)
	if err != nil {
		w.kit.Fail(c, err)
		return
	}
	ok(c, http.StatusOK, viewFormImport(res))
}

// apiFormRow is one person of an imported form.
type apiFormRow struct {
	Row          int      `json:"row"`
	Table        int      `json:"table"`
	Category     string   `json:"category"`
	CategoryName string   `json:"category_name"`
	Position     string   `json:"position"`
	RealName     string   `json:"real_name"`
	Phone        string   `json:"phone"`
	Email        string   `json:"email,omitempty"`
	QQ           string   `json:"qq,omitempty"`
	WeChatID     string   `json:"wechat_id,omitempty"`
	Action       string   `json:"action"`
	ActionName   string   `json:"action_name"`
	Changes      []string `json:"changes,omitempty"`
	Account      string   `json:"account,omitempty"`
	Linked       bool     `json:"linked"` // linked before this import
	SameAs       int      `json:"same_as,omitempty"`
}

type apiFormImport struct {
	University universityView `json:"university"`
	Sheet      string         `json:"sheet"`
	School     string         `json:"school"`
	DryRun     bool           `json:"dry_run"`
	Counts     struct {
		Added     int `json:"added"`
		Updated   int `json:"updated"`
		Unchanged int `json:"unchanged"`
		Linking   int `json:"linking"`
	} `json:"counts"`
	Warnings []string     `json:"warnings"`
	Rows     []apiFormRow `json:"rows"`
}

func viewFormImport(r cadre.FormImport) apiFormImport {
	v := apiFormImport{University: viewUniversity(r.University), Sheet: r.Sheet, School: r.School, DryRun: r.DryRun,
		Warnings: append([]string{}, r.Warnings...)}
	v.Counts.Added, v.Counts.Updated, v.Counts.Unchanged, v.Counts.Linking = r.Added, r.Updated, r.Unchanged, r.Linking
	v.Rows = viewAll(r.Rows, func(x cadre.FormRow) apiFormRow {
		return apiFormRow{Row: x.Row, Table: x.Table, Category: x.Category, CategoryName: model.CategoryName(x.Category),
			Position: x.Position, RealName: x.RealName, Phone: x.Phone, Email: x.Email, QQ: x.QQ, WeChatID: x.WeChatID,
			Action: x.Action, ActionName: x.ActionName(), Changes: x.Changes, Account: x.Account, Linked: x.Linked, SameAs: x.SameAs}
	})
	return v
}
