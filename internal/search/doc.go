// Package search serves MISP's restSearch and events/index requests. The
// parsing half (ParseRestSearch, ParseIndex) turns JSON bodies and CakePHP
// named URL parameters into typed Params and IndexParams: it unfolds MISP's
// list syntax (OR, AND and NOT terms with the "&&", "|" and "!" shorthands) and
// resolves relative time filters against the clock it is given, so the same
// request always parses the same way in tests. It touches no database; the
// query half of the package turns the parsed parameters into store queries.
package search
