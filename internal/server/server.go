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
	"strings"
	"time"

	"github.com/cairn-intel/cairn/internal/api"
	"github.com/cairn-intel/cairn/internal/auth"
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
	AdminKey   string // optional fixed first key, from CAIRN_ADMIN_KEY; read only by Bootstrap
	Version    string
	// QueryBudget bounds the work of one API request; zero is the API's default.
	QueryBudget time.Duration
	// Node names this process among the nodes sharing the database: ""
	// for hostname:pid. Heartbeat is how often the node says it is alive,
	// renews its claims and looks for due work: zero for 30s. All nodes of
	// an instance use the same heartbeat.
	Node      string
	Heartbeat time.Duration
	// Out receives the one-time credentials printed at first start.
	Out io.Writer
	// Ready, if set, is called with the bound address once listening.
	Ready func(addr net.Addr)
}

// Validate checks the configuration before anything is created. The
// administrator's key is not checked here: it matters only to Bootstrap of
// a new instance (see CheckFirstStart).
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
	if c.TLSCert != "" && !c.PlainHTTP {
		if _, _, err := loadCertificate(c.TLSCert, c.TLSKey); err != nil {
			return fmt.Errorf("--tls-cert and --tls-key: %w", err)
		}
	}
	if c.Heartbeat != 0 && (c.Heartbeat < minHeartbeat || c.Heartbeat > maxHeartbeat) {
		return fmt.Errorf("--heartbeat: %s is not between %s and %s", c.Heartbeat, minHeartbeat, maxHeartbeat)
	}
	return nil
}

// Bounds of the heartbeat: below, the nodes write to the database for
// little; above, a dead node's work waits more than an hour for another.
const (
	minHeartbeat = 100 * time.Millisecond
	maxHeartbeat = 5 * time.Minute
)

// withDefaults fills in the node name and the heartbeat.
func (c Config) withDefaults() Config {
	if c.Node == "" {
		c.Node = store.DefaultNodeID()
	}
	if c.Heartbeat == 0 {
		c.Heartbeat = 30 * time.Second
	}
	return c
}

// Bootstrap initialises an empty instance: the host organisation and the
// site administrator, whose password and API key are printed once to out and
// stored only as hashes. It does nothing on an initialised instance, where
// c.AdminKey, whatever it holds, is ignored with one line of log: a value
// left in the environment must not stop an instance that no longer needs it.
func Bootstrap(ctx context.Context, st *store.Store, c Config, log *slog.Logger) error {
	done, err := st.Initialised(ctx)
	if err != nil {
		return err
	}
	if done {
		if c.AdminKey != "" {
			log.Info("CAIRN_ADMIN_KEY ignored: the instance already has its administrator", "action", "init")
		}
		return nil
	}
	if err := c.CheckFirstStart(); err != nil {
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
	_, err = st.Initialise(ctx, store.Bootstrap{OrgName: c.OrgName, AdminEmail: c.AdminEmail,
		PasswordHash: hash, KeyHash: auth.HashKey(key), RawKey: key})
	if errors.Is(err, store.ErrInitialised) {
		// Another node, started at the same moment, did it.
		log.Info("instance initialised by another node", "action", "init")
		return nil
	}
	if err != nil {
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
	c = c.withDefaults()
	log = log.With("node", c.Node)
	if err := Bootstrap(ctx, st, c, log); err != nil {
		return err
	}
	if tables, err := st.RefreshStatistics(ctx); err != nil {
		log.Warn("refresh planner statistics", "error", err)
	} else if len(tables) > 0 {
		log.Info("planner statistics refreshed", "action", "planner_statistics", "tables", strings.Join(tables, ", "))
	}
	know, err := openKnowledge(ctx, st, log)
	if err != nil {
		return err
	}
	ln, scheme, err := listen(c, log)
	if err != nil {
		return err
	}
	stopBackground, err := startBackground(ctx, st, c, ln.Addr().String(), know, log)
	if err != nil {
		ln.Close()
		return err
	}
	defer stopBackground()
	handler := api.New(st, log, api.Config{CairnVersion: c.Version, Knowledge: know, QueryBudget: c.QueryBudget,
		Node: c.Node, Heartbeat: c.Heartbeat})
	srv := &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
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

// listen opens the listener, with TLS unless plain HTTP was asked for.
func listen(c Config, log *slog.Logger) (net.Listener, string, error) {
	ln, err := net.Listen("tcp", c.Listen)
	if err != nil {
		return nil, "", err
	}
	if c.PlainHTTP {
		return ln, "http", nil
	}
	cfg, err := tlsConfig(c, log)
	if err != nil {
		ln.Close()
		return nil, "", err
	}
	return tls.NewListener(ln, cfg), "https", nil
}

// openKnowledge loads the one set of warninglists, taxonomies and
// galaxies of the process. The API answers with that set and reloads it in
// place, so a change reaches the pulls, which check values against its
// lists, and the store, which checks tags against its taxonomies.
func openKnowledge(ctx context.Context, st *store.Store, log *slog.Logger) (*api.Knowledge, error) {
	know, err := api.OpenKnowledge(ctx, st, log)
	if err != nil {
		return nil, err
	}
	st.SetTagPolicy(know.Taxonomies)
	return know, nil
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
