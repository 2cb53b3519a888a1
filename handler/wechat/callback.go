// Package wechat is the WeChat callback (/wechat/callback): URL
// verification and the pushes of messages and events in plaintext,
// compatible and safe mode. It shares nothing with the pages and the API.
package wechat

import (
	"bytes"
	"context"
	"crypto/sha1"
	"crypto/subtle"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/silenceper/wechat/v2/officialaccount"
	"github.com/silenceper/wechat/v2/officialaccount/message"

	"github.com/gdyouth/youthvoice/service/callback"
	"github.com/gdyouth/youthvoice/service/clock"
)

// MaxBody is the largest push accepted (WeChat's are a few KiB).
const MaxBody = 64 << 10

// maxOpenIDBytes is the longest FromUserName accepted: the openid column's
// size. Real openids are 28 bytes; a longer one could not be stored.
const maxOpenIDBytes = 64

// Callback serves /wechat/callback: it authenticates every request itself
// (signature, timestamp window, size) before silenceper's server parses,
// decrypts and answers it.
type Callback struct {
	oa       *officialaccount.OfficialAccount
	token    string
	svc      *callback.Service
	clock    clock.Clock
	maxSkew  time.Duration
	aesOnly  bool
	log      *slog.Logger
	rejected *prometheus.CounterVec
	// calls pools the scratch state of a push (see pushCall).
	calls sync.Pool
}

// Options tune the callback handler.
type Options struct {
	// MaxSkew is the replay window: a push whose timestamp is further
	// from now is refused.
	MaxSkew time.Duration
	// RequireAES refuses plaintext pushes (no encrypt_type=aes), once the
	// console is in safe mode: a forger then needs the AES key as well as
	// the token.
	RequireAES bool
}

// New builds the callback handler.
func New(oa *officialaccount.OfficialAccount, token string, svc *callback.Service, clk clock.Clock, log *slog.Logger, reg prometheus.Registerer, o Options) (*Callback, error) {
	if oa == nil || svc == nil || clk == nil || log == nil || reg == nil {
		return nil, errors.New("wechat.New: nil dependency")
	}
	if token == "" {
		return nil, errors.New("wechat.New: nil dependency: token")
	}
	h := &Callback{
		oa: oa, token: token, svc: svc, clock: clk, maxSkew: o.MaxSkew, aesOnly: o.RequireAES, log: log,
		rejected: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "youthvoice_wechat_rejected_total",
			Help: "Requests to the WeChat callback rejected before processing, by reason.",
		}, []string{"reason"}),
	}
	h.calls.New = func() any { return &pushCall{w: replyWriter{header: make(http.Header, 1)}} }
	reg.MustRegister(h.rejected)
	return h, nil
}

// Register mounts the callback routes.
func (h *Callback) Register(r gin.IRouter) {
	r.GET("/wechat/callback", h.verify)
	r.POST("/wechat/callback", h.push)
}

func (h *Callback) reject(c *gin.Context, status int, reason, msg string) {
	h.rejected.WithLabelValues(reason).Inc()
	h.log.WarnContext(c.Request.Context(), "wechat callback rejected",
		"reason", reason, "status", status, "remote", c.ClientIP(), "method", c.Request.Method)
	c.Header("Connection", "close")
	c.String(status, msg)
	c.Abort()
}

// authenticate checks the signature and the timestamp window; it answers
// and returns false when the request is not from WeChat.
func (h *Callback) authenticate(c *gin.Context, q *callbackQuery) bool {
	if q.timestamp == "" || q.nonce == "" || q.signature == "" {
		h.reject(c, http.StatusBadRequest, "missing_params", "缺少 signature/timestamp/nonce 参数")
		return false
	}
	if !signatureOK(q.signature, h.token, q.timestamp, q.nonce) {
		h.reject(c, http.StatusForbidden, "bad_signature", "签名校验失败")
		return false
	}
	sec, err := strconv.ParseInt(q.timestamp, 10, 64)
	if err != nil {
		h.reject(c, http.StatusBadRequest, "bad_timestamp", "timestamp 不是有效的整数")
		return false
	}
	if d := h.clock.Now().Sub(time.Unix(sec, 0)); d > h.maxSkew || d < -h.maxSkew {
		h.reject(c, http.StatusForbidden, "stale_timestamp", "timestamp 超出允许范围（疑似重放）")
		return false
	}
	return true
}

