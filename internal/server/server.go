// Package server runs `cairn serve`: first-start set-up of the data
// directory, TLS, the HTTP server with the API mounted, and a clean shutdown.
package server

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"path/filepath"
	"time"

	"github.com/cairn-intel/cairn/internal/api"
	"github.com/cairn-intel/cairn/internal/auth"
	"github.com/cairn-intel/cairn/internal/correlate"
	"github.com/cairn-intel/cairn/internal/fetch"
	"github.com/cairn-intel/cairn/internal/store"
)

// Config is what `cairn serve` needs.
type Config struct {
	DataDir    string
	Listen     string
	TLSCert    string // "" = self-signed in the data directory
	TLSKey     string
	PlainHTTP  bool // only allowed on a loopback address
	OrgName    string
	AdminEmail string
	AdminKey   string // optional fixed first key, from CAIRN_ADMIN_KEY
	Version    string
	// QueryBudget bounds the work of one API request; zero is the API's default.
	QueryBudget time.Duration
	// Out receives the one-time credentials printed at first start.
	Out io.Writer
	// Ready, if set, is called with the bound address once listening.
	Ready func(addr net.Addr)
}

// Validate checks the configuration before anything is created.
func (c Config) Validate() error {
	host, _, err := net.SplitHostPort(c.Listen)
	if err != nil {
		return fmt.Errorf("--listen %q: %w", c.Listen, err)
	}
	if c.PlainHTTP {
		ip, err := netip.ParseAddr(host)
		if host != "localhost" && (err != nil || !ip.IsLoopback()) {
			return fmt.Errorf("plain HTTP is only allowed on a loopback address, not %q: use TLS", host)
		}
	}
	if (c.TLSCert == "") != (c.TLSKey == "") {
		return errors.New("--tls-cert and --tls-key go together")
	}
	if c.AdminKey != "" && !auth.ValidKey(c.AdminKey) {
		return errors.New("CAIRN_ADMIN_KEY must be 40 letters and digits")
	}
	return nil
}

// Bootstrap initialises an empty instance: the host organisation and the
// site administrator, whose password and API key are printed once to out and
// stored only as hashes. It does nothing on an initialised instance.
func Bootstrap(ctx context.Context, st *store.Store, c Config, log *slog.Logger) error {
	done, err := st.Initialised(ctx)
	if err != nil || done {
		return err
	}
	password := auth.NewPassword()
	hash, err := auth.HashPassword(password)
	if err != nil {
		return err
	}
	key := c.AdminKey
	if key == "" {
		key = auth.NewKey()
	}
	if _, err := st.Initialise(ctx, store.Bootstrap{OrgName: c.OrgName, AdminEmail: c.AdminEmail,
		PasswordHash: hash, KeyHash: auth.HashKey(key), RawKey: key}); err != nil {
		return fmt.Errorf("initialise instance: %w", err)
	}
	log.Info("instance initialised", "action", "init", "org", c.OrgName, "user", c.AdminEmail)
	if c.Out != nil {
		fmt.Fprintf(c.Out, "\nCairn is initialised. These credentials are shown once and stored only as hashes:\n"+
			"  organisation: %s\n  admin e-mail: %s\n  password:     %s\n  API key:      %s\n\n",
			c.OrgName, c.AdminEmail, password, key)
	}
	return nil
}

// Run serves until ctx is cancelled, then shuts down gracefully.
func Run(ctx context.Context, st *store.Store, c Config, log *slog.Logger) error {
	if err := c.Validate(); err != nil {
		return err
	}
	if err := Bootstrap(ctx, st, c, log); err != nil {
		return err
	}
	if err := st.Optimize(ctx, false); err != nil {
		log.Warn("refresh planner statistics", "error", err)
	}
	know, stopFeeds, err := startServices(ctx, st, c, log)
	if err != nil {
		return err
	}
	defer stopFeeds()
	handler := api.New(st, log, api.Config{CairnVersion: c.Version, Knowledge: know, QueryBudget: c.QueryBudget})
	srv := &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	ln, err := net.Listen("tcp", c.Listen)
	if err != nil {
		return err
	}
	scheme := "http"
	if !c.PlainHTTP {
		cfg, err := tlsConfig(c, log)
		if err != nil {
			ln.Close()
			return err
		}
		ln, scheme = tls.NewListener(ln, cfg), "https"
	}
	log.Info("listening", "action", "serve", "addr", ln.Addr().String(), "scheme", scheme)
	if c.Ready != nil {
		c.Ready(ln.Addr())
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down", "action", "serve")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return err
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// startServices loads the one set of warninglists, taxonomies and
// galaxies of the process and starts the feed scheduler and the
// correlation worker. The API answers
// with that set and reloads it in place, so a change reaches the pulls,
// which check values against its lists, and the store, which checks tags
// against its taxonomies.
func startServices(ctx context.Context, st *store.Store, c Config, log *slog.Logger) (*api.Knowledge, func(), error) {
	know, err := api.OpenKnowledge(ctx, st, log)
	if err != nil {
		return nil, nil, err
	}
	st.SetTagPolicy(know.Taxonomies)
	stopFeeds := fetch.Start(ctx, st, log, fetch.Options{Version: c.Version, Warninglists: know.Warninglists})
	stopCorrelation := correlate.Start(ctx, st, log, correlate.Options{})
	return know, func() { stopFeeds(); stopCorrelation() }, nil
}

func tlsConfig(c Config, log *slog.Logger) (*tls.Config, error) {
	certPath, keyPath := c.TLSCert, c.TLSKey
	if certPath == "" {
		certPath, keyPath = filepath.Join(c.DataDir, "tls.crt"), filepath.Join(c.DataDir, "tls.key")
		created, err := ensureSelfSigned(certPath, keyPath)
		if err != nil {
			return nil, fmt.Errorf("create self-signed certificate: %w", err)
		}
		if created {
			log.Info("self-signed certificate created", "action", "tls", "path", certPath)
		}
	}
	pair, expiry, err := loadCertificate(certPath, keyPath)
	if err != nil {
		return nil, err
	}
	if time.Until(expiry) < 30*24*time.Hour {
		log.Warn("TLS certificate expires soon", "action", "tls", "expiry", expiry)
	}
	return &tls.Config{Certificates: []tls.Certificate{pair}, MinVersion: tls.VersionTLS12}, nil
}
