// Package callback processes what WeChat pushes to /wechat/callback once
// it has been authenticated: it deduplicates WeChat's retries across
// instances, answers each message or event, keeps the follower records and
// records every push as an interaction.
package callback

import (
	"context"
	"crypto/sha1"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/silenceper/wechat/v2/officialaccount/message"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/gdyouth/youthvoice/model"
	"github.com/gdyouth/youthvoice/service/clock"
	"github.com/gdyouth/youthvoice/service/kv"
	"github.com/gdyouth/youthvoice/service/menu"
	"github.com/gdyouth/youthvoice/service/promotion"
	"github.com/gdyouth/youthvoice/service/scanlogin"
)

// Reply is what the service answers WeChat: a text message, or nothing
// (Text == "": the handler answers "success").
type Reply struct {
	Text string
}

// Service handles authenticated pushes.
type Service struct {
	db       *model.DB
	store    kv.Store
	menu     *menu.Menu
	clock    clock.Clock
	recorder *Recorder
	log      *slog.Logger
	logins   LoginScans

	budget    time.Duration
	dedupeTTL time.Duration
	claimTTL  time.Duration
	waitFor   time.Duration
	pollEvery time.Duration

	callbacks  *prometheus.CounterVec
	duplicates prometheus.Counter
}

// LoginScans handles scans of the PC login page's QR codes
// (scanlogin.Service).
type LoginScans interface {
	Scan(ctx context.Context, openid, eventKey string) (reply string, ok bool, err error)
}

// Options tunes the dedupe; zero values take defaults.
type Options struct {
	// Logins completes scans of login QR codes (扫码登录); without it
	// they are answered with nothing (tests of other pushes).
	Logins    LoginScans
	DedupeTTL time.Duration // default 10m
	WaitFor   time.Duration // how long a retry waits for the first reply, default 3s
	// ClaimTTL bounds an in-progress claim, default 10s: if the instance
	// holding it dies mid-processing, WeChat's later retry processes the
	// push instead of being answered empty for the whole DedupeTTL.
	ClaimTTL time.Duration
	// Budget bounds the work for one push that changes state or waits for
	// another delivery's reply, default 4s: WeChat gives up after 5.
	Budget time.Duration
}

// New builds the service. All dependencies are required.
func New(db *model.DB, store kv.Store, m *menu.Menu, clk clock.Clock, rec *Recorder, log *slog.Logger, reg prometheus.Registerer, o Options) (*Service, error) {
	if db == nil || store == nil || m == nil || clk == nil || rec == nil || log == nil || reg == nil {
		return nil, errors.New("callback.New: nil dependency")
	}
	if o.DedupeTTL <= 0 {
		o.DedupeTTL = 10 * time.Minute
	}
	if o.WaitFor <= 0 {
		o.WaitFor = 3 * time.Second
	}
	if o.ClaimTTL <= 0 {
		o.ClaimTTL = 10 * time.Second
	}
	if o.Budget <= 0 {
		o.Budget = 4 * time.Second
	}
	s := &Service{
		db: db, store: store, menu: m, clock: clk, recorder: rec, log: log, logins: o.Logins,
		budget: o.Budget, dedupeTTL: o.DedupeTTL, claimTTL: o.ClaimTTL, waitFor: o.WaitFor, pollEvery: 20 * time.Millisecond,
		callbacks: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "youthvoice_wechat_callbacks_total",
			Help: "Authenticated WeChat pushes processed, by message type and event.",
		}, []string{"msg_type", "event"}),
		duplicates: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "youthvoice_wechat_duplicates_total",
			Help: "WeChat retries recognised as duplicates and answered with the first reply.",
		}),
	}
	reg.MustRegister(s.callbacks, s.duplicates)
	return s, nil
}

// Dedupe values: a claim while the first delivery is processed, then the
// reply prefixed with "r:".
const (
	pendingMark = "p"
	replyPrefix = "r:"
)

