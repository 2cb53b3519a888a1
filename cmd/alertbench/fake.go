package main

import (
	"context"
	"net"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/gdyouth/youthvoice/service/wxapi/wxfake"
)

// fakeAPI is the in-process fake WeChat API the instances call: wxfake
// behind a loopback listener, counting template sends per client_msg_id
// and the TCP connections the clients open, with an optional delay per
// request standing in for the network to Tencent.
type fakeAPI struct {
	fake     *wxfake.Server
	tally    *tally
	url      string
	srv      *http.Server
	newConns atomic.Int64
}

func startFake(appID, secret string, latency time.Duration) (*fakeAPI, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	f := &fakeAPI{fake: wxfake.New(), tally: newTally(), url: "http://" + ln.Addr().String()}
	f.fake.AddApp(appID, secret)
	f.fake.OnTemplate = func(tc wxfake.TemplateCall) { f.tally.add(tc.ClientMsgID, time.Now()) }
	var h http.Handler = f.fake
	if latency > 0 {
		inner := h
		h = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			time.Sleep(latency)
			inner.ServeHTTP(w, r)
		})
	}
	f.srv = &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 5 * time.Second,
		ConnState: func(_ net.Conn, s http.ConnState) {
			if s == http.StateNew {
				f.newConns.Add(1)
			}
		},
	}
	go func() { _ = f.srv.Serve(ln) }()
	return f, nil
}

func (f *fakeAPI) close() {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_ = f.srv.Shutdown(ctx)
}
