// Package gen generates MISP events shaped like those of a real instance,
// deterministically from a seed: a skewed spread of event sizes, a few
// creator organisations, a realistic mix of attribute types with valid
// values, objects and tags. It feeds the import benchmark and can write its
// events as a MISP feed directory for 'cairn import'.
package gen

import (
	"errors"
	"fmt"
	"math/rand/v2"

	"github.com/cairn-intel/cairn/internal/misp"
)

// The default dataset is the size of a mid-sized community instance.
const (
	DefaultEvents     = 1842
	DefaultAttributes = 595023
	DefaultOrgs       = 20
)

// Config sizes a dataset.
type Config struct {
	Seed uint64
	// Events and Attributes are totals; Attributes counts object attributes
	// too and must be at least Events.
	Events, Attributes int
	// Orgs is the number of creator organisations.
	Orgs int
}

// DefaultConfig returns the default dataset with seed 1.
func DefaultConfig() Config {
	return Config{Seed: 1, Events: DefaultEvents, Attributes: DefaultAttributes, Orgs: DefaultOrgs}
}

// Scaled returns c with n times the events and attributes.
func (c Config) Scaled(n int) Config {
	c.Events, c.Attributes = c.Events*n, c.Attributes*n
	return c
}

// WithEvents returns c with n events and as many attributes per event on
// average as before.
func (c Config) WithEvents(n int) Config {
	if c.Events > 0 {
		c.Attributes = int(int64(c.Attributes) * int64(n) / int64(c.Events))
	}
	c.Events = max(n, 0)
	c.Attributes = max(c.Attributes, c.Events)
	return c
}

func (c Config) validate() error {
	switch {
	case c.Events < 0:
		return errors.New("the number of events must not be negative")
	case c.Attributes < c.Events:
		return fmt.Errorf("%d attributes cannot fill %d events with at least one each", c.Attributes, c.Events)
	case c.Orgs < 1:
		return errors.New("at least one organisation is needed")
	}
	return nil
}

// Generator produces the events of one Config. Each event is built from its
// own seeded source, so event i is the same however the events are read.
type Generator struct {
	cfg   Config
	sizes []int
	orgs  []wireOrg
	pool  []pooledValue
}

// New prepares a generator; it holds only the size of every event, not the
// events.
func New(cfg Config) (*Generator, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	r := rand.New(rand.NewPCG(cfg.Seed, 0))
	g := &Generator{cfg: cfg, sizes: eventSizes(r, cfg.Events, cfg.Attributes)}
	g.orgs = makeOrgs(r, cfg.Orgs)
	g.pool = makePool(r, sharedPoolSize)
	return g, nil
}

// Config returns the configuration of the generator.
func (g *Generator) Config() Config { return g.cfg }

// Size returns the number of attributes of event i.
func (g *Generator) Size(i int) int { return g.sizes[i] }

// Each calls fn with every event in order, building each one when it is
// needed, and stops at the first error fn returns.
func (g *Generator) Each(fn func(i int, ev *misp.Event) error) error {
	for i := range g.cfg.Events {
		if err := fn(i, g.Event(i)); err != nil {
			return err
		}
	}
	return nil
}

// Event builds event i: the event that reading it from the feed written
// by WriteFeed gives.
func (g *Generator) Event(i int) *misp.Event {
	w := g.wire(i)
	return w.toMISP()
}
