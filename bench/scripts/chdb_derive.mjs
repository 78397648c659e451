// Peer side of bench/backfill_bench.cpp: runs one aggregation with chDB and
// writes its result into a Parquet file, timing the query in this process.
//   node bench/scripts/chdb_derive.mjs OUT.parquet 'SELECT ...' [DATA_DIR]
// With DATA_DIR, the engine opens that data directory first (a session on
// it), as k2's embedded engine opens its warm tier's.
// Prints one JSON object: {seconds, rows, maxrss_kb}.
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(path.join(here, '../../tools/oracle/package.json'));
const chdb = require('chdb');
const [out, sql, dataDir] = process.argv.slice(2);
const Session = chdb.Session ?? chdb.default?.Session;
const session = dataDir ? new Session(dataDir) : null;
const query = session ? (q, f) => session.query(q, f) : (chdb.query ?? chdb.default.query);
const quoted = out.replaceAll("'", "\\'");
const t0 = process.hrtime.bigint();
query(`INSERT INTO FUNCTION file('${quoted}', 'Parquet') ${sql} ` +
      'SETTINGS engine_file_truncate_on_insert = 1', 'CSV');
const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
const rows = Number(query(`SELECT count() FROM file('${quoted}', 'Parquet')`, 'CSV').trim());
console.log(JSON.stringify({ seconds, rows, maxrss_kb: process.resourceUsage().maxRSS }));
