/**
 * The local Google Cloud: one HTTP server speaking the REST surfaces it emulates, on the
 * real paths, so the official client libraries work against it with only endpoint options
 * changed. It holds the state, the event router (local Eventarc) and the fault injector.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Router } from './http.js';
import { PROJECTS, Store } from './store.js';
import { DEFAULT_SETTINGS, type Settings } from './settings.js';
import { Faults } from './faults.js';
import { EventRouter } from './events/router.js';
import { AuditLog } from './events/audit-log.js';
import { Operations, registerOperations } from './compute/operations.js';
import type { ComputeContext } from './compute/context.js';
import { registerNetworks } from './compute/networks.js';
import { registerNetworkDelete } from './compute/network-delete.js';
import { registerRoutes } from './compute/routes.js';
import { registerInstances } from './compute/instances.js';
import { Migs } from './compute/migs.js';
import { registerMigApi } from './compute/mig-api.js';
import { registerControl } from './control.js';
import { Topics } from './pubsub/topics.js';
import { Subscriptions } from './pubsub/subscriptions.js';
import { startPubsubGrpc, type PubsubServer } from './pubsub/grpc.js';
import { registerPubsubRest } from './pubsub/rest.js';
import { CloudStorage } from './storage/storage.js';
import { registerStorage } from './storage/api.js';
import { registerSecurityPolicies } from './compute/security-policies.js';
import { registerRouters } from './compute/routers.js';
import { registerAddresses } from './compute/addresses.js';
import { LocalWorkflows } from './workflows/local.js';
import { registerWorkflowsRest } from './workflows/rest.js';
import {
  createServiceNetworking,
  registerServiceNetworking,
  type ServiceNetworking,
} from './servicenetworking/index.js';
import { registerFirewalls } from './compute/firewalls.js';
import { registerHealthChecks } from './compute/health-checks.js';
import { registerBackendServices } from './compute/backend-services.js';
import { registerForwardingRules } from './compute/forwarding-rules.js';
import { registerVertexAi, VertexAi } from './vertex/index.js';
import { Timers, type Clock } from './timers.js';
import { Iam } from './iam/policy.js';
import { authorize, type CheckRecord } from './iam/enforce.js';
import { registerIamControl } from './iam/control.js';
import { Shapes } from './schema/shapes.js';
import { loadSchemas } from './schema/sources.js';

export interface EmulatorOptions {
  port?: number;
  host?: string;
  settings?: Partial<Settings>;
  /** Port of the Pub/Sub gRPC server started by `listen` (default: any free port). */
  pubsubPort?: number;
  /** The clock under every delay of the emulator (`Timers`); Node's unless a test drives its own. */
  clock?: Clock;
  /** Who calls without a token of their own act as (audit logs, operations' `user`); default `user@example.com`. */
  ownerPrincipal?: string;
  /** Where Google's compiled request and response schemas are cached (schema/cache.ts); default the OS's temp dir. */
  schemaCacheDir?: string;
  /**
   * Where each reply or event outside Google's definitions is written, one JSON file each
   * (schema/findings.ts), and who is running the emulator (named in each); unset, none is written.
   */
  replyFindings?: { dir: string; source?: string };
}

