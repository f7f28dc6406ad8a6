package store

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
)

// Verify re-hashes every object of s and returns the names of those whose
// bytes do not match (which Put never lets in: they mean rot or tampering
// behind the store's back). With repair, each of them is removed, so the
// next mirror fetches it again.
func Verify(ctx context.Context, s Store, repair bool) ([]string, error) {
	var names []string
	if err := s.List(ctx, func(sha string) error { names = append(names, sha); return nil }); err != nil {
		return nil, err
	}
	sort.Strings(names)
	var bad []string
	for _, sha := range names {
		o, err := s.Open(ctx, sha)
		if err != nil {
			return bad, err
		}
		_, err = io.Copy(io.Discard, o)
		o.Close()
		var ce *CorruptError
		if errors.As(err, &ce) {
			bad = append(bad, sha)
			if repair {
				if err := s.Remove(ctx, sha); err != nil {
					return bad, fmt.Errorf("repair: %w", err)
				}
			}
			continue
		}
		if err != nil {
			return bad, fmt.Errorf("verify object %s in %s: %w", sha, s, err)
		}
	}
	return bad, nil
}

// Names lists every object of s, sorted.
func Names(ctx context.Context, s Store) ([]string, error) {
	var names []string
	err := s.List(ctx, func(sha string) error { names = append(names, sha); return nil })
	sort.Strings(names)
	return names, err
}
