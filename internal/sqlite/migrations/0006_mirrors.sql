-- clipvec schema v6: how far each mirror of the store has got.
--
-- A mirror is a copy of the store's segments in another engine (a
-- Weaviate cluster's collection per space, say), kept up to date by
-- replaying the segments written and the deletion log after the
-- generation it reached. target names the copy ("weaviate
-- http://127.0.0.1:8080 Clipvec"); gen is the generation up to which
-- every change of the space is in it; after_id, when not 0, says that so
-- are the segments written at generation gen + 1 with ids up to it (a
-- sync stopped inside one big generation, which it sends in id order);
-- updated_at is when that was recorded (RFC 3339, UTC).
--
-- Writing here is no write of the store's data: nothing derived depends
-- on it, so it leaves the generation alone. Creating the table writes no
-- row either.
CREATE TABLE mirrors (
	target     TEXT    NOT NULL,
	space      INTEGER NOT NULL REFERENCES spaces (id),
	gen        INTEGER NOT NULL,
	after_id   INTEGER NOT NULL DEFAULT 0,
	updated_at TEXT    NOT NULL,
	PRIMARY KEY (target, space)
) WITHOUT ROWID;
