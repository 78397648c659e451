// Runs SQL on an independent engine and prints the results as JSON.
//   node tools/oracle/query.mjs duckdb|chdb SQL [SQL...]
// Prints one JSON array per statement (rows as objects), wrapped in an array.
// DuckDB values come from getRowObjectsJson (BIGINT/DECIMAL/TIMESTAMP as strings);
// chDB rows are JSONEachRow with 64-bit integers and decimals quoted (settings
// appended to the statement's own SETTINGS clause if it has one).
const [engine, ...statements] = process.argv.slice(2);
if (!engine || statements.length === 0) {
  console.error('usage: query.mjs duckdb|chdb SQL [SQL...]');
  process.exit(2);
}

async function runDuckdb() {
  const { DuckDBInstance } = await import('@duckdb/node-api');
  const instance = await DuckDBInstance.create(':memory:');
  const conn = await instance.connect();
  const out = [];
  for (const sql of statements) {
    const reader = await conn.runAndReadAll(sql);
    out.push(reader.getRowObjectsJson());
  }
  return out;
}

async function runChdb() {
  // chDB only reads files under its user_files_path, which is the working
  // directory: from / every absolute path qualifies.
  process.chdir('/');
  const chdb = await import('chdb');
  const query = chdb.query ?? chdb.default.query;
  const out = [];
  for (const sql of statements) {
    const settings = 'output_format_json_quote_64bit_integers=1, output_format_json_quote_decimals=1';
    // Only statements that return rows take output settings (SET, CREATE ... SETTINGS do not).
    const reads = /^\s*(SELECT|WITH|SHOW|DESCRIBE|DESC|EXPLAIN)\b/i.test(sql);
    const full = !reads ? sql : /\bSETTINGS\b/i.test(sql) ? `${sql}, ${settings}` : `${sql} SETTINGS ${settings}`;
    const text = query(full, 'JSONEachRow');
    const rows = text.split('\n').filter((l) => l.length > 0).map((l) => JSON.parse(l));
    out.push(rows);
  }
  return out;
}

try {
  const out = engine === 'duckdb' ? await runDuckdb() : engine === 'chdb' ? await runChdb() : null;
  if (out === null) {
    console.error(`unknown engine ${engine}`);
    process.exit(2);
  }
  // Exit only once stdout has drained: a pipe takes ~64 KB before it blocks.
  // Then let node end on its own: process.exit() while chDB's S3 client is
  // alive (icebergS3/s3 queries) segfaults in its teardown (chDB 3.4); the
  // unref'd timer only fires if something would keep node alive.
  process.stdout.write(JSON.stringify(out), () => {
    process.exitCode = 0;
    setTimeout(() => process.exit(0), 10000).unref();
  });
} catch (e) {
  console.error(String(e && e.message ? e.message : e));
  process.exit(1);
}