// verify answers WeChat's URL verification by echoing echostr.
func (h *Callback) verify(c *gin.Context) {
	q := parseCallbackQuery(c.Request.URL.RawQuery)
	if !h.authenticate(c, &q) {
		return
	}
	if q.echostr == "" {
		h.reject(c, http.StatusBadRequest, "missing_echostr", "缺少 echostr 参数")
		return
	}
	c.Data(http.StatusOK, "text/plain; charset=utf-8", []byte(q.echostr))
}

// push handles a message or event in plaintext, compatible or safe mode.
//
// It is the service's busiest path, so it allocates little: everything
// it leaves behind is garbage the collector must chase (see the
// performance section of the README).
func (h *Callback) push(c *gin.Context) {
	req := c.Request
	if req.ContentLength > MaxBody {
		h.reject(c, http.StatusRequestEntityTooLarge, "too_large", "请求体过大")
		return
	}
	q := parseCallbackQuery(req.URL.RawQuery)
	if !h.authenticate(c, &q) {
		return
	}
	safeMode := q.encryptType == "aes"
	if h.aesOnly && !safeMode {
		h.reject(c, http.StatusForbidden, "plaintext_refused", "只接受加密推送（YV_WECHAT_REQUIRE_AES），请在公众号后台使用安全模式")
		return
	}
	var plainBody *limitedBody
	if safeMode {
		body, err := readBody(req)
		if err != nil {
			h.reject(c, http.StatusBadRequest, "read_error", "读取请求体失败")
			return
		}
		if len(body) > MaxBody {
			h.reject(c, http.StatusRequestEntityTooLarge, "too_large", "请求体过大")
			return
		}
		var env message.EncryptedXMLMsg
		if xml.Unmarshal(body, &env) != nil || env.EncryptedMsg == "" {
			h.reject(c, http.StatusBadRequest, "malformed", "XML 格式错误或缺少 Encrypt")
			return
		}
		if !signatureOK(q.msgSignature, h.token, q.timestamp, q.nonce, env.EncryptedMsg) {
			h.reject(c, http.StatusForbidden, "bad_msg_signature", "msg_signature 校验失败")
			return
		}
		// silenceper reads the body we have read already.
		req.Body = io.NopCloser(bytes.NewReader(body))
	} else {
		// silenceper reads the body itself, at most MaxBody of it.
		plainBody = &limitedBody{r: req.Body, left: MaxBody}
		req.Body = plainBody
	}
	// silenceper parses the whole query string again for every parameter
	// it looks up (three times a push); it is shown only the parameters it
	// uses, all of which were checked above. It does no I/O of its own, so
	// it is handed the request itself: the request's context reaches the
	// service through the handler below.
	rawQuery := req.URL.RawQuery
	req.URL.RawQuery = q.serverQuery(safeMode)
	defer func() { req.URL.RawQuery = rawQuery }()
	call := getPushCall(req.Context(), h)
	defer putPushCall(call)
	w := &call.w
	srv := h.oa.GetServer(req, w)
	// The signature was checked above (constant time, with the replay window).
	srv.SkipValidate(true)
	srv.SetMessageHandler(call.handle)
	serveErr := srv.Serve()
	ctx := call.ctx
	switch {
	case plainBody != nil && plainBody.tooLarge:
		h.reject(c, http.StatusRequestEntityTooLarge, "too_large", "请求体过大")
		return
	case plainBody != nil && plainBody.err != nil:
		h.reject(c, http.StatusBadRequest, "read_error", "读取请求体失败")
		return
	case call.err != nil:
		h.log.ErrorContext(ctx, "wechat push not processed; WeChat will retry", "err", call.err)
		c.String(http.StatusServiceUnavailable, "暂时无法处理，请稍后重试")
		return
	case call.invalid:
		h.reject(c, http.StatusBadRequest, "malformed", "消息缺少 FromUserName 或 MsgType，或 FromUserName 过长")
		return
	case serveErr != nil || !call.answered:
		// Undecryptable ciphertext, a foreign app id, or malformed XML.
		h.rejected.WithLabelValues("malformed").Inc()
		h.log.WarnContext(ctx, "wechat callback rejected", "reason", "malformed_or_undecryptable",
			"status", http.StatusBadRequest, "remote", c.ClientIP(), "err", serveErr)
		c.String(http.StatusBadRequest, "消息无法解析或解密")
		return
	}
	reply := call.reply
	if reply.Text == "" {
		// Nothing to say: WeChat wants a plain "success" in every mode. In
		// safe mode the library would encrypt an empty message instead,
		// which is not a valid reply.
		c.String(http.StatusOK, "success")
		return
	}
	// Stamped with the service's clock, like everything else it records.
	// srv.RequestMsg is the push the handler above answered.
	m := srv.RequestMsg
	w.reply = appendTextReplyXML(w.reply[:0], string(m.FromUserName), string(m.ToUserName), h.clock.Now().Unix(), reply.Text)
	if !safeMode {
		writeXML(c, w.reply)
		return
	}
	// Send encrypts ResponseRawXMLMsg with the push's random and signs it;
	// it writes the result to w (empty so far: in safe mode the server
	// writes nothing for a handler that returned nil).
	srv.ResponseRawXMLMsg = w.reply
	if err := srv.Send(); err != nil {
		h.log.ErrorContext(ctx, "encrypting the reply failed", "err", err)
		c.String(http.StatusOK, "success")
		return
	}
	writeXML(c, w.body.Bytes())
}