// DedupeKey identifies a push across WeChat's retries: MsgId for
// messages, sender + CreateTime + Event + EventKey for events.
func DedupeKey(m *message.MixMessage) string {
	if m.MsgType != message.MsgTypeEvent && m.MsgID != 0 {
		return "wx:dedupe:m:" + strconv.FormatInt(m.MsgID, 10)
	}
	h := sha1.Sum([]byte(string(m.FromUserName) + "\x00" + strconv.FormatInt(m.CreateTime, 10) + "\x00" +
		string(m.Event) + "\x00" + m.EventKey))
	return "wx:dedupe:e:" + hex.EncodeToString(h[:])
}

// Handle processes one push exactly once across all instances sharing the
// kv store, and returns the same reply for every retry of it. An error
// means nothing was processed and WeChat should retry.
func (s *Service) Handle(ctx context.Context, m *message.MixMessage) (Reply, error) {
	key := DedupeKey(m)
	tried := stateless(m)
	if tried {
		// Most pushes: a first delivery of a message or menu event. The
		// store bounds its own call (see kv.Store), so this path needs no
		// timer of its own.
		reply, won, err := s.claimStateless(ctx, key, m)
		if err != nil || won {
			return reply, err
		}
	}
	ctx, cancel := context.WithTimeout(ctx, s.budget)
	defer cancel()
	return s.handleContended(ctx, key, m, tried)
}

// claimStateless computes the reply of a push whose only effect is the
// reply and the interaction record, and claims the push with it in one
// round trip; it records the push when the claim is won.
func (s *Service) claimStateless(ctx context.Context, key string, m *message.MixMessage) (Reply, bool, error) {
	now := s.clock.Now().UTC()
	reply, _ := s.respond(ctx, m, now)
	won, err := s.store.SetNX(ctx, key, replyPrefix+reply.Text, s.dedupeTTL)
	if err != nil {
		return Reply{}, false, fmt.Errorf("dedupe claim: %w", err)
	}
	if won {
		s.record(ctx, m, now)
	}
	return reply, won, nil
}

// handleContended processes a push that changes state, or answers a retry
// with the first delivery's reply. lost: a stateless claim was just lost.
func (s *Service) handleContended(ctx context.Context, key string, m *message.MixMessage, lost bool) (Reply, error) {
	deadline := time.Now().Add(s.waitFor)
	counted := false
	for {
		if !lost {
			if stateless(m) {
				reply, won, err := s.claimStateless(ctx, key, m)
				if err != nil || won {
					return reply, err
				}
			} else {
				won, err := s.store.SetNX(ctx, key, pendingMark, s.claimTTL)
				if err != nil {
					return Reply{}, fmt.Errorf("dedupe claim: %w", err)
				}
				if won {
					return s.processClaimed(ctx, key, m)
				}
			}
		}
		lost = false
		if !counted {
			counted = true
			s.duplicates.Inc()
			s.log.InfoContext(ctx, "wechat retry recognised", "msg_type", m.MsgType, "event", m.Event, "msg_id", m.MsgID)
		}
		// Someone else holds the claim: wait for their reply.
		for {
			v, err := s.store.Get(ctx, key)
			if errors.Is(err, kv.ErrMiss) {
				break // the first attempt failed and released it: claim again
			}
			if err != nil {
				return Reply{}, fmt.Errorf("dedupe read: %w", err)
			}
			if r, ok := strings.CutPrefix(v, replyPrefix); ok {
				return Reply{Text: r}, nil
			}
			if time.Now().After(deadline) {
				// Still in progress: answer empty rather than process twice;
				// the first delivery's reply reaches nobody either way.
				return Reply{}, nil
			}
			select {
			case <-ctx.Done():
				return Reply{}, ctx.Err()
			case <-time.After(s.pollEvery):
			}
		}
	}
}

