package wechat_test

// Shared fixtures for the /wechat/callback tests: the handler stack built
// the way cmd/youthvoice/serve.go builds it, on every configured backend
// pair, plus WeChat's signing and encryption written out independently of
// the code under test.

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha1"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/xml"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/silenceper/wechat/v2/util"

	"github.com/gdyouth/youthvoice/config"
	"github.com/gdyouth/youthvoice/handler"
	"github.com/gdyouth/youthvoice/handler/wechat"
	"github.com/gdyouth/youthvoice/model"
	"github.com/gdyouth/youthvoice/service/callback"
	"github.com/gdyouth/youthvoice/service/clock"
	"github.com/gdyouth/youthvoice/service/kv"
	"github.com/gdyouth/youthvoice/service/menu"
	"github.com/gdyouth/youthvoice/service/servicetest"
	"github.com/gdyouth/youthvoice/service/wxapi"
)

func init() { gin.SetMode(gin.ReleaseMode) }

// The account the tests play: its credentials as configured in the
// WeChat admin console, and the public URL the menu links point to.
const (
	cbToken     = "yv-callback-test-token"
	cbAppID     = "wx0123456789abcdef"
	cbAESKey    = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
	cbOfficial  = "gh_0123456789ab" // the account's own id (ToUserName)
	cbPublicURL = "https://yv.example.org"
	cbMaxSkew   = 5 * time.Minute
)

// cbEpoch is "now" for the fake clock.
var cbEpoch = time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)

// cbBackend is one database + kv store pair.
type cbBackend struct {
	db    *model.DB
	store kv.Store
	// peerStore is another handle on the same keys, as a second instance
	// of the service sharing the store has.
	peerStore func(t testing.TB) kv.Store
	// newDB returns another, fresh database on the same engine.
	newDB func(t testing.TB) *model.DB
}

// cbEachBackend runs fn on every database × kv pair of the run (the one
// backend matrix, servicetest.Each), as the callback tests use them.
func cbEachBackend(t *testing.T, fn func(t *testing.T, b cbBackend)) {
	t.Helper()
	servicetest.Each(t, func(t *testing.T, sb *servicetest.Backend) {
		fn(t, cbBackend{db: sb.DB(), store: sb.KV(), peerStore: sb.Peer, newDB: sb.NewDB})
	})
}

// cbCreds are the credentials a stack is configured with.
type cbCreds struct {
	Token, AppID, AESKey string
}

var cbDefaultCreds = cbCreds{Token: cbToken, AppID: cbAppID, AESKey: cbAESKey}

// cbStack is one instance of the service: handler, callback service,
// recorder and router, with its own metrics registry.
type cbStack struct {
	t      testing.TB
	creds  cbCreds
	db     *model.DB
	store  kv.Store
	clock  *clock.Fake
	reg    *prometheus.Registry
	rec    *callback.Recorder
	svc    *callback.Service
	menu   *menu.Menu
	router http.Handler
}

type cbStackOpts struct {
	creds   *cbCreds
	clock   *clock.Fake
	waitFor time.Duration
	// requireAES refuses plaintext pushes (YV_WECHAT_REQUIRE_AES).
	requireAES bool
}

func cbTestMenu(t testing.TB) *menu.Menu {
	t.Helper()
	m, err := menu.Parse(config.DefaultMenu, cbPublicURL)
	if err != nil {
		t.Fatalf("config/menu.json: %v", err)
	}
	return m
}

