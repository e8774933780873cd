/**
 * The Cloud Storage JSON API ships no proto with @google-cloud/storage, so its compact schema is
 * written here from the JSON API reference, for the methods the local Google Cloud serves:
 *
 * - Object resource: https://cloud.google.com/storage/docs/json_api/v1/objects#resource
 * - Bucket resource: https://cloud.google.com/storage/docs/json_api/v1/buckets#resource (the
 *   nested configuration blocks the emulator does not model — lifecycle, cors, logging, … — are checked
 *   as JSON objects, not field by field)
 * - objects.get / list / patch / delete / insert and buckets.get / list / insert / delete, with
 *   their query parameters: https://cloud.google.com/storage/docs/json_api/v1/objects/get (and
 *   /list, /patch, /delete, /insert), https://cloud.google.com/storage/docs/json_api/v1/buckets/get
 *   (and /list, /insert, /delete)
 * - uploads on `/upload/storage/v1/b/{bucket}/o`: `uploadType` (a system parameter), and the
 *   resumable session's `upload_id` on its PUTs and DELETE
 *   (https://cloud.google.com/storage/docs/performing-resumable-uploads), whose bodies are media.
 *
 * Read-only properties of the reference are output-only here: dropped from request bodies.
 * Every method is served both under `/storage/v1` and at the root, the base the official client
 * takes verbatim from `STORAGE_EMULATOR_HOST`.
 */
import {
  MAP,
  OUTPUT_ONLY,
  REPEATED,
  REQUIRED,
  type ApiSchema,
  type FieldDef,
  type MessageDef,
  type MethodDef,
} from './compact.js';

const S = 'storage.v1';
const ts = 'M:google.protobuf.Timestamp';
const out = (type: string, flags = 0): FieldDef => [type, flags | OUTPUT_ONLY];
const json = 'M:google.protobuf.Struct';

const PRECONDITIONS: MessageDef = {
  ifGenerationMatch: ['int64', 0],
  ifGenerationNotMatch: ['int64', 0],
  ifMetagenerationMatch: ['int64', 0],
  ifMetagenerationNotMatch: ['int64', 0],
};
const COMMON: MessageDef = { userProject: ['string', 0], projection: [`S:${S}.Projection`, 0] };

const ACCESS_CONTROL: MessageDef = {
  kind: out('string'),
  id: out('string'),
  selfLink: out('string'),
  bucket: out('string'),
  object: out('string'),
  generation: out('int64'),
  entity: ['string', 0],
  role: ['string', 0],
  email: out('string'),
  entityId: out('string'),
  domain: out('string'),
  projectTeam: out(json),
  etag: out('string'),
};

const OBJECT: MessageDef = {
  kind: out('string'),
  id: out('string'),
  selfLink: out('string'),
  mediaLink: out('string'),
  name: ['string', 0],
  bucket: out('string'),
  generation: out('int64'),
  metageneration: out('int64'),
  contentType: ['string', 0],
  storageClass: ['string', 0],
  size: out('uint64'),
  softDeleteTime: out(ts),
  hardDeleteTime: out(ts),
  restoreToken: out('string'),
  md5Hash: ['string', 0],
  contentEncoding: ['string', 0],
  contentDisposition: ['string', 0],
  contentLanguage: ['string', 0],
  cacheControl: ['string', 0],
  crc32c: ['string', 0],
  componentCount: out('int32'),
  etag: out('string'),
  kmsKeyName: ['string', 0],
  temporaryHold: ['bool', 0],
  eventBasedHold: ['bool', 0],
  retentionExpirationTime: out(ts),
  retention: [`M:${S}.ObjectRetention`, 0],
  timeCreated: out(ts),
  timeFinalized: out(ts),
  updated: out(ts),
  timeDeleted: out(ts),
  timeStorageClassUpdated: out(ts),
  customTime: [ts, 0],
  metadata: ['string', MAP],
  contexts: [json, 0],
  acl: [`M:${S}.ObjectAccessControl`, REPEATED],
  owner: out(json),
  customerEncryption: out(json),
};

