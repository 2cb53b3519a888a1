package model_test

import (
	"context"
	"testing"
	"time"

	"github.com/gdyouth/youthvoice/model"
	"github.com/gdyouth/youthvoice/model/dbtest"
)

// Migration 25: a post's photos are one per position, and one row per
// stored file.
func TestPostImagesUnique(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *model.DB) {
		c := db.Conn(context.Background())
		now := time.Now().UTC().Truncate(time.Second)
		row := func(pos int, key string) model.PostImage {
			return model.PostImage{OwnerKind: model.ImageOwnerQuestion, OwnerID: 7, Position: pos, StorageKey: key,
				Width: 10, Height: 10, Bytes: 100, UploaderID: 1, CreatedAt: now}
		}
		if err := c.Create(&[]model.PostImage{row(0, "images/a.jpg"), row(1, "images/b.jpg")}).Error; err != nil {
			t.Fatal(err)
		}
		if err := c.Create(&[]model.PostImage{row(1, "images/c.jpg")}).Error; err == nil {
			t.Fatal("a second photo at position 1 was stored")
		}
		if err := c.Create(&[]model.PostImage{row(2, "images/a.jpg")}).Error; err == nil {
			t.Fatal("two rows name one file")
		}
	})
}
