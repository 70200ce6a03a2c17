package fetch

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"time"

	"github.com/cairn-intel/cairn/internal/feed"
	"github.com/cairn-intel/cairn/internal/store"
)

// listPull is one pull of a csv, freetext or json feed.
type listPull struct {
	p     *Puller
	f     store.Feed
	set   Settings
	actor *store.Actor
	src   *source
	rep   *Report
	wl    *warninglister // nil when the feed turns warninglists off

	body   *body
	batch  []store.FeedItem
	staged int
}

// pullList streams the body into the parser, stages the indicators in
// batches, then applies them in one transaction. Whatever happens, the
// staging rows of the pull are gone at the end.
func (p *Puller) pullList(ctx context.Context, l *listPull) error {
	l.rep.Unit = unitAttributes
	if err := p.st.ClearFeedStaging(ctx, l.f.ID); err != nil { // left by a pull that died
		return err
	}
	defer func() {
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		defer cancel()
		if err := p.st.ClearFeedStaging(cctx, l.f.ID); err != nil {
			p.log.Error("clear feed staging", "action", "feed_pull", "feed", l.f.Name, "error", err)
		}
	}()
	sum, stats, err := l.read(ctx)
	l.rep.Bytes = stats.Bytes
	if err != nil {
		return err
	}
	l.rep.SHA256 = hex.EncodeToString(sum.Sum(nil))
	l.rep.Lines, l.rep.Records, l.rep.Items = stats.Lines, stats.Records, stats.Items
	l.rep.Excluded, l.rep.Skipped = stats.Excluded, stats.Skipped
	if err := l.checkYield(stats); err != nil {
		return err
	}
	if l.sameAsLastPull() {
		l.rep.Unchanged = l.staged
		l.rep.note("the body is identical to the last successful pull: no new event was created")
		return nil
	}
	return l.apply(ctx, stats)
}

// read downloads and parses the body, staging what it yields.
func (l *listPull) read(ctx context.Context) (hash.Hash, feed.Stats, error) {
	b, err := l.src.open(ctx, "")
	if err != nil {
		return nil, feed.Stats{}, err
	}
	defer b.Close()
	l.body = b
	sum := sha256.New()
	emit := func(it feed.Item) error { return l.emit(ctx, it) }
	stats, err := l.set.Parse.Parse(ctx, io.TeeReader(b, sum), emit, l.rep.parserReject)
	stats.Bytes = b.bytes
	if err != nil {
		return sum, stats, l.readError(err)
	}
	return sum, stats, l.flush(ctx)
}

// readError prefers the cause of a cancelled download (the inactivity
// timeout) to the parser's view of it.
func (l *listPull) readError(err error) error {
	var idle *InactivityError
	if errors.As(context.Cause(l.body.ctx), &idle) {
		return idle
	}
	return err
}

func (l *listPull) emit(ctx context.Context, it feed.Item) error {
	hit, skip := l.wl.check(it.Type, it.Value, it.Line, "")
	if skip {
		return nil
	}
	if hit {
		off := false
		it.ToIDS = &off
	}
	l.batch = append(l.batch, store.FeedItem{Line: it.Line, Type: it.Type, Value: it.Value,
		Category: it.Category, ToIDS: it.ToIDS, Comment: it.Comment, FirstSeen: it.FirstSeen,
		LastSeen: it.LastSeen, Tags: it.Tags})
	if len(l.batch) < l.p.opts.BatchSize {
		return nil
	}
	return l.flush(ctx)
}

// flush stages the batch. The watchdog is held meanwhile: time spent
// writing is not the source's silence.
func (l *listPull) flush(ctx context.Context) error {
	if len(l.batch) == 0 {
		return nil
	}
	l.body.pause()
	defer l.body.resume()
	res, err := l.p.st.StageFeedItems(ctx, l.f.ID, l.batch, store.FeedStageOptions{
		OverrideIDs: l.f.OverrideIDs, DisableCorrelation: l.set.DisableCorrelation})
	l.batch = l.batch[:0]
	if err != nil {
		return err
	}
	l.staged += res.Staged
	l.rep.Duplicates += res.Duplicates
	for _, rj := range res.Rejected {
		l.rep.reject(RejectedLine{Line: rj.Line, Text: rj.Value, Reason: rj.Reason})
	}
	return nil
}

// checkYield fails a pull whose source held data but gave nothing usable:
// a feed that silently imports nothing is the fault users of MISP report
// most. A body of only comments and blank lines is an empty list, which
// is fine, and so is one whose values were all skipped by warninglists:
// the report names each of them.
func (l *listPull) checkYield(stats feed.Stats) error {
	if l.staged > 0 || l.rep.Warninglisted > 0 || stats.Records == 0 {
		return nil
	}
	first := ""
	if len(l.rep.Rejects) > 0 {
		rj := l.rep.Rejects[0]
		first = fmt.Sprintf(" (first: %s: %s)", rj.place(), rj.Reason)
	}
	return fmt.Errorf("the source held %d data records but no usable indicator: %d rejected%s",
		stats.Records, l.rep.Rejected, first)
}

// sameAsLastPull reports whether a feed that creates an event per pull
// got the very body of its last successful pull, which would only
// duplicate that event.
func (l *listPull) sameAsLastPull() bool {
	if l.f.FixedEvent || l.f.Health.LastReport == "" {
		return false
	}
	var last Report
	if json.Unmarshal([]byte(l.f.Health.LastReport), &last) != nil {
		return false
	}
	return last.Succeeded() && last.SHA256 != "" && last.SHA256 == l.rep.SHA256
}

func (l *listPull) apply(ctx context.Context, stats feed.Stats) error {
	delta := l.f.FixedEvent && l.f.DeltaMerge
	if delta && stats.Bytes == 0 {
		// An empty answer is more often a broken download than a list
		// emptied on purpose; a list emptied on purpose still has its
		// comment lines, and is merged.
		delta = false
		l.rep.note("the body was empty: the delta merge was not applied")
	}
	info := l.f.Name
	if !l.f.FixedEvent {
		info = fmt.Sprintf("%s %s", l.f.Name, l.rep.Started.Format("2006-01-02 15:04 UTC"))
	}
	res, err := l.p.st.ApplyFeedPull(ctx, l.actor, l.f.ID, store.FeedApplyOptions{NewEvent: !l.f.FixedEvent,
		EventInfo: info, DeltaMerge: delta, DisableCorrelation: l.set.DisableCorrelation})
	if err != nil {
		return err
	}
	l.rep.EventID = res.EventID
	l.rep.Created, l.rep.Updated, l.rep.Unchanged, l.rep.Deleted = res.Created, res.Updated, res.Unchanged, res.Deleted
	l.rep.Notes = append(l.rep.Notes, res.Notes...)
	if res.EventCreated {
		l.rep.note("event %d created", res.EventID)
	}
	return nil
}
