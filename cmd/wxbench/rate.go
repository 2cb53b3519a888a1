package main

import (
	"context"
	"errors"
	"math/rand/v2"
	"net/http"
	"strings"
	"time"

	"github.com/gdyouth/youthvoice/cmd/internal/openloop"
)

// The fixed-rate run is open loop (cmd/internal/openloop): request i is
// due at start + i/rate, and its latency is measured from that due time.

type rateOptions struct {
	rate     int
	duration time.Duration
	workers  int
	senders  int
	token    string
}

type rateResult struct {
	openloop.Result
	MsgIDBase int64 // request i carried MsgId MsgIDBase+i
	OKText    int   // 200 with a text reply to the sender
	BadReply  int   // 200 without the expected text reply
}

func (r rateResult) percentile(p float64) time.Duration { return r.Percentile(p) }

func (r rateResult) max() time.Duration { return r.Max() }

// runRate sends o.rate requests per second for o.duration to baseURL.
func runRate(ctx context.Context, baseURL string, o rateOptions) rateResult {
	now := time.Now()
	sigs := signedQueries(o.token, 1000, now)
	base := newMsgIDBase()
	res := openloop.Run(ctx, openloop.Options{Rate: o.rate, Duration: o.duration, Workers: o.workers},
		func(ctx context.Context, i int, rng *rand.Rand) (*http.Request, openloop.Check, error) {
			from := senderID(rng.IntN(o.senders))
			body := textMessage(from, now.Unix(), contents[i%len(contents)], base+int64(i))
			url := baseURL + callbackPath + "?" + sigs[rng.IntN(len(sigs))]
			req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, strings.NewReader(body))
			if err != nil {
				return nil, nil, err
			}
			req.Header.Set("Content-Type", "text/xml")
			return req, func(resp *http.Response, reply []byte) error {
				if resp.StatusCode != http.StatusOK || !isTextReplyTo(reply, from) {
					return errors.New("unexpected reply: " + string(reply))
				}
				return nil
			}, nil
		})
	return rateResult{Result: res, MsgIDBase: base, OKText: res.OK, BadReply: res.Bad}
}
