package sqlite

// WriterPragma runs PRAGMA pragma on the writer connection: tests make
// writes fail the way a read-only file (query_only) or a full disk
// (max_page_count) makes them fail, whoever runs them, root included.
func WriterPragma(db *DB, pragma string) error {
	_, err := db.w.Exec("PRAGMA " + pragma)
	return err
}
