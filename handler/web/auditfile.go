package web

import (
	"net/http"
	"net/url"
	"strconv"

	"github.com/gin-gonic/gin"

	"github.com/gdyouth/youthvoice/model"
	"github.com/gdyouth/youthvoice/service/audit"
)

// SendAuditFile exports the records u may see under f as CSV or XLSX and
// writes the download; the page and the API both send it. An error is
// returned before anything is written.
func SendAuditFile(c *gin.Context, svc *audit.Service, u model.User, f audit.Filter, format string) error {
	recs, truncated, err := svc.Export(c.Request.Context(), u, f, format)
	if err != nil {
		return err
	}
	var data []byte
	ctype, ext := "text/csv; charset=utf-8", ".csv"
	if format == "xlsx" {
		ctype, ext = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", ".xlsx"
		data, err = audit.XLSX(recs)
	} else {
		data, err = audit.CSV(recs)
	}
	if err != nil {
		return err
	}
	name, cn := audit.ExportName(svc.Now(), ext)
	c.Header("Content-Disposition", `attachment; filename="`+name+`"; filename*=UTF-8''`+url.PathEscape(cn))
	c.Header("Cache-Control", "no-store")
	c.Header("X-Audit-Rows", strconv.Itoa(len(recs)))
	if truncated {
		// More matched than one file holds: the newest are sent.
		c.Header("X-Audit-Truncated", strconv.Itoa(audit.MaxExport))
	}
	c.Data(http.StatusOK, ctype, data)
	return nil
}
