/**
 * Exactly-once pipeline requests: one Cloud Storage object per request identity is the durable
 * record of what happened to it. Deliveries race to create it with `ifGenerationMatch=0`; the one
 * that succeeds holds the claim and starts the execution, then records it under the claim's
 * generation. Any other delivery — a duplicate, a redelivery to a fresh instance, another instance
 * — reads the record and starts nothing.
 *
 * Why a Storage object: it is a strongly consistent, durable, create-only primitive
 * (https://cloud.google.com/storage/docs/request-preconditions), which Workflows lacks — an
 * execution's name is output only (executions.proto `Execution.name`: OUTPUT_ONLY), so there is no
 * naming scheme a second create would collide on.
 *
 * The one window a crash leaves: a holder that started the execution and died before recording it.
 * A claim older than the lease is therefore only taken over after looking for an execution carrying
 * the request's label; found, it is recorded instead of started again. A holder that is alive but
 * slow is bounded by the start call's timeout, shorter than the lease.
 *
 * This file is the pure part: the record's shape and what a delivery does on seeing it.
 */
import { createHash } from 'node:crypto';

const CLAIM_PREFIX = 'pipeline-requests/';
/** Execution label carrying the request key, so a taken-over claim can find an execution already started. */
export const REQUEST_LABEL = 'netreflex-request';

export type ClaimState = 'claimed' | 'released' | 'started' | 'rejected';

export interface ClaimRecord {
  key: string;
  state: ClaimState;
  /** ms since epoch the current holder claimed it. */
  claimedAt: number;
  requestId?: string;
  messageId: string;
  execution?: string;
  /** Why a claim was released (the start failed in a way a retry may fix). */
  why?: string;
}

/** The request's identity: its requestId when the team set one, else the Pub/Sub message id. */
export function requestKey(workflow: string, requestId: string | undefined, messageId: string): string {
  const identity = requestId === undefined ? `message:${messageId}` : `request:${requestId}`;
  return createHash('sha256').update(`${workflow}\n${identity}`).digest('hex').slice(0, 32);
}

export const claimObject = (key: string) => `${CLAIM_PREFIX}${key}.json`;

export type ClaimDecision =
  /** No record: race to create it. */
  | { kind: 'claim' }
  /** Answered already (started or rejected): a duplicate, acknowledged without doing anything. */
  | { kind: 'done'; record: ClaimRecord }
  /** Another delivery holds a fresh claim: not acknowledged, so the message comes back after it settles. */
  | { kind: 'busy'; record: ClaimRecord; retryInMs: number }
  /** A released or expired claim: look for a labelled execution, then take it over. */
  | { kind: 'take-over'; record: ClaimRecord };

export function decide(record: ClaimRecord | undefined, now: number, leaseMs: number): ClaimDecision {
  if (!record) return { kind: 'claim' };
  switch (record.state) {
    case 'started':
    case 'rejected':
      return { kind: 'done', record };
    case 'released':
      return { kind: 'take-over', record };
    case 'claimed': {
      const age = now - record.claimedAt;
      return age >= leaseMs ? { kind: 'take-over', record } : { kind: 'busy', record, retryInMs: leaseMs - age };
    }
  }
}
