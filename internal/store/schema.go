package store

// migrations are applied in order, each in its own transaction, and never
// edited once released: a change to the schema is a new entry at the end.
// The text is portable SQL with the placeholders described on dialect.ddl.
var migrations = []string{
	// 1: the MISP core model.
	`
CREATE TABLE settings (
	name  TEXT PRIMARY KEY,
	value TEXT NOT NULL
);
CREATE TABLE organisations (
	id            {{pk}},
	uuid          TEXT NOT NULL UNIQUE,
	name          TEXT NOT NULL,
	local         INTEGER NOT NULL DEFAULT 1,
	description   TEXT NOT NULL DEFAULT '',
	type          TEXT NOT NULL DEFAULT '',
	nationality   TEXT NOT NULL DEFAULT '',
	sector        TEXT NOT NULL DEFAULT '',
	contacts      TEXT NOT NULL DEFAULT '',
	landingpage   TEXT NOT NULL DEFAULT '',
	restricted_to_domain TEXT NOT NULL DEFAULT '[]',
	created_by    INTEGER NOT NULL DEFAULT 0,
	date_created  INTEGER NOT NULL,
	date_modified INTEGER NOT NULL
);
CREATE UNIQUE INDEX organisations_name ON organisations (lower(name));
CREATE TABLE roles (
	id          {{pk}},
	name        TEXT NOT NULL UNIQUE,
	perms       TEXT NOT NULL,
	default_role INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE users (
	id            {{pk}},
	email         TEXT NOT NULL,
	org_id        INTEGER NOT NULL REFERENCES organisations (id),
	role_id       INTEGER NOT NULL REFERENCES roles (id),
	password_hash TEXT NOT NULL DEFAULT '',
	disabled      INTEGER NOT NULL DEFAULT 0,
	change_pw     INTEGER NOT NULL DEFAULT 0,
	autoalert     INTEGER NOT NULL DEFAULT 0,
	contactalert  INTEGER NOT NULL DEFAULT 0,
	termsaccepted INTEGER NOT NULL DEFAULT 0,
	nids_sid      INTEGER NOT NULL DEFAULT 0,
	gpgkey        TEXT NOT NULL DEFAULT '',
	totp_secret   TEXT NOT NULL DEFAULT '',
	created       INTEGER NOT NULL,
	date_modified INTEGER NOT NULL,
	last_login    INTEGER NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX users_email ON users (lower(email));
CREATE TABLE auth_keys (
	id            {{pk}},
	uuid          TEXT NOT NULL UNIQUE,
	user_id       INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	key_hash      TEXT NOT NULL UNIQUE,
	authkey_start TEXT NOT NULL,
	authkey_end   TEXT NOT NULL,
	created       INTEGER NOT NULL,
	expiration    INTEGER NOT NULL DEFAULT 0,
	read_only     INTEGER NOT NULL DEFAULT 0,
	comment       TEXT NOT NULL DEFAULT '',
	allowed_ips   TEXT NOT NULL DEFAULT '[]',
	last_used     INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE sharing_groups (
	id            {{pk}},
	uuid          TEXT NOT NULL UNIQUE,
	name          TEXT NOT NULL,
	description   TEXT NOT NULL DEFAULT '',
	releasability TEXT NOT NULL DEFAULT '',
	org_id        INTEGER NOT NULL REFERENCES organisations (id),
	active        INTEGER NOT NULL DEFAULT 1,
	roaming       INTEGER NOT NULL DEFAULT 0,
	local         INTEGER NOT NULL DEFAULT 1,
	created       INTEGER NOT NULL,
	modified      INTEGER NOT NULL
);
CREATE TABLE sharing_group_orgs (
	sharing_group_id INTEGER NOT NULL REFERENCES sharing_groups (id) ON DELETE CASCADE,
	org_id           INTEGER NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
	extend           INTEGER NOT NULL DEFAULT 0,
	PRIMARY KEY (sharing_group_id, org_id)
);
CREATE TABLE sharing_group_servers (
	sharing_group_id INTEGER NOT NULL REFERENCES sharing_groups (id) ON DELETE CASCADE,
	server_id        INTEGER NOT NULL,
	all_orgs         INTEGER NOT NULL DEFAULT 0,
	PRIMARY KEY (sharing_group_id, server_id)
);
CREATE TABLE events (
	id                  {{pk}},
	uuid                TEXT NOT NULL UNIQUE,
	org_id              INTEGER NOT NULL REFERENCES organisations (id),
	orgc_id             INTEGER NOT NULL REFERENCES organisations (id),
	user_id             INTEGER NOT NULL DEFAULT 0,
	info                TEXT NOT NULL,
	date                TEXT NOT NULL,
	threat_level_id     INTEGER NOT NULL DEFAULT 4,
	analysis            INTEGER NOT NULL DEFAULT 0,
	distribution        INTEGER NOT NULL DEFAULT 1,
	sharing_group_id    INTEGER NOT NULL DEFAULT 0,
	published           INTEGER NOT NULL DEFAULT 0,
	timestamp           INTEGER NOT NULL,
	publish_timestamp   INTEGER NOT NULL DEFAULT 0,
	sighting_timestamp  INTEGER NOT NULL DEFAULT 0,
	attribute_count     INTEGER NOT NULL DEFAULT 0,
	locked              INTEGER NOT NULL DEFAULT 0,
	disable_correlation INTEGER NOT NULL DEFAULT 0,
	extends_uuid        TEXT NOT NULL DEFAULT ''
);
CREATE INDEX events_timestamp ON events (timestamp, uuid);
CREATE INDEX events_orgc ON events (orgc_id);
CREATE INDEX events_publish_timestamp ON events (publish_timestamp);
CREATE TABLE objects (
	id               {{pk}},
	uuid             TEXT NOT NULL UNIQUE,
	event_id         INTEGER NOT NULL REFERENCES events (id) ON DELETE CASCADE,
	name             TEXT NOT NULL,
	meta_category    TEXT NOT NULL DEFAULT '',
	description      TEXT NOT NULL DEFAULT '',
	template_uuid    TEXT NOT NULL DEFAULT '',
	template_version INTEGER NOT NULL DEFAULT 0,
	timestamp        INTEGER NOT NULL,
	distribution     INTEGER NOT NULL DEFAULT 5,
	sharing_group_id INTEGER NOT NULL DEFAULT 0,
	comment          TEXT NOT NULL DEFAULT '',
	deleted          INTEGER NOT NULL DEFAULT 0,
	first_seen       INTEGER,
	last_seen        INTEGER
);
CREATE INDEX objects_event ON objects (event_id);
CREATE TABLE attributes (
	id                  {{pk}},
	uuid                TEXT NOT NULL UNIQUE,
	event_id            INTEGER NOT NULL REFERENCES events (id) ON DELETE CASCADE,
	object_id           INTEGER NOT NULL DEFAULT 0,
	object_relation     TEXT,
	type                TEXT NOT NULL,
	category            TEXT NOT NULL,
	value1              TEXT NOT NULL {{nocase}},
	value2              TEXT NOT NULL {{nocase}} DEFAULT '',
	ip                  {{blob}},
	to_ids              INTEGER NOT NULL DEFAULT 0,
	distribution        INTEGER NOT NULL DEFAULT 5,
	sharing_group_id    INTEGER NOT NULL DEFAULT 0,
	comment             TEXT NOT NULL DEFAULT '',
	timestamp           INTEGER NOT NULL,
	deleted             INTEGER NOT NULL DEFAULT 0,
	disable_correlation INTEGER NOT NULL DEFAULT 0,
	first_seen          INTEGER,
	last_seen           INTEGER,
	data                TEXT
);
CREATE INDEX attributes_event ON attributes (event_id);
CREATE INDEX attributes_value1 ON attributes {{hash}} (value1);
CREATE INDEX attributes_value2 ON attributes {{hash}} (value2) WHERE value2 <> '';
CREATE INDEX attributes_ip ON attributes (ip) WHERE ip IS NOT NULL;
CREATE INDEX attributes_timestamp ON attributes (timestamp);
CREATE INDEX attributes_type ON attributes (type);
CREATE TABLE object_references (
	id                {{pk}},
	uuid              TEXT NOT NULL UNIQUE,
	event_id          INTEGER NOT NULL REFERENCES events (id) ON DELETE CASCADE,
	object_id         INTEGER NOT NULL REFERENCES objects (id) ON DELETE CASCADE,
	source_uuid       TEXT NOT NULL,
	referenced_uuid   TEXT NOT NULL,
	referenced_id     INTEGER NOT NULL DEFAULT 0,
	referenced_type   INTEGER NOT NULL DEFAULT 0,
	relationship_type TEXT NOT NULL DEFAULT '',
	comment           TEXT NOT NULL DEFAULT '',
	timestamp         INTEGER NOT NULL,
	deleted           INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX object_references_event ON object_references (event_id);
CREATE TABLE tags (
	id               {{pk}},
	name             TEXT NOT NULL,
	colour           TEXT NOT NULL DEFAULT '',
	exportable       INTEGER NOT NULL DEFAULT 1,
	org_id           INTEGER NOT NULL DEFAULT 0,
	user_id          INTEGER NOT NULL DEFAULT 0,
	hide_tag         INTEGER NOT NULL DEFAULT 0,
	numerical_value  INTEGER,
	is_galaxy        INTEGER NOT NULL DEFAULT 0,
	is_custom_galaxy INTEGER NOT NULL DEFAULT 0,
	local_only       INTEGER NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX tags_name ON tags (lower(name));
CREATE TABLE event_tags (
	id                {{pk}},
	event_id          INTEGER NOT NULL REFERENCES events (id) ON DELETE CASCADE,
	tag_id            INTEGER NOT NULL REFERENCES tags (id) ON DELETE CASCADE,
	local             INTEGER NOT NULL DEFAULT 0,
	relationship_type TEXT NOT NULL DEFAULT '',
	UNIQUE (event_id, tag_id)
);
CREATE INDEX event_tags_tag ON event_tags (tag_id);
CREATE TABLE attribute_tags (
	id                {{pk}},
	attribute_id      INTEGER NOT NULL REFERENCES attributes (id) ON DELETE CASCADE,
	event_id          INTEGER NOT NULL REFERENCES events (id) ON DELETE CASCADE,
	tag_id            INTEGER NOT NULL REFERENCES tags (id) ON DELETE CASCADE,
	local             INTEGER NOT NULL DEFAULT 0,
	relationship_type TEXT NOT NULL DEFAULT '',
	UNIQUE (attribute_id, tag_id)
);
CREATE INDEX attribute_tags_tag ON attribute_tags (tag_id);
CREATE INDEX attribute_tags_event ON attribute_tags (event_id);
CREATE TABLE sightings (
	id            {{pk}},
	uuid          TEXT NOT NULL UNIQUE,
	attribute_id  INTEGER NOT NULL REFERENCES attributes (id) ON DELETE CASCADE,
	event_id      INTEGER NOT NULL REFERENCES events (id) ON DELETE CASCADE,
	org_id        INTEGER NOT NULL DEFAULT 0,
	date_sighting INTEGER NOT NULL,
	source        TEXT NOT NULL DEFAULT '',
	type          INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX sightings_attribute ON sightings (attribute_id);
CREATE INDEX sightings_event ON sightings (event_id);
CREATE TABLE event_reports (
	id               {{pk}},
	uuid             TEXT NOT NULL UNIQUE,
	event_id         INTEGER NOT NULL REFERENCES events (id) ON DELETE CASCADE,
	name             TEXT NOT NULL,
	content          TEXT NOT NULL DEFAULT '',
	distribution     INTEGER NOT NULL DEFAULT 5,
	sharing_group_id INTEGER NOT NULL DEFAULT 0,
	timestamp        INTEGER NOT NULL,
	deleted          INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX event_reports_event ON event_reports (event_id);
CREATE TABLE event_blocklist (
	uuid       TEXT PRIMARY KEY,
	created    INTEGER NOT NULL,
	event_info TEXT NOT NULL DEFAULT '',
	comment    TEXT NOT NULL DEFAULT ''
);
CREATE TABLE audit_logs (
	id          {{pk}},
	created     INTEGER NOT NULL,
	user_id     INTEGER NOT NULL DEFAULT 0,
	org_id      INTEGER NOT NULL DEFAULT 0,
	authkey_id  INTEGER NOT NULL DEFAULT 0,
	ip          TEXT NOT NULL DEFAULT '',
	request_type INTEGER NOT NULL DEFAULT 0,
	action      TEXT NOT NULL,
	model       TEXT NOT NULL,
	model_id    INTEGER NOT NULL DEFAULT 0,
	model_title TEXT NOT NULL DEFAULT '',
	event_id    INTEGER NOT NULL DEFAULT 0,
	change      TEXT NOT NULL DEFAULT ''
);
CREATE INDEX audit_logs_created ON audit_logs (created);
`,
	// 2: feeds, their pull history, and the staging table of list pulls.
	`
CREATE TABLE feeds (
	id                 {{pk}},
	name               TEXT NOT NULL,
	provider           TEXT NOT NULL DEFAULT '',
	url                TEXT NOT NULL,
	source_format      TEXT NOT NULL DEFAULT 'freetext',
	settings           TEXT NOT NULL DEFAULT '{}',
	schedule           INTEGER NOT NULL DEFAULT 86400,
	enabled            INTEGER NOT NULL DEFAULT 0,
	is_default         INTEGER NOT NULL DEFAULT 0,
	orgc_id            INTEGER NOT NULL DEFAULT 0,
	distribution       INTEGER NOT NULL DEFAULT 0,
	sharing_group_id   INTEGER NOT NULL DEFAULT 0,
	tags               TEXT NOT NULL DEFAULT '[]',
	fixed_event        INTEGER NOT NULL DEFAULT 1,
	event_id           INTEGER NOT NULL DEFAULT 0,
	delta_merge        INTEGER NOT NULL DEFAULT 0,
	publish            INTEGER NOT NULL DEFAULT 0,
	override_ids       INTEGER NOT NULL DEFAULT 0,
	auth_header        TEXT NOT NULL DEFAULT '',
	auth_secret        TEXT NOT NULL DEFAULT '',
	user_agent         TEXT NOT NULL DEFAULT '',
	ca_pin             TEXT NOT NULL DEFAULT '',
	insecure           INTEGER NOT NULL DEFAULT 0,
	created            INTEGER NOT NULL,
	modified           INTEGER NOT NULL,
	pulling_since      INTEGER NOT NULL DEFAULT 0,
	last_fetch_started INTEGER NOT NULL DEFAULT 0,
	last_success       INTEGER NOT NULL DEFAULT 0,
	last_error         TEXT NOT NULL DEFAULT '',
	error_streak       INTEGER NOT NULL DEFAULT 0,
	last_report        TEXT NOT NULL DEFAULT ''
);
CREATE UNIQUE INDEX feeds_name ON feeds (lower(name));
CREATE TABLE feed_pulls (
	id       {{pk}},
	feed_id  INTEGER NOT NULL REFERENCES feeds (id) ON DELETE CASCADE,
	started  INTEGER NOT NULL,
	finished INTEGER NOT NULL,
	success  INTEGER NOT NULL,
	error    TEXT NOT NULL DEFAULT '',
	report   TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX feed_pulls_feed ON feed_pulls (feed_id, id);
CREATE TABLE feed_staging (
	feed_id             INTEGER NOT NULL,
	type                TEXT NOT NULL,
	value1              TEXT NOT NULL {{nocase}},
	value2              TEXT NOT NULL {{nocase}} DEFAULT '',
	uuid                TEXT NOT NULL,
	category            TEXT NOT NULL,
	ip                  {{blob}},
	to_ids              INTEGER NOT NULL DEFAULT 0,
	disable_correlation INTEGER NOT NULL DEFAULT 0,
	comment             TEXT NOT NULL DEFAULT '',
	first_seen          INTEGER,
	last_seen           INTEGER,
	tags                TEXT NOT NULL DEFAULT '',
	line                INTEGER NOT NULL DEFAULT 0,
	value_key           TEXT NOT NULL,
	PRIMARY KEY (feed_id, value_key)
);
`,
	// 3: the correlation index. A posting says that one value (value1 or
	// value2 of an attribute, field 1 or 2) occurs in an event; value_hash is
	// the first eight bytes of the SHA-256 of the case-folded value.
	// correlation_values counts the postings of each value held by two
	// attributes or more and marks those over the cap; correlation_queue
	// lists the events whose postings must be recomputed, seq growing each
	// time one is queued again.
	`
CREATE TABLE correlations (
	value_hash   INTEGER NOT NULL,
	event_id     INTEGER NOT NULL,
	attribute_id INTEGER NOT NULL,
	field        INTEGER NOT NULL
);
CREATE INDEX correlations_value ON correlations (value_hash, event_id);
CREATE INDEX correlations_event ON correlations (event_id, value_hash);
CREATE TABLE correlation_values (
	value_hash INTEGER NOT NULL PRIMARY KEY,
	postings   INTEGER NOT NULL,
	over       INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX correlation_values_postings ON correlation_values (postings);
CREATE TABLE correlation_queue (
	event_id INTEGER NOT NULL PRIMARY KEY,
	seq      INTEGER NOT NULL DEFAULT 0,
	queued   INTEGER NOT NULL
);
`,
	// 4: several nodes on one database. nodes lists the serving processes
	// and when each was last seen; jobs holds one row per background job
	// (per node for the jobs every node runs, scope naming the node) with
	// the lease of the run in progress; pulling_node names the node whose
	// pull holds a feed. Times in nodes and jobs are Unix milliseconds, since
	// leases may be seconds long.
	`
CREATE TABLE nodes (
	id           TEXT PRIMARY KEY,
	hostname     TEXT NOT NULL DEFAULT '',
	pid          INTEGER NOT NULL DEFAULT 0,
	listen       TEXT NOT NULL DEFAULT '',
	version      TEXT NOT NULL DEFAULT '',
	heartbeat_ms INTEGER NOT NULL,
	started      INTEGER NOT NULL,
	last_seen    INTEGER NOT NULL,
	stopped      INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE jobs (
	name         TEXT PRIMARY KEY,
	scope        TEXT NOT NULL DEFAULT '',
	node         TEXT NOT NULL DEFAULT '',
	lease_until  INTEGER NOT NULL DEFAULT 0,
	next_run     INTEGER NOT NULL DEFAULT 0,
	started      INTEGER NOT NULL DEFAULT 0,
	finished     INTEGER NOT NULL DEFAULT 0,
	runs         INTEGER NOT NULL DEFAULT 0,
	error_streak INTEGER NOT NULL DEFAULT 0,
	last_result  TEXT NOT NULL DEFAULT '',
	last_status  TEXT NOT NULL DEFAULT '',
	last_error   TEXT NOT NULL DEFAULT ''
);
ALTER TABLE feeds ADD COLUMN pulling_node TEXT NOT NULL DEFAULT '';
`,
	// 5: the address ranges among attributes, for CIDR correlation: an
	// ip-src or ip-dst without a single-address key holds a CIDR block.
	`
CREATE INDEX attributes_cidr ON attributes (event_id) WHERE ip IS NULL AND type IN ('ip-src', 'ip-dst');
`,
	// 6: value look-ups that ignore ASCII case through indexes of bytes
	// (PostgreSQL only; see values.go).
	`
{{valuekeys}}
`,
	// 7: the write transactions in progress that stamp events and
	// attributes with the time (see leases.go).
	`
CREATE TABLE write_leases (
	id      {{pk}},
	started INTEGER NOT NULL
);
`,
	// 8: every poll reads the oldest lease; on PostgreSQL each write leaves
	// a dead row behind until vacuumed, which the index lets a poll skip.
	`
CREATE INDEX write_leases_started ON write_leases (started);
`,
	// 9: the version of the file an event without a timestamp was imported
	// from (its modification time in nanoseconds; 0 for every other event),
	// so that importing the same file again changes nothing.
	`
ALTER TABLE events ADD COLUMN source_version INTEGER NOT NULL DEFAULT 0;
`,
}