// xmlContentType is the Content-Type of every XML answer; set as a shared
// value, it costs no allocation per response (net/http copies it).
var xmlContentType = []string{"application/xml; charset=utf-8"}

// writeXML answers 200 with an XML body.
func writeXML(c *gin.Context, body []byte) {
	c.Writer.Header()["Content-Type"] = xmlContentType
	c.Status(http.StatusOK)
	_, _ = c.Writer.Write(body)
}

// callbackQuery holds the query parameters of a callback request. The
// first value of each counts, as with url.Values.Get.
type callbackQuery struct {
	signature, timestamp, nonce, echostr string
	encryptType, msgSignature, openid    string
}

// parseCallbackQuery reads the parameters WeChat sends from a raw query
// string without building a url.Values map (one map and a string per
// parameter on every push). Like url.ParseQuery it skips pairs whose key
// contains a semicolon or that do not unescape.
func parseCallbackQuery(raw string) callbackQuery {
	var (
		q    callbackQuery
		seen uint8 // a bit per field: its first value was taken
	)
	for raw != "" {
		var pair string
		pair, raw, _ = strings.Cut(raw, "&")
		if pair == "" || strings.Contains(pair, ";") {
			continue
		}
		k, v, _ := strings.Cut(pair, "=")
		k, err := queryUnescape(k)
		if err != nil {
			continue
		}
		var (
			dst *string
			bit uint8
		)
		switch k {
		case "signature":
			dst, bit = &q.signature, 1<<0
		case "timestamp":
			dst, bit = &q.timestamp, 1<<1
		case "nonce":
			dst, bit = &q.nonce, 1<<2
		case "echostr":
			dst, bit = &q.echostr, 1<<3
		case "encrypt_type":
			dst, bit = &q.encryptType, 1<<4
		case "msg_signature":
			dst, bit = &q.msgSignature, 1<<5
		case "openid":
			dst, bit = &q.openid, 1<<6
		default:
			continue
		}
		if seen&bit != 0 {
			continue
		}
		if v, err = queryUnescape(v); err != nil {
			continue
		}
		*dst, seen = v, seen|bit
	}
	return q
}

// queryUnescape is url.QueryUnescape without its copy when there is
// nothing to unescape (WeChat's parameters are plain digits and letters).
func queryUnescape(s string) (string, error) {
	if !strings.ContainsAny(s, "%+") {
		return s, nil
	}
	return url.QueryUnescape(s)
}

// serverQuery is the query string handed to silenceper's server: the
// parameters it reads when it does not validate the signature itself. In
// plaintext mode that is only openid, which the service takes from the
// message instead, so nothing; in safe mode encrypt_type, the message
// signature and what it covers, and openid. (echostr is never passed on
// a push: it would make the server echo it instead of handling the
// message.)
func (q *callbackQuery) serverQuery(safeMode bool) string {
	if !safeMode {
		return ""
	}
	v := url.Values{
		"encrypt_type": {q.encryptType}, "msg_signature": {q.msgSignature},
		"nonce": {q.nonce}, "timestamp": {q.timestamp},
	}
	if q.openid != "" {
		v["openid"] = []string{q.openid}
	}
	return v.Encode()
}

// readBody reads at most MaxBody+1 bytes, into a buffer sized from
// Content-Length when the client sent one.
func readBody(r *http.Request) ([]byte, error) {
	size := int64(512)
	if r.ContentLength > 0 && r.ContentLength <= MaxBody {
		size = r.ContentLength + 1 // +1: the read that sees EOF needs room
	}
	lr := io.LimitReader(r.Body, MaxBody+1)
	buf := make([]byte, 0, size)
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := lr.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if errors.Is(err, io.EOF) {
			return buf, nil
		}
		if err != nil {
			return buf, err
		}
	}
}

