package parallel

import (
	"errors"
	"sync/atomic"
	"testing"
)

func TestEach(t *testing.T) {
	var sum atomic.Int64
	if err := Each(100, func(i int) error { sum.Add(int64(i)); return nil }); err != nil || sum.Load() != 4950 {
		t.Fatalf("sum %d err %v", sum.Load(), err)
	}
	bad := errors.New("bad")
	if err := Each(10, func(i int) error {
		if i == 7 {
			return bad
		}
		return nil
	}); !errors.Is(err, bad) {
		t.Errorf("err %v", err)
	}
	if err := Each(0, func(int) error { return bad }); err != nil {
		t.Errorf("no work gave %v", err)
	}
}
