package account_test

import (
	"context"
	"testing"
	"time"

	"github.com/gdyouth/youthvoice/model"
	"github.com/gdyouth/youthvoice/model/dbtest"
	"github.com/gdyouth/youthvoice/service/account"
	"github.com/gdyouth/youthvoice/service/clock"
	"github.com/gdyouth/youthvoice/service/kv"
	"github.com/gdyouth/youthvoice/service/kv/kvtest"
	"github.com/gdyouth/youthvoice/service/servicetest"
)

// Codes from model/seed/gd_universities_2025.csv.
const (
	codeSYSU      = "4144010558" // 中山大学, 本科 公办
	codeJNU       = "4144010559" // 暨南大学
	codeBaiyun    = "4144010822" // 广东白云学院, 本科 民办
	codeQinggong  = "4144010833" // 广东轻工职业技术大学, 本科 公办
	codeJiaotong  = "4144010861" // 广东交通职业技术学院, 专科 公办
	codeChaoshan  = "4144010965" // 潮汕职业技术学院, 专科 民办
	codeHualian   = "4144011121" // 私立华联学院, 专科 民办
	codeUnknown   = "4144099999"
	testStartTime = "2025-04-01T09:00:00+08:00"
)

var ctx = context.Background()

type env struct {
	db  *model.DB
	kv  kv.Store
	clk *clock.Fake
	svc *account.Service
}

type envOpt struct {
	memoryKV bool // always the in-process kv on the fake clock
	opts     account.Options
	prodCost bool // leave BcryptCost at its default
}

func startTime() time.Time {
	t, err := time.Parse(time.RFC3339, testStartTime)
	if err != nil {
		panic(err)
	}
	return t
}

// each runs fn on every backend pair (servicetest.Each); the in-process
// store runs on the test's fake clock, and o.memoryKV keeps it even where
// the matrix has Redis.
func each(t *testing.T, o envOpt, fn func(t *testing.T, e *env)) {
	t.Helper()
	servicetest.Each(t, func(t *testing.T, b *servicetest.Backend) {
		clk := clock.NewFake(startTime())
		var store kv.Store
		if o.memoryKV && b.Redis() {
			store = kvtest.Memory(t, clk)
		} else {
			store = b.KVOn(clk)
		}
		opts := o.opts
		if opts.BcryptCost == 0 && !o.prodCost {
			opts.BcryptCost = 4
		}
		db := b.DB()
		svc, err := account.New(db, store, clk, servicetest.DiscardLog(), opts)
		if err != nil {
			t.Fatal(err)
		}
		fn(t, &env{db: db, kv: store, clk: clk, svc: svc})
	})
}

// newUser activates a new account through the public flow.
func (e *env) newUser(t *testing.T, acct, password, openid string) model.User {
	t.Helper()
	u, err := e.svc.Activate(ctx, account.ActivateInput{
		Entry: "gaoxiao", Mode: account.ModeNew, Account: acct, Password: password, Confirm: password,
		UniversityCode: codeSYSU, OpenID: openid,
	})
	if err != nil {
		t.Fatalf("activate %s: %v", acct, err)
	}
	return u
}

func (e *env) userCount(t *testing.T) int64 {
	t.Helper()
	var n int64
	if err := e.db.Conn(ctx).Model(&model.User{}).Count(&n).Error; err != nil {
		t.Fatal(err)
	}
	return n
}

func (e *env) uniCount(t *testing.T) int64 {
	t.Helper()
	var n int64
	if err := e.db.Conn(ctx).Model(&model.University{}).Count(&n).Error; err != nil {
		t.Fatal(err)
	}
	return n
}

// reload reads a user straight from the database.
func (e *env) reload(t *testing.T, id uint64) model.User {
	t.Helper()
	var u model.User
	if err := e.db.Conn(ctx).Take(&u, id).Error; err != nil {
		t.Fatalf("reload user %d: %v", id, err)
	}
	return u
}

func strOrNil(p *string) string {
	if p == nil {
		return "<nil>"
	}
	return *p
}

func TestNewRejectsNilDependencies(t *testing.T) {
	db := dbtest.SQLite(t)
	clk := clock.NewFake(startTime())
	store := kvtest.Memory(t, clk)
	log := servicetest.DiscardLog()
	for name, build := range map[string]func() (*account.Service, error){
		"db":    func() (*account.Service, error) { return account.New(nil, store, clk, log, account.Options{}) },
		"store": func() (*account.Service, error) { return account.New(db, nil, clk, log, account.Options{}) },
		"clock": func() (*account.Service, error) { return account.New(db, store, nil, log, account.Options{}) },
		"log":   func() (*account.Service, error) { return account.New(db, store, clk, nil, account.Options{}) },
	} {
		if s, err := build(); err == nil || s != nil {
			t.Errorf("New without %s: %v, %v; want an error", name, s, err)
		}
	}
}
