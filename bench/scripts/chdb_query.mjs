// Peer side of bench/query_bench.cpp: runs one query with chDB, timing it in
// this process.
//   node bench/scripts/chdb_query.mjs 'SELECT ...'
// Prints one JSON object: {seconds, result (CSV), maxrss_kb}.
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(path.join(here, '../../tools/oracle/package.json'));
const chdb = require('chdb');
const query = chdb.query ?? chdb.default.query;
const [sql] = process.argv.slice(2);
const t0 = process.hrtime.bigint();
const result = query(sql, 'CSV');
const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
console.log(JSON.stringify({ seconds, result, maxrss_kb: process.resourceUsage().maxRSS }));
