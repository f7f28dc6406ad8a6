package installer_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rpmvault/rpmvault/fixtures"
	"github.com/rpmvault/rpmvault/installer"
)

// fakeBox writes a prepared root that stands in for a target box.
func fakeBox(t *testing.T, files map[string]string, lib []byte) string {
	t.Helper()
	root := t.TempDir()
	for name, content := range files {
		p := filepath.Join(root, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if lib != nil {
		p := filepath.Join(root, "lib64/libdevmapper.so.1.02")
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, lib, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

const allCgroups = "#subsys_name\thierarchy\tnum_cgroups\tenabled\ncpuset\t1\t1\t1\ncpu\t2\t1\t1\ncpuacct\t3\t1\t1\nmemory\t4\t1\t1\ndevices\t5\t1\t1\nfreezer\t6\t1\t1\nblkio\t7\t1\t1\n"

func status(r *installer.Report, name string) installer.Check {
	for _, c := range r.Checks {
		if c.Name == name {
			return c
		}
	}
	return installer.Check{}
}

func TestDoctor(t *testing.T) {
	fixtures.NeedTool(t, "gcc")
	elfs, err := fixtures.BuildELF(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	// A GoDaddy-style Virtuozzo VPS from the seeds: no devices/memory cgroups,
	// no nf_nat, the CentOS 6.5 libdevmapper.
	vz := fakeBox(t, map[string]string{
		"proc/vz/version":           "2.6.32-042stab108.8\n",
		"proc/user_beancounters":    "Version: 2.5\n",
		"proc/sys/kernel/osrelease": "2.6.32-042stab108.8\n",
		"proc/sys/kernel/arch":      "x86_64\n",
		"proc/cgroups":              "#subsys_name\thierarchy\tnum_cgroups\tenabled\ncpuset\t0\t1\t1\ncpu\t0\t1\t1\ncpuacct\t0\t1\t1\nfreezer\t0\t1\t1\n",
		"proc/mounts":               "/dev/simfs / simfs rw 0 0\n",
		"proc/modules":              "ip_tables 17831 0 - Live 0x0\n",
	}, elfs.OldLibDevmapper)
	r := installer.Doctor(context.Background(), vz)
	if r.OK || r.Err() == nil {
		t.Fatal("a Virtuozzo box without cgroups passed")
	}
	for name, want := range map[string]string{
		"virtualization": "OpenVZ/Virtuozzo",
		"cgroups":        "memory, devices, blkio",
		"kernel modules": "nf_nat, nf_conntrack, bridge, veth",
		"libdevmapper":   "does not export dm_task_get_info_with_deferred_remove",
	} {
		c := status(r, name)
		if c.Status != installer.Fail || !strings.Contains(c.Detail, want) || c.Fix == "" {
			t.Errorf("%s: %+v, want FAIL mentioning %q with a fix", name, c, want)
		}
	}
	if c := status(r, "kernel"); c.Status != installer.Pass {
		t.Errorf("kernel 2.6.32 must pass: %+v", c)
	}

	// A proper CentOS 6 VM with the new device-mapper-libs.
	good := fakeBox(t, map[string]string{
		"proc/sys/kernel/osrelease": "2.6.32-504.el6.x86_64\n",
		"proc/sys/kernel/arch":      "x86_64\n",
		"proc/cgroups":              allCgroups,
		"proc/mounts":               "cgroup /cgroup/cpu cgroup rw,cpu 0 0\n",
		"proc/modules":              "nf_nat 1 0\nnf_conntrack 1 0\nip_tables 1 0\nbridge 1 0\nveth 1 0\n",
	}, elfs.NewLibDevmapper)
	r = installer.Doctor(context.Background(), good)
	for _, c := range r.Checks {
		if c.Status == installer.Fail {
			t.Errorf("healthy box failed %s: %s", c.Name, c.Detail)
		}
	}
	if c := status(r, "libdevmapper"); c.Status != installer.Pass {
		t.Errorf("new libdevmapper: %+v", c)
	}
}