// newCBStack wires a stack as serve.go does.
func newCBStack(t testing.TB, db *model.DB, store kv.Store, o cbStackOpts) *cbStack {
	t.Helper()
	creds := cbDefaultCreds
	if o.creds != nil {
		creds = *o.creds
	}
	clk := o.clock
	if clk == nil {
		clk = clock.NewFake(cbEpoch)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	reg := prometheus.NewRegistry()
	m := cbTestMenu(t)
	client, err := wxapi.New(wxapi.Credentials{AppID: creds.AppID, Secret: "test-secret", Token: creds.Token, AESKey: creds.AESKey}, store, log)
	if err != nil {
		t.Fatalf("wxapi.New: %v", err)
	}
	rec, err := callback.NewRecorder(db, log, reg, callback.RecorderOptions{FlushEvery: 10 * time.Millisecond})
	if err != nil {
		t.Fatalf("callback.NewRecorder: %v", err)
	}
	t.Cleanup(rec.Close)
	svc, err := callback.New(db, store, m, clk, rec, log, reg, callback.Options{WaitFor: o.waitFor})
	if err != nil {
		t.Fatalf("callback.New: %v", err)
	}
	wc, err := wechat.New(client.OfficialAccount(), creds.Token, svc, clk, log, reg, wechat.Options{MaxSkew: cbMaxSkew, RequireAES: o.requireAES})
	if err != nil {
		t.Fatalf("wechat.New: %v", err)
	}
	ops, err := handler.NewOps(map[string]handler.Pinger{"database": db, "kv": store}, reg)
	if err != nil {
		t.Fatalf("handler.NewOps: %v", err)
	}
	router, err := handler.NewRouter(log, reg, nil, ops, wc)
	if err != nil {
		t.Fatalf("handler.NewRouter: %v", err)
	}
	return &cbStack{t: t, creds: creds, db: db, store: store, clock: clk, reg: reg, rec: rec, svc: svc, menu: m, router: router}
}

// signedQuery is what WeChat puts on the URL: signature over token,
// timestamp and nonce, with the timestamp taken from the stack's clock.
func (s *cbStack) signedQuery() url.Values {
	return cbSignedQuery(s.creds.Token, s.clock.Now().Unix(), cbNonce())
}

func cbSignedQuery(token string, ts int64, nonce string) url.Values {
	tss := strconv.FormatInt(ts, 10)
	return url.Values{"signature": {cbSHA1Sorted(token, tss, nonce)}, "timestamp": {tss}, "nonce": {nonce}}
}

func cbNonce() string {
	var b [4]byte
	_, _ = rand.Read(b[:])
	return strconv.FormatUint(uint64(binary.BigEndian.Uint32(b[:])), 10)
}

// serve runs one request through the router.
func (s *cbStack) serve(req *http.Request) *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	s.router.ServeHTTP(w, req)
	return w
}

func (s *cbStack) post(q url.Values, body string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodPost, "/wechat/callback?"+q.Encode(), strings.NewReader(body))
	req.Header.Set("Content-Type", "text/xml")
	return s.serve(req)
}

func (s *cbStack) get(q url.Values) *httptest.ResponseRecorder {
	return s.serve(httptest.NewRequest(http.MethodGet, "/wechat/callback?"+q.Encode(), nil))
}

// postPlain delivers a plaintext-mode push, signed and timestamped now.
func (s *cbStack) postPlain(body string) *httptest.ResponseRecorder {
	return s.post(s.signedQuery(), body)
}

// postSafe delivers body in safe mode: encrypted for appID, with
// encrypt_type=aes and msg_signature.
func (s *cbStack) postSafe(plain, appID string) (*httptest.ResponseRecorder, url.Values) {
	q := s.signedQuery()
	enc := cbEncrypt(s.t, []byte(plain), appID, s.creds.AESKey)
	q.Set("encrypt_type", "aes")
	q.Set("msg_signature", cbSHA1Sorted(s.creds.Token, q.Get("timestamp"), q.Get("nonce"), enc))
	return s.post(q, cbEnvelope(cbOfficial, enc)), q
}

// --- WeChat's XML pushes -------------------------------------------------

func cbTextXML(from, content string, msgID, createTime int64) string {
	return fmt.Sprintf(`<xml><ToUserName><![CDATA[%s]]></ToUserName><FromUserName><![CDATA[%s]]></FromUserName><CreateTime>%d</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[%s]]></Content><MsgId>%d</MsgId></xml>`,
		cbOfficial, from, createTime, content, msgID)
}

func cbEventXML(from, event, key string, createTime int64) string {
	return fmt.Sprintf(`<xml><ToUserName><![CDATA[%s]]></ToUserName><FromUserName><![CDATA[%s]]></FromUserName><CreateTime>%d</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[%s]]></Event><EventKey><![CDATA[%s]]></EventKey></xml>`,
		cbOfficial, from, createTime, event, key)
}

func cbTemplateFinishXML(from string, msgID int64, status string, createTime int64) string {
	return fmt.Sprintf(`<xml><ToUserName><![CDATA[%s]]></ToUserName><FromUserName><![CDATA[%s]]></FromUserName><CreateTime>%d</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[TEMPLATESENDJOBFINISH]]></Event><MsgID>%d</MsgID><Status><![CDATA[%s]]></Status></xml>`,
		cbOfficial, from, createTime, msgID, status)
}

func cbEnvelope(to, encrypt string) string {
	return fmt.Sprintf(`<xml><ToUserName><![CDATA[%s]]></ToUserName><Encrypt><![CDATA[%s]]></Encrypt></xml>`, to, encrypt)
}

// cbReply is a passive text reply as WeChat reads it.
type cbReply struct {
	XMLName      xml.Name `xml:"xml"`
	ToUserName   string   `xml:"ToUserName"`
	FromUserName string   `xml:"FromUserName"`
	CreateTime   int64    `xml:"CreateTime"`
	MsgType      string   `xml:"MsgType"`
	Content      string   `xml:"Content"`
}

