/**
 * Where each API's definitions come from. Compute, Vertex AI, Workflows and Pub/Sub (its REST
 * publish; the gRPC server decodes with the same proto) from the protos their
 * official clients ship (compiled and cached); Service Networking and the Cloud Storage JSON API,
 * which ship no protos here, from compact schemas written from their REST references.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { ApiSchema } from './compact.js';
import { cached, DEFAULT_SCHEMA_CACHE_DIR, NODE_MODULES, packageVersion } from './cache.js';
import { compileProtos, type ProtoSource } from './compile.js';
import { SERVICE_NETWORKING } from './servicenetworking.js';
import { STORAGE } from './storage.js';
import { STEP_ENTRIES } from './step-entries.js';
import { ERROR_REPLY } from './error-reply.js';

const protos = (pkg: string) => join(NODE_MODULES, pkg, 'build', 'protos');
const GAX_PROTOS = protos('google-gax');

/** The proto files of `pkg` under `dir` whose names match, sorted (part of the cache key). */
function protoFiles(pkg: string, dir: string, name: RegExp): string[] {
  return readdirSync(join(protos(pkg), dir))
    .filter((f) => name.test(f))
    .sort()
    .map((f) => `${dir}/${f}`);
}

const PROTO_SOURCES: { pkg: string; src: Omit<ProtoSource, 'includeDirs' | 'source'> }[] = [
  {
    pkg: '@google-cloud/compute',
    src: {
      api: 'compute',
      style: 'compute',
      files: ['google/cloud/compute/v1/compute.proto'],
      services: ['google.cloud.compute.v1.*'],
      methodIdPrefix: 'compute',
      computeComments: true,
    },
  },
  {
    // /compute/beta/: every v1beta service, so a method the emulator starts serving there is covered
    // without a change here (the compiled form is cached, so the size costs a start ~20 ms, not a compile).
    pkg: '@google-cloud/compute',
    src: {
      api: 'compute-beta',
      style: 'compute',
      files: ['google/cloud/compute/v1beta/compute.proto'],
      services: ['google.cloud.compute.v1beta.*'],
      methodIdPrefix: 'compute',
      computeComments: true,
    },
  },
  {
    // Every Vertex AI v1 service (each `*_service.proto` the client ships), for the same reason.
    pkg: '@google-cloud/aiplatform',
    src: {
      api: 'aiplatform',
      style: 'oneplatform',
      files: protoFiles('@google-cloud/aiplatform', 'google/cloud/aiplatform/v1', /_service\.proto$/),
      services: ['google.cloud.aiplatform.v1.*'],
    },
  },
  {
    pkg: '@google-cloud/workflows',
    src: {
      api: 'workflows',
      style: 'oneplatform',
      files: ['google/cloud/workflows/v1/workflows.proto', 'google/cloud/workflows/executions/v1/executions.proto'],
      services: ['google.cloud.workflows.v1.Workflows', 'google.cloud.workflows.executions.v1.Executions'],
    },
  },
  {
    pkg: '@google-cloud/pubsub',
    src: {
      api: 'pubsub',
      style: 'oneplatform',
      files: ['google/pubsub/v1/pubsub.proto'],
      services: ['google.pubsub.v1.Publisher', 'google.pubsub.v1.Subscriber'],
    },
  },
  {
    // google.rpc's Status, Code and standard error details (google-gax's copy of googleapis
    // google/rpc/{status,code,error_details}.proto): what every error reply is checked against
    // (error-reply.ts). No route is bound to it.
    pkg: 'google-gax',
    src: {
      api: 'errors',
      style: 'oneplatform',
      files: ['google/rpc/status.proto', 'google/rpc/code.proto', 'google/rpc/error_details.proto'],
      services: [],
      types: ['google.rpc.*'],
    },
  },
];

/** Which schemas may serve an emulator method id, by its first segment (the route's path picks one). */
export const APIS_OF_PREFIX: Record<string, string[]> = {
  compute: ['compute', 'compute-beta'],
  aiplatform: ['aiplatform'],
  workflows: ['workflows'],
  workflowexecutions: ['workflows'],
  servicenetworking: ['servicenetworking'],
  storage: ['storage'],
  pubsub: ['pubsub'],
};

let loaded: ApiSchema[] | undefined;

/**
 * Every API schema: compiled from node_modules once, then read from the cache in `cacheDir`, once
 * per process (the first caller's directory is the one read).
 */
export function loadSchemas(cacheDir = DEFAULT_SCHEMA_CACHE_DIR): ApiSchema[] {
  return (loaded ??= readSchemas(cacheDir));
}

function readSchemas(cacheDir: string): ApiSchema[] {
  const compiled = PROTO_SOURCES.map(({ pkg, src }) => {
    const versions = [packageVersion(pkg), packageVersion('google-gax')];
    const full: ProtoSource = { ...src, includeDirs: [protos(pkg), GAX_PROTOS], source: [...versions, ...src.files] };
    return cached(cacheDir, src.api, { versions, src }, () => compileProtos(full));
  });
  const workflows = compiled.find((s) => s.api === 'workflows')!;
  workflows.methods.push(...STEP_ENTRIES.methods);
  Object.assign(workflows.messages, STEP_ENTRIES.messages);
  Object.assign(workflows.enums, STEP_ENTRIES.enums);
  workflows.source.push(
    'https://cloud.google.com/workflows/docs/reference/executions/rest/v1/projects.locations.workflows.executions.stepEntries',
  );
  const errors = compiled.find((s) => s.api === 'errors')!;
  Object.assign(errors.messages, ERROR_REPLY.messages);
  errors.source.push(...ERROR_REPLY.source);
  return [...compiled, SERVICE_NETWORKING, STORAGE];
}
