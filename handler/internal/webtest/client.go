package webtest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// Client is a browser: it keeps cookies (Secure ones too, so https
// public URLs can be tested against the http test server), follows no
// redirects by itself, and sends a user agent.
type Client struct {
	T       *testing.T
	Stack   *Stack
	UA      string
	Cookies map[string]string
	HTTP    *http.Client

	csrf, csrfSession string // CSRF's token and the session it is for
}

func (s *Stack) Browser(ua string) *Client {
	return &Client{T: s.T, Stack: s, UA: ua, Cookies: map[string]string{}, HTTP: &http.Client{
		// Bounded, so a hang fails the test, but long enough for the
		// heaviest answers (a poster drawn under -race on a loaded
		// two-core CI machine took over 10 s).
		Timeout:       60 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

// Resp is a response with its body read.
type Resp struct {
	Status   int
	Header   http.Header
	Body     string
	Cookies  []*http.Cookie
	Location string
	URL      string // the request's path
	// Flashed is the 303 of a page's post that failed: the browser was
	// sent back to the form (a ?flash= page), and this response is that
	// page's (see Client.Post).
	Flashed *Resp
}

func (r *Resp) Cookie(name string) *http.Cookie {
	for _, c := range r.Cookies {
		if c.Name == name {
			return c
		}
	}
	return nil
}

func (r *Resp) Decode(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal([]byte(r.Body), v); err != nil {
		t.Fatalf("%s: body is not JSON: %v\n%s", r.URL, err, r.Body)
	}
}

func (c *Client) Do(method, path string, body io.Reader, header http.Header) *Resp {
	c.T.Helper()
	req, err := http.NewRequest(method, c.Stack.URL+path, body)
	if err != nil {
		c.T.Fatalf("request %s %s: %v", method, path, err)
	}
	for k, vs := range header {
		req.Header[k] = vs
	}
	if c.UA != "" {
		req.Header.Set("User-Agent", c.UA)
	}
	for name, value := range c.Cookies {
		req.AddCookie(&http.Cookie{Name: name, Value: value}) //nolint:gosec // a request cookie the test client sends
	}
	resp, err := c.HTTP.Do(req)
	if err != nil {
		c.T.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		c.T.Fatalf("%s %s: reading body: %v", method, path, err)
	}
	r := &Resp{Status: resp.StatusCode, Header: resp.Header, Body: string(raw), Cookies: resp.Cookies(),
		Location: resp.Header.Get("Location"), URL: path}
	for _, ck := range r.Cookies {
		if ck.MaxAge < 0 || ck.Value == "" {
			delete(c.Cookies, ck.Name)
		} else {
			c.Cookies[ck.Name] = ck.Value
		}
	}
	return r
}

func (c *Client) Get(path string) *Resp {
	c.T.Helper()
	return c.Do(http.MethodGet, path, nil, nil)
}

// CSRF returns the browser's CSRF token as the API hands it out
// (GET /api/v1/session): the session's own once one has started, the
// CSRF cookie's before. Fetched again whenever the session changed.
func (c *Client) CSRF() string {
	c.T.Helper()
	sess := c.Cookies[c.Stack.CookieName("yv_sess")]
	if c.csrf == "" || c.csrfSession != sess {
		var out struct {
			Data struct {
				CSRF string `json:"csrf_token"`
			} `json:"data"`
		}
		c.Get("/api/v1/session").Decode(c.T, &out)
		c.csrf, c.csrfSession = out.Data.CSRF, c.Cookies[c.Stack.CookieName("yv_sess")]
	}
	return c.csrf
}

// Post submits a form as the page would: with the CSRF token unless the
// form sets _csrf itself.
func (c *Client) Post(path string, form url.Values) *Resp {
	c.T.Helper()
	f := url.Values{}
	for k, v := range form {
		f[k] = v
	}
	if _, ok := f["_csrf"]; !ok {
		f.Set("_csrf", c.CSRF())
	}
	return c.followFlash(c.Do(http.MethodPost, path, strings.NewReader(f.Encode()),
		http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}))
}

// followFlash follows a failed post's 303 to the page showing its error
// (POST-redirect-GET), as a browser does: the page's response is
// returned, with the 303 as its Flashed.
func (c *Client) followFlash(r *Resp) *Resp {
	c.T.Helper()
	if r.Status != http.StatusSeeOther || !strings.Contains(r.Location, "flash=") {
		return r
	}
	page := c.Get(r.Location)
	page.Flashed = r
	return page
}

// OAuth goes through WeChat web authorization as openid: /h5/OAuth/start
// with next, the code WeChat would issue, and the callback. It returns the
// callback's response.
func (c *Client) OAuth(openid, next string) *Resp {
	c.T.Helper()
	start := c.Get("/h5/oauth/start?next=" + url.QueryEscape(next))
	state := StateOf(c.T, start)
	code := Fake().IssueCode(c.Stack.AppID, openid)
	return c.Get("/h5/oauth/callback?code=" + url.QueryEscape(code) + "&state=" + url.QueryEscape(state))
}

// StateOf reads the OAuth state from a redirect to the authorize page
// (the sandbox's or WeChat's).
func StateOf(t *testing.T, r *Resp) string {
	t.Helper()
	if r.Status != http.StatusFound {
		t.Fatalf("%s: HTTP %d, want 302 to the authorize page\n%s", r.URL, r.Status, r.Body)
	}
	u, err := url.Parse(r.Location)
	if err != nil {
		t.Fatalf("bad Location %q: %v", r.Location, err)
	}
	st := u.Query().Get("state")
	if st == "" {
		t.Fatalf("no state in %q", r.Location)
	}
	return st
}

// API sends a JSON request with the browser's CSRF token in the header.
func (c *Client) API(method, path string, body any) *Resp {
	c.T.Helper()
	h := http.Header{"X-CSRF-Token": {c.CSRF()}, "Accept": {"application/json"}}
	var rd *strings.Reader
	if body != nil {
		raw, err := json.Marshal(body)
		if err != nil {
			c.T.Fatal(err)
		}
		if s, ok := body.(string); ok {
			raw = []byte(s)
		}
		rd = strings.NewReader(string(raw))
		h.Set("Content-Type", "application/json")
	}
	if rd == nil {
		return c.Do(method, path, nil, h)
	}
	return c.Do(method, path, rd, h)
}

// Upload posts a multipart form with one file as field (none when data
// is nil), and the other fields; with api set, as the API does (CSRF
// token in the header), otherwise as a page's form (token in the _csrf
// field), following a refused form back to its page as a browser does.
func (c *Client) Upload(path string, fields map[string]string, field, filename string, data []byte, api bool) *Resp {
	c.T.Helper()
	vals := url.Values{}
	for k, v := range fields {
		vals.Set(k, v)
	}
	var files []namedFile
	if data != nil {
		files = []namedFile{{filename, data}}
	}
	r := c.postMultipart(path, vals, field, files, api)
	if api {
		return r
	}
	return c.followFlash(r)
}

// UploadFiles posts a multipart form with several files in field (named
// photo1.jpg, photo2.jpg …) and the other fields, repeated ones too;
// with api set, as the API does, otherwise as a page's form. The answer
// is not followed (a refused form's 303 is the caller's to check).
func (c *Client) UploadFiles(path string, fields url.Values, field string, files [][]byte, api bool) *Resp {
	c.T.Helper()
	named := make([]namedFile, len(files))
	for i, data := range files {
		named[i] = namedFile{fmt.Sprintf("photo%d.jpg", i+1), data}
	}
	return c.postMultipart(path, fields, field, named, api)
}

type namedFile struct {
	name string
	data []byte
}

// postMultipart is Upload's and UploadFiles' request.
func (c *Client) postMultipart(path string, fields url.Values, field string, files []namedFile, api bool) *Resp {
	c.T.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	h := http.Header{}
	if api {
		h.Set("X-CSRF-Token", c.CSRF())
		h.Set("Accept", "application/json")
	} else if _, ok := fields["_csrf"]; !ok {
		if err := mw.WriteField("_csrf", c.CSRF()); err != nil {
			c.T.Fatal(err)
		}
	}
	for k, vs := range fields {
		for _, v := range vs {
			if err := mw.WriteField(k, v); err != nil {
				c.T.Fatal(err)
			}
		}
	}
	for _, f := range files {
		fw, err := mw.CreateFormFile(field, f.name)
		if err != nil {
			c.T.Fatal(err)
		}
		if _, err := fw.Write(f.data); err != nil {
			c.T.Fatal(err)
		}
	}
	if err := mw.Close(); err != nil {
		c.T.Fatal(err)
	}
	h.Set("Content-Type", mw.FormDataContentType())
	return c.Do(http.MethodPost, path, &buf, h)
}
