/**
 * Allowlist scenes on one local Google Cloud: each scene is its own project (so Cloud Armor's
 * project-wide rule quota is the scene's own), its own security policies (created with only the
 * default deny rule, as terraform-bootstrap/armor.tf does) and its own allowlist object in the
 * versioned config bucket. The sync runs as the function runs it (`reconcileAllowlist` over the
 * runtime transport); the test reads the policies back with the official Compute client.
 */
import compute from '@google-cloud/compute';
import { PassThroughClient } from 'google-auth-library';
import { afterAll, beforeAll } from 'vitest';
import type { Emulator } from '../../emulator/server.js';
import type { Settings } from '../../emulator/settings.js';
import { startSampleEmulator } from '../../local/seed.js';
import { buildPolicy } from '../../emulator/compute/security-policies.js';
import { defaultRule } from '../../emulator/compute/security-policy-rules.js';
import { SAMPLE } from '../../local/topology.js';
import { Transport } from '../../shared/gcp/transport.js';
import type { ArmorAllowlistConfig } from '../../shared/config/armor-allowlist.js';
import {
  reconcileAllowlist,
  type AllowlistReport,
  type ReconcileOptions,
} from '../../shared/armor-allowlist/reconcile.js';
import { toCidrs } from '../../shared/net/cidr.js';
import type { PolicyRule } from '../../shared/plan/allowlist.js';
import { allowedByPolicy, watchInvariants, type InvariantWatcher } from './invariants.js';

export type PoliciesClient = InstanceType<typeof compute.SecurityPoliciesClient>;

/** The local Google Cloud a file of allowlist scenarios runs on, its Compute client and its invariant watcher. */
export interface AllowlistCloud {
  readonly emu: Emulator;
  readonly client: PoliciesClient;
  readonly watcher: InvariantWatcher;
  /** A new scene (its own project, policies and allowlist object) on this cloud. */
  scene(options: SceneOptions): Scene;
}

/**
 * Starts one local Google Cloud for the test file (operations answer at once unless `settings`
 * say otherwise) before its tests, with the invariant watcher on it, and closes both after them.
 * Its members are there from the file's first test on.
 */
export function allowlistCloud(settings: Partial<Settings> = {}): AllowlistCloud {
  const cloud: { -readonly [K in keyof AllowlistCloud]?: AllowlistCloud[K] } = {
    scene: (options) => scene(cloud.emu!, cloud.client!, options),
  };
  beforeAll(async () => {
    cloud.emu = await startSampleEmulator({ settings: { operationLatencyMs: 0, ...settings } });
    cloud.client = policiesClient(cloud.emu.port);
    cloud.watcher = watchInvariants(cloud.emu);
  });
  afterAll(async () => {
    cloud.watcher?.stop();
    await cloud.emu?.close();
  });
  return cloud as AllowlistCloud;
}

export function policiesClient(port: number): PoliciesClient {
  return new compute.SecurityPoliciesClient({
    apiEndpoint: '127.0.0.1',
    port,
    protocol: 'http',
    authClient: new PassThroughClient(),
  } as unknown as ConstructorParameters<typeof compute.SecurityPoliciesClient>[0]);
}

export interface SceneOptions {
  readonly policies: readonly string[];
  readonly ruleQuota?: number;
  readonly name?: string;
}

export interface Scene {
  readonly project: string;
  readonly object: string;
  readonly cfg: ArmorAllowlistConfig;
  readonly t: Transport;
  /** Writes a new generation of the scene's object (no event: the test runs the sync itself). */
  upload(text: string | Buffer): string;
  /** Deletes the live object (in the versioned bucket it stays as a noncurrent version). */
  remove(): void;
  sync(opts?: Partial<ReconcileOptions>): Promise<AllowlistReport>;
  /** What `policy` lets through, evaluated like Cloud Armor (first match by priority). */
  allowed(policy: string): Promise<string[]>;
  rules(policy: string): Promise<PolicyRule[]>;
  labels(policy: string): Promise<Record<string, string>>;
  /** Waits for an official client call's operation in the scene's project. */
  wait(call: [{ latestResponse?: unknown }, ...unknown[]]): Promise<void>;
}

let scenes = 0;

export function scene(emu: Emulator, client: PoliciesClient, options: SceneOptions): Scene {
  const n = ++scenes;
  const project = `netreflex-scene-${options.name ?? n}`;
  const object = `allowlists/scene-${options.name ?? n}.yaml`;
  for (const name of options.policies)
    emu.store.insert(
      `projects/${project}/global/securityPolicies`,
      buildPolicy(emu.store, project, {
        name,
        description: 'Terraform-owned policy',
        rules: [defaultRule('deny(403)')],
      }),
    );
  const cfg: ArmorAllowlistConfig = {
    project,
    region: SAMPLE.region,
    emulatorHost: emu.url,
    logLevel: 'silent',
    bucket: SAMPLE.bucket.name,
    object,
    policy: 'sync',
    ruleQuota: options.ruleQuota ?? 200,
  };
  const t = new Transport({ emulatorHost: emu.url, retry: { baseMs: 1, maxMs: 5 } });
  const get = async (policy: string) => (await client.get({ project, securityPolicy: policy }))[0];
  const operations = new compute.GlobalOperationsClient({
    apiEndpoint: '127.0.0.1',
    port: emu.port,
    protocol: 'http',
    authClient: new PassThroughClient(),
  } as unknown as ConstructorParameters<typeof compute.GlobalOperationsClient>[0]);
  return {
    project,
    object,
    cfg,
    t,
    upload: (text) =>
      emu.storage.writeObject(SAMPLE.bucket.name, object, Buffer.from(text), { contentType: 'text/yaml' }, {}, false)
        .generation,
    remove: () => emu.storage.deleteObject(SAMPLE.bucket.name, object),
    sync: (opts = {}) => reconcileAllowlist(t, cfg, { now: new Date('2026-01-01T00:00:00Z'), ...opts }),
    allowed: async (policy) => toCidrs(allowedByPolicy((await get(policy)).rules as PolicyRule[])).sort(),
    rules: async (policy) => (await get(policy)).rules as PolicyRule[],
    labels: async (policy) => ((await get(policy)).labels ?? {}) as Record<string, string>,
    wait: async (call) => {
      const op = call[0].latestResponse as { name: string };
      await operations.wait({ project, operation: op.name });
    },
  };
}

/** An allowlist file for `policies` with one list per entry group; entries are YAML flow maps. */
export function allowlistFile(
  lists: Record<string, readonly string[]>,
  options: { policies: readonly string[]; safety?: string; mode?: string; extra?: string },
): string {
  const body = Object.entries(lists).map(
    ([name, entries]) => `  ${name}:\n    entries:\n${entries.map((e) => `      - ${e}\n`).join('')}`,
  );
  return `version: 1\npolicies: [${options.policies.join(', ')}]\n${options.mode ? `mode: ${options.mode}\n` : ''}${options.safety ? `safety: ${options.safety}\n` : ''}${options.extra ?? ''}lists:\n${body.join('')}`;
}

/** `{ ip: …, description: … }` entries for `n` disjoint /32s starting at 10.<block>.0.0. */
export function hostEntries(n: number, block = 0, extra = ''): string[] {
  return Array.from(
    { length: n },
    (_, i) => `{ ip: 10.${block + (i >> 15)}.${(i >> 7) & 255}.${(i & 127) * 2}, description: host ${i}${extra} }`,
  );
}

export const GEN = 'netreflex-allowlist-generation';
