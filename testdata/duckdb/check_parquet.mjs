// check_parquet.mjs reads a clipvec Parquet export with DuckDB and prints
// what a test compares with the database: the row count, the column
// types, per space the rows and vector lengths, the largest distance of
// a vector's length from 1, and the first rows (by segment_id) in full.
//
//   CLIPVEC_DUCKDB_NODE_MODULES=DIR node check_parquet.mjs FILE.parquet [ROWS]
//
// DIR holds node_modules/@duckdb/node-api (npm install @duckdb/node-api
// there). Runs offline.
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const [file, rowsArg] = process.argv.slice(2);
const dir = process.env.CLIPVEC_DUCKDB_NODE_MODULES;
if (!file || !dir) {
  console.error('usage: CLIPVEC_DUCKDB_NODE_MODULES=DIR node check_parquet.mjs FILE.parquet [ROWS]');
  process.exit(2);
}
const require = createRequire(join(resolve(dir), 'package.json'));
const { DuckDBInstance } = await import(pathToFileURL(require.resolve('@duckdb/node-api')).href);

const db = await DuckDBInstance.create(':memory:');
const con = await db.connect();
const src = `read_parquet('${file.replaceAll("'", "''")}')`;
const all = async (sql) => (await con.runAndReadAll(sql)).getRowObjectsJson();

const [{ n }] = await all(`SELECT count(*)::BIGINT AS n FROM ${src}`);
const columns = (await all(`DESCRIBE SELECT * FROM ${src}`)).map((c) => ({ name: c.column_name, type: c.column_type }));
const spaces = await all(`SELECT model, dim, count(*)::BIGINT AS rows,
    min(len(embedding)) AS min_len, max(len(embedding)) AS max_len,
    max(abs(sqrt(list_dot_product(embedding, embedding)) - 1)) AS max_unit_error
  FROM ${src} GROUP BY ALL ORDER BY ALL`);
const sample = await all(`SELECT segment_id, video_id, model, dim, modality, scope,
    start, "end", norm, source_kind, source_id, filename, duration, width, height, thumbnail_url, embedding
  FROM ${src} ORDER BY segment_id LIMIT ${Number(rowsArg ?? 3)}`);

// DuckDB's BIGINTs come as strings in JSON: these fit in a double.
for (const sp of spaces) for (const k of ['rows', 'min_len', 'max_len']) sp[k] = Number(sp[k]);
for (const row of sample) row.segment_id = Number(row.segment_id);
console.log(JSON.stringify({ rows: Number(n), columns, spaces, sample }));
