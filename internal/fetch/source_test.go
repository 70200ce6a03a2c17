package fetch

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/cairn-intel/cairn/internal/store"
)

func TestTLS(t *testing.T) {
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte("198.51.100.7\n"))
	}))
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // refused handshakes are the point
	srv.StartTLS()
	defer srv.Close()
	sum := sha256.Sum256(srv.Certificate().Raw)
	pin := hex.EncodeToString(sum[:])
	tests := []struct {
		name     string
		pin      string
		insecure bool
		ok       bool
	}{
		{name: "verified by default: a self-signed server is refused"},
		{name: "pinned certificate", pin: strings.ToUpper(pin[:2]) + ":" + pin[2:], ok: true},
		{name: "wrong pin", pin: strings.Repeat("ab", 32)},
		{name: "insecure switch", insecure: true, ok: true},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st, _ := newStore(t, nil)
			f := store.Feed{Name: "tls " + itoa(int64(i)), URL: srv.URL, SourceFormat: "freetext",
				Schedule: DefaultSchedule, Enabled: true, FixedEvent: true, CAPin: tt.pin, Insecure: tt.insecure}
			if err := Check(&f); err != nil {
				t.Fatal(err)
			}
			f, err := st.CreateFeed(context.Background(), f)
			if err != nil {
				t.Fatal(err)
			}
			rep, err := New(st, testOptions()).Pull(context.Background(), f)
			if (err == nil) != tt.ok {
				t.Fatalf("got %v, want success %v", err, tt.ok)
			}
			if !tt.ok && rep.Retries != 0 {
				t.Errorf("got %d retries of a certificate failure, want none", rep.Retries)
			}
			if rep.Insecure != tt.insecure {
				t.Errorf("report: got insecure %v, want %v", rep.Insecure, tt.insecure)
			}
			var pe *PinError
			if tt.pin != "" && !tt.ok && !errors.As(err, &pe) {
				t.Errorf("got %v, want a pin mismatch", err)
			}
		})
	}
}

func TestRequestHeadersAndKey(t *testing.T) {
	var gotUA, gotKey, gotPath atomic.Value
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gotUA.Store(r.UserAgent())
		gotKey.Store(r.Header.Get("Auth-Key"))
		gotPath.Store(r.URL.Path)
		if r.URL.Path == "/denied" {
			http.Error(w, "wrong key s3cr3t-value", http.StatusForbidden)
			return
		}
		_, _ = w.Write([]byte("198.51.100.7\n"))
	}))
	defer srv.Close()
	st, _ := newStore(t, nil)
	p := New(st, testOptions())

	f := listFeed(t, st, "keyed", srv.URL, false)
	f.AuthHeader, f.AuthSecret = "Auth-Key", "s3cr3t-value"
	mustPull(t, p, f)
	if gotUA.Load() != "Cairn/test (+feed fetcher)" || gotKey.Load() != "s3cr3t-value" {
		t.Errorf("got User-Agent %q and key %q", gotUA.Load(), gotKey.Load())
	}

	f.URL = srv.URL + "/data/{key}/list.csv"
	mustPull(t, p, f)
	if gotPath.Load() != "/data/s3cr3t-value/list.csv" || gotKey.Load() != "" {
		t.Errorf("key in the URL: got path %q and header %q", gotPath.Load(), gotKey.Load())
	}

	f.URL = srv.URL + "/denied"
	rep, err := p.Pull(context.Background(), f)
	if err == nil || strings.Contains(rep.Error, "s3cr3t") || strings.Contains(rep.JSON(), "s3cr3t") {
		t.Errorf("got %v and report %s, want a failure that does not show the key", err, rep.JSON())
	}
	if rep.Retries != 0 {
		t.Errorf("got %d retries of a 403, want none", rep.Retries)
	}
}

func TestRetries(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch calls.Add(1) {
		case 1:
			http.Error(w, "busy", http.StatusServiceUnavailable)
		case 2:
			w.Header().Set("Retry-After", "0")
			http.Error(w, "slow down", http.StatusTooManyRequests)
		default:
			_, _ = w.Write([]byte("198.51.100.7\n"))
		}
	}))
	defer srv.Close()
	st, _ := newStore(t, nil)
	rep := mustPull(t, New(st, testOptions()), listFeed(t, st, "flaky", srv.URL, false))
	if rep.Retries != 2 || rep.Created != 1 {
		t.Errorf("got %d retries and %d created, want 2 and 1", rep.Retries, rep.Created)
	}

	// Nothing listens on a closed server's port: a connection error,
	// retried, then a failure.
	closed := httptest.NewServer(http.NotFoundHandler())
	url := closed.URL
	closed.Close()
	rep, err := New(st, testOptions()).Pull(context.Background(), listFeed(t, st, "down", url, false))
	if err == nil || rep.Retries != 3 {
		t.Errorf("got %v after %d retries, want a failure after 3", err, rep.Retries)
	}
}

func TestBusyFeed(t *testing.T) {
	st, _ := newStore(t, nil)
	ls := newListServer(t, "198.51.100.7\n")
	f := listFeed(t, st, "busy", ls.srv.URL, false)
	ok, err := st.ClaimFeed(context.Background(), store.FeedClaim{FeedID: f.ID, Node: "elsewhere", Stale: DefaultSchedule})
	if err != nil || !ok {
		t.Fatalf("claim: %v %v", ok, err)
	}
	if _, err := New(st, testOptions()).Pull(context.Background(), f); !errors.Is(err, ErrBusy) {
		t.Errorf("got %v, want ErrBusy", err)
	}
}

// TestKeyInURLIsRedacted: a connection error quotes the URL, which holds
// the key escaped; neither form reaches the report.
func TestKeyInURLIsRedacted(t *testing.T) {
	closed := httptest.NewServer(http.NotFoundHandler())
	url := closed.URL
	closed.Close()
	st, _ := newStore(t, nil)
	f := listFeed(t, st, "escaped key", url+"/data/{key}/list.csv", false)
	f.AuthSecret = "a/b c?"
	opts := testOptions()
	opts.Retries = -1
	rep, err := New(st, opts).Pull(context.Background(), f)
	if err == nil || !strings.Contains(rep.Error, "********") {
		t.Fatalf("got %v, want a failure naming the masked key", err)
	}
	for _, form := range []string{"a/b c?", "a%2Fb%20c%3F"} {
		if strings.Contains(rep.JSON(), form) {
			t.Errorf("the report shows the key as %q: %s", form, rep.Error)
		}
	}
}
