-- clipvec schema v2: what was fetched from the TwelveLabs API, and the
-- query cache.

-- One row per upstream object fetched (an embed task, v1 or v2, or an
-- indexed asset), written in the same transaction as the object's
-- segments: a fetch is recorded exactly when its segments committed, so
-- a resumed "fetch index" can skip what is here and never skip what is
-- not. options and scopes are what was asked for, sorted and joined by
-- commas; '' means everything the object has.
CREATE TABLE fetches (
	kind       TEXT    NOT NULL, -- embed-task-v1, embed-task-v2, indexed-asset
	id         TEXT    NOT NULL, -- task or indexed-asset id
	index_id   TEXT    NOT NULL DEFAULT '', -- the index of an indexed asset
	video_id   TEXT    NOT NULL, -- the video its segments were filed under
	options    TEXT    NOT NULL DEFAULT '',
	scopes     TEXT    NOT NULL DEFAULT '',
	segments   INTEGER NOT NULL, -- segments stored (after the scope filter)
	gen        INTEGER NOT NULL, -- generation of the transaction that stored them
	fetched_at TEXT    NOT NULL, -- RFC 3339, UTC
	PRIMARY KEY (kind, index_id, id)
) WITHOUT ROWID;
CREATE INDEX fetches_video ON fetches (video_id);

-- Deleting a video forgets that it was fetched, so fetching its index
-- again brings it back.
CREATE TRIGGER videos_deleted_fetches AFTER DELETE ON videos BEGIN
	DELETE FROM fetches WHERE video_id = old.video_id;
END;

-- Query embeddings made upstream (text, images), so a query asked again
-- costs no request and works offline. input is the text, the image URL,
-- or "sha256:<hex>" of a local image's bytes; label is what the user
-- typed (the file name of a local image). Writes here do not bump the
-- generation: nothing derived from the store depends on them.
CREATE TABLE queries (
	id         INTEGER PRIMARY KEY,
	model      TEXT    NOT NULL,
	dim        INTEGER NOT NULL CHECK (dim > 0),
	kind       TEXT    NOT NULL CHECK (kind IN ('text', 'image')),
	input      TEXT    NOT NULL,
	label      TEXT    NOT NULL DEFAULT '',
	vector     BLOB    NOT NULL, -- little-endian float32 values, as returned
	created_at TEXT    NOT NULL, -- RFC 3339, UTC
	UNIQUE (model, dim, kind, input)
);
