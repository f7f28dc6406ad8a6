package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"time"

	"github.com/rpmvault/rpmvault/fixtures"
)

// reportRender writes the HTML report of the large target's closure and
// measures it in headless chromium: the file's size, the time rpmvault
// takes to write it (resolve + dot layout), and the page's render time
// from navigation start to a laid-out page with its script done (the
// page's own data-render-ms), median of the runs. With docs set, a
// screenshot goes there for the README.
func (b *bench) reportRender(target, docs string) {
	fmt.Println("\nHTML report of the large closure (rpmvault report, headless chromium)")
	chromium, err := fixtures.FindChromium()
	if err != nil {
		fmt.Println("  skipped:", err)
		return
	}
	manifest := filepath.Join(b.work, "bench-report.yaml")
	check(os.WriteFile(manifest, []byte(fmt.Sprintf("name: bench\nrepos:\n  - id: big\n    baseurl: [%s]\n    gpgcheck: false\ninstall: [%s]\n", b.repo, target)), 0o644))
	page := filepath.Join(b.work, "report-large.html")
	// A warm store, so the time is the report's, not the metadata parse's.
	store := filepath.Join(b.work, "stores", "report")
	if out, err := exec.Command(b.bin, "resolve", "-m", manifest, "--quiet", "--store", store).CombinedOutput(); err != nil {
		fail(fmt.Errorf("resolve: %v\n%s", err, out))
	}
	start := time.Now()
	out, err := exec.Command(b.bin, "report", "-m", manifest, "--quiet", "--store", store, "-o", page).CombinedOutput()
	if err != nil {
		fail(fmt.Errorf("report: %v\n%s", err, out))
	}
	write := time.Since(start)
	st, err := os.Stat(page)
	check(err)
	// Chromium's own start-up, measured on an empty page, is subtracted
	// from its CPU time on the report.
	blank := filepath.Join(b.work, "blank.html")
	check(os.WriteFile(blank, []byte("<!DOCTYPE html><title>blank</title>"), 0o644))
	renderMS := regexp.MustCompile(`data-render-ms="(\d+)"`)
	var renders, walls, cpus, blanks []float64
	for i := 0; i < b.runs; i++ {
		_, cpu, err := chromium.DumpDOMTimed(context.Background(), blank)
		check(err)
		blanks = append(blanks, cpu.Seconds())
		t0 := time.Now()
		dom, cpu, err := chromium.DumpDOMTimed(context.Background(), page)
		check(err)
		walls = append(walls, time.Since(t0).Seconds())
		cpus = append(cpus, cpu.Seconds())
		m := renderMS.FindStringSubmatch(dom)
		if m == nil {
			fail(fmt.Errorf("the report's script did not finish in chromium"))
		}
		ms, _ := strconv.Atoi(m[1])
		renders = append(renders, float64(ms)/1000)
	}
	nodes := regexp.MustCompile(`<tr data-nevra=`).FindAllStringIndex(mustRead(page), -1)
	fmt.Printf("  %d packages: file %.2f MB (target < 5 MB); written in %.2fs (resolve + dot layout)\n", len(nodes), float64(st.Size())/1e6, write.Seconds())
	fmt.Printf("  render in chromium: %.2fs median from navigation to a laid-out page, script done (target < 3 s);\n", median(renders))
	fmt.Printf("    chromium CPU %.2fs median, %.2fs of it beyond an empty page's; whole chromium run %.2fs wall\n",
		median(cpus), median(cpus)-median(blanks), median(walls))
	if docs != "" {
		png := filepath.Join(docs, "report-large.png")
		check(chromium.Screenshot(context.Background(), page, png, 1400, 1000))
		fmt.Println("  screenshot:", png)
	}
}

func mustRead(path string) string {
	data, err := os.ReadFile(path)
	check(err)
	return string(data)
}
