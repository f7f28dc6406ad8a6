package resolver

import (
	"bytes"
	"errors"
	"io"
	"math/rand"
	"testing"
	"testing/iotest"
)

func TestReadAhead(t *testing.T) {
	data := make([]byte, 3*readAheadChunk+12345)
	rand.New(rand.NewSource(1)).Read(data)
	boom := errors.New("boom")
	tests := []struct {
		name    string
		r       io.Reader
		want    []byte
		wantErr error
	}{
		{"empty", bytes.NewReader(nil), nil, nil},
		{"exact chunk", bytes.NewReader(data[:readAheadChunk]), data[:readAheadChunk], nil},
		{"several chunks", bytes.NewReader(data), data, nil},
		{"one byte at a time", iotest.OneByteReader(bytes.NewReader(data[:5000])), data[:5000], nil},
		{"error after data", io.MultiReader(bytes.NewReader(data[:1000]), iotest.ErrReader(boom)), data[:1000], boom},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ra := newReadAhead(tt.r)
			defer ra.Close()
			got, err := io.ReadAll(iotest.HalfReader(ra))
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("error %v, want %v", err, tt.wantErr)
			}
			if !bytes.Equal(got, tt.want) {
				t.Fatalf("read %d bytes, want %d (or different bytes)", len(got), len(tt.want))
			}
		})
	}
}

// TestReadAheadCloseEarly: a parser that stops early must get its reader
// back, with the goroutine gone (go test -race checks the hand-over).
func TestReadAheadCloseEarly(t *testing.T) {
	data := make([]byte, 20*readAheadChunk)
	r := bytes.NewReader(data)
	ra := newReadAhead(r)
	if _, err := io.ReadFull(ra, make([]byte, 10)); err != nil {
		t.Fatal(err)
	}
	ra.Close()
	ra.Close() // twice is fine
	before := r.Len()
	if before == 0 {
		t.Fatal("read ahead consumed everything: it should stop a few chunks ahead")
	}
	if _, err := io.Copy(io.Discard, r); err != nil {
		t.Fatal(err)
	}
}
