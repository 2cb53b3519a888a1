package webtest

import (
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/gdyouth/youthvoice/handler/web"
	"github.com/gdyouth/youthvoice/model"
)

func OpenIDOf(u model.User) string {
	if u.OpenID == nil {
		return ""
	}
	return *u.OpenID
}

var (
	reCSRFField = regexp.MustCompile(`name="_csrf" value="([^"]+)"`)
	reSelected  = regexp.MustCompile(`<option value="([^"]*)"[^>]*\sselected>`)
)

func PageCSRF(t *testing.T, r *Resp) string {
	t.Helper()
	m := reCSRFField.FindStringSubmatch(r.Body)
	if m == nil {
		t.Fatalf("%s: no CSRF field in the page\n%s", r.URL, r.Body)
	}
	return html.UnescapeString(m[1])
}

// FieldError is the message shown next to a form field.
func FieldError(body, field string) string {
	m := regexp.MustCompile(`<p class="field-error" data-field="` + regexp.QuoteMeta(field) + `">([^<]*)</p>`).FindStringSubmatch(body)
	if m == nil {
		return ""
	}
	return html.UnescapeString(m[1])
}

// InputValue is the value attribute of the input with id.
func InputValue(body, id string) (string, bool) {
	m := regexp.MustCompile(`<input[^>]*\sid="` + regexp.QuoteMeta(id) + `"[^>]*>`).FindString(body)
	if m == "" {
		return "", false
	}
	v := regexp.MustCompile(`\svalue="([^"]*)"`).FindStringSubmatch(m)
	if v == nil {
		return "", true
	}
	return html.UnescapeString(v[1]), true
}

func SelectedUniversity(body string) string {
	m := reSelected.FindStringSubmatch(body)
	if m == nil {
		return ""
	}
	return m[1]
}

// WantStatus checks r's status. A page's post that failed is answered
// POST-redirect-GET: 303 to the form, which shows the error with 200; an
// error status (4xx) wanted of such a post is met by that page.
func WantStatus(t *testing.T, r *Resp, status int) {
	t.Helper()
	if r.Flashed != nil && status >= 400 && status < 500 && r.Status == http.StatusOK {
		return
	}
	if r.Status != status {
		t.Fatalf("%s: HTTP %d, want %d\nLocation: %s\n%s", r.URL, r.Status, status, r.Location, r.Body)
	}
}

func WantRedirect(t *testing.T, r *Resp, status int, location string) {
	t.Helper()
	if r.Status != status || r.Location != location {
		t.Fatalf("%s: HTTP %d to %q, want %d to %q\n%s", r.URL, r.Status, r.Location, status, location, r.Body)
	}
}

func WantBody(t *testing.T, r *Resp, parts ...string) {
	t.Helper()
	for _, p := range parts {
		if !strings.Contains(r.Body, p) {
			t.Fatalf("%s (HTTP %d) lacks %q:\n%s", r.URL, r.Status, p, r.Body)
		}
	}
}

func WantNoBody(t *testing.T, r *Resp, parts ...string) {
	t.Helper()
	for _, p := range parts {
		if strings.Contains(r.Body, p) {
			t.Fatalf("%s (HTTP %d) shows %q:\n%s", r.URL, r.Status, p, r.Body)
		}
	}
}

// WantAPIError checks an error response: status, code and, when given,
// the field the message is attached to.
func WantAPIError(t *testing.T, r *Resp, status int, code, field string) web.ErrorBody {
	t.Helper()
	if r.Status != status {
		t.Fatalf("%s: HTTP %d, want %d\n%s", r.URL, r.Status, status, r.Body)
	}
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Fatalf("%s: Content-Type %q, want JSON", r.URL, ct)
	}
	var e web.ErrorBody
	r.Decode(t, &e)
	if e.Code != code || e.Message == "" {
		t.Fatalf("%s: error %+v, want code %q with a message", r.URL, e, code)
	}
	if field != "" && e.Fields[field] == "" {
		t.Fatalf("%s: error %+v has no message for field %q", r.URL, e, field)
	}
	return e
}

// WantData decodes {"data": v} after checking the status.
func WantData(t *testing.T, r *Resp, status int, v any) {
	t.Helper()
	WantStatus(t, r, status)
	out := struct{ Data any }{Data: v}
	r.Decode(t, &out)
}

// ActivationForm fills in the new-user form as a user would.
func ActivationForm(acct, password, confirm, uni, next string) url.Values {
	return url.Values{"mode": {"new"}, "account": {acct}, "password": {password}, "confirm": {confirm},
		"university": {uni}, "next": {next}}
}
