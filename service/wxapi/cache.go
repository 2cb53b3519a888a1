package wxapi

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/silenceper/wechat/v2/cache"

	"github.com/gdyouth/youthvoice/service/kv"
)

// Cache adapts kv.Store to silenceper's cache.Cache (and ContextCache):
// values are strings, and a miss is nil.
type Cache struct {
	store kv.Store
}

var _ cache.ContextCache = (*Cache)(nil)

// NewCache wraps store, which is required.
func NewCache(store kv.Store) (*Cache, error) {
	if store == nil {
		return nil, errors.New("wxapi.NewCache: nil store")
	}
	return &Cache{store: store}, nil
}

// opTimeout bounds calls made without a context.
const opTimeout = 3 * time.Second

func (c *Cache) bg() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), opTimeout)
}

// Get implements cache.Cache.
func (c *Cache) Get(key string) interface{} {
	ctx, cancel := c.bg()
	defer cancel()
	return c.GetContext(ctx, key)
}

// GetContext implements cache.ContextCache.
func (c *Cache) GetContext(ctx context.Context, key string) interface{} {
	v, err := c.store.Get(ctx, key)
	if err != nil {
		return nil
	}
	return v
}

// Set implements cache.Cache.
func (c *Cache) Set(key string, val interface{}, timeout time.Duration) error {
	ctx, cancel := c.bg()
	defer cancel()
	return c.SetContext(ctx, key, val, timeout)
}

// SetContext implements cache.ContextCache.
func (c *Cache) SetContext(ctx context.Context, key string, val interface{}, timeout time.Duration) error {
	s, ok := val.(string)
	if !ok {
		s = fmt.Sprint(val)
	}
	return c.store.Set(ctx, key, s, timeout)
}

// IsExist implements cache.Cache.
func (c *Cache) IsExist(key string) bool {
	ctx, cancel := c.bg()
	defer cancel()
	return c.IsExistContext(ctx, key)
}

// IsExistContext implements cache.ContextCache.
func (c *Cache) IsExistContext(ctx context.Context, key string) bool {
	_, err := c.store.Get(ctx, key)
	return err == nil
}

// Delete implements cache.Cache.
func (c *Cache) Delete(key string) error {
	ctx, cancel := c.bg()
	defer cancel()
	return c.DeleteContext(ctx, key)
}

// DeleteContext implements cache.ContextCache.
func (c *Cache) DeleteContext(ctx context.Context, key string) error {
	return c.store.Del(ctx, key)
}
