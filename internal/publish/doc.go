// Package publish writes Cairn's own MISP-format feed: manifest.json,
// hashes.csv and one {uuid}.json per event, as a directory (cairn feed
// export) or answer by answer (the /feed routes of the API).
//
// Which events leave. Every read goes through the store's access filter as
// an actor (the exporting user, or the API key's user), and the export rule
// applies on top of it:
//
//   - the event is published (an edit unpublishes it, so an edited event
//     leaves the feed until it is published again);
//   - its distribution is 3, all communities; with Rule.Connected also 2,
//     connected communities, written as 1 (this community only) so that the
//     receiving instance keeps it to itself, as MISP's sync does;
//   - events at 0 (your organisation), 1 (this community) and 4 (a sharing
//     group) never leave.
//
// Inside an exported event, attributes, objects and reports leave at
// distribution 5 (inherit), 3, and with Rule.Connected 2 (written as 1); an
// object that stays behind takes its attributes along, and references to an
// item that stays behind are dropped. Tags leave when they are exportable and
// neither attached locally nor local-only. Sightings, the owner
// organisation, sharing groups and local numeric ids never leave. Soft-deleted
// items the actor may see are written with "deleted": true, so a consumer
// updating its copy learns of the deletion; hashes.csv lists live values only.
package publish
