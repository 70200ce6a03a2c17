package server

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cairn-intel/cairn/internal/store"
)

func TestFirstStartServesTLSAndStops(t *testing.T) {
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	st, err := store.OpenSQLite(ctx, filepath.Join(dir, "cairn.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	key := "abcdefghijklmnopqrstuvwxyzABCDEFGHIJ0123"
	var out bytes.Buffer
	ready := make(chan net.Addr, 1)
	cfg := Config{DataDir: dir, Listen: "127.0.0.1:0", OrgName: "Utility", AdminEmail: "soc@utility.test",
		AdminKey: key, Out: &out, Ready: func(a net.Addr) { ready <- a }}
	done := make(chan error, 1)
	go func() { done <- Run(ctx, st, cfg, slog.New(slog.DiscardHandler)) }()
	var addr net.Addr
	select {
	case addr = <-ready:
	case err := <-done:
		t.Fatalf("server stopped before listening: %v", err)
	case <-time.After(10 * time.Second):
		t.Fatal("server did not start")
	}
	if !strings.Contains(out.String(), key) || !strings.Contains(out.String(), "password:") {
		t.Errorf("first start did not print the credentials once: %q", out.String())
	}
	pool := x509.NewCertPool()
	pem, err := os.ReadFile(filepath.Join(dir, "tls.crt"))
	if err != nil {
		t.Fatal(err)
	}
	pool.AppendCertsFromPEM(pem)
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	req, _ := http.NewRequest("GET", "https://"+addr.String()+"/users/view/me.json", nil)
	req.Header.Set("Authorization", key)
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("TLS request with the self-signed certificate for 127.0.0.1: %v", err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), "soc@utility.test") {
		t.Errorf("users/view/me: got %d %s", resp.StatusCode, body)
	}
	for _, name := range []string{"cairn.db", "tls.key"} {
		info, err := os.Stat(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if perm := info.Mode().Perm(); perm != 0o600 {
			t.Errorf("%s: got mode %o, want 600", name, perm)
		}
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("shutdown: %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("server did not stop after cancel")
	}
	if err := Bootstrap(context.Background(), st, cfg, slog.New(slog.DiscardHandler)); err != nil {
		t.Errorf("second bootstrap: %v", err)
	}
}

func TestConfigValidate(t *testing.T) {
	cases := []struct {
		name string
		cfg  Config
		ok   bool
	}{
		{"defaults", Config{Listen: "127.0.0.1:8443"}, true},
		{"plain on loopback", Config{Listen: "127.0.0.1:8080", PlainHTTP: true}, true},
		{"plain on localhost", Config{Listen: "localhost:8080", PlainHTTP: true}, true},
		{"plain on all addresses", Config{Listen: ":8080", PlainHTTP: true}, false},
		{"plain on a LAN address", Config{Listen: "192.0.2.10:8080", PlainHTTP: true}, false},
		{"cert without key", Config{Listen: "127.0.0.1:8443", TLSCert: "a.pem"}, false},
		{"certificate files missing", Config{Listen: "127.0.0.1:8443", TLSCert: "/no/such/a.pem", TLSKey: "/no/such/a.key"}, false},
		// The key matters only to Bootstrap of a new instance.
		{"short admin key", Config{Listen: "127.0.0.1:8443", AdminKey: "short"}, true},
		{"bad listen", Config{Listen: "8443"}, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.cfg.Validate()
			if (err == nil) != tc.ok {
				t.Errorf("got %v, want ok=%v", err, tc.ok)
			}
		})
	}
}
