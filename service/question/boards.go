package question

import (
	"context"
	"sync"
	"time"

	"github.com/gdyouth/youthvoice/model"
)

// boardCache holds the boards table for the list pages, which need a
// board and board names on every view: a few hundred rows that change
// only when an operator edits the table or a university's first question
// creates its board. It is read again after boardCacheTTL (wall time, not
// the service clock: it is about this process, not about deadlines);
// a board it does not know yet is read from the table.
type boardCache struct {
	mu     sync.Mutex
	loaded time.Time
	byKey  map[string]model.Board
	byID   map[uint64]model.Board
}

const boardCacheTTL = 10 * time.Second

// cachedBoards returns the boards by id and by key, at most boardCacheTTL old.
func (s *Service) cachedBoards(ctx context.Context) (byID map[uint64]model.Board, byKey map[string]model.Board, err error) {
	c := &s.boards
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.byID != nil && time.Since(c.loaded) < boardCacheTTL {
		return c.byID, c.byKey, nil
	}
	var all []model.Board
	if err := s.db.Conn(ctx).Find(&all).Error; err != nil {
		return nil, nil, err
	}
	c.byID, c.byKey = make(map[uint64]model.Board, len(all)), make(map[string]model.Board, len(all))
	for _, b := range all {
		c.byID[b.ID], c.byKey[b.Key] = b, b
	}
	c.loaded = time.Now()
	return c.byID, c.byKey, nil
}

// listBoard is boardByKey for the list pages, from the cache.
func (s *Service) listBoard(ctx context.Context, key string) (model.Board, error) {
	_, byKey, err := s.cachedBoards(ctx)
	if err != nil {
		return model.Board{}, err
	}
	if b, ok := byKey[key]; ok && b.Enabled {
		return b, nil
	}
	return s.boardByKey(ctx, key)
}
