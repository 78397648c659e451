// Runs SQL statements on chDB one by one in one session, going on after a
// failed one, and prints one JSON object per statement:
// {"ok": true} or {"ok": false, "error": "..."}.
//   node tools/oracle/chdb_each.mjs SQL [SQL...]
// For tests that need each statement's outcome (concurrent inserts through a
// catalog, some of which may be refused).
const statements = process.argv.slice(2);
if (statements.length === 0) {
  console.error('usage: chdb_each.mjs SQL [SQL...]');
  process.exit(2);
}
process.chdir('/');
const chdb = await import('chdb');
const Session = chdb.Session ?? chdb.default.Session;
const session = new Session();
const out = [];
for (const sql of statements) {
  try {
    session.query(sql, 'JSONEachRow');
    out.push({ ok: true });
  } catch (e) {
    out.push({ ok: false, error: String(e && e.message ? e.message : e) });
  }
}
process.stdout.write(JSON.stringify(out), () => {
  session.cleanup?.();
  setTimeout(() => process.exit(0), 10000).unref();
});
