package fetch

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/cairn-intel/cairn/internal/feed"
	"github.com/cairn-intel/cairn/internal/store"
)

// source reads the files of one feed: its URL, or for a MISP feed the
// files under it, over HTTP(S) or from the local disk.
type source struct {
	p      *Puller
	f      store.Feed
	rep    *Report
	client *http.Client // nil for a local source
	base   string       // URL with the key filled in, or a local path
}

// IsLocal reports whether a feed URL names a local file or directory: a
// file:// URL or a path without a scheme.
func IsLocal(u string) bool {
	return strings.HasPrefix(u, "file://") || !strings.Contains(u, "://")
}

func (p *Puller) newSource(f store.Feed, rep *Report) (*source, error) {
	s := &source{p: p, f: f, rep: rep}
	if IsLocal(f.URL) {
		s.base = strings.TrimPrefix(f.URL, "file://")
		return s, nil
	}
	if err := checkURL(f.URL); err != nil {
		return nil, err
	}
	s.base = f.URL
	if strings.Contains(f.URL, "{key}") {
		s.base = strings.ReplaceAll(f.URL, "{key}", url.PathEscape(f.AuthSecret))
	}
	cfg, err := tlsConfig(f)
	if err != nil {
		return nil, err
	}
	if f.Insecure {
		rep.Insecure = true
		p.log.Warn("feed TLS verification is off", "action", "feed_pull", "feed", f.Name, "url", feed.RedactURL(f.URL))
	}
	s.client = p.httpClient(cfg, f)
	return s, nil
}

// checkURL accepts http and https URLs with a host.
func checkURL(u string) error {
	p, err := url.Parse(u)
	if err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" {
		return fmt.Errorf("url %q: give an http or https URL, a file:// URL or a local path", u)
	}
	return nil
}

// PinError is a server certificate that does not match the feed's pin.
type PinError struct {
	Want, Got string
}

func (e *PinError) Error() string {
	return fmt.Sprintf("the server certificate (sha256 %s) does not match the feed's pin %s", e.Got, e.Want)
}

// ParsePin reads a certificate pin: the SHA-256 of the certificate in hex,
// with or without colons.
func ParsePin(s string) (string, error) {
	pin := strings.ToLower(strings.ReplaceAll(strings.TrimSpace(s), ":", ""))
	if b, err := hex.DecodeString(pin); err != nil || len(b) != sha256.Size {
		return "", fmt.Errorf("ca_pin: %q is not a SHA-256 in hex", s)
	}
	return pin, nil
}

// tlsConfig verifies servers against the system roots by default. With a
// pin, the server must present exactly the pinned certificate, valid now:
// the pin replaces the check of the chain, so a private server with a
// self-signed certificate can be pinned instead of trusted blindly. The
// insecure switch turns verification off (a pin still applies).
func tlsConfig(f store.Feed) (*tls.Config, error) {
	cfg := &tls.Config{MinVersion: tls.VersionTLS12, InsecureSkipVerify: f.Insecure}
	if f.CAPin == "" {
		return cfg, nil
	}
	pin, err := ParsePin(f.CAPin)
	if err != nil {
		return nil, err
	}
	cfg.InsecureSkipVerify = true // replaced by VerifyConnection below
	cfg.VerifyConnection = func(cs tls.ConnectionState) error {
		if len(cs.PeerCertificates) == 0 {
			return &PinError{Want: pin, Got: "none"}
		}
		leaf := cs.PeerCertificates[0]
		sum := sha256.Sum256(leaf.Raw)
		if got := hex.EncodeToString(sum[:]); got != pin {
			return &PinError{Want: pin, Got: got}
		}
		if now := time.Now(); now.Before(leaf.NotBefore) || now.After(leaf.NotAfter) {
			return x509.CertificateInvalidError{Cert: leaf, Reason: x509.Expired}
		}
		return nil
	}
	return cfg, nil
}

func (p *Puller) httpClient(cfg *tls.Config, f store.Feed) *http.Client {
	tr := &http.Transport{
		Proxy:               http.ProxyFromEnvironment,
		DialContext:         (&net.Dialer{Timeout: p.opts.Inactivity, KeepAlive: 30 * time.Second}).DialContext,
		TLSClientConfig:     cfg,
		TLSHandshakeTimeout: p.opts.Inactivity,
		ForceAttemptHTTP2:   true,
		MaxIdleConns:        4,
		IdleConnTimeout:     90 * time.Second,
	}
	origin := ""
	if u, err := url.Parse(f.URL); err == nil {
		origin = u.Host
	}
	return &http.Client{Transport: tr, CheckRedirect: func(req *http.Request, via []*http.Request) error {
		if len(via) >= 5 {
			return errors.New("stopped after 5 redirects")
		}
		if f.AuthHeader != "" && req.URL.Host != origin {
			req.Header.Del(f.AuthHeader) // the key is for the feed's host only
		}
		return nil
	}}
}

