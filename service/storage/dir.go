package storage

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// Dir stores each object as a file under a directory, its content type
// in a ".type" file beside it. For one instance: others cannot read it.
type Dir struct {
	root string
}

// NewDir stores under root, creating it.
func NewDir(root string) (*Dir, error) {
	if root == "" {
		return nil, errors.New("storage.NewDir: empty directory")
	}
	if err := os.MkdirAll(root, 0o750); err != nil {
		return nil, fmt.Errorf("创建文件目录 %s 失败: %w", root, err)
	}
	return &Dir{root: root}, nil
}

// Name implements Store.
func (d *Dir) Name() string { return "dir " + d.root }

func (d *Dir) path(key string) (string, error) {
	if err := CheckKey(key); err != nil {
		return "", err
	}
	return filepath.Join(d.root, filepath.FromSlash(key)), nil
}

// Put implements Store: written to a temporary file and renamed, so a
// reader never sees half a file.
func (d *Dir) Put(ctx context.Context, key, contentType string, data []byte) error {
	p, err := d.path(key)
	if err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o750); err != nil {
		return err
	}
	if err := writeAtomic(p+".type", []byte(contentType)); err != nil {
		return err
	}
	return writeAtomic(p, data)
}

func writeAtomic(p string, data []byte) error {
	f, err := os.CreateTemp(filepath.Dir(p), ".tmp-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	if _, err := f.Write(data); err != nil {
		f.Close()
		os.Remove(tmp)
		return err
	}
	if err := f.Close(); err != nil {
		os.Remove(tmp)
		return err
	}
	if err := os.Rename(tmp, p); err != nil {
		os.Remove(tmp)
		return err
	}
	return nil
}

// Get implements Store.
func (d *Dir) Get(ctx context.Context, key string) (Object, error) {
	p, err := d.path(key)
	if err != nil {
		return Object{}, err
	}
	if err := ctx.Err(); err != nil {
		return Object{}, err
	}
	data, err := os.ReadFile(p)
	if errors.Is(err, fs.ErrNotExist) {
		return Object{}, fmt.Errorf("%w: %s", ErrNotFound, key)
	}
	if err != nil {
		return Object{}, err
	}
	ct, err := os.ReadFile(p + ".type")
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return Object{}, err
	}
	if len(ct) == 0 {
		ct = []byte("application/octet-stream")
	}
	return Object{Data: data, ContentType: string(ct)}, nil
}

// Delete implements Store.
func (d *Dir) Delete(ctx context.Context, key string) error {
	p, err := d.path(key)
	if err != nil {
		return err
	}
	for _, f := range []string{p, p + ".type"} {
		if err := os.Remove(f); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
	}
	return nil
}
