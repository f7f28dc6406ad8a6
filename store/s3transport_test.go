package store

import (
	"bytes"
	"io"
	"net"
	"testing"
)

// writeRecorder is a net.Conn that keeps what is written and the size of
// each write.
type writeRecorder struct {
	net.Conn
	got    bytes.Buffer
	writes []int
}

func (w *writeRecorder) Write(p []byte) (int, error) {
	w.writes = append(w.writes, len(p))
	return w.got.Write(p)
}

func TestBulkConnSendsBodiesInLargeWrites(t *testing.T) {
	tests := []struct {
		name       string
		size       int64
		wantWrites int
	}{
		{"empty", 0, 0},
		{"small", 1000, 1},
		{"one chunk", bodyChunk, 1},
		{"a part", 5*bodyChunk + 7, 6},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := bytes.Repeat([]byte("rpmvault"), int(tt.size/8)+1)[:tt.size]
			rec := &writeRecorder{}
			c := &bulkConn{Conn: rec}
			// As net/http sends a body: io.Copy of a LimitedReader, whose
			// own buffer would be 32 KiB.
			n, err := io.Copy(c, io.LimitReader(io.MultiReader(bytes.NewReader(body), bytes.NewReader([]byte("beyond"))), tt.size))
			if err != nil || n != tt.size {
				t.Fatalf("copied %d, %v; want %d", n, err, tt.size)
			}
			if !bytes.Equal(rec.got.Bytes(), body) {
				t.Fatal("the bytes sent are not the body")
			}
			if len(rec.writes) != tt.wantWrites {
				t.Errorf("%d writes %v, want %d", len(rec.writes), rec.writes, tt.wantWrites)
			}
			for _, w := range rec.writes {
				if w > bodyChunk {
					t.Errorf("a write of %d bytes, more than %d", w, bodyChunk)
				}
			}
		})
	}
}
