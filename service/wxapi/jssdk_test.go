package wxapi_test

import (
	"bytes"
	"context"
	"testing"

	"github.com/gdyouth/youthvoice/service/servicetest"
	"github.com/gdyouth/youthvoice/service/wxapi"
)

// Two instances on one kv store sign wx.config with one jsapi ticket,
// fetched once from ticket/getticket (WeChat limits the fetches per day,
// as it does the token's); the signature drops the URL's fragment.
func TestJSConfigSharesTheTicket(t *testing.T) {
	servicetest.Each(t, func(t *testing.T, b *servicetest.Backend) {
		ctx := context.Background()
		cred := newApp(t)
		store := b.KV()
		a, c := newClient(t, cred, store), newClient(t, cred, b.Peer(t))
		calls := mark()
		x, err := a.JSConfig(ctx, "https://wx.example.org/h5/ask#photos")
		if err != nil {
			t.Fatal(err)
		}
		y, err := c.JSConfig(ctx, "https://wx.example.org/h5/ask")
		if err != nil {
			t.Fatal(err)
		}
		if n := len(calls("/cgi-bin/ticket/getticket")); n != 1 {
			t.Fatalf("%d getticket calls for two instances", n)
		}
		if x.AppID != cred.AppID || len(x.Signature) != 40 || len(y.Signature) != 40 {
			t.Fatalf("configs %+v %+v", x, y)
		}
	})
}

// media/get returns the file a phone uploaded; an unknown or expired
// media_id is WeChat's errcode, not a file.
func TestMedia(t *testing.T) {
	servicetest.Each(t, func(t *testing.T, b *servicetest.Backend) { testMedia(t, newClient(t, newApp(t), b.KV())) })
}

func testMedia(t *testing.T, c *wxapi.Client) {
	ctx := context.Background()
	img := []byte("\xff\xd8\xff\xe0 a jpeg")
	id := fake.AddMedia(img, "image/jpeg")
	got, err := c.Media(ctx, id)
	if err != nil || !bytes.Equal(got, img) {
		t.Fatalf("media: %q, %v", got, err)
	}
	_, err = c.Media(ctx, "MEDIA_unknown")
	if code, ok := wxapi.ErrCode(err); !ok || code != 40007 {
		t.Fatalf("unknown media: %v", err)
	}
}
