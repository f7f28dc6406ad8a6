package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/minio/minio-go/v7"

	"github.com/rpmvault/rpmvault/internal/digest"
)

// S3 is a store in an S3-compatible bucket under a prefix, with the same
// layout as Dir: PREFIX/objects/sha256/ab/abcdef…, cache entries at their
// keys, and PREFIX/leases/… for claims.
//
// An object becomes visible only by a request that can fail as a whole
// after Put has checked every byte: a single PUT whose last bytes are
// withheld on a mismatch (Content-Length is never reached, so the server
// stores nothing), or a multipart upload completed only after the last part
// checked out. Both carry If-None-Match: * so an object, once there, is
// never replaced, whoever else writes the name.
type S3 struct {
	core   minio.Core
	bucket string
	prefix string // "" or ends in "/"
	cfg    S3Config
	log    *slog.Logger
}

// DefaultPartSize is the multipart part size. Parts stream from the reader
// (nothing is buffered), so it costs no memory; it sets the largest object
// (10,000 parts) and how many requests a large RPM takes.
const DefaultPartSize = 16 << 20

// DefaultMultipartThreshold is the size above which an object of known size
// goes up as a multipart upload; up to it, one PUT. A single PUT streams
// from the reader as parts do (it costs no memory either) but is one
// request, where parts each wait for the server to store the part before
// the next starts: 128 MiB packages went up ~20% faster, with ~10% less of
// the server's CPU, in one PUT than in 16 MiB parts (BenchmarkMirror1GiBS3
// into SeaweedFS). rclone's --s3-upload-cutoff is 200 MiB for the same reason.
const DefaultMultipartThreshold = 256 << 20

// maxSinglePut is S3's limit on one PUT.
const maxSinglePut = 5 << 30

// DefaultLeaseTTL is how long a claim outlives its holder's last renewal.
const DefaultLeaseTTL = time.Minute

func (s *S3) String() string { return "s3://" + s.bucket + "/" + strings.TrimSuffix(s.prefix, "/") }

func (s *S3) key(rel string) string { return s.prefix + rel }

// Bucket and Prefix say where the store is.
func (s *S3) Bucket() string { return s.bucket }

// Prefix is "" or ends in "/".
func (s *S3) Prefix() string { return s.prefix }

// Client returns the underlying client (publish and tests list with it).
func (s *S3) Client() *minio.Client { return s.core.Client }

func isNotFound(err error) bool {
	code := minio.ToErrorResponse(err).Code
	return code == "NoSuchKey" || code == "NotFound" || minio.ToErrorResponse(err).StatusCode == http.StatusNotFound
}

func isPrecondition(err error) bool {
	r := minio.ToErrorResponse(err)
	return r.StatusCode == http.StatusPreconditionFailed || r.Code == "PreconditionFailed" ||
		r.StatusCode == http.StatusConflict && r.Code == "ConditionalRequestConflict"
}

func (s *S3) wrap(what string, err error) error {
	if err == nil {
		return nil
	}
	if isNotFound(err) {
		return fmt.Errorf("%s in %s: %w", what, s, fs.ErrNotExist)
	}
	return fmt.Errorf("%s in %s: %w", what, s, err)
}

// Has implements Store.
func (s *S3) Has(ctx context.Context, sha string) (bool, error) {
	if err := checkName(sha); err != nil {
		return false, err
	}
	_, err := s.core.StatObject(ctx, s.bucket, s.key(objectKey(sha)), minio.StatObjectOptions{})
	if err != nil {
		if isNotFound(err) {
			return false, nil
		}
		return false, s.wrap("object "+sha, err)
	}
	return true, nil
}

type s3Object struct {
	*minio.Object
	size int64
	mod  time.Time
}

func (o s3Object) Size() int64        { return o.size }
func (o s3Object) ModTime() time.Time { return o.mod }

func (s *S3) open(ctx context.Context, key, what string) (s3Object, error) {
	obj, err := s.core.Client.GetObject(ctx, s.bucket, key, minio.GetObjectOptions{})
	if err != nil {
		return s3Object{}, s.wrap(what, err)
	}
	st, err := obj.Stat()
	if err != nil {
		obj.Close()
		return s3Object{}, s.wrap(what, err)
	}
	return s3Object{Object: obj, size: st.Size, mod: st.LastModified}, nil
}

