package main

import (
	"bytes"
	"context"
	"encoding/xml"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/silenceper/wechat/v2/officialaccount/message"
)

func TestSignedQueriesVerify(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	qs := signedQueries("sandbox", 50, now)
	if len(qs) != 50 {
		t.Fatalf("got %d queries", len(qs))
	}
	for _, q := range qs {
		v, err := url.ParseQuery(q)
		if err != nil {
			t.Fatal(err)
		}
		if v.Get("timestamp") != "1700000000" {
			t.Fatalf("timestamp %q", v.Get("timestamp"))
		}
		// WeChat's definition, spelled out: sha1 of the sorted strings.
		if got, want := v.Get("signature"), signature(v.Get("nonce"), "sandbox", v.Get("timestamp")); got != want {
			t.Fatalf("signature %s, want %s", got, want)
		}
	}
	if signature("b", "a") != signature("a", "b") {
		t.Fatal("signature must not depend on argument order")
	}
}

func TestTextMessageParses(t *testing.T) {
	id := newMsgIDBase() + 5*threadSpan + 12345
	if id >= 1<<53 {
		t.Fatalf("MsgId %d not exact in a double (wrk's Lua)", id)
	}
	var m message.MixMessage
	if err := xml.Unmarshal([]byte(textMessage(senderID(7), 1_700_000_000, "帮助", id)), &m); err != nil {
		t.Fatal(err)
	}
	if m.MsgType != message.MsgTypeText || string(m.FromUserName) != senderID(7) || m.Content != "帮助" || m.MsgID != id {
		t.Fatalf("parsed %+v", m)
	}
}

func TestWrkScriptRenders(t *testing.T) {
	var b bytes.Buffer
	err := wrkScript.Execute(&b, map[string]any{
		"Sigs": []string{"timestamp=1&nonce=2&signature=3"}, "Contents": contents, "Senders": 1000,
		"Base": int64(msgIDMin), "Span": int64(threadSpan), "CreateTime": int64(1), "Marker": textReplyMarker,
		"Marker2": textReplyMarkerCDATA, "ToUser": toUser, "Path": callbackPath,
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"function request()", "function done(", `"timestamp=1&nonce=2&signature=3",`, "local base = 1000000000000000"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("script lacks %q:\n%s", want, b.String())
		}
	}
}

// TestRateIsOpenLoop: a server that stalls once must show the stall in the
// latency of the requests that were due during it, and the run still
// sends at the requested rate.
func TestRateIsOpenLoop(t *testing.T) {
	var mu sync.Mutex
	seen := map[string]bool{}
	stalled := false
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		var m message.MixMessage
		if err := xml.Unmarshal(body, &m); err != nil || r.URL.Query().Get("signature") == "" {
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		mu.Lock()
		dup := seen[string(body)]
		seen[string(body)] = true
		stall := !stalled && len(seen) == 20
		stalled = stalled || stall
		mu.Unlock()
		if dup {
			http.Error(w, "duplicate", http.StatusConflict)
			return
		}
		if stall {
			time.Sleep(100 * time.Millisecond)
		}
		_, _ = io.WriteString(w, "<xml><ToUserName><![CDATA["+string(m.FromUserName)+"]]></ToUserName><MsgType>text</MsgType></xml>")
	}))
	defer srv.Close()

	r := runRate(context.Background(), srv.URL, rateOptions{rate: 200, duration: 500 * time.Millisecond, workers: 1, senders: 10, token: "sandbox"})
	if r.Sent != 100 || r.OKText != 100 || r.Errors+r.Non2xx+r.BadReply != 0 {
		t.Fatalf("sent %d ok %d errors %d non2xx %d bad %d (%s)", r.Sent, r.OKText, r.Errors, r.Non2xx, r.BadReply, r.FirstErr)
	}
	// With one worker, the ~20 requests due during the 100 ms stall queue
	// behind it; open-loop accounting charges them the wait.
	if slow := r.Latencies[len(r.Latencies)-10]; slow < 40*time.Millisecond {
		t.Fatalf("10th slowest latency %s: the stall was not charged to the queued requests", slow)
	}
}
