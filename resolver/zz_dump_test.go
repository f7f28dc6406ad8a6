package resolver_test

import (
	"os"
	"strconv"
	"testing"
)

func TestZZDump(t *testing.T) {
	seed, _ := strconv.Atoi(os.Getenv("SEED"))
	if seed == 0 {
		t.Skip()
	}
	c := randomCase(int64(seed))
	dir := os.Getenv("OUT")
	writeRepo(t, dir, c.repo)
	for _, p := range c.repo {
		t.Logf("%s prov=%v req=%v con=%v obs=%v", p.NEVRA(), p.Provides, p.Requires, p.Conflicts, p.Obsoletes)
	}
}