func cbParseReply(t testing.TB, body []byte) cbReply {
	t.Helper()
	var r cbReply
	if err := xml.Unmarshal(body, &r); err != nil {
		t.Fatalf("reply is not XML: %v\n%s", err, body)
	}
	return r
}

// cbEncryptedReply is a safe-mode answer.
type cbEncryptedReply struct {
	XMLName      xml.Name `xml:"xml"`
	Encrypt      string   `xml:"Encrypt"`
	MsgSignature string   `xml:"MsgSignature"`
	TimeStamp    string   `xml:"TimeStamp"`
	Nonce        string   `xml:"Nonce"`
}

// --- WeChat's crypto, written out from the spec ---------------------------

// cbSHA1Sorted is WeChat's signature: SHA1 over the parameters sorted
// lexicographically and concatenated, lower-case hex.
func cbSHA1Sorted(parts ...string) string {
	p := append([]string(nil), parts...)
	sort.Strings(p)
	sum := sha1.Sum([]byte(strings.Join(p, "")))
	return hex.EncodeToString(sum[:])
}

// cbEncrypt encrypts msg for appID the way WeChat does (through the
// library, whose output is pinned to Tencent's vector in
// TestCallbackCryptoKnownAnswer).
func cbEncrypt(t testing.TB, msg []byte, appID, aesKey string) string {
	t.Helper()
	random := make([]byte, 16)
	_, _ = rand.Read(random)
	out, err := util.EncryptMsg(random, msg, appID, aesKey)
	if err != nil {
		t.Fatalf("encrypt: %v", err)
	}
	return string(out)
}

// cbDecrypt implements Tencent's decryption independently: AES-256-CBC
// with IV = key[:16], PKCS#7 padding to 32 bytes, plaintext =
// random(16) + len(4, big endian) + msg + appid.
func cbDecrypt(encodingAESKey, b64 string) (msg []byte, appID string, err error) {
	key, err := base64.StdEncoding.DecodeString(encodingAESKey + "=")
	if err != nil || len(key) != 32 {
		return nil, "", fmt.Errorf("bad EncodingAESKey")
	}
	ct, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		return nil, "", err
	}
	if len(ct) == 0 || len(ct)%aes.BlockSize != 0 {
		return nil, "", fmt.Errorf("ciphertext length %d", len(ct))
	}
	block, _ := aes.NewCipher(key)
	pt := make([]byte, len(ct))
	cipher.NewCBCDecrypter(block, key[:16]).CryptBlocks(pt, ct)
	pad := int(pt[len(pt)-1])
	if pad < 1 || pad > 32 || pad > len(pt) || !bytes.Equal(pt[len(pt)-pad:], bytes.Repeat([]byte{byte(pad)}, pad)) {
		return nil, "", fmt.Errorf("bad padding")
	}
	pt = pt[:len(pt)-pad]
	if len(pt) < 20 {
		return nil, "", fmt.Errorf("plaintext too short")
	}
	n := int(binary.BigEndian.Uint32(pt[16:20]))
	if 20+n > len(pt) {
		return nil, "", fmt.Errorf("bad length %d", n)
	}
	return pt[20 : 20+n], string(pt[20+n:]), nil
}

// --- database and metrics ---------------------------------------------------

func cbFollower(t testing.TB, db *model.DB, openID string) (model.Follower, bool) {
	t.Helper()
	var fs []model.Follower
	if err := db.Conn(context.Background()).Where("openid = ?", openID).Find(&fs).Error; err != nil {
		t.Fatalf("query followers: %v", err)
	}
	if len(fs) > 1 {
		t.Fatalf("%d follower rows for %s", len(fs), openID)
	}
	if len(fs) == 0 {
		return model.Follower{}, false
	}
	return fs[0], true
}

func cbCount(t testing.TB, db *model.DB, table any, where ...any) int64 {
	t.Helper()
	var n int64
	q := db.Conn(context.Background()).Model(table)
	if len(where) > 0 {
		q = q.Where(where[0], where[1:]...)
	}
	if err := q.Count(&n).Error; err != nil {
		t.Fatalf("count: %v", err)
	}
	return n
}

func cbInteractions(t testing.TB, db *model.DB, openID string) []model.Interaction {
	t.Helper()
	var its []model.Interaction
	if err := db.Conn(context.Background()).Where("openid = ?", openID).Order("id").Find(&its).Error; err != nil {
		t.Fatalf("query interactions: %v", err)
	}
	return its
}

// cbEventually polls cond until it holds or 5 s pass.
func cbEventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func cbRejected(t testing.TB, s *cbStack, reason string) float64 {
	t.Helper()
	return servicetest.Metric(t, s.reg, "youthvoice_wechat_rejected_total", map[string]string{"reason": reason})
}
