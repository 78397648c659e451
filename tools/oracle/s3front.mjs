// A test S3 endpoint: s3rver (an S3 emulator that stores objects in a folder)
// behind a front that adds what s3rver lacks and what tests need:
//   - SigV4 verification of every request: the signature is recomputed with
//     AWS's own signer (@smithy/signature-v4) over the headers the client
//     signed, with the known secret; a mismatch answers 403
//     SignatureDoesNotMatch, an unknown key 403 InvalidAccessKeyId. A body sent
//     with its real SHA-256 in x-amz-content-sha256 is checked against it.
//   - If-None-Match: * on PUT and CompleteMultipartUpload (412 when the key exists).
//   - ListMultipartUploads and AbortMultipartUpload (s3rver answers
//     NotImplemented / MethodNotAllowed): the front keeps the open uploads.
//   - ListObjectsV2 pagination: s3rver's continuation tokens use DES, gone
//     from OpenSSL 3 (every truncated page answered 500); the front serves V2
//     from s3rver's V1 listing with tokens of its own.
//   - Streaming: data parts (UNSIGNED-PAYLOAD) and object GETs pass through
//     without being buffered (other requests are read whole, then checked).
//   - Fault injection (POST /__admin/faults with JSON, or --faults JSON):
//       {"seed": 7, "rate": 0.1, "kinds": ["500","503","slowdown","drop","slow"],
//        "nth": {"12": "503"}, "slow_ms": 3000, "complete_error": 1, "methods": ["PUT"]}
//     rate: probability per request of one of `kinds` (seeded, reproducible);
//     nth: the Nth request (1-based, admin requests not counted) gets that fault;
//     drop: the connection is destroyed after the first body bytes arrive (or
//     at once without a body); slow: the answer waits slow_ms first;
//     complete_error: the next N CompleteMultipartUploads answer 200 with an
//     <Error> body (the upload stays open, as on AWS).
//   - GET /__admin/stats: {requests, faults, signature_failures, open_uploads,
//     methods: {GET: n, HEAD: n, ...}, ranged_gets} (requests counted as they
//     arrive, faulted ones included);
//     POST /__admin/backdate?bucket=B&key=K&seconds=S: moves an object's
//     LastModified (or with upload=1 every upload under key K's prefix) S
//     seconds into the past, for age-guard tests.
//   node s3front.mjs --port P --dir D [--bucket B]... [--access-key AK] [--secret SK] [--region R]
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import crypto from 'node:crypto';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const S3rver = require('s3rver');
const { SignatureV4 } = require('@smithy/signature-v4');
const { Sha256 } = require('@aws-crypto/sha256-js');

const args = { bucket: [], 'access-key': 'k2test', secret: 'k2secret', region: 'us-east-1' };
for (let i = 2; i < process.argv.length; i += 2) {
  const k = process.argv[i].replace(/^--/, '');
  const v = process.argv[i + 1];
  if (k === 'bucket') args.bucket.push(v);
  else args[k] = v;
}
const port = Number(args.port);
const dir = args.dir;
if (!port || !dir) {
  console.error('usage: s3front.mjs --port P --dir D [--bucket B]...');
  process.exit(2);
}

const s3rver = new S3rver({
  address: '127.0.0.1',
  port: 0,
  silent: true,
  directory: dir,
  configureBuckets: args.bucket.map((name) => ({ name })),
});
const inner = await s3rver.run();
const innerPort = inner.port;

const signer = new SignatureV4({
  credentials: { accessKeyId: args['access-key'], secretAccessKey: args.secret },
  region: args.region,
  service: 's3',
  sha256: Sha256,
  uriEscapePath: false,
  applyChecksum: false,
});

let faults = args.faults ? JSON.parse(args.faults) : {};
let rng = mulberry32(faults.seed ?? 1);
const stats = { requests: 0, faults: 0, signature_failures: 0, methods: {}, ranged_gets: 0 };
const uploads = new Map(); // uploadId -> {bucket, key, initiated: Date}

