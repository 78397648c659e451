// An independent REST catalog client (iceberg-js) against a REST catalog
// server: namespaces, create, load, a commit with requirements, and a
// conflicting commit that must be refused with 409.
//
//   node rest_client.mjs <baseUrl> [token]
//
// baseUrl is the part before /v1 (e.g. http://127.0.0.1:9464/iceberg).
// Prints one JSON object with what each step saw; exits 1 on an unexpected error.
import { IcebergRestCatalog, IcebergError } from 'iceberg-js';

const [baseUrl, token] = process.argv.slice(2);
if (!baseUrl) {
  console.error('usage: node rest_client.mjs <baseUrl> [token]');
  process.exit(2);
}
const catalog = new IcebergRestCatalog({
  baseUrl,
  auth: token ? { type: 'bearer', token } : { type: 'none' },
});

const out = {};
const ns = { namespace: ['js'] };
const id = { namespace: ['js'], name: 'events' };

out.createNamespace = await catalog.createNamespace(ns, { properties: { owner: 'iceberg-js' } });
out.namespaces = (await catalog.listNamespaces()).map((n) => n.namespace);
out.namespaceProperties = (await catalog.loadNamespaceMetadata(ns)).properties;
out.namespaceExists = await catalog.namespaceExists(ns);
out.missingNamespaceExists = await catalog.namespaceExists({ namespace: ['nope'] });

const created = await catalog.createTable(ns, {
  name: 'events',
  schema: {
    type: 'struct',
    'schema-id': 0,
    fields: [
      { id: 1, name: 'id', type: 'long', required: true },
      { id: 2, name: 'ts', type: 'timestamptz', required: false },
      { id: 3, name: 'kind', type: 'string', required: false },
    ],
  },
  'partition-spec': {
    'spec-id': 0,
    fields: [{ 'source-id': 2, 'field-id': 1000, name: 'ts_day', transform: 'day' }],
  },
  properties: { 'write.format.default': 'parquet' },
});
out.created = { uuid: created['table-uuid'], location: created.location };
out.tables = (await catalog.listTables(ns)).map((t) => t.name);
out.tableExists = await catalog.tableExists(id);
const loaded = await catalog.loadTable(id);
out.loadedUuid = loaded['table-uuid'];

function appendCommit(uuid, snapshotId, parentId, seq) {
  const snapshot = {
    'snapshot-id': snapshotId,
    'sequence-number': seq,
    'timestamp-ms': Date.now(),
    'manifest-list': `${created.location}/metadata/snap-${snapshotId}.avro`,
    summary: { operation: 'append' },
    'schema-id': 0,
  };
  if (parentId !== null) snapshot['parent-snapshot-id'] = parentId;
  return {
    requirements: [
      { type: 'assert-table-uuid', uuid },
      { type: 'assert-ref-snapshot-id', ref: 'main', 'snapshot-id': parentId },
    ],
    updates: [
      { action: 'add-snapshot', snapshot },
      { action: 'set-snapshot-ref', 'ref-name': 'main', type: 'branch', 'snapshot-id': snapshotId },
      { action: 'set-properties', updates: { 'committed-by': 'iceberg-js' } },
    ],
  };
}

const committed = await catalog.updateTable(id, appendCommit(loaded['table-uuid'], 101, null, 1));
out.commit = {
  metadataLocation: committed['metadata-location'],
  currentSnapshotId: committed.metadata['current-snapshot-id'],
  property: committed.metadata.properties['committed-by'],
};

// A writer that still believes main is empty must lose.
try {
  await catalog.updateTable(id, appendCommit(loaded['table-uuid'], 102, null, 1));
  out.conflict = { status: 200 };
} catch (e) {
  if (!(e instanceof IcebergError)) throw e;
  out.conflict = { status: e.status, type: e.icebergType };
}
out.afterConflict = (await catalog.loadTable(id))['current-snapshot-id'];

try {
  await catalog.loadTable({ namespace: ['js'], name: 'missing' });
  out.missingTable = { status: 200 };
} catch (e) {
  if (!(e instanceof IcebergError)) throw e;
  out.missingTable = { status: e.status, type: e.icebergType };
}

await catalog.createTable(ns, {
  name: 'scratch',
  schema: { type: 'struct', fields: [{ id: 1, name: 'x', type: 'int', required: false }] },
});
await catalog.dropTable({ namespace: ['js'], name: 'scratch' }, { purge: true });
out.tablesAfterDrop = (await catalog.listTables(ns)).map((t) => t.name);

console.log(JSON.stringify(out));
