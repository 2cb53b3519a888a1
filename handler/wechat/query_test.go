package wechat

import (
	"net/url"
	"strings"
	"testing"
)

// queryFromValues is what url.Values.Get gives for the parameters the callback reads.
func queryFromValues(v url.Values) callbackQuery {
	return callbackQuery{
		signature: v.Get("signature"), timestamp: v.Get("timestamp"), nonce: v.Get("nonce"),
		echostr: v.Get("echostr"), encryptType: v.Get("encrypt_type"),
		msgSignature: v.Get("msg_signature"), openid: v.Get("openid"),
	}
}

func TestParseCallbackQueryMatchesURLValues(t *testing.T) {
	for _, raw := range []string{
		"",
		"signature=abc&timestamp=1700000000&nonce=42&openid=oUser&encrypt_type=aes&msg_signature=def",
		"echostr=hello%20world&signature=a+b",
		"nonce=&nonce=second",                 // the first value counts, even empty
		"timestamp=1&timestamp=2",             // the first value counts
		"nonce=1;2&signature=s",               // a semicolon drops the pair
		"nonce=%zz&nonce=ok",                  // a bad escape drops the pair
		"%6eonce=escaped-key",                 // escaped keys count
		"signature",                           // a key without a value
		"=novalue&&&signature=x&",             // empty keys and pairs
		"openid=o%2Bplus&encrypt_type=raw",    // %2B is a plus, + a space
		"unknown=1&signature=s&unknown=2",     // others are ignored
		"msg_signature=%E4%B8%AD&echostr=%00", // any bytes
	} {
		t.Run(raw, func(t *testing.T) {
			v, _ := url.ParseQuery(raw) // Query() ignores the error too
			if got, want := parseCallbackQuery(raw), queryFromValues(v); got != want {
				t.Fatalf("got %+v\nwant %+v", got, want)
			}
		})
	}
}

func FuzzParseCallbackQuery(f *testing.F) {
	f.Add("signature=abc&timestamp=1700000000&nonce=42&openid=oUser")
	f.Add("nonce=&nonce=x;y&%6eonce=%zz&echostr=a+b%20c")
	f.Fuzz(func(t *testing.T, raw string) {
		v, _ := url.ParseQuery(raw)
		if got, want := parseCallbackQuery(raw), queryFromValues(v); got != want {
			t.Fatalf("query %q:\ngot %+v\nwant %+v", raw, got, want)
		}
	})
}

func TestSignatureOKMatchesSignature(t *testing.T) {
	long := strings.Repeat("x", 600) // past signatureOK's stack buffer
	for _, parts := range [][]string{
		{"token", "1700000000", "nonce"},
		{"token", "1700000000", "nonce", "EncryptedPayload=="},
		{"", "", ""},
		{"token", "1700000000", "nonce", long},
		{"a", "b", "c", "d", "e"}, // more parts than the fast path takes
	} {
		want := Signature(parts...)
		if !signatureOK(want, parts...) {
			t.Errorf("%.40q: the right signature was refused", parts)
		}
		for _, bad := range []string{
			"", want[:39], want + "0", strings.ToUpper(want),
			want[:39] + string("0123456789abcdef"[(strings.IndexByte("0123456789abcdef", want[39])+1)%16]),
		} {
			if signatureOK(bad, parts...) {
				t.Errorf("%.40q: signature %q accepted, want %q", parts, bad, want)
			}
		}
	}
}

var sigSink bool

func TestSignatureOKDoesNotAllocate(t *testing.T) {
	n := testing.AllocsPerRun(100, func() {
		sigSink = signatureOK("9c2af5e1a6c2d0c4a2f18d1d41a2bd1d5b8e4f60", "token", "1700000000", "nonce")
	})
	if n != 0 {
		t.Fatalf("%v allocations per check", n)
	}
}
