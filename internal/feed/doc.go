// Package feed reads the bodies of threat-intelligence feeds into
// indicators, without a database or an HTTP client: CSV files, plain lists
// and free text, JSON exports such as ThreatFox's, and RSS or Atom news.
//
// Every parser streams. It reads an io.Reader a line (or a JSON record, or
// an XML item) at a time and hands each indicator to an emit callback and
// each refused line to a reject callback, so memory stays flat whatever the
// size of the body. A parser stops when its context is cancelled or when
// emit returns an error, and returns Stats counting what it saw.
//
// Values are typed with the attribute rules of package misp: a value is
// either normalised by misp.NormalizeValue or refused with the reason that
// function gives. Free text is typed by the classification table in
// classify.go, documented in docs/feeds-freetext.md.
//
// Presets holds the settings of the public feeds Cairn ships, all disabled.
package feed
