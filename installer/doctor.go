package installer

import (
	"bufio"
	"context"
	"debug/elf"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// Status is a check's verdict.
type Status string

const (
	Pass Status = "PASS"
	Warn Status = "WARN"
	Fail Status = "FAIL"
)

// Check is one preflight finding with the fix in one line.
type Check struct {
	Name   string `json:"name"`
	Status Status `json:"status"`
	Detail string `json:"detail"`
	Fix    string `json:"fix,omitempty"`
}

// Report is the result of Doctor.
type Report struct {
	Root   string  `json:"root"`
	Checks []Check `json:"checks"`
	OK     bool    `json:"ok"` // no FAIL
}

// PreflightError is a failed preflight; the CLI exits 5 on it.
type PreflightError struct{ Failed []string }

func (e *PreflightError) Error() string {
	return "preflight failed: " + strings.Join(e.Failed, ", ")
}

// Err returns a *PreflightError when any check failed.
func (r *Report) Err() error {
	var failed []string
	for _, c := range r.Checks {
		if c.Status == Fail {
			failed = append(failed, c.Name)
		}
	}
	if len(failed) == 0 {
		return nil
	}
	return &PreflightError{Failed: failed}
}

// What docker-engine 1.7.1 needs of the box.
var (
	dockerModules    = []string{"nf_nat", "nf_conntrack", "ip_tables", "bridge", "veth"}
	dockerCgroups    = []string{"cpuset", "cpu", "cpuacct", "memory", "devices", "freezer", "blkio"}
	deferredRemove   = "dm_task_get_info_with_deferred_remove"
	minFreeBytes     = uint64(500 << 20)
	conflictingNames = []string{"docker", "docker-io"}
)

// Doctor inspects a target box (or a prepared tree standing in for one, with
// proc/ files) for what Docker 1.7.1 on CentOS 6 needs, as the seeds learnt
// the hard way: kernel, Virtuozzo/OpenVZ, cgroups, netfilter modules, a
// libdevmapper that exports dm_task_get_info_with_deferred_remove, disk
// space and conflicting packages.
func Doctor(ctx context.Context, root string) *Report {
	if root == "" {
		root = "/"
	}
	r := &Report{Root: root}
	add := func(c Check) { r.Checks = append(r.Checks, c) }
	at := func(p string) string { return filepath.Join(root, p) }

	release, machine := kernel(root)
	switch {
	case machine != "x86_64":
		add(Check{"arch", Fail, "machine is " + machine, "docker-engine 1.7.1 for el6 is built for x86_64 only"})
	default:
		add(Check{"arch", Pass, "x86_64", ""})
	}
	switch v := kernelVersion(release); {
	case release == "":
		add(Check{"kernel", Warn, "kernel release unknown", "check uname -r: docker needs 2.6.32 or newer"})
	case v < 2_006_032:
		add(Check{"kernel", Fail, "kernel " + release + " is older than 2.6.32", "boot a CentOS 6 kernel (2.6.32-431 or newer)"})
	default:
		add(Check{"kernel", Pass, "kernel " + release + " (bundled rpmvault is built with Go 1.23, which runs on 2.6.32)", ""})
	}

	if exists(at("proc/vz")) || exists(at("proc/user_beancounters")) {
		add(Check{"virtualization", Fail, "this is an OpenVZ/Virtuozzo container (/proc/vz or /proc/user_beancounters present)",
			"containers share the host kernel: ask the provider to enable cgroups and netfilter modules for this container, or use a KVM/VMware machine"})
	} else {
		add(Check{"virtualization", Pass, "not an OpenVZ/Virtuozzo container", ""})
	}

	enabled := cgroupSubsystems(at("proc/cgroups"))
	var missing []string
	for _, s := range dockerCgroups {
		if !enabled[s] {
			missing = append(missing, s)
		}
	}
	switch {
	case enabled == nil:
		add(Check{"cgroups", Fail, "no /proc/cgroups: the kernel has no cgroup support", "boot a kernel with cgroups (any CentOS 6 kernel outside OpenVZ has them)"})
	case len(missing) > 0:
		add(Check{"cgroups", Fail, "cgroup subsystems not available: " + strings.Join(missing, ", "),
			"the kernel (or OpenVZ host) must provide them; `service cgconfig start` fails until it does"})
	case !cgroupsMounted(at("proc/mounts")):
		add(Check{"cgroups", Warn, "cgroup subsystems exist but none is mounted", "service cgconfig start && chkconfig cgconfig on (libcgroup)"})
	default:
		add(Check{"cgroups", Pass, "all needed subsystems available and mounted", ""})
	}

	loaded := loadedModules(at("proc/modules"))
	var absent []string
	for _, m := range dockerModules {
		if !loaded[m] && !moduleAvailable(root, release, m) {
			absent = append(absent, m)
		}
	}
	if len(absent) > 0 {
		add(Check{"kernel modules", Fail, "not loaded and not installed: " + strings.Join(absent, ", "),
			"modprobe " + strings.Join(absent, " ") + " (in an OpenVZ container the host must load them)"})
	} else {
		add(Check{"kernel modules", Pass, strings.Join(dockerModules, ", ") + " available", ""})
	}

	add(libdevmapperCheck(root))
	add(diskCheck(root))
	add(conflictCheck(ctx, root))

	r.OK = r.Err() == nil
	return r
}

func exists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// kernel returns the kernel release and machine: from the tree's
// proc/sys/kernel when present (a prepared root), else from uname.
func kernel(root string) (release, machine string) {
	if b, err := os.ReadFile(filepath.Join(root, "proc/sys/kernel/osrelease")); err == nil {
		release = strings.TrimSpace(string(b))
	}
	if b, err := os.ReadFile(filepath.Join(root, "proc/sys/kernel/arch")); err == nil {
		machine = strings.TrimSpace(string(b))
	}
	var u syscall.Utsname
	if (release == "" || machine == "") && syscall.Uname(&u) == nil {
		if release == "" {
			release = utsString(u.Release[:])
		}
		if machine == "" {
			machine = utsString(u.Machine[:])
		}
	}
	return release, machine
}

func utsString(b []int8) string {
	var s strings.Builder
	for _, c := range b {
		if c == 0 {
			break
		}
		s.WriteByte(byte(c))
	}
	return s.String()
}

// kernelVersion turns "2.6.32-042stab108.8" into 2006032.
func kernelVersion(release string) int {
	fields := strings.FieldsFunc(release, func(r rune) bool { return r == '.' || r == '-' })
	v := 0
	for i := 0; i < 3; i++ {
		n := 0
		if i < len(fields) {
			n, _ = strconv.Atoi(fields[i])
		}
		v = v*1000 + n
	}
	return v
}

func cgroupSubsystems(path string) map[string]bool {
	f, err := os.Open(path)
	if err != nil {
		return nil
	}
	defer f.Close()
	out := map[string]bool{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) >= 4 && !strings.HasPrefix(fields[0], "#") && fields[3] == "1" {
			out[fields[0]] = true
		}
	}
	return out
}

