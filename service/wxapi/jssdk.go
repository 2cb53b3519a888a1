package wxapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/silenceper/wechat/v2/util"
)

// JSConfig is what a page passes to wx.config.
type JSConfig struct {
	AppID     string `json:"appId"`
	Timestamp int64  `json:"timestamp"`
	NonceStr  string `json:"nonceStr"`
	Signature string `json:"signature"`
}

// JSConfig signs wx.config for the page at pageURL (its exact URL, without
// the fragment). The jsapi_ticket comes from ticket/getticket through the
// kv store, as the access token does, so every instance uses one ticket
// (silenceper's DefaultJsTicket, on the client's shared cache).
func (c *Client) JSConfig(ctx context.Context, pageURL string) (JSConfig, error) {
	if i := strings.IndexByte(pageURL, '#'); i >= 0 {
		pageURL = pageURL[:i]
	}
	var out JSConfig
	err := c.withToken(ctx, "ticket/getticket", func(string) error {
		cfg, err := c.oa.GetJs().GetConfigContext(ctx, pageURL)
		if err != nil {
			return err
		}
		out = JSConfig{AppID: cfg.AppID, Timestamp: cfg.Timestamp, NonceStr: cfg.NonceStr, Signature: cfg.Signature}
		return nil
	})
	return out, err
}

// mediaGetURL is WeChat's temporary-media download (media/get).
const mediaGetURL = officialBase + "/cgi-bin/media/get"

// MaxMedia bounds a temporary image fetched from WeChat (its own limit
// for images is 10 MB).
const MaxMedia = 10 << 20

// Media downloads the temporary media mediaID (a serverId from the
// JSSDK's uploadImage; WeChat keeps it 3 days). An errcode answer, JSON
// instead of the file, is an *Error.
func (c *Client) Media(ctx context.Context, mediaID string) ([]byte, error) {
	if mediaID == "" || len(mediaID) > 128 {
		return nil, errors.New("media_id 无效")
	}
	var data []byte
	err := c.withToken(ctx, "media/get", func(token string) error {
		body, err := util.HTTPGetContext(ctx, mediaGetURL+"?access_token="+url.QueryEscape(token)+"&media_id="+url.QueryEscape(mediaID))
		if err != nil {
			return err
		}
		if len(body) > 0 && body[0] == '{' {
			var e util.CommonError
			if json.Unmarshal(body, &e) == nil && e.ErrCode != 0 {
				return &Error{API: "media/get", Code: int(e.ErrCode), Msg: e.ErrMsg}
			}
		}
		if len(body) > MaxMedia {
			return fmt.Errorf("media/get: 文件超过 %d MiB", MaxMedia>>20)
		}
		data = body
		return nil
	})
	return data, err
}
