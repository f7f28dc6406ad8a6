package digest

import (
	"crypto/sha256"
	"math/rand"
	"testing"
)

// TestPairMatchesSHA256 feeds streams of many lengths, cut into writes of
// many sizes, with the second digest starting at many offsets, through both
// implementations, and holds each digest to crypto/sha256's.
func TestPairMatchesSHA256(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	data := make([]byte, 1<<20+333)
	rng.Read(data)
	impls := []struct {
		name string
		fast bool
	}{{"crypto/sha256", false}, {"sha-ni", true}}
	for _, impl := range impls {
		if impl.fast && !haveSHANI() {
			t.Logf("%s: this CPU has no SHA extensions", impl.name)
			continue
		}
		t.Run(impl.name, func(t *testing.T) {
			sizes := []int{0, 1, 55, 56, 63, 64, 65, 119, 120, 127, 128, 129, 1000, 4096, 65536 + 7, len(data)}
			for i := 0; i < 200; i++ {
				sizes = append(sizes, rng.Intn(3000))
			}
			for _, size := range sizes {
				msg := data[:size]
				for _, from := range []int{0, 1, 63, 64, 65, 1400, size / 2, size, size + 5, rng.Intn(size + 1)} {
					p := newPair(int64(from), impl.fast)
					for rest := msg; len(rest) > 0; {
						k := min(len(rest), 1+rng.Intn(300))
						if rng.Intn(4) == 0 {
							k = min(len(rest), rng.Intn(1<<17))
						}
						p.Write(rest[:k])
						rest = rest[k:]
					}
					first, second := p.Sums()
					wantSecond := sha256.Sum256(nil)
					if from < size {
						wantSecond = sha256.Sum256(msg[from:])
					}
					if first != sha256.Sum256(msg) || second != wantSecond || p.N() != int64(size) {
						t.Fatalf("size %d, second from %d: got %x %x", size, from, first, second)
					}
				}
			}
		})
	}
}

// TestPairSumsMidStream checks that Sums does not disturb the digests.
func TestPairSumsMidStream(t *testing.T) {
	data := make([]byte, 10000)
	rand.New(rand.NewSource(2)).Read(data)
	for _, fast := range []bool{false, haveSHANI()} {
		p := newPair(100, fast)
		p.Write(data[:5000])
		if a, b := p.Sums(); a != sha256.Sum256(data[:5000]) || b != sha256.Sum256(data[100:5000]) {
			t.Fatalf("fast=%v: mid-stream sums wrong", fast)
		}
		p.Write(data[5000:])
		if a, b := p.Sums(); a != sha256.Sum256(data) || b != sha256.Sum256(data[100:]) {
			t.Fatalf("fast=%v: final sums wrong", fast)
		}
	}
}

// BenchmarkPair compares the two digests of one 1 MiB write done as a Pair
// and as two crypto/sha256 hashes (what it replaces).
func BenchmarkPair(b *testing.B) {
	buf := make([]byte, 1<<20)
	for _, bc := range []struct {
		name string
		fast bool
	}{{"two-crypto-sha256", false}, {"pair-sha-ni", true}} {
		if bc.fast && !haveSHANI() {
			continue
		}
		b.Run(bc.name, func(b *testing.B) {
			p := newPair(17, bc.fast)
			b.SetBytes(int64(len(buf)))
			for i := 0; i < b.N; i++ {
				p.Write(buf)
			}
		})
	}
}
