// Package search turns the filters of MISP's restSearch and events/index
// requests into typed parameters. It reads JSON bodies and CakePHP named URL
// parameters alike, unfolds MISP's list syntax (OR, AND and NOT terms with the
// "&&", "|" and "!" shorthands) and resolves relative time filters against the
// clock it is given, so that the same request always parses the same way in
// tests. It builds no SQL: the store turns Params and IndexParams into queries.
package search
