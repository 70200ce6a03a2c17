// Package fetch pulls feeds into the store: it downloads a feed's source
// (HTTP or HTTPS with TLS verification, a CA pin or an audited insecure
// switch, or a local file), streams the body into the parser of package
// feed, writes the indicators in batches, and records a report of every
// pull with the feed's health. It also runs the schedule of the server.
//
// A pull is whole or nothing. A list feed (csv, freetext, json) stages its
// indicators in the store as the body streams in and applies them to the
// feed's event in one transaction at the end; a MISP-format feed downloads
// the new and changed events to a temporary directory first and saves them
// in one transaction. A pull that fails leaves the data as it was and is
// recorded as a failure.
//
// Downloads have an inactivity timeout rather than a total one: a slow
// server that keeps sending is waited for, a silent one is given up.
package fetch
