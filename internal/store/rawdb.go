package store

import "database/sql"

// WriteDB returns the handle the store writes through, for bulk copies
// (cairn db copy) that move whole tables without the model's writers. On
// SQLite it is the one write connection, so the caller must not use the
// store's own writers while it holds a transaction there; DB returns the
// read pool and Dialect the dialect's name.
func (s *Store) WriteDB() *sql.DB { return s.wdb }
