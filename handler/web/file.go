package web

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"path"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/gdyouth/youthvoice/service"
)

// maxMultipartMemory is how much of a multipart body is kept in memory
// (the rest goes to temporary files): more than any Upload route takes.
const maxMultipartMemory = 32 << 20

// IsMultipart tells a multipart form (a page's upload, or an API
// client's) from a JSON body or an urlencoded form.
func IsMultipart(c *gin.Context) bool {
	return strings.HasPrefix(c.ContentType(), "multipart/form-data")
}

// MultipartValues parses the multipart form of an Upload route (its body
// is capped by LimitBody at the route's own limit) and returns its
// fields: a body over the cap is refused with 413.
func MultipartValues(c *gin.Context) (map[string][]string, error) {
	if err := c.Request.ParseMultipartForm(maxMultipartMemory); err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return nil, &service.Error{Kind: errTooLarge, Code: "body_too_large", Message: "上传的文件过大"}
		}
		return nil, errBadForm
	}
	return c.Request.MultipartForm.Value, nil
}

// FormFile reads the file of multipart field name, at most limit+1
// bytes of it (the service refuses one over limit, naming the limit); ok is
// false when none was chosen. Call MultipartValues first.
func FormFile(c *gin.Context, name string, limit int64) (filename string, data []byte, ok bool, err error) {
	form := c.Request.MultipartForm
	if form == nil || len(form.File[name]) == 0 {
		return "", nil, false, nil
	}
	fh := form.File[name][0]
	if fh.Filename == "" && fh.Size == 0 {
		return "", nil, false, nil // the empty file part of a form sent without choosing one
	}
	f, err := fh.Open()
	if err != nil {
		return "", nil, false, err
	}
	defer f.Close()
	data, err = io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return "", nil, false, err
	}
	return fh.Filename, data, true, nil
}

// SendFile answers with a stored file under its own name: shown in the
// browser when it is a PDF or an image (WeChat's browser previews those,
// and downloads badly), downloaded otherwise. It is never run as a page:
// nosniff, and a sandbox without scripts.
func SendFile(c *gin.Context, name, ctype string, data []byte) {
	disposition := "attachment"
	if ctype == "application/pdf" || strings.HasPrefix(ctype, "image/") {
		disposition = "inline"
	}
	c.Header("Content-Disposition", ContentDisposition(disposition, name))
	c.Header("X-Content-Type-Options", "nosniff")
	c.Header("Content-Security-Policy", "default-src 'none'; sandbox")
	c.Header("Cache-Control", "private, no-store")
	c.Data(http.StatusOK, ctype, data)
}

// ContentDisposition is the header value naming the file name: an ASCII
// stand-in in filename for old clients, and the name itself, UTF-8 and
// percent-encoded, in filename* (RFC 5987, RFC 6266).
func ContentDisposition(disposition, name string) string {
	return fmt.Sprintf(`%s; filename="%s"; filename*=UTF-8''%s`, disposition, asciiName(name), rfc5987(name))
}

// asciiName is name with each run of characters that are not printable
// ASCII, or are the quote or backslash, as one "_"; the extension kept.
func asciiName(name string) string {
	ext := path.Ext(name)
	stem := strings.TrimSuffix(name, ext)
	clean := func(s string) string {
		var b strings.Builder
		under := false // a run of replaced characters is one "_"
		for _, r := range s {
			bad := r < 0x20 || r > 0x7e || r == '"' || r == '\\'
			if bad && under {
				continue
			}
			if under = bad; bad {
				r = '_'
			}
			b.WriteRune(r)
		}
		return b.String()
	}
	if stem = clean(stem); strings.Trim(stem, "_") == "" {
		stem = "attachment"
	}
	return stem + clean(ext)
}

// rfc5987 percent-encodes s's UTF-8 bytes except attr-char.
func rfc5987(s string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', strings.IndexByte("!#$&+-.^_`|~", c) >= 0:
			b.WriteByte(c)
		default:
			b.WriteByte('%')
			b.WriteByte(hex[c>>4])
			b.WriteByte(hex[c&15])
		}
	}
	return b.String()
}