/** A running local Google Cloud. */
export class Emulator {
  /** Every pending delay of this emulator, cancelled by `close()`. */
  readonly timers: Timers;
  readonly store: Store;
  readonly router = new Router();
  readonly faults: Faults;
  /** The local Eventarc; its waits (delay faults, retries) run on `timers`. */
  readonly events: EventRouter;
  /**
   * Audit logs name the project by the number its project resource states (`projects.get` →
   * projectNumber), and a caller by the member its IAM token stands for.
   */
  readonly audit: AuditLog;
  readonly settings: Settings;
  /** IAM in force on every Google API call (emulator/iam/); no token = the project owner (`ownerPrincipal`). */
  readonly iam: Iam;
  /** Every permission check IAM made, in order. */
  readonly iamChecks: CheckRecord[] = [];
  readonly operations: Operations;
  readonly compute: ComputeContext;
  readonly migs: Migs;
  readonly serviceNetworking: ServiceNetworking;
  readonly vertex: VertexAi;
  readonly topics: Topics;
  readonly subscriptions: Subscriptions;
  readonly storage: CloudStorage;
  /** Google's request and response shapes, checked on every call (emulator/schema/). */
  readonly shapes: Shapes;
  /** Workflows runs each workflow as its service account: its calls carry tokens the IAM above minted. */
  readonly workflows: LocalWorkflows;
  private server?: Server;
  private pubsub?: PubsubServer;
  private readonly pubsubPortWanted: number;
  url = '';
  port = 0;
  /** Pub/Sub gRPC `host:port` (for `PUBSUB_EMULATOR_HOST`), set by `listen`. */
  pubsubHost = '';
  pubsubPort = 0;

  constructor(options: EmulatorOptions = {}) {
    this.settings = { ...DEFAULT_SETTINGS, ...options.settings };
    this.timers = new Timers(options.clock);
    this.store = new Store(() => this.timers.now());
    this.iam = new Iam(() => this.timers.now(), this.store);
    this.shapes = new Shapes(loadSchemas(options.schemaCacheDir), options.replyFindings);
    this.workflows = new LocalWorkflows({
      store: this.store,
      timers: this.timers,
      baseUrl: () => this.url,
      projectNumber: (project) => String(this.store.get('projects', project)?.projectNumber ?? '0'),
      accessToken: (sa) => this.iam.mintToken(`serviceAccount:${sa}`).accessToken,
      mayWriteLog: (sa, project) =>
        this.checkDirect(
          `serviceAccount:${sa}`,
          'logging.entries.write',
          'logging.logEntries.create',
          `projects/${project}`,
        ),
    });
    this.events = new EventRouter(this.timers);
    this.events.checks.push((event) => this.shapes.checkEvent(event));
    this.topics = new Topics(this.store, this.events);
    this.storage = new CloudStorage(this.store, this.events, this.timers, (project) =>
      String(this.store.get('projects', project)?.projectNumber ?? '0'),
    );
    this.audit = new AuditLog(
      this.events,
      (project) => String(this.store.get('projects', project)?.projectNumber ?? project),
      (token) => {
        const p = this.iam.principalOf(token);
        return p?.kind === 'member' ? p.member.replace(/^\w+:/, '') : undefined;
      },
      options.ownerPrincipal,
    );
    this.faults = new Faults(this.timers);
    this.subscriptions = new Subscriptions(this.store, this.topics, this.timers);
    this.pubsubPortWanted = options.pubsubPort ?? 0;
    this.operations = new Operations(this.store, this.settings, this.faults, this.timers, this.audit.ownerPrincipal);
    this.compute = {
      store: this.store,
      settings: this.settings,
      operations: this.operations,
      audit: this.audit,
      timers: this.timers,
    };
    this.migs = new Migs(this.compute);
    this.router.addHook(this.faults.hook);
    this.router.addHook(async (methodId, req) => {
      authorize(this.iamContext(), methodId, req);
      return 'continue';
    });
    registerOperations(this.router, this.operations);
    registerNetworks(this.router, this.compute);
    registerNetworkDelete(this.router, this.compute);
    registerRoutes(this.router, this.compute);
    registerInstances(this.router, this.compute);
    registerMigApi(this.router, this.migs);
    registerSecurityPolicies(this.router, this.compute);
    registerRouters(this.router, this.compute);
    registerAddresses(this.router, this.compute);
    registerFirewalls(this.router, this.compute);
    registerHealthChecks(this.router, this.compute);
    registerBackendServices(this.router, this.compute, this.migs);
    registerForwardingRules(this.router, this.compute);
    const serviceNetworking = createServiceNetworking(this.compute, this.faults);
    this.serviceNetworking = serviceNetworking.sn;
    registerServiceNetworking(this.router, serviceNetworking);
    this.vertex = new VertexAi(this.store, this.settings, this.serviceNetworking, this.timers);
    registerVertexAi(this.router, this.vertex);
    registerStorage(this.router, this.storage, this.timers);
    registerControl(this.router, this);
    registerIamControl(this.router, this.iam, this.iamChecks);
    registerWorkflowsRest(this.router, this.workflows.engine);
    registerPubsubRest(this.router, this.topics);
    this.shapes.bind(this.router.list());
    this.router.addHook(this.shapes.hook);
    this.router.addReplyCheck((methodId, req, reply) => this.shapes.checkReply(methodId, req, reply));
  }

