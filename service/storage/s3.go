package storage

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
)

// S3Options configure S3-compatible object storage (YV_S3_*).
type S3Options struct {
	Endpoint  string // host[:port], no scheme
	Bucket    string
	AccessKey string
	SecretKey string
	Region    string
	UseSSL    bool
}

// S3 stores objects in a bucket of S3-compatible object storage (AWS S3,
// MinIO, Tencent COS, Aliyun OSS…), which every instance reads.
type S3 struct {
	client *minio.Client
	bucket string
	name   string
}

// MaxObject bounds what Get reads of one object: more than any photo.
const MaxObject = 32 << 20

// NewS3 connects to the bucket; it does not call the server (startup
// must not wait for it), the first Put or Get does.
func NewS3(o S3Options) (*S3, error) {
	if o.Endpoint == "" || o.Bucket == "" {
		return nil, errors.New("storage.NewS3: endpoint and bucket are required")
	}
	c, err := minio.New(o.Endpoint, &minio.Options{
		Creds:  credentials.NewStaticV4(o.AccessKey, o.SecretKey, ""),
		Secure: o.UseSSL,
		Region: o.Region,
	})
	if err != nil {
		return nil, fmt.Errorf("YV_S3_ENDPOINT 无效: %w", err)
	}
	scheme := "http"
	if o.UseSSL {
		scheme = "https"
	}
	// The name never carries the keys: it is logged.
	return &S3{client: c, bucket: o.Bucket, name: fmt.Sprintf("s3 %s://%s/%s", scheme, o.Endpoint, o.Bucket)}, nil
}

// Name implements Store.
func (s *S3) Name() string { return s.name }

// Put implements Store.
func (s *S3) Put(ctx context.Context, key, contentType string, data []byte) error {
	if err := CheckKey(key); err != nil {
		return err
	}
	_, err := s.client.PutObject(ctx, s.bucket, key, bytes.NewReader(data), int64(len(data)),
		minio.PutObjectOptions{ContentType: contentType})
	if err != nil {
		return fmt.Errorf("对象存储写入 %s 失败: %w", key, err)
	}
	return nil
}

// Get implements Store.
func (s *S3) Get(ctx context.Context, key string) (Object, error) {
	if err := CheckKey(key); err != nil {
		return Object{}, err
	}
	obj, err := s.client.GetObject(ctx, s.bucket, key, minio.GetObjectOptions{})
	if err != nil {
		return Object{}, s.getErr(key, err)
	}
	defer obj.Close()
	info, err := obj.Stat()
	if err != nil {
		return Object{}, s.getErr(key, err)
	}
	data, err := io.ReadAll(io.LimitReader(obj, MaxObject))
	if err != nil {
		return Object{}, s.getErr(key, err)
	}
	return Object{Data: data, ContentType: info.ContentType}, nil
}

func (s *S3) getErr(key string, err error) error {
	if minio.ToErrorResponse(err).Code == minio.NoSuchKey {
		return fmt.Errorf("%w: %s", ErrNotFound, key)
	}
	return fmt.Errorf("对象存储读取 %s 失败: %w", key, err)
}

// Delete implements Store.
func (s *S3) Delete(ctx context.Context, key string) error {
	if err := CheckKey(key); err != nil {
		return err
	}
	if err := s.client.RemoveObject(ctx, s.bucket, key, minio.RemoveObjectOptions{}); err != nil {
		return fmt.Errorf("对象存储删除 %s 失败: %w", key, err)
	}
	return nil
}
