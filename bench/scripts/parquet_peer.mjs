// Peer side of bench/parquet_bench.cpp: writes the same trades with DuckDB and
// chDB, and reads files back, timing each step in this process.
//   node bench/scripts/parquet_peer.mjs duckdb-write SRC.parquet DST.parquet [THREADS]
//   node bench/scripts/parquet_peer.mjs chdb-write   SRC.parquet DST.parquet
//   node bench/scripts/parquet_peer.mjs duckdb-read  FILE.parquet
//   node bench/scripts/parquet_peer.mjs chdb-read    FILE.parquet
// Prints one JSON object: {seconds, maxrss_kb, rows?, notional?}.
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(path.join(here, '../../tools/oracle/package.json'));
const [mode, src, dst, threadsArg] = process.argv.slice(2);
const threads = Number(threadsArg ?? 1);
const now = () => Number(process.hrtime.bigint()) / 1e9;
const out = {};

async function duckdb() {
  const { DuckDBInstance } = await import(require.resolve('@duckdb/node-api'));
  const instance = await DuckDBInstance.create(':memory:');
  const conn = await instance.connect();
  await conn.run(`SET threads=${threads}`);
  return conn;
}

function chdbQuery() {
  const chdb = require('chdb');
  return chdb.query ?? chdb.default.query;
}

if (mode === 'duckdb-write') {
  const conn = await duckdb();
  await conn.run(`CREATE TABLE t AS SELECT * FROM read_parquet('${src}')`);
  const t0 = now();
  await conn.run(`COPY t TO '${dst}' (FORMAT parquet, COMPRESSION zstd)`);
  out.seconds = now() - t0;
} else if (mode === 'chdb-write') {
  const query = chdbQuery();
  // chDB reads the source and writes in one statement; the read alone is timed
  // separately so the write time can be isolated.
  let t0 = now();
  query(`SELECT * FROM file('${src}', Parquet) FORMAT Null`, 'CSV');
  out.read_seconds = now() - t0;
  t0 = now();
  query(`INSERT INTO FUNCTION file('${dst}', 'Parquet') SELECT * FROM file('${src}', Parquet) ` +
        `SETTINGS output_format_parquet_compression_method='zstd', engine_file_truncate_on_insert=1`, 'CSV');
  out.total_seconds = now() - t0;
  out.seconds = out.total_seconds - out.read_seconds;
} else if (mode === 'duckdb-read') {
  const conn = await duckdb();
  const t0 = now();
  const r = await conn.runAndReadAll(
      `SELECT count(*)::VARCHAR AS n, sum(price::DECIMAL(38, 8) * quantity::DECIMAL(38, 8))::VARCHAR AS notional FROM read_parquet('${src}')`);
  out.seconds = now() - t0;
  const row = r.getRowObjectsJson()[0];
  out.rows = row.n;
  out.notional = row.notional;
} else if (mode === 'chdb-read') {
  const query = chdbQuery();
  const t0 = now();
  const text = query(`SELECT toString(count()) AS n, toString(sum(toDecimal128(price, 8) * toDecimal128(quantity, 8))) AS notional ` +
                     `FROM file('${src}', Parquet)`, 'JSONEachRow');
  out.seconds = now() - t0;
  const row = JSON.parse(text.trim());
  out.rows = row.n;
  out.notional = row.notional;
} else {
  console.error('unknown mode ' + mode);
  process.exit(2);
}
out.maxrss_kb = process.resourceUsage().maxRSS;
process.stdout.write(JSON.stringify(out) + '\n');