  /** An IAM check of a write the emulator makes for a caller without an HTTP call of its own (a workflow's sys.log), recorded like every other. */
  private checkDirect(member: string, methodId: string, permission: string, resource: string): boolean {
    const { allowed, binding } = this.iam.check({ kind: 'member', member }, permission, resource, []);
    this.iamChecks.push({
      member,
      methodId,
      permission,
      resource,
      allowed,
      ...(binding ? { role: binding.role } : {}),
      evaluated: { resource, ancestors: [] },
    });
    return allowed;
  }

  private iamContext() {
    const projects = () => this.store.list(PROJECTS);
    return {
      iam: this.iam,
      projectOfBucket: (bucket: string) => this.storage.projectOf(bucket),
      projectId: (idOrNumber: string) =>
        projects().find((p) => String(p.projectNumber) === idOrNumber)?.name ?? idOrNumber,
      defaultProject: () => projects()[0]?.name,
      record: (r: CheckRecord) => void this.iamChecks.push(r),
      objectExists: (resource: string) => {
        const m = /^projects\/_\/buckets\/([^/]+)\/objects\/(.+)$/.exec(resource);
        return m ? this.storage.hasObject(m[1]!, m[2]!) : false;
      },
      lookup: (path: string) => {
        const i = path.lastIndexOf('/');
        return this.store.get(path.slice(0, i), path.slice(i + 1));
      },
    };
  }

  async listen(port = 0, host = '127.0.0.1'): Promise<this> {
    this.server = createServer((req, res) => void this.router.handle(req, res));
    // Idle keep-alive sockets live longer than any pause between a client's calls, so the server
    // never closes one just as a client reuses it (ECONNRESET on a loaded machine); close() ends them all.
    this.server.keepAliveTimeout = 65_000;
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(port, host, resolve);
    });
    this.port = (this.server.address() as AddressInfo).port;
    this.url = `http://${host}:${this.port}`;
    try {
      this.pubsub = await startPubsubGrpc(this.topics, this.subscriptions, this.pubsubPortWanted, host, (rpc, reply) =>
        this.shapes.checkGrpcReply(rpc, reply),
      );
    } catch (err) {
      // Nothing left listening when the emulator cannot start; a taken port says which one.
      await new Promise<void>((resolve) => this.server!.close(() => resolve()));
      if (/EADDRINUSE/.test(String((err as Error).message)))
        throw Object.assign(
          new Error(`Pub/Sub (gRPC) cannot listen on ${host}:${this.pubsubPortWanted}: address already in use`),
          { code: 'EADDRINUSE', port: this.pubsubPortWanted },
        );
      throw err;
    }
    [this.pubsubHost, this.pubsubPort] = [this.pubsub.host, this.pubsub.port];
    return this;
  }

  async close(): Promise<void> {
    this.timers.clear();
    await this.events.close();
    await this.pubsub?.close();
    await new Promise<void>((resolve) => {
      if (!this.server) return resolve();
      this.server.closeAllConnections();
      this.server.close(() => resolve());
    });
  }
}

/** A listening local Google Cloud with nothing in it: no project, no resource (a caller seeds what it needs). */
export async function startEmulator(options: EmulatorOptions = {}): Promise<Emulator> {
  return new Emulator(options).listen(options.port ?? 0, options.host);
}
