/**
 * Cloud Workflows inside the local Google Cloud: the engine wired to real HTTP for `http.*`, the
 * connector table for `googleapis.*` (back into this emulator over HTTP, on Google's paths), a
 * clock whose waits can be compressed (over the emulator's Timers: `close()` ends them, a test's
 * clock drives them), and fault injection for the HTTP callees. The emulator
 * serves it on the Workflows REST APIs (rest.ts); tests and the local stack reach it as
 * `emulator.workflows`.
 */
import { connectorHandler } from '../connectors/call.js';
import { WorkflowsEngine, type LogEntry } from './index.js';
import { fetchHttp, HttpFaults } from './fetch-http.js';
import { ScaledClock } from './scaled-clock.js';
import type { Store } from '../store.js';
import type { Timers } from '../timers.js';

export interface LocalWorkflowsOptions {
  /** The emulator's store: deployed workflows and their executions live in it (engine.ts). */
  store: Store;
  /** Base URL of the emulator, read when a connector runs. */
  baseUrl: () => string;
  /** The project number of a project id (what GOOGLE_CLOUD_PROJECT_NUMBER answers). */
  projectNumber: string | ((project: string) => string);
  /** The emulator's delays: every workflow wait runs on them, and reads their time. */
  timers: Timers;
  /** Wall-clock share of every workflow wait (1 = real time; tests use ~0.001). */
  timeScale?: number;
  log?: (entry: LogEntry & { execution?: string }) => void;
  /** An access token for a workflow's service account, for its connector and OAuth2 `http.*` calls. */
  accessToken?: (serviceAccount: string) => string;
  /** Whether a workflow's service account may write its `sys.log` entries (engine.ts EngineDeps.mayWriteLog). */
  mayWriteLog?: (serviceAccount: string, project: string) => boolean;
}

export class LocalWorkflows {
  readonly engine: WorkflowsEngine;
  readonly httpFaults = new HttpFaults();
  readonly clock: ScaledClock;
  /** Every `sys.log` of every execution, in order. */
  readonly logs: LogEntry[] = [];

  constructor(options: LocalWorkflowsOptions) {
    this.clock = new ScaledClock(options.timers, options.timeScale ?? 1);
    this.engine = new WorkflowsEngine({
      clock: this.clock,
      store: options.store,
      projectNumber: options.projectNumber,
      http: fetchHttp(this.httpFaults, options.timers, options.accessToken),
      connector: connectorHandler({
        baseUrl: options.baseUrl,
        // Polls at the emulator's pace, not compressed: a connector's wait is the emulator's, not the YAML's.
        sleep: (ms, signal) => options.timers.sleep(ms, signal),
        ...(options.accessToken ? { accessToken: options.accessToken } : {}),
      }),
      ...(options.mayWriteLog ? { mayWriteLog: options.mayWriteLog } : {}),
      log: (entry) => {
        this.logs.push(entry);
        options.log?.(entry);
      },
    });
  }

  /** Share of real time workflow waits take (retry backoff, `sys.sleep`, polling). */
  get timeScale(): number {
    return this.clock.scale;
  }

  set timeScale(scale: number) {
    this.clock.scale = scale;
  }
}
