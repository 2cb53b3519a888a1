package h5_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/gdyouth/youthvoice/handler/internal/webtest"
	"github.com/gdyouth/youthvoice/model"
	"github.com/gdyouth/youthvoice/service/kv"
	"github.com/gdyouth/youthvoice/service/question"
)

// postOnly posts a page's form without following the answer, with the
// page's Referer when from is set (as a browser sends it).
func postOnly(c *webtest.Client, path, from string, form url.Values) *webtest.Resp {
	c.T.Helper()
	f := url.Values{}
	for k, v := range form {
		f[k] = v
	}
	f.Set("_csrf", c.CSRF())
	h := http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}
	if from != "" {
		h.Set("Referer", c.Stack.URL+from)
	}
	return c.Do(http.MethodPost, path, strings.NewReader(f.Encode()), h)
}

// wantFlashRedirect checks a failed post's answer: 303 to the form's page
// (path) with a flash.
func wantFlashRedirect(t *testing.T, r *webtest.Resp, path string) {
	t.Helper()
	u, err := url.Parse(r.Location)
	if r.Status != http.StatusSeeOther || err != nil || u.Path != path || len(u.Query().Get("flash")) != 32 {
		t.Fatalf("%s: HTTP %d to %q, want 303 to %s?flash=…\n%s", r.URL, r.Status, r.Location, path, r.Body)
	}
}

// A failed form is answered POST-redirect-GET: 303 to the form, which
// shows every field's problem and the values typed but the passwords,
// once, and only to the browser that posted it.
func TestFailedFormComesBackOnce(t *testing.T) {
	webtest.Each(t, func(t *testing.T, db *model.DB, store kv.Store) {
		s := webtest.New(t, db, store, webtest.Opts{})
		c := s.Browser(webtest.UAPlain)
		webtest.WantStatus(t, c.Get("/h5/activate/gaoxiao?mode=new"), http.StatusOK)

		form := webtest.ActivationForm("abc", "pw1", "pw2", "", "/h5/home")
		form.Set("name", "李青")
		r := postOnly(c, "/h5/activate/gaoxiao", "/h5/activate/gaoxiao?mode=new", form)
		wantFlashRedirect(t, r, "/h5/activate/gaoxiao")
		if !strings.Contains(r.Location, "mode=new") {
			t.Errorf("the form's page %q lost its query", r.Location)
		}

		page := c.Get(r.Location)
		webtest.WantStatus(t, page, http.StatusOK)
		webtest.WantBody(t, page, `id="form-error"`, "有 3 处需要修改", "账号须为 6–32 位英文字母或数字", "密码须为 6–32 位英文字母或数字", "请选择学校")
		for field, msg := range map[string]string{"account": "账号须为 6–32 位英文字母或数字", "password": "密码须为 6–32 位英文字母或数字", "university": "请选择学校"} {
			if got := webtest.FieldError(page.Body, field); got != msg {
				t.Errorf("field %s shows %q, want %q", field, got, msg)
			}
		}
		for id, want := range map[string]string{"account": "abc", "name": "李青", "password": "", "confirm": ""} {
			if got, ok := webtest.InputValue(page.Body, id); !ok || got != want {
				t.Errorf("input %s shows %q (%v), want %q", id, got, ok, want)
			}
		}
		webtest.WantNoBody(t, page, `value="pw1"`, `value="pw2"`)

		// Shown once: a reload shows the clean form.
		again := c.Get(r.Location)
		webtest.WantStatus(t, again, http.StatusOK)
		webtest.WantNoBody(t, again, `id="form-error"`, "李青", `value="abc"`)

		// Another browser cannot read a flash, even with its id.
		r = postOnly(c, "/h5/activate/gaoxiao", "/h5/activate/gaoxiao", form)
		wantFlashRedirect(t, r, "/h5/activate/gaoxiao")
		other := s.Browser(webtest.UAPlain)
		stranger := other.Get(r.Location)
		webtest.WantStatus(t, stranger, http.StatusOK)
		webtest.WantNoBody(t, stranger, `id="form-error"`, "李青")
		// … and the owner still can.
		webtest.WantBody(t, c.Get(r.Location), `id="form-error"`, "李青")
	})
}

// Every field's problem is listed, on the page and in the API's envelope,
// not only the first; the values stay in the form.
func TestFormsListEveryFieldProblem(t *testing.T) {
	webtest.Each(t, func(t *testing.T, db *model.DB, store kv.Store) {
		s := webtest.New(t, db, store, webtest.Opts{})
		student := s.Phone(s.Member("forms", webtest.CodeSZU, model.RoleStudent))
		long := strings.Repeat("长", question.MaxBody+1)

		r := postOnly(student, "/h5/ask", "/h5/ask", url.Values{"title": {""}, "body": {long}})
		wantFlashRedirect(t, r, "/h5/ask")
		page := student.Get(r.Location)
		webtest.WantStatus(t, page, http.StatusOK)
		webtest.WantBody(t, page, "有 2 处需要修改", long)
		if got := webtest.FieldError(page.Body, "title"); got != "请填写问题标题" {
			t.Errorf("title shows %q", got)
		}
		if got := webtest.FieldError(page.Body, "body"); !strings.Contains(got, "补充说明不能超过") {
			t.Errorf("body shows %q", got)
		}

		api := student.API(http.MethodPost, "/api/v1/questions", map[string]any{"title": "", "body": long})
		e := webtest.WantAPIError(t, api, http.StatusBadRequest, "invalid_input", "title")
		if !strings.Contains(e.Fields["body"], "补充说明不能超过") {
			t.Errorf("the API's fields %v lack the body's problem", e.Fields)
		}

		// The password page keeps no password of a failed change.
		r = postOnly(student, "/h5/password", "/h5/password", url.Values{"current": {"wrong-pw-1"}, "new": {"x1"}, "confirm": {"x2"}})
		wantFlashRedirect(t, r, "/h5/password")
		page = student.Get(r.Location)
		webtest.WantStatus(t, page, http.StatusOK)
		webtest.WantBody(t, page, `id="form-error"`)
		webtest.WantNoBody(t, page, "wrong-pw-1", `value="x1"`, `value="x2"`)
	})
}

// A failed action of a page (a button, not a form with fields) goes back
// to the page it was on with the message at the top; without a Referer
// the error page is shown as before.
func TestFailedActionGoesBack(t *testing.T) {
	webtest.Each(t, func(t *testing.T, db *model.DB, store kv.Store) {
		s := webtest.New(t, db, store, webtest.Opts{})
		student := s.Phone(s.Member("forma", webtest.CodeSZU, model.RoleStudent))
		r := postOnly(student, "/h5/bookings/999999/cancel", "/h5/bookings/mine", nil)
		wantFlashRedirect(t, r, "/h5/bookings/mine")
		page := student.Get(r.Location)
		webtest.WantStatus(t, page, http.StatusOK)
		webtest.WantBody(t, page, `role="alert" id="alert"`)
		webtest.WantNoBody(t, student.Get(r.Location), `id="alert"`)

		r = postOnly(student, "/h5/bookings/999999/cancel", "", nil)
		if r.Status < 400 {
			t.Fatalf("without a Referer: HTTP %d, want the error page", r.Status)
		}
	})
}
