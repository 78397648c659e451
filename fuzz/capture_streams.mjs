// Captures ClickHouse response bodies (RowBinaryWithNamesAndTypes and Native)
// from chDB as seeds for row_binary_fuzz and native_fuzz:
//   node fuzz/capture_streams.mjs [out_dir]   (default fuzz/seeds)
// Each seed is the fuzz input: [piece-size seed][options] then, for Native,
// the expected columns as a RowBinaryWithNamesAndTypes header, then the body.
// Needs the chdb package of tools/oracle (scripts/install-deps).
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const out = path.resolve(process.argv[2] ?? path.join(here, 'seeds'));
const chdb = await import(path.join(here, '../tools/oracle/node_modules/chdb/index.mjs'));
const query = chdb.query ?? chdb.default.query;

const queries = {
  ints: `SELECT toInt8(number - 3) AS i8, toInt16(number * 1000) AS i16, toInt32(number) - 5 AS i32,
           toInt64(number) * -922337203685 AS i64, toUInt8(number) AS u8, toUInt16(number * 300) AS u16,
           toUInt32(number * 4000000) AS u32, toUInt64(number) * 1844674407370955 AS u64
         FROM numbers(7)`,
  floats_decimals: `SELECT toFloat32(number) / 3 AS f32, toFloat64(number) / 7 - 1 AS f64,
           toDecimal32(number, 2) AS d32, toDecimal64(number * 12345, 8) AS d64,
           toDecimal128(number, 10) AS d128, toBool(number % 2) AS b
         FROM numbers(5)`,
  strings: `SELECT concat('s', toString(number), if(number % 2 = 0, '\\n\\t"', '')) AS s,
           toFixedString(toString(number), 3) AS fs,
           toUUID('61f0c404-5cb3-11e7-907b-a6006ad3dba0') AS u,
           CAST(number % 2 + 1 AS Enum8('buy' = 1, 'sell' = 2)) AS e8,
           CAST(if(number % 2 = 0, -1000, 30000) AS Enum16('neg' = -1000, 'big' = 30000)) AS e16
         FROM numbers(6)`,
  dates: `SELECT toDate('2024-01-01') + number AS d, toDate32('1900-01-01') + number * 1000 AS d32,
           toDateTime('2024-08-08 23:54:15', 'UTC') + number AS dt,
           toDateTime64('2024-08-08 23:54:15.123', 3, 'UTC') + number AS dt64,
           toDateTime64('2024-08-08 23:54:15.123456789', 9, 'UTC') AS dt64ns
         FROM numbers(4)`,
  nullable: `SELECT if(number % 3 = 0, NULL, number) AS nu64,
           if(number % 2 = 1, NULL, toString(number)) AS ns,
           if(number % 3 = 1, NULL, toDecimal64(number, 4)) AS nd64,
           if(number % 2 = 0, NULL, toDateTime('2024-01-01 00:00:00', 'UTC') + number) AS ndt
         FROM numbers(6)`,
  ips: `SELECT toIPv4('10.0.0.1') AS v4, toIPv6('2001:db8::1') AS v6 FROM numbers(2)`,
  empty: `SELECT number AS n, toString(number) AS s FROM numbers(0)`,
  blocks: `SELECT number AS n, toString(number) AS s FROM numbers(40) SETTINGS max_block_size = 16`,
};

function capture(sql, format) {
  const file = path.join(out, '.capture.tmp');
  fs.rmSync(file, { force: true });
  const [body, settings] = sql.split(/\bSETTINGS\b/);
  query(`${body} INTO OUTFILE '${file}' FORMAT ${format}${settings ? ` SETTINGS ${settings}` : ''}`,
        'CSV');
  const bytes = fs.readFileSync(file);
  fs.rmSync(file);
  return bytes;
}

process.chdir('/');
fs.mkdirSync(path.join(out, 'row_binary'), { recursive: true });
fs.mkdirSync(path.join(out, 'native'), { recursive: true });
for (const [name, sql] of Object.entries(queries)) {
  const rb = capture(sql, 'RowBinaryWithNamesAndTypes');
  fs.writeFileSync(path.join(out, 'row_binary', name), Buffer.concat([Buffer.from([7, 0x20]), rb]));
  const header = capture(`SELECT * FROM (${sql.split(/\bSETTINGS\b/)[0]}) LIMIT 0`,
                         'RowBinaryWithNamesAndTypes');
  const native = capture(sql, 'Native');
  fs.writeFileSync(path.join(out, 'native', name),
                   Buffer.concat([Buffer.from([7, 0x20]), header, native]));
}
console.log(`seeds in ${out}/row_binary and ${out}/native`);
