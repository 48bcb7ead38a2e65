-- clipvec schema v3: the store's identity and history, so a graph
-- snapshot can prove which database, and which state of it, it was built
-- from.

-- A random id drawn when the file is created (or first migrated to v3).
-- A copy of the file keeps it; another database has another.
INSERT INTO meta (key, value) VALUES ('store_id', random());

-- One random token per generation, drawn by the transaction that reached
-- it. Two stores that share an id and a generation number but not a
-- history (a file restored from an older copy, then written to) hold
-- different tokens for it, so a snapshot stamped with (generation, token)
-- is caught up only from the history it was built on.
CREATE TABLE generations (
	gen   INTEGER PRIMARY KEY,
	token INTEGER NOT NULL
);
INSERT INTO generations (gen, token) SELECT value, random() FROM meta WHERE key = 'generation';
