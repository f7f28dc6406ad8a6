package abi_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/rpmvault/rpmvault/resolver"
	"github.com/rpmvault/rpmvault/resolver/rpmmd"
)

// fetchOpener stands in for the mirror's store in these tests: it reads a
// package from its repo (local trees of the fixture world), checks it
// against the checksum its metadata declares and names it by its sha256.
type fetchOpener struct {
	Fetcher rpmmd.Fetcher
	Repos   []resolver.Repo
}

func (o *fetchOpener) OpenRPM(ctx context.Context, p *resolver.Package) (io.ReadCloser, string, error) {
	plan := &resolver.Plan{Packages: []resolver.PlannedPackage{{Package: p}}}
	resolver.AttachURLs(plan, o.Repos)
	var errs []error
	for _, u := range plan.Packages[0].URLs {
		rc, err := o.Fetcher.Fetch(ctx, u, 0, -1)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		b, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			return nil, "", err
		}
		sum := sha256.Sum256(b)
		sha := hex.EncodeToString(sum[:])
		if strings.EqualFold(p.Checksum.Type, "sha256") && !strings.EqualFold(p.Checksum.Hex, sha) {
			return nil, "", fmt.Errorf("%s: sha256 %s, metadata says %s", u, sha, p.Checksum.Hex)
		}
		return io.NopCloser(bytes.NewReader(b)), sha, nil
	}
	return nil, "", fmt.Errorf("no URL served %s: %w", p.NEVRA(), errors.Join(errs...))
}
