package seaweedfs

import (
	"os"
	"strings"
	"sync"
	"testing"
)

// Shared is one server for a whole test binary, started on first use: a
// test package keeps one in a variable and calls Stop from its TestMain.
type Shared struct {
	once sync.Once
	dir  string
	srv  *Server
	err  error
}

// Get returns the running server, starting it on first use. Without the
// weed binary the test fails under CI (where .ci/run builds it) and is
// skipped elsewhere, as tests that need rpm are.
func (s *Shared) Get(t testing.TB) *Server {
	t.Helper()
	if _, err := Binary(); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("%v: required in CI (.ci/run builds it)", err)
		}
		t.Skip(err)
	}
	s.once.Do(func() {
		if s.dir, s.err = os.MkdirTemp("", "rpmvault-seaweedfs-"); s.err == nil {
			s.srv, s.err = Start(s.dir)
		}
	})
	if s.err != nil {
		t.Fatal(s.err)
	}
	return s.srv
}

// Stop ends the server, if one was started, and removes its data.
func (s *Shared) Stop() {
	if s.srv != nil {
		s.srv.Stop()
	}
	if s.dir != "" {
		os.RemoveAll(s.dir)
	}
}

// SetEnv points t's AWS environment at the server, as a user's environment
// would, and away from any ~/.aws files.
func (s *Server) SetEnv(t testing.TB) {
	for _, kv := range s.Env() {
		k, v, _ := strings.Cut(kv, "=")
		t.Setenv(k, v)
	}
	t.Setenv("AWS_CONFIG_FILE", os.DevNull)
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", os.DevNull)
}
