/**
 * Configuration of pipelineRequests, and the request message a team publishes. The env keys are
 * the variable names Terraform sets (test/terraform checks it); the request schema is the contract
 * with the teams, validated once at the boundary so the workflow only ever sees a good argument.
 */
import * as z from 'zod';
import { intFromString, loadEnv } from './env.js';
import { bucketName, commonConfig, commonEnv, resourceName, type CommonConfig } from './common.js';

export const pipelineRequestsEnv = z.object({
  ...commonEnv,
  /** The workflow to start (workflows/vertex-pipeline-run.yaml as deployed). */
  NETREFLEX_WORKFLOW: z
    .string()
    .regex(/^[A-Za-z][\w-]{0,127}$/, 'must be a workflow id')
    .default('vertex-pipeline-run'),
  /** Topic a rejection is published to (the workflow publishes the run's outcome to the same topic). */
  NETREFLEX_REPLY_TOPIC: resourceName.default('netreflex-pipeline-replies'),
  /** Bucket of the request claims: one object per request identity, created with ifGenerationMatch=0. */
  NETREFLEX_REQUEST_BUCKET: bucketName,
  /** How long a claim whose execution is not recorded yet stands before another delivery may take it over. */
  NETREFLEX_REQUEST_LEASE_SECONDS: intFromString(10, 3600).default(120),
});

export interface PipelineRequestsConfig extends CommonConfig {
  workflow: string;
  replyTopic: string;
  requestBucket: string;
  leaseMs: number;
}

export function loadPipelineRequestsConfig(env: Record<string, string | undefined>): PipelineRequestsConfig {
  const e = loadEnv(pipelineRequestsEnv, env, 'pipelineRequests');
  return {
    ...commonConfig(e),
    workflow: e.NETREFLEX_WORKFLOW,
    replyTopic: e.NETREFLEX_REPLY_TOPIC,
    requestBucket: e.NETREFLEX_REQUEST_BUCKET,
    leaseMs: e.NETREFLEX_REQUEST_LEASE_SECONDS * 1000,
  };
}

/** "Run this pipeline": what a team publishes; the workflow's argument is built from it. */
export const pipelineRequest = z.strictObject({
  /**
   * The request's identity: echoed in the reply, and the key of the exactly-once dedupe — a second
   * message with the same requestId starts nothing (use a new one to run again). Without it, the
   * Pub/Sub message id is the identity: redeliveries share it, but a retried publish is a new
   * message and starts a second run (pipelineRequests logs a warning).
   */
  requestId: z.string().min(1).max(128).optional(),
  /**
   * A compiled pipeline JSON in Cloud Storage (the workflow reads it and sends it as pipelineSpec) or
   * a Template Registry URI (sent as templateUri, the only kind PipelineJob.template_uri takes:
   * google/cloud/aiplatform/v1/pipeline_job.proto). The workflow refuses anything else the same way.
   */
  templateUri: z
    .string()
    .regex(
      /^(gs:\/\/[a-z0-9][-_.a-z0-9]*[a-z0-9]\/\S+\.json|https:\/\/[a-z0-9-]+-kfp\.pkg\.dev(\/[^/\s]+){4})$/,
      'must be a compiled pipeline JSON in Cloud Storage (gs://BUCKET/OBJECT.json) or a Template Registry URI ' +
        '(https://REGION-kfp.pkg.dev/PROJECT/REPOSITORY/PACKAGE/TAG_OR_VERSION); compile a YAML pipeline to JSON first',
    ),
  displayName: z.string().min(1).max(128).optional(),
  parameterValues: z.record(z.string(), z.unknown()).optional(),
  parallelJobs: z.number().int().min(1).max(1000).default(1),
  nodesPerJob: z.number().int().min(1).max(32, 'Vertex documents capacity up to 32 nodes per job').default(8),
  /** Where the jobs write their outputs; the workflow defaults it to Terraform's var.pipeline_root. */
  gcsOutputDirectory: z
    .string()
    .regex(/^gs:\/\/[a-z0-9][-_.a-z0-9]*[a-z0-9](\/\S*)?$/, 'must be a gs://bucket/path the pipeline jobs can write to')
    .optional(),
  labels: z
    .record(z.string().regex(/^[a-z][-_a-z0-9]{0,62}$/, 'label keys are lowercase'), z.string().max(63))
    .optional(),
});

export type PipelineRequest = z.infer<typeof pipelineRequest>;
