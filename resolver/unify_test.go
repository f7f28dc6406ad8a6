package resolver

import (
	"math/rand/v2"
	"slices"
	"testing"
)

// TestUnifyKeepsFirstOfEqualRules: unify's order is a stable sort's by
// ruleCmp, and of equal rules (binary ones made from either side, a
// requirement met by the same packages twice) it keeps the first made.
func TestUnifyKeepsFirstOfEqualRules(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	s := &solver{}
	var rules []pendingRule
	for k := range 5000 {
		first := notLit(int32(1 + r.IntN(40)))
		var rest []int32
		for range r.IntN(3) {
			rest = append(rest, int32(1+r.IntN(40)))
		}
		if len(rest) == 0 && r.IntN(2) == 0 {
			rules = append(rules, s.newRule(ruleInfo{kind: ruleSameName, pkg: int32(k)}, first, nil, notLit(int32(1+r.IntN(40)))))
			continue
		}
		rules = append(rules, s.newRule(ruleInfo{kind: ruleRequires, pkg: int32(k)}, first, rest))
	}
	want := slices.Clone(rules)
	slices.SortStableFunc(want, func(a, b pendingRule) int { return ruleCmp(s.ruleLits(a), s.ruleLits(b)) })
	want = slices.CompactFunc(want, func(a, b pendingRule) bool { return ruleCmp(s.ruleLits(a), s.ruleLits(b)) == 0 })
	got := s.unify(rules)
	if len(got) != len(want) {
		t.Fatalf("%d rules kept, want %d", len(got), len(want))
	}
	if len(got) == 5000 {
		t.Fatal("no duplicates to drop: the test makes too few")
	}
	for k := range got {
		if got[k] != want[k] {
			t.Fatalf("rule %d: %v %+v, want %v %+v", k, s.ruleLits(got[k]), got[k].info, s.ruleLits(want[k]), want[k].info)
		}
	}
}