// errBodyTooLarge ends a read past MaxBody.
var errBodyTooLarge = errors.New("callback body over the size limit")

// limitedBody is a request body that fails once more than left bytes
// have been read from it, and remembers why it failed, for the handler to
// answer 413 or 400 after silenceper gave up on it.
type limitedBody struct {
	r        io.ReadCloser
	left     int64
	tooLarge bool
	err      error
}

func (b *limitedBody) Read(p []byte) (int, error) {
	if b.tooLarge {
		return 0, errBodyTooLarge
	}
	if int64(len(p)) > b.left+1 {
		p = p[:b.left+1]
	}
	n, err := b.r.Read(p)
	b.left -= int64(n)
	if b.left < 0 {
		b.tooLarge = true
		return 0, errBodyTooLarge
	}
	if err != nil && !errors.Is(err, io.EOF) {
		b.err = err
	}
	return n, err
}

func (b *limitedBody) Close() error { return b.r.Close() }

// Signature is WeChat's SHA1 over the sorted strings.
func Signature(parts ...string) string {
	p := append([]string(nil), parts...)
	sort.Strings(p)
	h := sha1.New()
	for _, s := range p {
		_, _ = io.WriteString(h, s)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// signatureOK reports whether sig is Signature(parts...), comparing in
// constant time. It allocates nothing for the callback's usual inputs (up
// to four parts, 512 bytes in all).
func signatureOK(sig string, parts ...string) bool {
	if len(sig) != 2*sha1.Size || len(parts) > 4 {
		return equalSig(Signature(parts...), sig)
	}
	var (
		sorted [4]string
		buf    [512]byte
	)
	p := sorted[:len(parts)]
	copy(p, parts)
	sort.Strings(p)
	msg := buf[:0]
	for _, s := range p {
		msg = append(msg, s...)
	}
	sum := sha1.Sum(msg)
	var want [2 * sha1.Size]byte
	hex.Encode(want[:], sum[:])
	var diff byte
	for i := range want {
		diff |= want[i] ^ sig[i]
	}
	return diff == 0
}

func equalSig(want, got string) bool {
	return subtle.ConstantTimeCompare([]byte(want), []byte(got)) == 1
}

// pushCall is the scratch state of one push, pooled: every push needs
// one. w is the http.ResponseWriter handed to silenceper's server; it
// holds what the server writes (the encrypted reply in safe mode, an
// unused "success" in plaintext mode) until the handler knows the push
// was processed, so that a failure can still become an error status.
type pushCall struct {
	h   *Callback
	ctx context.Context
	w   replyWriter

	// Set by handle.
	answered, invalid bool
	reply             callback.Reply
	err               error
}

// handle is the server's message handler: it processes the parsed push.
// The reply is built by the caller rather than by the library (see
// appendTextReplyXML); told nothing, the library leaves the response alone.
func (p *pushCall) handle(m *message.MixMessage) *message.Reply {
	p.answered = true
	if m.FromUserName == "" || m.MsgType == "" || len(m.FromUserName) > maxOpenIDBytes {
		p.invalid = true
		return nil
	}
	p.reply, p.err = p.h.svc.Handle(p.ctx, m)
	return nil
}

type replyWriter struct {
	header http.Header
	body   bytes.Buffer
	reply  []byte // scratch space for the reply the handler builds
}

func (w *replyWriter) Header() http.Header         { return w.header }
func (w *replyWriter) Write(p []byte) (int, error) { return w.body.Write(p) }
func (w *replyWriter) WriteHeader(int)             {}

func getPushCall(ctx context.Context, h *Callback) *pushCall {
	p := h.calls.Get().(*pushCall) //nolint:errcheck // the pool holds nothing else
	p.h, p.ctx = h, ctx
	clear(p.w.header)
	// Set already, so that the server does not allocate it for every
	// answer; nothing reads it (writeXML sets the response's own).
	p.w.header["Content-Type"] = xmlContentType
	p.w.body.Reset()
	return p
}

// maxPooledReply bounds the buffers kept for the next push.
const maxPooledReply = 16 << 10

func putPushCall(p *pushCall) {
	if p.w.body.Cap() > maxPooledReply || cap(p.w.reply) > maxPooledReply {
		return
	}
	h := p.h
	p.h, p.ctx = nil, nil
	p.answered, p.invalid, p.reply, p.err = false, false, callback.Reply{}, nil
	h.calls.Put(p)
}
