package resolver

import (
	"context"
	"errors"
	"io"
	"testing"

	"github.com/rpmvault/rpmvault/resolver/rpmmd"
)

type offlineFetcher struct{ calls int }

func (f *offlineFetcher) Fetch(_ context.Context, u string, _, _ int64) (io.ReadCloser, error) {
	f.calls++
	return nil, &rpmmd.OfflineError{URL: u}
}

// TestOfflineMissIsAnAnswer: a header --offline cannot find in the store is
// not asked for again (five identical errors told nothing more).
func TestOfflineMissIsAnAnswer(t *testing.T) {
	f := &offlineFetcher{}
	_, err := readRemoteHeader(context.Background(), f, "https://get.docker.com/x.rpm", false)
	var oe *rpmmd.OfflineError
	if !errors.As(err, &oe) || f.calls != 1 {
		t.Errorf("err %v after %d calls, want one OfflineError", err, f.calls)
	}
}