func (s *Service) processClaimed(ctx context.Context, key string, m *message.MixMessage) (Reply, error) {
	reply, err := s.process(ctx, m)
	if err != nil {
		// Release the claim so WeChat's retry (here or elsewhere) tries again.
		if derr := s.store.Del(context.WithoutCancel(ctx), key); derr != nil {
			s.log.ErrorContext(ctx, "releasing dedupe claim failed", "err", derr)
		}
		return Reply{}, err
	}
	// Keep the reply for retries even if WeChat hung up on this request.
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
	defer cancel()
	if err := s.store.Set(sctx, key, replyPrefix+reply.Text, s.dedupeTTL); err != nil {
		// The work is done; a retry would wait and then answer empty.
		s.log.ErrorContext(ctx, "storing reply for retries failed", "err", err)
	}
	return reply, nil
}

// stateless reports pushes whose only effect is the reply and the
// interaction record (text, menu clicks and views, …).
func stateless(m *message.MixMessage) bool {
	if m.MsgType != message.MsgTypeEvent {
		return true
	}
	switch m.Event {
	case message.EventSubscribe, message.EventUnsubscribe, message.EventTemplateSendJobFinish:
		return false
	case message.EventScan:
		// A scan of a university's promotion code attributes the
		// follower; a login code's moves its ticket on.
		_, university := promotion.CodeOfScene(m.EventKey)
		return !university && !scanlogin.IsScene(m.EventKey)
	}
	return true
}

// process answers one push and records it.
func (s *Service) process(ctx context.Context, m *message.MixMessage) (Reply, error) {
	now := s.clock.Now().UTC()
	reply, err := s.respond(ctx, m, now)
	if err != nil {
		return Reply{}, err
	}
	s.record(ctx, m, now)
	return reply, nil
}

// respond applies the push's effects and builds the reply.
func (s *Service) respond(ctx context.Context, m *message.MixMessage, now time.Time) (Reply, error) {
	openID := string(m.FromUserName)
	var reply Reply
	switch m.MsgType {
	case message.MsgTypeEvent:
		switch m.Event {
		case message.EventSubscribe:
			scene := sceneKey(m.EventKey)
			if scanlogin.IsScene(m.EventKey) {
				scene = "" // a login ticket is no follower's origin, and not to be kept
			}
			if err := s.subscribe(ctx, openID, scene, sentAt(m.CreateTime, now), now); err != nil {
				return Reply{}, err
			}
			if err := s.attribute(ctx, openID, m.EventKey, model.QRSourceSubscribe, now); err != nil {
				return Reply{}, err
			}
			reply.Text = s.menu.Welcome()
			if text, err := s.loginScan(ctx, openID, m.EventKey); err != nil {
				return Reply{}, err
			} else if text != "" {
				// Followed by scanning the PC's login code: the one
				// reply there is carries the confirmation.
				reply.Text = text
			}
		case message.EventScan:
			if scanlogin.IsScene(m.EventKey) {
				text, err := s.loginScan(ctx, openID, m.EventKey)
				if err != nil {
					return Reply{}, err
				}
				reply.Text = text
				break
			}
			// A follower scanned a parametric code; a university's
			// promotion code attributes them when nothing has yet, and
			// answers with the activation steps.
			if _, ok := promotion.CodeOfScene(m.EventKey); ok {
				if err := s.attribute(ctx, openID, m.EventKey, model.QRSourceScan, now); err != nil {
					return Reply{}, err
				}
				reply.Text = s.menu.Welcome()
			}
		case message.EventUnsubscribe:
			if err := s.unsubscribe(ctx, openID, sentAt(m.CreateTime, now), now); err != nil {
				return Reply{}, err
			}
		case message.EventClick:
			if r, ok := s.menu.ClickReply(m.EventKey); ok {
				reply.Text = r
			} else {
				s.log.WarnContext(ctx, "menu CLICK with unknown key; is the menu in WeChat older than config/menu.json?", "key", m.EventKey)
			}
		case message.EventTemplateSendJobFinish:
			if err := s.templateFinished(ctx, openID, m.TemplateMsgID, m.Status, now); err != nil {
				return Reply{}, err
			}
		}
	case message.MsgTypeText:
		reply.Text = s.menu.TextReply(m.Content)
	}
	return reply, nil
}

