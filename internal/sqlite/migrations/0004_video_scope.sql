-- clipvec schema v4: one name for a whole-video vector.
--
-- Embed API v1 and indexed assets call the scope of a whole-video vector
-- "video", embed API v2 calls it "asset". Import now stores both as
-- "video" (a segment's source kind, embed-task-v2, still says which API
-- it came from); this renames the "asset" rows stored before.
--
-- The search graphs keep each segment's scope in their snapshots, so the
-- rename is a write like any other: one new generation, with its token,
-- that the renamed rows (and their videos) record as their last write.
-- A snapshot stamped with the old generation stays in the store's
-- history (its token is kept) and catches up by replacing those
-- segments. A file with no "asset" rows is left exactly as it was, its
-- generation included.

UPDATE meta SET value = value + 1
WHERE key = 'generation' AND EXISTS (SELECT 1 FROM segments WHERE scope = 'asset');

-- OR REPLACE, as every generation bump: a generation number can come
-- back after a file was restored from an older copy.
INSERT OR REPLACE INTO generations (gen, token)
SELECT value, random() FROM meta
WHERE key = 'generation' AND EXISTS (SELECT 1 FROM segments WHERE scope = 'asset');

-- A segment stored under both names (same video, space, option and
-- times) would make the rename break the segments' UNIQUE key: keep the
-- one written last, the "video" one when one transaction wrote both, and
-- delete the other (the deletion log records it at the new generation,
-- so a graph tombstones it).
DELETE FROM segments WHERE id IN (
	SELECT CASE WHEN v.gen >= a.gen THEN a.id ELSE v.id END
	FROM segments a JOIN segments v
		ON v.video = a.video AND v.space = a.space AND v.option = a.option AND v.scope = 'video'
		AND v.start_sec = a.start_sec AND v.end_sec = a.end_sec
	WHERE a.scope = 'asset'
);

UPDATE videos SET gen = (SELECT value FROM meta WHERE key = 'generation')
WHERE id IN (SELECT video FROM segments WHERE scope = 'asset');

UPDATE segments SET scope = 'video', gen = (SELECT value FROM meta WHERE key = 'generation')
WHERE scope = 'asset';
