package store

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"time"

	"github.com/minio/minio-go/v7"
)

// Claim implements Store with a lease object, PREFIX/leases/KEY.
//
// S3 has no lock a crashed holder gives back, so a claim is a lease that
// only lives while its holder keeps renewing it:
//   - take: PUT the lease with If-None-Match: * (exactly one writer wins);
//   - hold: rewrite it every TTL/3 with If-Match: its own ETag, so its ETag
//     keeps changing while the holder is alive;
//   - wait: others poll the lease; one whose ETag has not changed for a
//     whole TTL, by the waiter's own clock, belongs to a dead holder (no
//     clocks are compared across machines), and is taken over with
//     If-Match: that stale ETag (again exactly one winner);
//   - release: delete it.
//
// A holder that dies thus blocks others for at most one TTL, and a lease
// taken over from a holder that was only slow costs a duplicate download,
// never a wrong object: Put's conditional, verified write is what keeps the
// store correct, with or without a lease.
func (s *S3) Claim(ctx context.Context, key string) (func(), error) {
	lk := s.leaseKey(key)
	body := func() *bytes.Reader {
		host, _ := os.Hostname()
		var nonce [8]byte
		rand.Read(nonce[:])
		return bytes.NewReader([]byte(fmt.Sprintf("%s pid %d %s %x\n", host, os.Getpid(), time.Now().UTC().Format(time.RFC3339Nano), nonce)))
	}
	put := func(ifMatch string) (string, error) {
		b := body()
		opts := minio.PutObjectOptions{DisableContentSha256: true}
		if ifMatch == "" {
			opts.SetMatchETagExcept("*")
		} else {
			opts.SetMatchETag(ifMatch)
		}
		info, err := s.core.PutObject(ctx, s.bucket, lk, b, int64(b.Len()), "", "", opts)
		return info.ETag, err
	}
	var seen string // ETag of the lease we are watching
	var since time.Time
	delay := 50 * time.Millisecond
	for {
		etag, err := put("")
		if err == nil {
			return s.hold(lk, etag, put), nil
		}
		if !isPrecondition(err) {
			return nil, s.wrap("take lease "+key, err)
		}
		info, err := s.core.StatObject(ctx, s.bucket, lk, minio.StatObjectOptions{})
		switch {
		case isNotFound(err):
			continue // released meanwhile: try again at once
		case err != nil:
			return nil, s.wrap("read lease "+key, err)
		case info.ETag != seen:
			seen, since = info.ETag, time.Now()
		case time.Since(since) > s.cfg.LeaseTTL:
			s.log.Warn("taking over an expired lease (its holder stopped renewing it)", "key", key, "ttl", s.cfg.LeaseTTL)
			if etag, err := put(seen); err == nil {
				return s.hold(lk, etag, put), nil
			} else if !isPrecondition(err) && !isNotFound(err) {
				return nil, s.wrap("take over lease "+key, err)
			}
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(delay):
		}
		delay = min(2*delay, s.cfg.LeaseTTL/4, 2*time.Second)
	}
}

func (s *S3) leaseKey(key string) string {
	if ValidName(key) {
		return s.key("leases/" + key)
	}
	sum := sha256.Sum256([]byte(key))
	return s.key("leases/k-" + hex.EncodeToString(sum[:16]))
}

// hold renews the lease until released, then deletes it.
func (s *S3) hold(lk, etag string, put func(string) (string, error)) func() {
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(s.cfg.LeaseTTL / 3)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				next, err := put(etag)
				if err != nil {
					// Lost (taken over) or unreachable: the work goes on;
					// at worst another writer fetches the same object.
					s.log.Warn("renew lease", "key", lk, "error", err)
					if isPrecondition(err) {
						return
					}
					continue
				}
				etag = next
			}
		}
	}()
	return func() {
		close(stop)
		<-done
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := s.core.RemoveObject(ctx, s.bucket, lk, minio.RemoveObjectOptions{}); err != nil {
			s.log.Warn("release lease", "key", lk, "error", err)
		}
	}
}
