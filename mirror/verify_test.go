package mirror_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/rpmvault/rpmvault/fixtures"
	"github.com/rpmvault/rpmvault/mirror"
)

var (
	signedOnce  sync.Once
	signedWorld *fixtures.World
	signedErr   error
)

func signed(t *testing.T) *fixtures.World {
	t.Helper()
	fixtures.NeedTool(t, "gpg1")
	fixtures.NeedTool(t, "rpmsign")
	signedOnce.Do(func() {
		dir, err := os.MkdirTemp("", "rpmvault-mirror-world-")
		if err != nil {
			signedErr = err
			return
		}
		signedWorld, signedErr = fixtures.BuildWorld(dir, fixtures.WorldOptions{Sign: true})
	})
	if signedErr != nil {
		t.Fatal(signedErr)
	}
	return signedWorld
}

func keyring(t *testing.T, w *fixtures.World, key string) *mirror.Keyring {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(w.Root, key))
	if err != nil {
		t.Fatal(err)
	}
	kr, err := mirror.ParseKeys(data)
	if err != nil {
		t.Fatal(err)
	}
	return kr
}

func TestVerifyRPM(t *testing.T) {
	w := signed(t)
	centos := keyring(t, w, "vault/RPM-GPG-KEY-CentOS-6")
	docker := keyring(t, w, "docker/gpg")
	bash, err := os.ReadFile(w.RPMPath("vault/6.6/os/x86_64", "bash-4.1.2-29.el6.x86_64"))
	if err != nil {
		t.Fatal(err)
	}
	dockerEngine, err := os.ReadFile(w.RPMPath("docker/rpm/1.7.1/centos-6/RPMS/x86_64", "docker-engine-1.7.1-1.el6.x86_64"))
	if err != nil {
		t.Fatal(err)
	}
	unsigned, err := fixtures.Build(fixtures.DockerEngine())
	if err != nil {
		t.Fatal(err)
	}
	flip := func(b []byte, at int) []byte {
		c := append([]byte(nil), b...)
		c[at] ^= 0x01
		return c
	}
	tests := []struct {
		name    string
		data    []byte
		keys    *mirror.Keyring
		wantErr string
	}{
		{name: "V3 RSA/SHA1 like CentOS 6", data: bash, keys: centos},
		{name: "V4", data: dockerEngine, keys: docker},
		{name: "digests only", data: unsigned},
		{name: "unknown key", data: bash, keys: docker, wantErr: "signed by unknown key"},
		{name: "unsigned with gpgcheck", data: unsigned, keys: docker, wantErr: "not signed"},
		// CentOS 6 packages have no payload digest: the header+payload signature catches it.
		{name: "flipped payload byte", data: flip(bash, len(bash)-20), keys: centos, wantErr: "bad signature"},
		{name: "flipped payload byte, payload digest", data: flip(dockerEngine, len(dockerEngine)-20), keys: docker, wantErr: "payload digest mismatch"},
		{name: "flipped header byte", data: flip(dockerEngine, len(dockerEngine)-len(dockerEngine)/3), keys: docker, wantErr: "mismatch"},
		{name: "truncated", data: bash[:len(bash)/2], keys: centos, wantErr: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			facts, err := mirror.VerifyRPM(bytes.NewReader(tt.data), tt.keys)
			if tt.name == "truncated" {
				if err == nil {
					t.Fatal("a truncated rpm verified")
				}
				return
			}
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if sum := sha256.Sum256(tt.data); facts.Size != int64(len(tt.data)) || facts.SHA256 != hex.EncodeToString(sum[:]) {
				t.Errorf("facts %+v, want size %d and sha256 %x", facts, len(tt.data), sum)
			}
			if tt.keys != nil && facts.KeyID != w.Keys[map[bool]string{true: "vault/RPM-GPG-KEY-CentOS-6", false: "docker/gpg"}[tt.keys == centos]] {
				t.Errorf("signer %s, keys %v", facts.KeyID, w.Keys)
			}
		})
	}
}

// TestParseKeysReadsEveryBlock: a key file with two armored blocks holds
// two keys (rpm --import imports both); reading only the first would hide
// the second from every check of which keys a file carries.
func TestParseKeysReadsEveryBlock(t *testing.T) {
	w := signed(t)
	var blobs [][]byte
	for _, k := range []string{"vault/RPM-GPG-KEY-CentOS-6", "docker/gpg"} {
		b, err := os.ReadFile(filepath.Join(w.Root, k))
		if err != nil {
			t.Fatal(err)
		}
		blobs = append(blobs, b)
	}
	one := keyring(t, w, "vault/RPM-GPG-KEY-CentOS-6").KeyIDs()
	two := keyring(t, w, "docker/gpg").KeyIDs()
	both, err := mirror.ParseKeys(append(append(append([]byte(nil), blobs[0]...), "\ntext between blocks\n"...), blobs[1]...))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := strings.Join(both.KeyIDs(), ","), strings.Join(append(one, two...), ","); got != want {
		t.Errorf("two armored blocks give keys %s, want %s", got, want)
	}
	if _, err := mirror.ParseKeys(append(append([]byte(nil), blobs[0]...), "-----BEGIN PGP SIGNATURE-----\nxx\n-----END PGP SIGNATURE-----\n"...)); err == nil {
		t.Error("a block that is not a key was accepted")
	}
}
