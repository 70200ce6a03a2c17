package fetch

import (
	"context"
	"fmt"
	"io"
	"sync"
	"time"
)

// InactivityError ends a download during which nothing arrived for the
// feed's inactivity window. There is no limit on the total time: a slow
// source that keeps sending is waited for.
type InactivityError struct {
	Window time.Duration
}

func (e *InactivityError) Error() string {
	return fmt.Sprintf("no data received for %s (inactivity timeout)", e.Window)
}

// watchdog cancels a download's context when it has made no progress for
// its window. Reads kick it; a pause stops it while the caller is busy
// elsewhere (writing a batch), so that only the source's silence counts.
type watchdog struct {
	window time.Duration
	cancel context.CancelCauseFunc

	mu     sync.Mutex
	timer  *time.Timer
	paused bool
}

// newWatchdog returns a context that is cancelled with an
// *InactivityError after window without a kick.
func newWatchdog(parent context.Context, window time.Duration) (context.Context, *watchdog) {
	ctx, cancel := context.WithCancelCause(parent)
	w := &watchdog{window: window, cancel: cancel}
	w.timer = time.AfterFunc(window, func() { cancel(&InactivityError{Window: window}) })
	return ctx, w
}

func (w *watchdog) kick() {
	w.mu.Lock()
	if !w.paused {
		w.timer.Reset(w.window)
	}
	w.mu.Unlock()
}

func (w *watchdog) pause() {
	w.mu.Lock()
	w.paused = true
	w.timer.Stop()
	w.mu.Unlock()
}

func (w *watchdog) resume() {
	w.mu.Lock()
	w.paused = false
	w.timer.Reset(w.window)
	w.mu.Unlock()
}

// stop disarms the watchdog and releases its context.
func (w *watchdog) stop() {
	w.timer.Stop()
	w.cancel(context.Canceled)
}

// body is a download being read: it counts bytes, kicks the watchdog on
// every read that brings data, and reports the cause when the watchdog or
// the caller cancelled the download.
type body struct {
	rc    io.ReadCloser
	ctx   context.Context
	dog   *watchdog // nil for local files
	bytes int64
}

func (b *body) Read(p []byte) (int, error) {
	n, err := b.rc.Read(p)
	if n > 0 {
		b.bytes += int64(n)
		if b.dog != nil {
			b.dog.kick()
		}
	}
	if err != nil && err != io.EOF {
		if cause := context.Cause(b.ctx); cause != nil {
			return n, cause
		}
	}
	return n, err
}

// Close ends the download.
func (b *body) Close() error {
	err := b.rc.Close()
	if b.dog != nil {
		b.dog.stop()
	}
	return err
}

// pause and resume hold the watchdog while the reader does other work.
func (b *body) pause() {
	if b.dog != nil {
		b.dog.pause()
	}
}

func (b *body) resume() {
	if b.dog != nil {
		b.dog.resume()
	}
}
