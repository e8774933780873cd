/**
 * Configuration of pipelineRequests, and the request message a team publishes. The env keys are
 * the variable names Terraform sets (test/terraform checks it); the request schema is the contract
 * with the teams, validated once at the boundary so the workflow only ever sees a good argument.
 */
import { z } from 'zod';
import { loadEnv } from './env.js';
import { commonConfig, commonEnv, resourceName, type CommonConfig } from './common.js';

export const pipelineRequestsEnv = z.object({
  ...commonEnv,
  /** The workflow to start (workflows/vertex-pipeline-run.yaml as deployed). */
  NETREFLEX_WORKFLOW: z.string().regex(/^[A-Za-z][\w-]{0,127}$/, 'must be a workflow id').default('vertex-pipeline-run'),
  /** Topic the answer (execution name, or the rejection) is published to. */
  NETREFLEX_REPLY_TOPIC: resourceName.default('netreflex-pipeline-replies'),
});

export interface PipelineRequestsConfig extends CommonConfig {
  workflow: string;
  replyTopic: string;
}

export function loadPipelineRequestsConfig(env: Record<string, string | undefined>): PipelineRequestsConfig {
  const e = loadEnv(pipelineRequestsEnv, env, 'pipelineRequests');
  return {
    ...commonConfig(e),
    workflow: e.NETREFLEX_WORKFLOW,
    replyTopic: e.NETREFLEX_REPLY_TOPIC,
  };
}

/** "Run this pipeline": what a team publishes; the workflow's argument is built from it. */
export const pipelineRequest = z.strictObject({
  /** Echoed in the reply so the team can match answers to requests. */
  requestId: z.string().min(1).max(128).optional(),
  templateUri: z.string().regex(/^(gs:\/\/|https:\/\/)\S+$/, 'must be a gs:// or https:// URI of a compiled pipeline (PipelineSpec YAML/JSON)'),
  displayName: z.string().min(1).max(128).optional(),
  parameterValues: z.record(z.string(), z.unknown()).optional(),
  parallelJobs: z.number().int().min(1).max(1000).default(1),
  nodesPerJob: z.number().int().min(1).max(32, 'Vertex documents capacity up to 32 nodes per job').default(8),
  labels: z.record(z.string().regex(/^[a-z][-_a-z0-9]{0,62}$/, 'label keys are lowercase'), z.string().max(63)).optional(),
});

export type PipelineRequest = z.infer<typeof pipelineRequest>;
