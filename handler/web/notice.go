package web

import (
	"strconv"

	"github.com/gdyouth/youthvoice/model"
	"github.com/gdyouth/youthvoice/service"
	"github.com/gdyouth/youthvoice/service/notice"
)

// NoticeForm reads a notice from a multipart form's fields, as the
// publishing page and an API client's upload send it (the attachment is
// read apart: FormFile). The service checks every field.
func NoticeForm(v map[string][]string) (notice.Input, error) {
	first := func(k string) string {
		if len(v[k]) > 0 {
			return v[k][0]
		}
		return ""
	}
	in := notice.Input{Title: first("title"), Body: first("body"), Target: first("target"), Universities: v["universities"]}
	switch first("cadres") {
	case "", "0", "false", "off":
	default:
		in.Cadres = true
	}
	if b := first("batch"); b != "" && in.Target == model.NoticeTargetBatch {
		n, err := strconv.Atoi(b)
		if err != nil {
			msg := "请选择批次：本科、公办专科或民办专科"
			return in, service.Invalid("invalid_notice", msg, map[string]string{"batch": msg})
		}
		in.Batch = n
	}
	return in, nil
}