// open starts reading name under the source ("" for the feed's URL
// itself), retrying with exponential backoff on connection errors and on
// 5xx and 429 answers.
func (s *source) open(ctx context.Context, name string) (*body, error) {
	if s.client == nil {
		return s.openFile(name)
	}
	u := s.base
	if name != "" {
		u = strings.TrimSuffix(u, "/") + "/" + name
	}
	for attempt := 0; ; attempt++ {
		b, retryAfter, err := s.get(ctx, u)
		if err == nil {
			return b, nil
		}
		if retryAfter < 0 || attempt >= s.p.opts.Retries || ctx.Err() != nil {
			return nil, err
		}
		wait := min(s.p.opts.RetryBase<<attempt, s.p.opts.RetryMax)
		wait = max(wait, retryAfter)
		s.rep.Retries++
		s.p.log.Warn("feed download failed, retrying", "action", "feed_pull", "result", "retry",
			"feed", s.f.Name, "attempt", attempt+1, "wait", wait.String(), "error", err)
		select {
		case <-ctx.Done():
			return nil, context.Cause(ctx)
		case <-time.After(wait):
		}
	}
}

// get sends one request. retryAfter is negative when trying again cannot
// help, otherwise the least wait the server asked for.
func (s *source) get(ctx context.Context, u string) (b *body, retryAfter time.Duration, err error) {
	dctx, dog := newWatchdog(ctx, s.p.opts.Inactivity)
	req, err := http.NewRequestWithContext(dctx, http.MethodGet, u, nil)
	if err != nil {
		dog.stop()
		return nil, -1, s.redact(err)
	}
	req.Header.Set("User-Agent", s.userAgent())
	req.Header.Set("Accept", "application/json, text/csv, text/plain, text/*, */*")
	if s.f.AuthHeader != "" && s.f.AuthSecret != "" && !strings.Contains(s.f.URL, "{key}") {
		req.Header.Set(s.f.AuthHeader, s.f.AuthSecret)
	}
	resp, err := s.client.Do(req)
	if err != nil {
		var idle *InactivityError
		if cause := context.Cause(dctx); errors.As(cause, &idle) {
			err = cause
		}
		dog.stop()
		if ctx.Err() != nil || permanent(err) {
			return nil, -1, s.redact(err)
		}
		return nil, 0, s.redact(err)
	}
	if resp.StatusCode != http.StatusOK {
		err := s.statusError(resp)
		resp.Body.Close()
		dog.stop()
		if resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500 {
			return nil, retryAfterOf(resp, s.p.opts.RetryMax), err
		}
		return nil, -1, err
	}
	dog.kick()
	return &body{rc: resp.Body, ctx: dctx, dog: dog}, 0, nil
}

func (s *source) userAgent() string {
	if s.f.UserAgent != "" {
		return s.f.UserAgent
	}
	return "Cairn/" + s.p.opts.Version + " (+feed fetcher)"
}

// StatusError is an HTTP answer other than 200.
type StatusError struct {
	Status int
	URL    string
	Body   string // the start of the answer, for the report
}

func (e *StatusError) Error() string {
	msg := fmt.Sprintf("%s answered HTTP %d %s", e.URL, e.Status, http.StatusText(e.Status))
	if e.Body != "" {
		msg += ": " + e.Body
	}
	return msg
}

func (s *source) statusError(resp *http.Response) error {
	head, _ := io.ReadAll(io.LimitReader(resp.Body, 200)) // best effort: the status says enough
	text := strings.Join(strings.Fields(string(head)), " ")
	return &StatusError{Status: resp.StatusCode, URL: s.f.URL, Body: s.redactText(text)}
}

func retryAfterOf(resp *http.Response, limit time.Duration) time.Duration {
	n, err := strconv.Atoi(strings.TrimSpace(resp.Header.Get("Retry-After")))
	if err != nil || n < 0 {
		return 0
	}
	return min(time.Duration(n)*time.Second, limit)
}

// permanent reports whether a request error will not go away by itself:
// a certificate that fails verification or the pin, or a server that does
// not speak TLS.
func permanent(err error) bool {
	var pin *PinError
	var verify *tls.CertificateVerificationError
	var header tls.RecordHeaderError
	var invalid x509.CertificateInvalidError
	var unknown x509.UnknownAuthorityError
	var host x509.HostnameError
	return errors.As(err, &pin) || errors.As(err, &verify) || errors.As(err, &header) ||
		errors.As(err, &invalid) || errors.As(err, &unknown) || errors.As(err, &host)
}

// redact removes the feed's secret from an error that may quote the URL.
func (s *source) redact(err error) error {
	if err == nil {
		return nil
	}
	msg := s.redactText(err.Error())
	if msg == err.Error() {
		return err
	}
	return &redactedError{msg: msg, err: err}
}

func (s *source) redactText(t string) string {
	secrets := feed.URLSecrets(s.f.URL)
	if s.f.AuthSecret != "" {
		secrets = append(secrets, s.f.AuthSecret)
	}
	return feed.RedactText(t, secrets)
}

// redactedError shows a message without the secret but keeps the cause
// for errors.As.
type redactedError struct {
	msg string
	err error
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.err }

func (s *source) openFile(name string) (*body, error) {
	path := s.base
	if name != "" {
		path = filepath.Join(path, name)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	if st, err := f.Stat(); err == nil && st.IsDir() {
		f.Close()
		return nil, fmt.Errorf("%s is a directory", path)
	}
	return &body{rc: f, ctx: context.Background()}, nil
}
