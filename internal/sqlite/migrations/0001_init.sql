-- clipvec schema v1.
--
-- meta holds the generation counter: bumped in the same transaction as
-- every write, so derived state (in-memory scans, graph snapshots) can
-- tell whether it is current.
CREATE TABLE meta (
	key   TEXT PRIMARY KEY,
	value INTEGER NOT NULL
) WITHOUT ROWID;
INSERT INTO meta (key, value) VALUES ('generation', 0);

-- An embedding space: vectors of one model and one dimension. Vectors of
-- different spaces are never compared.
CREATE TABLE spaces (
	id    INTEGER PRIMARY KEY,
	model TEXT    NOT NULL,
	dim   INTEGER NOT NULL CHECK (dim > 0),
	UNIQUE (model, dim)
);

CREATE TABLE videos (
	id            INTEGER PRIMARY KEY,
	video_id      TEXT NOT NULL UNIQUE, -- upstream video / indexed-asset / task id
	filename      TEXT,
	duration      REAL,
	fps           REAL,
	width         INTEGER,
	height        INTEGER,
	user_metadata TEXT CHECK (user_metadata IS NULL OR json_valid(user_metadata)),
	gen           INTEGER NOT NULL      -- generation of the last write
);

-- A segment's identity is (video, space, option, scope, start, end):
-- importing it again replaces its vector and provenance in place.
-- AUTOINCREMENT: a deleted segment's id is never given to a new one, so
-- an index that tombstoned it cannot confuse the two.
CREATE TABLE segments (
	id          INTEGER PRIMARY KEY AUTOINCREMENT,
	video       INTEGER NOT NULL REFERENCES videos (id) ON DELETE CASCADE,
	space       INTEGER NOT NULL REFERENCES spaces (id),
	option      TEXT    NOT NULL, -- visual, audio, transcription, visual-text, ... ('' when unnamed)
	scope       TEXT    NOT NULL, -- clip, video, asset
	start_sec   REAL    NOT NULL,
	end_sec     REAL    NOT NULL,
	source_kind TEXT    NOT NULL, -- embed-task-v1, embed-task-v2, indexed-asset, video, file
	source_id   TEXT    NOT NULL,
	norm        REAL    NOT NULL, -- the vector's length before normalisation
	vector      BLOB    NOT NULL, -- unit-length little-endian float32 values
	gen         INTEGER NOT NULL, -- generation of the last write
	UNIQUE (video, space, option, scope, start_sec, end_sec)
);
CREATE INDEX segments_space ON segments (space, gen);

-- Segments deleted, with the generation that deleted them, so an index
-- built at an older generation can catch up by tombstoning them.
CREATE TABLE deleted_segments (
	id    INTEGER NOT NULL,
	space INTEGER NOT NULL,
	gen   INTEGER NOT NULL
);
CREATE INDEX deleted_segments_gen ON deleted_segments (space, gen);

CREATE TRIGGER segments_deleted AFTER DELETE ON segments BEGIN
	INSERT INTO deleted_segments (id, space, gen)
	VALUES (old.id, old.space, (SELECT value FROM meta WHERE key = 'generation'));
END;