// Open implements Store.
func (s *S3) Open(ctx context.Context, sha string) (Object, error) {
	if err := checkName(sha); err != nil {
		return nil, err
	}
	o, err := s.open(ctx, s.key(objectKey(sha)), "object "+sha)
	if err != nil {
		return nil, err
	}
	return verifying(o, sha), nil
}

func (s *S3) putOptions() minio.PutObjectOptions {
	opts := minio.PutObjectOptions{ContentType: "application/x-rpm", DisableContentSha256: true}
	opts.SetMatchETagExcept("*")
	return opts
}

// Put implements Store. With a known size the body streams from r (a
// single PUT up to MultipartThreshold, above it a multipart upload of
// PartSize parts); with an unknown
// size (a package no lock pins yet, a repair by an index URL) it goes
// through one PartSize buffer: a body that fits is sent in one PUT once all
// of it has checked out, a larger one as a multipart upload completed only
// after the end of r checked out.
func (s *S3) Put(ctx context.Context, sha string, size int64, r io.Reader) error {
	if err := checkName(sha); err != nil {
		return err
	}
	if ok, err := s.Has(ctx, sha); err != nil || ok {
		return err
	}
	return s.putAbsent(ctx, sha, size, r)
}

// putAbsent is Put without its HEAD (see PutAbsent).
func (s *S3) putAbsent(ctx context.Context, sha string, size int64, r io.Reader) error {
	if err := checkName(sha); err != nil {
		return err
	}
	key := s.key(objectKey(sha))
	hr := hashing(r, sha, size)
	var err error
	switch {
	case size <= 0:
		// (An empty PUT would be sent before any byte is checked.)
		err = s.putUnsized(ctx, key, hr)
	case size <= int64(s.cfg.MultipartThreshold):
		_, err = s.core.PutObject(ctx, s.bucket, key, hr, size, "", "", s.putOptions())
		if err == nil {
			// The PUT sent exactly size bytes, which hashed to sha: the
			// object is right. A reader holding more than it declared is
			// still a caller's lie worth reporting.
			err = hr.Finish()
		}
	default:
		err = s.putMultipart(ctx, key, hr)
	}
	var mismatch *digest.MismatchError
	switch {
	case errors.As(err, &mismatch):
		return corrupt(mismatch)
	case hr.Err() != nil && !errors.Is(err, hr.Err()):
		// The reader failed (the source, or a check the caller's reader
		// makes): the upload broke off because of it, so it is the cause.
		return corrupt(hr.Err())
	case isPrecondition(err):
		// Another writer stored the name first; same name, same bytes.
		s.log.Debug("object already stored by another writer", "sha256", sha)
		return nil
	}
	return s.wrap("put object "+sha, err)
}

// Sync implements Store: an S3 object is durable once its PUT or its
// multipart completion has been answered.
func (s *S3) Sync(context.Context) error { return nil }

// putMultipart streams hr in parts straight from the reader; the upload is
// completed (and so the object made visible) only after the reader, which
// checks the hash, has reached its end without error. A writer that dies
// leaves an incomplete upload, which is never visible under the name.
func (s *S3) putMultipart(ctx context.Context, key string, hr *digest.Reader) error {
	return s.multipart(ctx, key, func(ctx context.Context, id string) ([]minio.CompletePart, error) {
		var parts []minio.CompletePart
		for n := 1; hr.N() < hr.Size(); n++ {
			size := min(int64(s.cfg.PartSize), hr.Size()-hr.N())
			p, err := s.core.PutObjectPart(ctx, s.bucket, key, id, n, io.LimitReader(hr, size), size, minio.PutObjectPartOptions{DisableContentSha256: true})
			if hr.Err() != nil {
				return nil, hr.Err()
			}
			if err != nil {
				return nil, err
			}
			parts = append(parts, minio.CompletePart{PartNumber: n, ETag: p.ETag})
		}
		// The reader has checked the sum on its last byte, and nothing
		// longer than size is accepted.
		return parts, hr.Finish()
	})
}