func cgroupsMounted(path string) bool {
	b, err := os.ReadFile(path)
	if err != nil {
		return false
	}
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) >= 3 && f[2] == "cgroup" {
			return true
		}
	}
	return false
}

func loadedModules(path string) map[string]bool {
	b, err := os.ReadFile(path)
	if err != nil {
		return map[string]bool{}
	}
	out := map[string]bool{}
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) > 0 {
			out[f[0]] = true
		}
	}
	return out
}

// moduleAvailable looks for name as built into the kernel (sys/module,
// modules.builtin) or as name.ko under lib/modules/RELEASE.
func moduleAvailable(root, release, name string) bool {
	if exists(filepath.Join(root, "sys/module", name)) {
		return true
	}
	if b, err := os.ReadFile(filepath.Join(root, "lib/modules", release, "modules.builtin")); err == nil &&
		strings.Contains(string(b), "/"+name+".ko") {
		return true
	}
	found := false
	filepath.WalkDir(filepath.Join(root, "lib/modules", release), func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && (d.Name() == name+".ko" || d.Name() == name+".ko.xz") {
			found = true
			return filepath.SkipAll
		}
		return nil
	})
	return found
}

func libdevmapperCheck(root string) Check {
	const name = "libdevmapper"
	for _, dir := range []string{"lib64", "usr/lib64"} {
		p := filepath.Join(root, dir, "libdevmapper.so.1.02")
		if !exists(p) {
			continue
		}
		ok, err := exportsSymbol(p, deferredRemove)
		switch {
		case err != nil:
			return Check{name, Warn, fmt.Sprintf("cannot read %s: %v", p, err), "reinstall device-mapper-libs"}
		case !ok:
			return Check{name, Fail, "/" + dir + "/libdevmapper.so.1.02 does not export " + deferredRemove + ": docker 1.7.1 dies with a relocation error",
				"upgrade the device-mapper family to >= 1.02.90 (a bundle resolved with constraint device-mapper-libs >= 1.02.90 does)"}
		}
		return Check{name, Pass, "/" + dir + "/libdevmapper.so.1.02 exports " + deferredRemove, ""}
	}
	return Check{name, Warn, "libdevmapper.so.1.02 is not installed yet", "the bundle installs device-mapper-libs"}
}

// exportsSymbol reports whether an ELF shared library defines a dynamic symbol.
func exportsSymbol(path, symbol string) (bool, error) {
	f, err := elf.Open(path)
	if err != nil {
		return false, err
	}
	defer f.Close()
	syms, err := f.DynamicSymbols()
	if err != nil {
		if errors.Is(err, elf.ErrNoSymbols) {
			return false, nil
		}
		return false, err
	}
	for _, s := range syms {
		if s.Name == symbol && s.Section != elf.SHN_UNDEF {
			return true, nil
		}
	}
	return false, nil
}

func diskCheck(root string) Check {
	var st syscall.Statfs_t
	if err := syscall.Statfs(root, &st); err != nil {
		return Check{"disk", Warn, "cannot stat the filesystem: " + err.Error(), ""}
	}
	free := st.Bavail * uint64(st.Bsize)
	if free < minFreeBytes {
		return Check{"disk", Fail, fmt.Sprintf("%d MB free on %s", free>>20, root), "free at least 500 MB for the packages and docker's images"}
	}
	return Check{"disk", Pass, fmt.Sprintf("%d MB free", free>>20), ""}
}

func conflictCheck(ctx context.Context, root string) Check {
	if _, err := exec.LookPath("rpm"); err != nil {
		return Check{"conflicts", Warn, "rpm not found: cannot look for conflicting packages", ""}
	}
	args := append([]string{"-q", "--qf", "%{NAME}-%{VERSION}-%{RELEASE}.%{ARCH}\n"}, conflictingNames...)
	if root != "/" {
		args = append([]string{"--root", root}, args...)
	}
	out, _ := exec.CommandContext(ctx, "rpm", args...).Output()
	var found []string
	for _, line := range strings.Split(string(out), "\n") {
		if line != "" && !strings.Contains(line, "not installed") {
			found = append(found, line)
		}
	}
	if len(found) > 0 {
		return Check{"conflicts", Fail, "installed: " + strings.Join(found, ", ") + " (docker-engine conflicts with docker and docker-io)",
			"rpm -e " + strings.Join(found, " ") + " (stop its service first)"}
	}
	return Check{"conflicts", Pass, "no docker or docker-io installed", ""}
}