const BUCKET: MessageDef = {
  kind: out('string'),
  id: out('string'),
  selfLink: out('string'),
  projectNumber: out('uint64'),
  name: ['string', REQUIRED],
  timeCreated: out(ts),
  updated: out(ts),
  defaultEventBasedHold: ['bool', 0],
  retentionPolicy: [json, 0],
  objectRetention: [json, 0],
  metageneration: out('int64'),
  acl: [`M:${S}.BucketAccessControl`, REPEATED],
  defaultObjectAcl: [`M:${S}.ObjectAccessControl`, REPEATED],
  iamConfiguration: [`M:${S}.IamConfiguration`, 0],
  encryption: [json, 0],
  owner: out(json),
  location: ['string', 0],
  locationType: out('string'),
  website: [json, 0],
  logging: [json, 0],
  versioning: [`M:${S}.Versioning`, 0],
  cors: [json, REPEATED],
  lifecycle: [json, 0],
  labels: ['string', MAP],
  storageClass: ['string', 0],
  billing: [json, 0],
  etag: out('string'),
  rpo: ['string', 0],
  autoclass: [json, 0],
  customPlacementConfig: [json, 0],
  softDeletePolicy: [json, 0],
  hierarchicalNamespace: [json, 0],
  ipFilter: [json, 0],
  satisfiesPZS: out('bool'),
  satisfiesPZI: out('bool'),
  generation: out('int64'),
  softDeleteTime: out(ts),
  hardDeleteTime: out(ts),
};

const object = { bucket: ['string', REQUIRED], object: ['string', REQUIRED] } satisfies MessageDef;
const bucket = { bucket: ['string', REQUIRED] } satisfies MessageDef;

const REQUESTS: Record<string, MessageDef> = {
  ObjectsGetRequest: {
    ...object,
    ...PRECONDITIONS,
    ...COMMON,
    generation: ['int64', 0],
    softDeleted: ['bool', 0],
    restoreToken: ['string', 0],
  },
  ObjectsListRequest: {
    ...bucket,
    ...COMMON,
    delimiter: ['string', 0],
    endOffset: ['string', 0],
    filter: ['string', 0],
    includeFoldersAsPrefixes: ['bool', 0],
    includeTrailingDelimiter: ['bool', 0],
    matchGlob: ['string', 0],
    maxResults: ['uint32', 0],
    pageToken: ['string', 0],
    prefix: ['string', 0],
    softDeleted: ['bool', 0],
    startOffset: ['string', 0],
    versions: ['bool', 0],
  },
  ObjectsPatchRequest: {
    ...object,
    ...PRECONDITIONS,
    ...COMMON,
    generation: ['int64', 0],
    overrideUnlockedRetention: ['bool', 0],
    predefinedAcl: [`S:${S}.PredefinedAcl`, 0],
    resource: [`M:${S}.Object`, 0],
  },
  ObjectsDeleteRequest: { ...object, ...PRECONDITIONS, userProject: ['string', 0], generation: ['int64', 0] },
  ObjectsInsertRequest: {
    ...bucket,
    ...PRECONDITIONS,
    ...COMMON,
    contentEncoding: ['string', 0],
    kmsKeyName: ['string', 0],
    name: ['string', 0],
    predefinedAcl: [`S:${S}.PredefinedAcl`, 0],
    upload_id: ['string', 0],
    resource: [`M:${S}.Object`, 0],
  },
  BucketsGetRequest: {
    ...bucket,
    ifMetagenerationMatch: ['int64', 0],
    ifMetagenerationNotMatch: ['int64', 0],
    ...COMMON,
    generation: ['int64', 0],
    softDeleted: ['bool', 0],
  },
  BucketsListRequest: {
    project: ['string', REQUIRED],
    maxResults: ['uint32', 0],
    pageToken: ['string', 0],
    prefix: ['string', 0],
    softDeleted: ['bool', 0],
    returnPartialSuccess: ['bool', 0],
    ...COMMON,
  },
  BucketsInsertRequest: {
    project: ['string', REQUIRED],
    predefinedAcl: [`S:${S}.PredefinedBucketAcl`, 0],
    predefinedDefaultObjectAcl: [`S:${S}.PredefinedAcl`, 0],
    enableObjectRetention: ['bool', 0],
    ...COMMON,
    resource: [`M:${S}.Bucket`, REQUIRED],
  },
  BucketsDeleteRequest: {
    ...bucket,
    ifMetagenerationMatch: ['int64', 0],
    ifMetagenerationNotMatch: ['int64', 0],
    userProject: ['string', 0],
  },
};

const m = (
  rpc: string,
  verb: string,
  path: string,
  request: string,
  response: string,
  extra: Partial<MethodDef> = {},
): MethodDef => ({
  rpc,
  verb,
  path,
  request: `${S}.${request}`,
  response,
  pathFields: path.includes('/o/') ? ['bucket', 'object'] : path.includes('/b/') ? ['bucket'] : [],
  ...extra,
});

