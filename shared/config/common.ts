/** Variables every netreflex function reads: where the project is and how to talk to it. */
import * as z from 'zod';
import { LOG_LEVELS } from '../log.js';
import { cidr } from '../net/cidr-schema.js';
import { list } from './env.js';
import { resourceName } from '../names.js';

export { resourceName };

/** A Cloud Storage bucket name (https://cloud.google.com/storage/docs/buckets#naming, the dotless form). */
export const bucketName = z
  .string()
  .regex(
    /^[a-z0-9][a-z0-9._-]{1,61}[a-z0-9]$/,
    'must be a Cloud Storage bucket name (3-63 lowercase letters, digits, -, _, .)',
  );

const HAS_SCHEME = /^[a-z][a-z0-9+.-]*:\/\//i;
const HOST_PORT = /^(\[[0-9a-f:.]+\]|[a-z0-9.-]+):\d{1,5}$/i;

/**
 * Where the local Google Cloud is, as a base URL. `host:port` is taken too — the convention of
 * PUBSUB_EMULATOR_HOST and the other Google emulators — and means `http://host:port`.
 */
export const emulatorUrl = z
  .string()
  .transform((v) => (!HAS_SCHEME.test(v) && HOST_PORT.test(v) ? `http://${v}` : v))
  .pipe(
    z.url({
      protocol: /^https?$/,
      error: 'must be a URL such as http://127.0.0.1:8090, or host:port such as 127.0.0.1:8090',
    }),
  )
  .transform((v) => v.replace(/\/+$/, ''));

export const commonEnv = {
  NETREFLEX_PROJECT: z.string().regex(/^[a-z][-a-z0-9]{4,28}[a-z0-9]$/, 'must be a Google Cloud project id'),
  NETREFLEX_REGION: z
    .string()
    .regex(/^[a-z]+-[a-z]+[0-9]$/, 'must be a region such as asia-northeast1')
    .default('asia-northeast1'),
  /** Base URL (or host:port) of the local Google Cloud, e.g. http://127.0.0.1:8090; unset means the real APIs with ADC. */
  NETREFLEX_EMULATOR_HOST: emulatorUrl.optional(),
  NETREFLEX_LOG_LEVEL: z.enum(LOG_LEVELS).default('info'),
  /**
   * host:port of the Compute Engine metadata server the function asks for its token
   * (shared/gcp/credentials.ts; Google's libraries read the same variable). The local stack gives
   * each function its own, so that against the local Google Cloud it calls as its service account;
   * Cloud Run sets none.
   */
  GCE_METADATA_HOST: z.string().regex(HOST_PORT, 'must be host:port, e.g. 127.0.0.1:8099').optional(),
};

/**
 * The egress path's resources, each with one default, for every function (and `netreflex status`)
 * that names them: a schema takes the ones it reads, so the same variable never means two things.
 */
export const topologyEnv = {
  NETREFLEX_NETWORK: resourceName.default('vpc-a'),
  NETREFLEX_PEERING: resourceName.default('servicenetworking-googleapis-com'),
  NETREFLEX_NAT_MIG: resourceName.default('nat-mig'),
  NETREFLEX_NAT_ROUTER: resourceName.default('nat-router'),
  NETREFLEX_NAT_NAME: resourceName.default('nat-egress'),
  /** The IP-restricted destinations (CIDRs) the pipelines reach through the NAT VMs. */
  NETREFLEX_DESTINATIONS: list(cidr),
};

/**
 * The project NUMBER beside its id: Service Networking and Vertex AI name networks by it, and the
 * audit logs of changes Google makes itself (a MIG creating or deleting its VMs) name the project
 * by it. One definition for every function that needs it; Terraform sets it from google_project.
 */
export const projectNumberEnv = {
  NETREFLEX_PROJECT_NUMBER: z
    .string()
    .regex(
      /^\d{6,20}$/,
      'must be the numeric project number (gcloud projects describe PROJECT --format="value(projectNumber)")',
    ),
};

type CommonEnv = z.infer<z.ZodObject<typeof commonEnv>>;

/** What every function knows about where it runs, as its config object's first fields. */
export interface CommonConfig {
  project: string;
  region: string;
  /** Base URL of the local Google Cloud; unset = the real APIs. */
  emulatorHost?: string;
  /** The local metadata server standing for the function's service account (emulator only). */
  metadataHost?: string;
  logLevel: CommonEnv['NETREFLEX_LOG_LEVEL'];
}

export function commonConfig(e: CommonEnv): CommonConfig {
  return {
    project: e.NETREFLEX_PROJECT,
    region: e.NETREFLEX_REGION,
    emulatorHost: e.NETREFLEX_EMULATOR_HOST,
    metadataHost: e.GCE_METADATA_HOST,
    logLevel: e.NETREFLEX_LOG_LEVEL,
  };
}
