package report

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/rpmvault/rpmvault/abi"
	"github.com/rpmvault/rpmvault/fixtures"
	"github.com/rpmvault/rpmvault/graph"
	"github.com/rpmvault/rpmvault/installer"
)

func smallGraph() *graph.Graph {
	return &graph.Graph{Name: "docker", Steps: 2, Nodes: []graph.Node{
		{ID: "libcgroup-0.40.rc1-15.el6_6.x86_64", Name: "libcgroup", Version: "0.40.rc1", Release: "15.el6_6", Arch: "x86_64",
			Repo: "updates", Size: 2048, Action: "install", Reason: "required by docker-engine-1.7.1-1.el6.x86_64 (libcgroup)", Step: 1, Known: true},
		{ID: "lvm2-2.02.111-2.el6_6.1.x86_64", Name: "lvm2", Version: "2.02.111", Release: "2.el6_6.1", Arch: "x86_64",
			Repo: "updates", Size: 4096, Action: "upgrade", Reason: "upgrade of installed lvm2-2.02.100-8.el6.x86_64", Step: 1,
			Upgrades: "lvm2-2.02.100-8.el6.x86_64", Known: true},
		{ID: "docker-engine-1.7.1-1.el6.x86_64", Name: "docker-engine", Version: "1.7.1", Release: "1.el6", Arch: "x86_64",
			Repo: "docker", Size: 1 << 20, Action: "install", Reason: "requested", Step: 2, Requested: true, Known: true,
			SigningKey: "2c52609d", SHA256: strings.Repeat("ab", 32)},
	}, Edges: []graph.Edge{{From: "docker-engine-1.7.1-1.el6.x86_64", To: "libcgroup-0.40.rc1-15.el6_6.x86_64", Requirement: "libcgroup", Why: true}}}
}

func TestWrite(t *testing.T) {
	fixtures.NeedTool(t, "dot")
	in := Input{Graph: smallGraph(), Source: "lock docker.lock.yaml",
		ABI: &abi.Report{Findings: []abi.Finding{{File: "/usr/bin/docker", Package: "docker-engine-1.7.1-1.el6.x86_64",
			Symbol: "dm_task_get_info_with_deferred_remove", Version: "Base", Library: "libdevmapper.so.1.02",
			Provider: "device-mapper-libs-1.02.79-8.el6.x86_64", Installed: true, Fix: "device-mapper-libs >= 1.02.90-2.el6"}}},
		Doctor: &installer.Report{Root: "/", Checks: []installer.Check{{Name: "kernel", Status: installer.Fail, Detail: "2.6.18", Fix: "upgrade the kernel"}}},
	}
	var b bytes.Buffer
	if err := Write(context.Background(), &b, in); err != nil {
		t.Fatal(err)
	}
	page := b.String()
	for _, want := range []string{
		// dot writes "-" in ids and classes as &#45;, which browsers read back as "-".
		`<g id="n:docker&#45;engine&#45;1.7.1&#45;1.el6.x86_64" class="node pkg step&#45;2 requested">`,
		`class="edge why"`, `>libcgroup</text>`,
		`class="node pkg step&#45;1 upgrade"`,
		`<tr data-nevra="lvm2-2.02.111-2.el6_6.1.x86_64" data-action="upgrade"`,
		`dm_task_get_info_with_deferred_remove@Base`, `device-mapper-libs &gt;= 1.02.90-2.el6`,
		`<tr class="st-FAIL"><td>FAIL</td><td>kernel</td>`,
		`<span class="num" id="total-bytes" data-bytes="1054720">1.0 MiB</span>`,
		`"parent":"docker-engine-1.7.1-1.el6.x86_64","req":"libcgroup"`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %s", want)
		}
	}
	// Self-contained: nothing is fetched from anywhere.
	for _, bad := range []string{"http://", "https://", "<link", "src="} {
		if i := strings.Index(page, bad); i >= 0 && !strings.Contains(page[max(0, i-40):i+40], "www.w3.org") {
			t.Errorf("page refers outside itself: ...%s...", page[max(0, i-40):min(len(page), i+40)])
		}
	}
}

func TestWriteWithoutDot(t *testing.T) {
	err := Write(context.Background(), new(bytes.Buffer), Input{Graph: smallGraph(), Dot: "/nonexistent/dot"})
	if !errors.Is(err, ErrNoGraphviz) {
		t.Fatalf("got %v, want ErrNoGraphviz", err)
	}
	if !strings.Contains(err.Error(), "install graphviz") {
		t.Errorf("error does not say what to do: %v", err)
	}
}

func TestHumanBytes(t *testing.T) {
	for n, want := range map[int64]string{0: "0 B", 1023: "1023 B", 1024: "1.0 KiB", 1536: "1.5 KiB", 5 << 30: "5.0 GiB"} {
		if got := HumanBytes(n); got != want {
			t.Errorf("HumanBytes(%d) = %q, want %q", n, got, want)
		}
	}
}
