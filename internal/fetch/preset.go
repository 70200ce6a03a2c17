package fetch

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/cairn-intel/cairn/internal/feed"
	"github.com/cairn-intel/cairn/internal/store"
)

// DefaultSchedule is the schedule of a feed created without one.
const DefaultSchedule = 24 * time.Hour

// FeedFromPreset returns the stored form of a shipped preset, disabled.
func FeedFromPreset(p feed.Preset) store.Feed {
	set := Settings{Parse: p.Settings, DisableCorrelation: p.DisableCorrelation}
	schedule := p.Schedule
	if schedule == 0 {
		schedule = DefaultSchedule
	}
	return store.Feed{Name: p.Name, Provider: p.Provider, URL: p.URL, SourceFormat: string(p.Settings.Format),
		Settings: EncodeSettings(set), Schedule: schedule, Default: true, Distribution: int64(p.Distribution),
		Tags: append([]string(nil), p.Tags...), FixedEvent: p.FixedEvent, DeltaMerge: p.DeltaMerge,
		AuthHeader: p.Auth.Header}
}

// LoadPresets creates the shipped presets that the store does not hold
// yet (by name), disabled. It returns the feeds created and the names of
// the presets that were already there.
func LoadPresets(ctx context.Context, st *store.Store) (created []store.Feed, skipped []string, err error) {
	for _, p := range feed.Presets() {
		if _, err := st.FeedByRef(ctx, p.Name); err == nil {
			skipped = append(skipped, p.Name)
			continue
		} else if !errors.Is(err, store.ErrNotFound) {
			return created, skipped, err
		}
		f, err := st.CreateFeed(ctx, FeedFromPreset(p))
		if err != nil {
			return created, skipped, fmt.Errorf("preset %q: %w", p.Name, err)
		}
		created = append(created, f)
	}
	return created, skipped, nil
}

// Check validates what the store cannot: the parser settings, the URL, the
// certificate pin and text that cannot be stored. It normalises the pin and fills a zero schedule.
// Errors are store.ErrInvalid.
func Check(f *store.Feed) error {
	if err := checkText(f); err != nil {
		return err
	}
	if f.Schedule == 0 {
		f.Schedule = DefaultSchedule
	}
	if _, err := DecodeSettings(f.SourceFormat, f.Settings); err != nil {
		return fmt.Errorf("%w: %v", store.ErrInvalid, err)
	}
	f.URL = strings.TrimSpace(f.URL)
	if !IsLocal(f.URL) {
		if err := checkURL(f.URL); err != nil {
			return fmt.Errorf("%w: %v", store.ErrInvalid, err)
		}
	}
	if f.CAPin != "" {
		pin, err := ParsePin(f.CAPin)
		if err != nil {
			return fmt.Errorf("%w: %v", store.ErrInvalid, err)
		}
		f.CAPin = pin
	}
	if f.AuthHeader != "" && strings.ContainsAny(f.AuthHeader, ": \r\n") {
		return fmt.Errorf("%w: auth_header: %q is not a header name", store.ErrInvalid, f.AuthHeader)
	}
	return nil
}

// ParseSchedule reads a feed schedule: a Go duration such as "90m" or
// "6h", a number of days such as "1d", or a number of seconds.
func ParseSchedule(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return time.Duration(n) * time.Second, nil
	}
	if days, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(days)
		if err != nil {
			return 0, fmt.Errorf("schedule %q: give a duration such as 1h, 6h or 1d", s)
		}
		return time.Duration(n) * 24 * time.Hour, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("schedule %q: give a duration such as 1h, 6h or 1d", s)
	}
	return d, nil
}

// FormatSchedule writes a schedule as ParseSchedule reads it: "1d", "6h",
// "90m".
func FormatSchedule(d time.Duration) string {
	switch {
	case d >= 24*time.Hour && d%(24*time.Hour) == 0:
		return fmt.Sprintf("%dd", d/(24*time.Hour))
	case d%time.Hour == 0:
		return fmt.Sprintf("%dh", d/time.Hour)
	case d%time.Minute == 0:
		return fmt.Sprintf("%dm", d/time.Minute)
	}
	return d.String()
}
