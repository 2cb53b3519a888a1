package model

import (
	"fmt"
	"time"

	"gorm.io/gorm"
)

// migrate0025 adds photos on questions and answers (issue 23):
//
//   - post_images: one row per photo, up to 3 per post. The files live in
//     the storage (service/storage) under storage_key; the row keeps what
//     the pages need without reading them (size, who uploaded). The
//     unique (owner_kind, owner_id, position) reads a post's photos in
//     order, and a question page's in one query (owner_kind, owner_id IN
//     …); (uploader_id, created_at) lists a person's.
//
// Frozen: do not edit.
func migrate0025(tx *gorm.DB, _ Dialect) error {
	type PostImage struct {
		ID         uint64    `gorm:"primaryKey"`
		OwnerKind  string    `gorm:"size:10;not null;uniqueIndex:idx_post_image_owner,priority:1"`
		OwnerID    uint64    `gorm:"not null;uniqueIndex:idx_post_image_owner,priority:2"`
		Position   int       `gorm:"not null;uniqueIndex:idx_post_image_owner,priority:3"`
		StorageKey string    `gorm:"size:200;not null;uniqueIndex:idx_post_image_key"`
		Width      int       `gorm:"not null"`
		Height     int       `gorm:"not null"`
		Bytes      int64     `gorm:"not null"`
		UploaderID uint64    `gorm:"not null;index:idx_post_image_uploader,priority:1"`
		CreatedAt  time.Time `gorm:"not null;index:idx_post_image_uploader,priority:2"`
	}
	if err := createTables(tx, &PostImage{}); err != nil {
		return fmt.Errorf("post_images: %w", err)
	}
	return nil
}