// loginScan passes a login QR code's scan to the login service and
// returns its reply ("" for any other scene).
func (s *Service) loginScan(ctx context.Context, openID, eventKey string) (string, error) {
	if s.logins == nil || !scanlogin.IsScene(eventKey) {
		return "", nil
	}
	reply, _, err := s.logins.Scan(ctx, openID, eventKey)
	if err != nil {
		return "", fmt.Errorf("扫码登录: %w", err)
	}
	return reply, nil
}

// recordedKey is the EventKey an interaction keeps: a login code's
// ticket token is left out (it is a secret until it expires).
func recordedKey(eventKey string) string {
	if scanlogin.IsScene(eventKey) {
		prefix, _, _ := strings.Cut(eventKey, scanlogin.ScenePrefix)
		return prefix + scanlogin.ScenePrefix
	}
	return clip(eventKey, 255)
}

// record counts the push and logs it as an interaction.
func (s *Service) record(ctx context.Context, m *message.MixMessage, now time.Time) {
	openID := string(m.FromUserName)
	s.callbacks.WithLabelValues(metricMsgType(m.MsgType), metricEvent(m.Event)).Inc()
	s.recorder.Record(ctx, model.Interaction{
		OpenID:    openID,
		MsgType:   clip(string(m.MsgType), 32),
		Event:     clip(string(m.Event), 64),
		EventKey:  recordedKey(m.EventKey),
		Content:   clip(m.Content, 200),
		MsgID:     m.MsgID,
		SentAt:    sentAt(m.CreateTime, now),
		CreatedAt: now,
	})
}

// sentAt is WeChat's CreateTime, or now when it is not a storable time
// (DATETIME ends at year 9999): one such row would fail the recorder's
// whole batch, and every retry of it, on MySQL.
func sentAt(createTime int64, now time.Time) time.Time {
	t := time.Unix(createTime, 0).UTC()
	if createTime <= 0 || t.Year() < 1970 || t.Year() > 9999 {
		return now
	}
	return t
}

func sceneKey(eventKey string) string {
	return clip(strings.TrimPrefix(eventKey, "qrscene_"), 128)
}

// subscribe creates or revives the follower; a new scene key replaces the
// old one, an empty one keeps it. at is the event's CreateTime.
func (s *Service) subscribe(ctx context.Context, openID, scene string, at, now time.Time) error {
	update := map[string]any{"subscribed": true, "subscribed_at": now}
	if scene != "" {
		update["scene_key"] = scene
	}
	f := model.Follower{OpenID: openID, Subscribed: true, SceneKey: scene, SubscribedAt: &now}
	if err := s.setFollower(ctx, f, update, at, now); err != nil {
		return fmt.Errorf("保存关注者失败: %w", err)
	}
	return nil
}

// attribute attributes the follower to the university of a promotion
// code's scene (qrscene_u-<code> on subscribe, u-<code> on SCAN) unless
// they are attributed already: the first attribution wins (see
// promotion.Attribute).
func (s *Service) attribute(ctx context.Context, openID, key, source string, now time.Time) error {
	if _, ok := promotion.CodeOfScene(key); !ok {
		return nil
	}
	done, err := promotion.Attribute(ctx, s.db, openID, key, source, now)
	if err != nil {
		return err
	}
	if done {
		s.log.InfoContext(ctx, "follower attributed to a university's promotion code", "scene", strings.TrimPrefix(key, "qrscene_"), "source", source)
	}
	return nil
}

// unsubscribe marks the follower as gone and keeps their data.
func (s *Service) unsubscribe(ctx context.Context, openID string, at, now time.Time) error {
	f := model.Follower{OpenID: openID, Subscribed: false, UnsubscribedAt: &now}
	if err := s.setFollower(ctx, f, map[string]any{"subscribed": false, "unsubscribed_at": now}, at, now); err != nil {
		return fmt.Errorf("更新关注者失败: %w", err)
	}
	return nil
}

