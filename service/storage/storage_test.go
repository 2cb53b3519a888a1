package storage_test

import (
	"bytes"
	"context"
	"errors"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"

	"github.com/gdyouth/youthvoice/service/storage"
)

// eachStore runs fn against the directory store and against S3 served
// by an in-process S3 server (gofakes3), so the S3 path runs in CI.
func eachStore(t *testing.T, fn func(t *testing.T, s storage.Store)) {
	t.Run("dir", func(t *testing.T) {
		d, err := storage.NewDir(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		fn(t, d)
	})
	t.Run("s3", func(t *testing.T) {
		s := NewFakeS3(t)
		fn(t, s)
	})
}

// NewFakeS3 is an S3 store on a gofakes3 server living for the test.
func NewFakeS3(t *testing.T) *storage.S3 {
	t.Helper()
	backend := s3mem.New()
	if err := backend.CreateBucket("photos"); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(gofakes3.New(backend).Server())
	t.Cleanup(srv.Close)
	s, err := storage.NewS3(storage.S3Options{Endpoint: strings.TrimPrefix(srv.URL, "http://"), Bucket: "photos",
		AccessKey: "AKIDTEST", SecretKey: "secret-test-key", Region: "us-east-1"})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestStorePutGetDelete(t *testing.T) {
	eachStore(t, func(t *testing.T, s storage.Store) {
		ctx := context.Background()
		data := bytes.Repeat([]byte{0xff, 0xd8, 1, 2, 3}, 1000)
		if err := s.Put(ctx, "images/2026/12/abc.jpg", "image/jpeg", data); err != nil {
			t.Fatal(err)
		}
		got, err := s.Get(ctx, "images/2026/12/abc.jpg")
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got.Data, data) || got.ContentType != "image/jpeg" {
			t.Fatalf("got %d bytes of %q", len(got.Data), got.ContentType)
		}
		// Overwrite keeps the newest.
		if err := s.Put(ctx, "images/2026/12/abc.jpg", "image/png", []byte("x")); err != nil {
			t.Fatal(err)
		}
		if got, _ = s.Get(ctx, "images/2026/12/abc.jpg"); string(got.Data) != "x" || got.ContentType != "image/png" {
			t.Fatalf("after overwrite: %q %q", got.Data, got.ContentType)
		}
		if err := s.Delete(ctx, "images/2026/12/abc.jpg"); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Get(ctx, "images/2026/12/abc.jpg"); !errors.Is(err, storage.ErrNotFound) {
			t.Fatalf("after delete: %v", err)
		}
		if err := s.Delete(ctx, "images/2026/12/abc.jpg"); err != nil {
			t.Fatalf("deleting a missing key: %v", err)
		}
		if _, err := s.Get(ctx, "images/never"); !errors.Is(err, storage.ErrNotFound) {
			t.Fatalf("missing key: %v", err)
		}
	})
}

func TestStoreRefusesBadKeys(t *testing.T) {
	eachStore(t, func(t *testing.T, s storage.Store) {
		ctx := context.Background()
		for _, k := range []string{"", "../etc/passwd", "/abs", "a/../../b", "A.jpg", "a//b", "a/"} {
			if err := s.Put(ctx, k, "image/jpeg", []byte("x")); err == nil {
				t.Errorf("Put(%q) succeeded", k)
			}
			if _, err := s.Get(ctx, k); err == nil || errors.Is(err, storage.ErrNotFound) {
				t.Errorf("Get(%q): %v", k, err)
			}
		}
	})
}

func TestS3NameHasNoSecret(t *testing.T) {
	s := NewFakeS3(t)
	if strings.Contains(s.Name(), "secret") || strings.Contains(s.Name(), "AKID") {
		t.Fatalf("name shows a key: %s", s.Name())
	}
}
