package digest

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"testing"
	"testing/iotest"
)

func hexSum(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// recorder records what a consumer saw before the reader failed.
type recorder struct {
	got []byte
	r   io.Reader
}

func (c *recorder) Read(p []byte) (int, error) {
	k, err := c.r.Read(p)
	c.got = append(c.got, p[:k]...)
	return k, err
}

// TestReaderHoldsBackTheLastBytes: a mismatch fails the Read that would
// hand over the last bytes, so a consumer never receives a complete wrong
// body; a right one passes through whole.
func TestReaderHoldsBackTheLastBytes(t *testing.T) {
	body := bytes.Repeat([]byte("rpm payload "), 1000)
	wrong := append(append([]byte{}, body[:len(body)-1]...), 'X')
	for _, tc := range []struct {
		name     string
		src      []byte
		size     int64
		mismatch bool
	}{
		{"right, sized", body, int64(len(body)), false},
		{"right, unsized", body, -1, false},
		{"last byte wrong, sized", wrong, int64(len(body)), true},
		{"last byte wrong, unsized", wrong, -1, true},
		{"short", body[:100], int64(len(body)), true},
		{"long", append(append([]byte{}, body...), '!'), int64(len(body)), true},
		{"empty for a non-empty sum", nil, -1, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := &recorder{r: NewReader(iotest.HalfReader(bytes.NewReader(tc.src)), hexSum(body), tc.size)}
			_, err := io.ReadAll(rec)
			var me *MismatchError
			if tc.mismatch != errors.As(err, &me) {
				t.Fatalf("err %v, want mismatch=%v", err, tc.mismatch)
			}
			if !tc.mismatch && !bytes.Equal(rec.got, body) {
				t.Fatalf("passed on %d bytes, want the %d of the body", len(rec.got), len(body))
			}
			// (A long source's first size bytes are the right body: those
			// may pass; the Read after them fails.)
			if tc.mismatch && len(rec.got) == int(tc.size) && hexSum(rec.got) != hexSum(body) {
				t.Fatalf("a wrong body of the promised size was handed over whole")
			}
		})
	}
}

func TestReaderFinishAndSourceErrors(t *testing.T) {
	body := []byte("content")
	r := NewReader(bytes.NewReader(body), hexSum(body), int64(len(body)))
	if err := r.Finish(); err != nil || !r.Verified() || r.N() != int64(len(body)) {
		t.Fatalf("Finish %v, verified %v, n %d", err, r.Verified(), r.N())
	}
	boom := errors.New("connection reset")
	r = NewReader(io.MultiReader(bytes.NewReader(body[:3]), iotest.ErrReader(boom)), hexSum(body), int64(len(body)))
	if _, err := io.ReadAll(r); !errors.Is(err, boom) || !errors.Is(r.Err(), boom) || r.Verified() {
		t.Fatalf("source error: %v / %v", err, r.Err())
	}
}

// TestPairReaderChecksTheTail: NewPairReader hands last the digest of what
// follows its offset, after the content's own sum matched and before the
// last bytes go out; last's refusal fails that Read as a mismatch does.
func TestPairReaderChecksTheTail(t *testing.T) {
	body := bytes.Repeat([]byte("header+payload "), 5000)
	const from = 1234
	tail := sha256.Sum256(body[from:])
	refused := errors.New("payload digest mismatch")
	for _, tc := range []struct {
		name    string
		src     []byte
		size    int64
		refuse  bool
		wantErr error // nil: none; errMismatch: a *MismatchError
	}{
		{"right, sized", body, int64(len(body)), false, nil},
		{"right, unsized", body, -1, false, nil},
		{"last refuses, sized", body, int64(len(body)), true, refused},
		{"last refuses, unsized", body, -1, true, refused},
		{"wrong content", append(append([]byte{}, body[:len(body)-1]...), 'X'), int64(len(body)), false, errMismatch},
	} {
		t.Run(tc.name, func(t *testing.T) {
			calls := 0
			last := func(second [sha256.Size]byte) error {
				calls++
				if second != tail {
					t.Errorf("last got %x, want the tail's digest %x", second, tail)
				}
				if tc.refuse {
					return refused
				}
				return nil
			}
			pr := NewPairReader(iotest.HalfReader(bytes.NewReader(tc.src)), hexSum(body), tc.size, from, last)
			defer pr.Close()
			rec := &recorder{r: pr}
			_, err := io.ReadAll(rec)
			switch {
			case tc.wantErr == nil:
				if err != nil || !bytes.Equal(rec.got, body) || !pr.Verified() || calls != 1 {
					t.Fatalf("err %v, passed on %d of %d bytes, verified %v, last called %d times", err, len(rec.got), len(body), pr.Verified(), calls)
				}
			case tc.wantErr == errMismatch:
				var me *MismatchError
				if !errors.As(err, &me) || calls != 0 {
					t.Fatalf("err %v, last called %d times: want a mismatch before last", err, calls)
				}
			default:
				if !errors.Is(err, tc.wantErr) || !errors.Is(pr.Err(), tc.wantErr) || pr.Verified() {
					t.Fatalf("err %v / %v, want %v", err, pr.Err(), tc.wantErr)
				}
				// (Without a size the end is known only at EOF, after the
				// last bytes: the error then is what the consumer sees.)
				if tc.size >= 0 && len(rec.got) == len(body) {
					t.Fatal("the last bytes were handed over although last refused them")
				}
			}
		})
	}
}

// errMismatch stands for "a *MismatchError" in tables.
var errMismatch = errors.New("mismatch")

// TestPairReaderClose: a Reader closed before its end (the consumer gave
// up) stops its hashing goroutine; Close is idempotent, and a NewReader's
// Close is a no-op.
func TestPairReaderClose(t *testing.T) {
	body := bytes.Repeat([]byte("payload "), 200000)
	pr := NewPairReader(bytes.NewReader(body), hexSum(body), int64(len(body)), 10, func([sha256.Size]byte) error { return nil })
	if _, err := io.ReadFull(pr, make([]byte, 300000)); err != nil {
		t.Fatal(err)
	}
	pr.Close()
	pr.Close()
	if pr.Verified() {
		t.Fatal("a reader closed half way says it verified the content")
	}
	NewReader(bytes.NewReader(body), hexSum(body), -1).Close()
}