function mulberry32(a) {
  return () => {
    a |= 0;
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function xmlEscape(s) {
  return String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function sendError(res, status, code, message, extra = '') {
  const body =
    `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code>` +
    `<Message>${xmlEscape(message)}</Message>${extra}<RequestId>k2front</RequestId></Error>`;
  res.writeHead(status, { 'Content-Type': 'application/xml', 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}

function sendXml(res, status, body) {
  res.writeHead(status, { 'Content-Type': 'application/xml', 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}

function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/// Recomputes the request's SigV4 signature; null if it matches, else [code, message].
async function verifySignature(req, rawPath, rawQuery, body) {
  const auth = req.headers.authorization;
  if (!auth) return ['AccessDenied', 'Anonymous access is not allowed'];
  const m = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/s3\/aws4_request, ?SignedHeaders=([^,]+), ?Signature=([0-9a-f]{64})$/.exec(auth);
  if (!m) return ['AccessDenied', `unsupported Authorization header: ${auth}`];
  const [, accessKey, , , signedHeaders, signature] = m;
  if (accessKey !== args['access-key']) {
    return ['InvalidAccessKeyId', 'The AWS Access Key Id you provided does not exist in our records.'];
  }
  const amzDate = req.headers['x-amz-date'];
  if (!amzDate) return ['AccessDenied', 'missing x-amz-date'];
  const date = new Date(amzDate.replace(/^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/, '$1-$2-$3T$4:$5:$6Z'));
  const names = signedHeaders.split(';');
  const headers = {};
  for (const n of names) {
    if (req.headers[n] === undefined) return ['SignatureDoesNotMatch', `signed header ${n} is missing`];
    headers[n] = req.headers[n];
  }
  const query = {};
  for (const [k, v] of new URLSearchParams(rawQuery)) {
    if (k in query) query[k] = [].concat(query[k], v);
    else query[k] = v;
  }
  const signed = await signer.sign(
    { method: req.method, protocol: 'http:', hostname: '127.0.0.1', path: rawPath, query, headers, body },
    { signingDate: date, signableHeaders: new Set(names) },
  );
  const expected = /Signature=([0-9a-f]{64})/.exec(signed.headers.authorization)[1];
  if (expected !== signature) {
    return [
      'SignatureDoesNotMatch',
      'The request signature we calculated does not match the signature you provided. Check your key and signing method.',
    ];
  }
  const claimed = req.headers['x-amz-content-sha256'];
  if (claimed && /^[0-9a-f]{64}$/.test(claimed)) {
    const actual = crypto.createHash('sha256').update(body).digest('hex');
    if (actual !== claimed) return ['XAmzContentSHA256Mismatch', 'The provided x-amz-content-sha256 header does not match what was computed.'];
  }
  return null;
}

/// Forwards to s3rver (without the signature, which it would misjudge); resolves with the answer.
function forward(req, rawUrl, body) {
  return new Promise((resolve, reject) => {
    const headers = { ...req.headers };
    delete headers.authorization;
    delete headers['if-none-match'];
    delete headers.expect;
    headers['content-length'] = String(body.length);
    delete headers['transfer-encoding'];
    const r = http.request({ host: '127.0.0.1', port: innerPort, method: req.method, path: rawUrl, headers }, (resp) => {
      const chunks = [];
      resp.on('data', (c) => chunks.push(c));
      resp.on('end', () => resolve({ status: resp.statusCode, headers: resp.headers, body: Buffer.concat(chunks) }));
      resp.on('error', reject);
    });
    r.on('error', reject);
    r.end(body);
  });
}

/// Data parts (UNSIGNED-PAYLOAD, so the signature does not cover the body)
/// and object GETs stream through without being buffered: the part's bytes
/// reach s3rver while they arrive, as they would reach S3. True if handled.
async function streamed(req, res, rawUrl, rawPath, rawQuery, q) {
  const segs = rawPath.split('/').slice(1);
  const isKey = segs.length > 1 && segs[1] !== '';
  const part = req.method === 'PUT' && isKey && q.has('uploadId') && q.has('partNumber') && uploads.has(q.get('uploadId'));
  const get = req.method === 'GET' && isKey && rawQuery === '';
  if (!(part || get) || req.headers['x-amz-content-sha256'] !== 'UNSIGNED-PAYLOAD') return false;
  const failure = await verifySignature(req, rawPath, rawQuery, Buffer.alloc(0));
  if (failure) {
    stats.signature_failures += 1;
    req.resume();
    sendError(res, 403, failure[0], failure[1]);
    return true;
  }
  await new Promise((resolve, reject) => {
    const headers = { ...req.headers };
    delete headers.authorization;
    delete headers.expect;
    const r = http.request({ host: '127.0.0.1', port: innerPort, method: req.method, path: rawUrl, headers }, (resp) => {
      const answer = { ...resp.headers };
      delete answer.connection;
      res.writeHead(resp.statusCode, answer);
      resp.pipe(res);
      resp.on('end', resolve);
      resp.on('error', reject);
    });
    r.on('error', reject);
    req.pipe(r);
  });
  return true;
}

function objectExists(bucket, key) {
  return forward(
    { method: 'HEAD', headers: { host: `127.0.0.1:${innerPort}` } },
    `/${bucket}/${key.split('/').map(encodeURIComponent).join('/')}`,
    Buffer.alloc(0),
  ).then((r) => r.status === 200);
}

function pickFault(method) {
  if (faults.methods && !faults.methods.includes(method)) return null;
  const nth = faults.nth && faults.nth[String(stats.requests)];
  if (nth) return nth;
  if (faults.rate && rng() < faults.rate) {
    const kinds = faults.kinds ?? ['500', '503'];
    return kinds[Math.floor(rng() * kinds.length)];
  }
  return null;
}

function uploadsDir(bucket, uploadId) {
  return path.join(dir, bucket, '._S3rver_uploads', uploadId);
}

function listUploads(res, bucket, q) {
  const prefix = q.get('prefix') ?? '';
  const max = Number(q.get('max-uploads') ?? 1000);
  const keyMarker = q.get('key-marker') ?? '';
  const idMarker = q.get('upload-id-marker') ?? '';
  const all = [...uploads.entries()]
    .filter(([, u]) => u.bucket === bucket && u.key.startsWith(prefix))
    .map(([id, u]) => ({ id, ...u }))
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
    .filter((u) => !keyMarker || u.key > keyMarker || (u.key === keyMarker && idMarker && u.id > idMarker));
  const page = all.slice(0, max);
  const truncated = all.length > max;
  let body = `<?xml version="1.0" encoding="UTF-8"?>\n<ListMultipartUploadsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">`;
  body += `<Bucket>${xmlEscape(bucket)}</Bucket><Prefix>${xmlEscape(prefix)}</Prefix><MaxUploads>${max}</MaxUploads>`;
  body += `<IsTruncated>${truncated}</IsTruncated>`;
  if (truncated) {
    const last = page[page.length - 1];
    body += `<NextKeyMarker>${xmlEscape(last.key)}</NextKeyMarker><NextUploadIdMarker>${last.id}</NextUploadIdMarker>`;
  }
  for (const u of page) {
    body += `<Upload><Key>${xmlEscape(u.key)}</Key><UploadId>${u.id}</UploadId><Initiated>${u.initiated.toISOString()}</Initiated></Upload>`;
  }
  body += '</ListMultipartUploadsResult>';
  sendXml(res, 200, body);
}

/// ListObjectsV2 served from s3rver's V1 listing: s3rver's own continuation
/// tokens use DES, which OpenSSL 3 no longer offers (every truncated V2 page
/// answers 500). The front's tokens are the last key, base64url.
async function listV2(req, res, bucket, q, body) {
  const v1 = new URLSearchParams();
  if (q.has('prefix')) v1.set('prefix', q.get('prefix'));
  if (q.has('delimiter')) v1.set('delimiter', q.get('delimiter'));
  if (q.has('max-keys')) v1.set('max-keys', q.get('max-keys'));
  const token = q.get('continuation-token');
  const marker = token ? Buffer.from(token, 'base64url').toString() : q.get('start-after');
  if (marker) v1.set('marker', marker);
  const answer = await forward(req, `/${bucket}/?${v1}`, body);
  let xml = answer.body.toString();
  if (answer.status === 200) {
    const keys = [...xml.matchAll(/<Contents>\s*<Key>([^<]*)<\/Key>/g)].map((m) =>
      m[1].replace(/&(lt|gt|quot|apos|amp|#(\d+));/g, (_, e, n) =>
        n ? String.fromCharCode(Number(n)) : { lt: '<', gt: '>', quot: '"', apos: "'", amp: '&' }[e]),
    );
    const truncated = /<IsTruncated>true<\/IsTruncated>/.test(xml);
    const next = truncated && keys.length
      ? `<NextContinuationToken>${Buffer.from(keys[keys.length - 1]).toString('base64url')}</NextContinuationToken>`
      : '';
    xml = xml.replace('</ListBucketResult>', `<KeyCount>${keys.length}</KeyCount>${next}</ListBucketResult>`);
  }
  res.writeHead(answer.status, { 'Content-Type': 'application/xml', 'Content-Length': Buffer.byteLength(xml) });
  res.end(xml);
}

async function admin(req, res, rawPath, q) {
  if (rawPath === '/__admin/health') return sendXml(res, 200, 'ok');
  if (rawPath === '/__admin/stats') {
    const body = JSON.stringify({ ...stats, open_uploads: uploads.size });
    res.writeHead(200, { 'Content-Type': 'application/json' });
    return res.end(body);
  }
  if (rawPath === '/__admin/faults') {
    const body = await readBody(req);
    faults = body.length ? JSON.parse(body.toString()) : {};
    rng = mulberry32(faults.seed ?? 1);
    res.writeHead(204);
    return res.end();
  }
  if (rawPath === '/__admin/backdate') {
    const bucket = q.get('bucket');
    const key = q.get('key');
    const seconds = Number(q.get('seconds'));
    if (q.get('upload')) {
      for (const u of uploads.values()) {
        if (u.bucket === bucket && u.key.startsWith(key)) u.initiated = new Date(u.initiated.getTime() - seconds * 1000);
      }
    } else {
      const parts = key.split('/');
      const name = parts.pop();
      const file = path.join(dir, bucket, ...parts, `${name}._S3rver_object`);
      const t = new Date(Date.now() - seconds * 1000);
      fs.utimesSync(file, t, t);
    }
    res.writeHead(204);
    return res.end();
  }
  return sendError(res, 404, 'NoSuchKey', 'unknown admin path');
}

async function handle(req, res) {
  const rawUrl = req.url;
  const qi = rawUrl.indexOf('?');
  const rawPath = qi < 0 ? rawUrl : rawUrl.slice(0, qi);
  const rawQuery = qi < 0 ? '' : rawUrl.slice(qi + 1);
  const q = new URLSearchParams(rawQuery);
  if (rawPath.startsWith('/__admin/')) return admin(req, res, rawPath, q);

  stats.requests += 1;
  stats.methods[req.method] = (stats.methods[req.method] ?? 0) + 1;
  if (req.method === 'GET' && req.headers.range) stats.ranged_gets += 1;
  const fault = pickFault(req.method);
  if (fault) stats.faults += 1;
  if (fault === 'drop') {
    const hasBody = Number(req.headers['content-length'] ?? 0) > 0;
    if (!hasBody) return req.socket.destroy();
    req.once('data', () => req.socket.destroy());
    return;
  }
  if (!fault && (await streamed(req, res, rawUrl, rawPath, rawQuery, q))) return;
  const body = await readBody(req);
  if (fault === 'slow') {
    await new Promise((r) => setTimeout(r, faults.slow_ms ?? 3000));
    if (req.socket.destroyed) return;
  }
  if (fault === '500') return sendError(res, 500, 'InternalError', 'injected fault');
  if (fault === '503') return sendError(res, 503, 'ServiceUnavailable', 'injected fault');
  if (fault === 'slowdown') return sendError(res, 503, 'SlowDown', 'Please reduce your request rate.');

  const failure = await verifySignature(req, rawPath, rawQuery, body);
  if (failure) {
    stats.signature_failures += 1;
    return sendError(res, 403, failure[0], failure[1]);
  }

  const segs = rawPath.split('/').slice(1);
  const bucket = decodeURIComponent(segs[0] ?? '');
  const key = segs.slice(1).map(decodeURIComponent).join('/');
  const conditional = req.headers['if-none-match'] === '*';

  if (req.method === 'GET' && key === '' && q.has('uploads')) return listUploads(res, bucket, q);
  if (req.method === 'DELETE' && q.has('uploadId')) {
    const id = q.get('uploadId');
    const u = uploads.get(id);
    if (!u || u.bucket !== bucket || u.key !== key) return sendError(res, 404, 'NoSuchUpload', 'The specified upload does not exist.');
    uploads.delete(id);
    fs.rmSync(uploadsDir(bucket, id), { recursive: true, force: true });
    res.writeHead(204);
    return res.end();
  }
  if (req.method === 'PUT' && q.has('uploadId') && !uploads.has(q.get('uploadId'))) {
    return sendError(res, 404, 'NoSuchUpload', 'The specified upload does not exist.');
  }
  if (req.method === 'POST' && q.has('uploadId')) {
    const id = q.get('uploadId');
    if (!uploads.has(id)) return sendError(res, 404, 'NoSuchUpload', 'The specified upload does not exist.');
    if (faults.complete_error > 0) {
      faults.complete_error -= 1;
      stats.faults += 1;
      res.writeHead(200, { 'Content-Type': 'application/xml' });
      res.write('<?xml version="1.0" encoding="UTF-8"?>\n');
      await new Promise((r) => setTimeout(r, 20));
      return res.end('<Error><Code>InternalError</Code><Message>injected: We encountered an internal error. Please try again.</Message></Error>');
    }
  }
  if (conditional && ((req.method === 'PUT' && !q.has('uploadId')) || (req.method === 'POST' && q.has('uploadId')))) {
    if (await objectExists(bucket, key)) {
      return sendError(res, 412, 'PreconditionFailed', 'At least one of the pre-conditions you specified did not hold', '<Condition>If-None-Match</Condition>');
    }
  }

  if (req.method === 'GET' && key === '' && q.get('list-type') === '2') return listV2(req, res, bucket, q, body);
  const answer = await forward(req, rawUrl, body);
  if (req.method === 'POST' && q.has('uploads') && answer.status === 200) {
    const id = /<UploadId>([^<]+)<\/UploadId>/.exec(answer.body.toString())?.[1];
    if (id) uploads.set(id, { bucket, key, initiated: new Date() });
  }
  if (req.method === 'POST' && q.has('uploadId') && answer.status === 200) uploads.delete(q.get('uploadId'));
  const headers = { ...answer.headers };
  delete headers['transfer-encoding'];
  delete headers.connection;
  res.writeHead(answer.status, headers);
  res.end(req.method === 'HEAD' ? undefined : answer.body);
}

const server = http.createServer((req, res) => {
  handle(req, res).catch((e) => {
    if (!res.headersSent) sendError(res, 500, 'InternalError', `front: ${e && e.message ? e.message : e}`);
    else res.destroy();
  });
});
server.keepAliveTimeout = 30000;
server.listen(port, '127.0.0.1', () => console.log(`s3front ready on 127.0.0.1:${port} (s3rver on ${innerPort})`));
const stop = () => {
  server.close();
  s3rver.close().finally(() => process.exit(0));
  setTimeout(() => process.exit(0), 2000).unref();
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