// putUnsized stores a body of unknown length, one PartSize buffer at a time.
func (s *S3) putUnsized(ctx context.Context, key string, hr *digest.Reader) error {
	buf := make([]byte, s.cfg.PartSize)
	k, err := io.ReadFull(hr, buf)
	if err == io.EOF || err == io.ErrUnexpectedEOF {
		// All of it fits, and the reader has checked it at its end.
		_, err = s.core.PutObject(ctx, s.bucket, key, bytes.NewReader(buf[:k]), int64(k), "", "", s.putOptions())
		return err
	}
	if err != nil {
		return err
	}
	return s.multipart(ctx, key, func(ctx context.Context, id string) ([]minio.CompletePart, error) {
		var parts []minio.CompletePart
		for n := 1; k > 0; n++ {
			p, err := s.core.PutObjectPart(ctx, s.bucket, key, id, n, bytes.NewReader(buf[:k]), int64(k), minio.PutObjectPartOptions{DisableContentSha256: true})
			if err != nil {
				return nil, err
			}
			parts = append(parts, minio.CompletePart{PartNumber: n, ETag: p.ETag})
			k, err = io.ReadFull(hr, buf)
			if err != nil && err != io.EOF && err != io.ErrUnexpectedEOF {
				return nil, err
			}
		}
		// The reader reached its end, where it checked the sum.
		return parts, nil
	})
}

// multipart runs one multipart upload: upload sends the parts, and the
// upload is completed only if it returns no error; otherwise it is aborted.
func (s *S3) multipart(ctx context.Context, key string, upload func(ctx context.Context, id string) ([]minio.CompletePart, error)) (err error) {
	opts := s.putOptions()
	id, err := s.core.NewMultipartUpload(ctx, s.bucket, key, opts)
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			// Background context: abort even when ctx is what failed.
			actx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			if aerr := s.core.AbortMultipartUpload(actx, s.bucket, key, id); aerr != nil {
				s.log.Warn("abort incomplete upload", "key", key, "error", aerr)
			}
		}
	}()
	parts, err := upload(ctx, id)
	if err != nil {
		return err
	}
	_, err = s.core.CompleteMultipartUpload(ctx, s.bucket, key, id, parts, opts)
	return err
}

// List implements Store.
func (s *S3) List(ctx context.Context, fn func(sha string) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	for o := range s.core.Client.ListObjects(ctx, s.bucket, minio.ListObjectsOptions{Prefix: s.key("objects/sha256/"), Recursive: true}) {
		if o.Err != nil {
			return s.wrap("list objects", o.Err)
		}
		name := o.Key[strings.LastIndexByte(o.Key, '/')+1:]
		if !ValidName(name) {
			continue
		}
		if err := fn(name); err != nil {
			return err
		}
	}
	return nil
}

// Remove implements Store.
func (s *S3) Remove(ctx context.Context, sha string) error {
	if err := checkName(sha); err != nil {
		return err
	}
	return s.wrap("remove object "+sha, s.core.RemoveObject(ctx, s.bucket, s.key(objectKey(sha)), minio.RemoveObjectOptions{}))
}

// GetCache implements Store.
func (s *S3) GetCache(ctx context.Context, key string) (CacheEntry, error) {
	if err := checkKey(key); err != nil {
		return nil, err
	}
	o, err := s.open(ctx, s.key(key), "cache entry "+key)
	if err != nil {
		return nil, err
	}
	return o, nil
}

// PutCache implements Store. The entry is produced in memory (cache entries
// are metadata, bounded by the resolver's limits) and sent in one PUT, which
// S3 applies whole or not at all.
func (s *S3) PutCache(ctx context.Context, key string, write func(io.Writer) error) error {
	if err := checkKey(key); err != nil {
		return err
	}
	var b bytes.Buffer
	if err := write(&b); err != nil {
		return fmt.Errorf("cache entry %s: %w", key, err)
	}
	_, err := s.core.PutObject(ctx, s.bucket, s.key(key), &b, int64(b.Len()), "", "", minio.PutObjectOptions{DisableContentSha256: true})
	return s.wrap("put cache entry "+key, err)
}

// RemoveCache implements Store.
func (s *S3) RemoveCache(ctx context.Context, key string) error {
	if err := checkKey(key); err != nil {
		return err
	}
	return s.wrap("remove cache entry "+key, s.core.RemoveObject(ctx, s.bucket, s.key(key), minio.RemoveObjectOptions{}))
}

// ListCache implements Store.
func (s *S3) ListCache(ctx context.Context, prefix string, fn func(key string) error) error {
	if err := checkKey(prefix); err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	for o := range s.core.Client.ListObjects(ctx, s.bucket, minio.ListObjectsOptions{Prefix: s.key(prefix + "/"), Recursive: true}) {
		if o.Err != nil {
			return s.wrap("list "+prefix, o.Err)
		}
		if err := fn(strings.TrimPrefix(o.Key, s.prefix)); err != nil {
			return err
		}
	}
	return nil
}