// setFollower stores the state a subscribe or unsubscribe event sent at
// at: a new follower is created with it (f); an existing one is updated
// (update) unless a newer event has set its state already — WeChat does
// not deliver pushes in order (a subscribe retried after the user's
// unsubscribe), and the later event is the user's current state.
func (s *Service) setFollower(ctx context.Context, f model.Follower, update map[string]any, at, now time.Time) error {
	return s.db.WithTx(ctx, func(ctx context.Context) error {
		f.StatusEventAt, f.CreatedAt, f.UpdatedAt = &at, now, now
		tx := s.db.Conn(ctx)
		if err := tx.Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "openid"}}, DoNothing: true}).Create(&f).Error; err != nil {
			return err
		}
		update["status_event_at"], update["updated_at"] = at, now
		res := tx.Model(&model.Follower{}).
			Where("openid = ? AND (status_event_at IS NULL OR status_event_at <= ?)", f.OpenID, at).
			Updates(update)
		return res.Error
	})
}

// templateFinished stores WeChat's delivery report and applies it to the
// message we sent with that MsgID (if its send result is already stored;
// otherwise the sender applies the report when it stores the MsgID).
func (s *Service) templateFinished(ctx context.Context, openID string, msgID int64, status string, now time.Time) error {
	if msgID == 0 {
		s.log.WarnContext(ctx, "TEMPLATESENDJOBFINISH without MsgID")
		return nil
	}
	status = clip(status, 64)
	return s.db.WithTx(ctx, func(ctx context.Context) error {
		tx := s.db.Conn(ctx)
		rep := model.TemplateSendReport{MsgID: msgID, OpenID: openID, Status: status, ReportedAt: now}
		if err := tx.Clauses(clause.OnConflict{
			Columns:   []clause.Column{{Name: "msg_id"}},
			DoUpdates: clause.AssignmentColumns([]string{"status", "reported_at"}),
		}).Create(&rep).Error; err != nil {
			return fmt.Errorf("保存模板消息送达结果失败: %w", err)
		}
		return tx.Model(&model.TemplateMessage{}).Where("msg_id = ?", msgID).
			Updates(map[string]any{"delivery_status": status, "delivered_at": now, "updated_at": now}).Error
	})
}

// DeliveryStatus returns WeChat's report for msgID, or gorm.ErrRecordNotFound.
func (s *Service) DeliveryStatus(ctx context.Context, msgID int64) (string, error) {
	var rep model.TemplateSendReport
	err := s.db.Conn(ctx).Where("msg_id = ?", msgID).Take(&rep).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return "", err
	}
	return rep.Status, err
}

// clip cuts s to at most n bytes on a rune boundary.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	s = s[:n]
	for !utf8.ValidString(s) {
		s = s[:len(s)-1]
	}
	return s
}

var knownMsgTypes = map[message.MsgType]bool{
	message.MsgTypeText: true, message.MsgTypeImage: true, message.MsgTypeVoice: true,
	message.MsgTypeVideo: true, message.MsgTypeShortVideo: true, message.MsgTypeLocation: true,
	message.MsgTypeLink: true, message.MsgTypeEvent: true, message.MsgTypeMiniprogrampage: true,
}

var knownEvents = map[message.EventType]bool{
	"": true, message.EventSubscribe: true, message.EventUnsubscribe: true, message.EventScan: true,
	message.EventLocation: true, message.EventClick: true, message.EventView: true,
	message.EventTemplateSendJobFinish: true,
}

// metricMsgType and metricEvent keep label values to a known set.
func metricMsgType(t message.MsgType) string {
	if knownMsgTypes[t] {
		return string(t)
	}
	return "other"
}

func metricEvent(e message.EventType) string {
	if knownEvents[e] {
		return string(e)
	}
	return "other"
}
