package installer

import (
	"context"
	"fmt"
	"strings"
)

// RPMDBKeys returns the public keys the target's rpmdb already trusts (the
// gpg-pubkey pseudo-packages rpm --import made, under root), as armored
// blocks: on a CentOS box the distribution's key is there, and it is a
// trust anchor the bundle's maker does not control.
func RPMDBKeys(ctx context.Context, root string) ([][]byte, error) {
	o, err := rpm(ctx, root, "-q", "gpg-pubkey", "--qf", "%{DESCRIPTION}\n")
	if err != nil {
		if strings.Contains(o, "is not installed") {
			return nil, nil
		}
		return nil, fmt.Errorf("query the rpmdb's keys (rpm -q gpg-pubkey): %v: %s", err, strings.TrimSpace(o))
	}
	const end = "-----END PGP PUBLIC KEY BLOCK-----"
	var out [][]byte
	for _, part := range strings.SplitAfter(o, end) {
		if i := strings.Index(part, "-----BEGIN PGP PUBLIC KEY BLOCK-----"); i >= 0 && strings.HasSuffix(part, end) {
			out = append(out, []byte(part[i:]+"\n"))
		}
	}
	return out, nil
}