const JSON_API: MethodDef[] = [
  m('storage.buckets.list', 'GET', '/b', 'BucketsListRequest', `${S}.Buckets`),
  m('storage.buckets.insert', 'POST', '/b', 'BucketsInsertRequest', `${S}.Bucket`, { body: 'resource' }),
  m('storage.buckets.get', 'GET', '/b/*', 'BucketsGetRequest', `${S}.Bucket`),
  m('storage.buckets.delete', 'DELETE', '/b/*', 'BucketsDeleteRequest', 'google.protobuf.Empty'),
  m('storage.objects.list', 'GET', '/b/*/o', 'ObjectsListRequest', `${S}.Objects`),
  m('storage.objects.get', 'GET', '/b/*/o/**', 'ObjectsGetRequest', `${S}.Object`),
  m('storage.objects.patch', 'PATCH', '/b/*/o/**', 'ObjectsPatchRequest', `${S}.Object`, { body: 'resource' }),
  m('storage.objects.delete', 'DELETE', '/b/*/o/**', 'ObjectsDeleteRequest', 'google.protobuf.Empty'),
];

const UPLOAD = '/upload/storage/v1/b/*/o';

export const STORAGE: ApiSchema = {
  api: 'storage',
  style: 'oneplatform',
  source: ['https://cloud.google.com/storage/docs/json_api/v1'],
  methods: [
    ...JSON_API.flatMap((def) => [{ ...def, path: `/storage/v1${def.path}` }, def]),
    // A resumable POST carries the Object metadata as JSON; a media POST's body is the object's bytes
    // (JSON content included), a multipart one is multipart/related (split by the upload handler).
    m('storage.objects.insert', 'POST', UPLOAD, 'ObjectsInsertRequest', `${S}.Object`, {
      body: 'resource',
      pathFields: ['bucket'],
      jsonBodyWhen: { query: 'uploadType', values: ['resumable'] },
    }),
    m('storage.objects.insert', 'PUT', UPLOAD, 'ObjectsInsertRequest', `${S}.Object`, {
      body: 'resource',
      rawBody: true,
      pathFields: ['bucket'],
    }),
    m('storage.objects.insert', 'DELETE', UPLOAD, 'ObjectsInsertRequest', 'google.protobuf.Empty', {
      pathFields: ['bucket'],
    }),
  ],
  messages: {
    [`${S}.Object`]: OBJECT,
    [`${S}.ObjectRetention`]: { retainUntilTime: [ts, 0], mode: ['string', 0] },
    [`${S}.ObjectAccessControl`]: ACCESS_CONTROL,
    [`${S}.BucketAccessControl`]: ACCESS_CONTROL,
    [`${S}.Bucket`]: BUCKET,
    [`${S}.IamConfiguration`]: {
      uniformBucketLevelAccess: [`M:${S}.BucketPolicy`, 0],
      bucketPolicyOnly: [`M:${S}.BucketPolicy`, 0],
      publicAccessPrevention: ['string', 0],
    },
    [`${S}.BucketPolicy`]: { enabled: ['bool', 0], lockedTime: out(ts) },
    [`${S}.Versioning`]: { enabled: ['bool', 0] },
    [`${S}.Objects`]: {
      kind: ['string', 0],
      nextPageToken: ['string', 0],
      prefixes: ['string', REPEATED],
      items: [`M:${S}.Object`, REPEATED],
    },
    [`${S}.Buckets`]: {
      kind: ['string', 0],
      nextPageToken: ['string', 0],
      items: [`M:${S}.Bucket`, REPEATED],
      unreachable: ['string', REPEATED],
    },
    ...Object.fromEntries(Object.entries(REQUESTS).map(([name, def]) => [`${S}.${name}`, def])),
  },
  enums: {
    [`${S}.Projection`]: { values: ['full', 'noAcl'] },
    [`${S}.PredefinedAcl`]: {
      values: [
        'authenticatedRead',
        'bucketOwnerFullControl',
        'bucketOwnerRead',
        'private',
        'projectPrivate',
        'publicRead',
      ],
    },
    [`${S}.PredefinedBucketAcl`]: {
      values: ['authenticatedRead', 'private', 'projectPrivate', 'publicRead', 'publicReadWrite'],
    },
  },
};
