// Package correlate runs the correlation worker of a serving node: it keeps
// the store's correlation index up to date with the writes, off the request
// path.
package correlate

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/cairn-intel/cairn/internal/store"
)

// Options tune the worker.
type Options struct {
	// Poll is how often the queue is read when no write of this node
	// signalled: the writes of other nodes sharing the database are seen
	// that way. Default 5 s.
	Poll time.Duration
	// RebuildAbove is the backlog (queued events) from which one bulk
	// rebuild is cheaper than reindexing event by event, as after a large
	// import: default 500 events, and at least a fifth of all events.
	RebuildAbove int64
}

func (o *Options) defaults() {
	if o.Poll <= 0 {
		o.Poll = 5 * time.Second
	}
	if o.RebuildAbove <= 0 {
		o.RebuildAbove = 500
	}
}

// Start runs the worker until ctx ends or the returned stop is called;
// stop waits for the batch in progress.
func Start(ctx context.Context, st *store.Store, log *slog.Logger, opts Options) (stop func()) {
	opts.defaults()
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		run(ctx, st, log, opts)
	}()
	return func() {
		cancel()
		wg.Wait()
	}
}

func run(ctx context.Context, st *store.Store, log *slog.Logger, opts Options) {
	t := time.NewTicker(opts.Poll)
	defer t.Stop()
	for {
		if err := Pass(ctx, st, log, opts); err != nil && ctx.Err() == nil {
			log.Warn("correlation pass failed", "action", "correlate", "error", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-st.CorrelationWake():
			// Let the writes of a burst land, then take them in one pass.
			select {
			case <-ctx.Done():
				return
			case <-time.After(100 * time.Millisecond):
			}
		case <-t.C:
		}
	}
}

// Pass empties the queue once: by one rebuild when the backlog is large,
// else event by event. A panic is reported as an error so that the worker
// lives on.
func Pass(ctx context.Context, st *store.Store, log *slog.Logger, opts Options) (err error) {
	opts.defaults()
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("correlation worker panic: %v", r)
		}
	}()
	backlog, events, err := st.CorrelationBacklog(ctx)
	if err != nil || backlog == 0 {
		return err
	}
	if backlog >= opts.RebuildAbove {
		if backlog*5 >= events {
			log.Info("rebuilding the correlation index", "action", "correlate", "queued", backlog, "events", events)
			rep, err := st.RebuildCorrelations(ctx, nil)
			if err != nil {
				return err
			}
			log.Info("correlation index rebuilt", "action", "correlate", "queued", backlog,
				"attributes", rep.Attributes, "postings", rep.Postings, "duration_ms", rep.Duration.Milliseconds())
			// What was queued during the rebuild is left for the events pass.
		}
	}
	start := time.Now()
	n, err := st.CorrelateQueued(ctx, 0)
	if n > 0 {
		log.Debug("correlated events", "action", "correlate", "events", n, "duration_ms", time.Since(start).Milliseconds())
	}
	return err
}
