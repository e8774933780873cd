/**
 * Runs a netreflex function locally the way Cloud Run functions does: the Functions Framework in
 * its own process (local/function-runner.js: the framework's start-up, listening on 127.0.0.1),
 * with FUNCTION_TARGET and the function's environment, serving HTTP. TypeScript sources load
 * through tsx, so a fresh clone needs no build step.
 *
 * The function is up when it says so over its IPC channel — not when its port accepts a
 * connection, which another process holding the port would too — and it exits when its parent
 * goes, however the parent went.
 *
 * Given an identity, the function gets its own metadata server (emulator/iam/metadata-server.ts)
 * through GCE_METADATA_HOST, as a deployed function has one: it then calls the local Google Cloud
 * as that service account, with what its roles grant. The child never sees
 * GOOGLE_APPLICATION_CREDENTIALS, so a developer's own credentials never stand in for it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { startMetadataServer, type FunctionIdentity, type MetadataServer } from '../emulator/iam/metadata-server.js';

export interface FunctionProcess {
  target: string;
  url: string;
  port: number;
  child: ChildProcess;
  /** Lines the function wrote (stdout and stderr), for tests and `netreflex up`. */
  output: string[];
  /** Settles when the process has exited (its output and messages all read), for whatever reason. */
  exited: Promise<FunctionExit>;
  /** True once `stop()` was called: an exit after it is no death. */
  readonly stopping: boolean;
  stop(): Promise<void>;
}

export interface FunctionExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** A function could not start: `port` set when the port was taken (EADDRINUSE). */
export class FunctionStartError extends Error {
  constructor(
    message: string,
    readonly target: string,
    readonly code: string | undefined,
    readonly port: number | undefined,
  ) {
    super(message);
    this.name = 'FunctionStartError';
  }
}

export interface SpawnOptions {
  target: string;
  signatureType: 'cloudevent' | 'http';
  /** The port to listen on (127.0.0.1); 0 picks a free one. */
  port: number;
  env: Record<string, string>;
  /** Called with each output line (e.g. to pretty-print in `netreflex up`). */
  onLine?: (line: string) => void;
  /** Source module; defaults to functions/index.ts. */
  source?: string;
  /** The service account the function calls as; without one it calls as the project owner. */
  identity?: FunctionIdentity;
  /** How long start-up may take (default 60 s: five tsx processes on two loaded cores are slow). */
  startTimeoutMs?: number;
}

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const RUNNER = path.join(root, 'local/function-runner.js');

type RunnerMessage =
  { kind: 'listening'; port: number } | { kind: 'failed'; code?: string; port?: number; message: string };

export async function spawnFunction(opts: SpawnOptions): Promise<FunctionProcess> {
  const source = opts.source ?? path.join(root, 'functions/index.ts');
  // Built JavaScript (the deployable bundle) runs as deployed: without the TypeScript loader.
  const loader = source.endsWith('.ts') ? ['--import', 'tsx'] : [];
  const args = [
    ...loader,
    RUNNER,
    `--target=${opts.target}`,
    `--signature-type=${opts.signatureType}`,
    `--source=${source}`,
    `--port=${opts.port}`,
  ];
  const metadata = opts.identity ? await startMetadataServer(opts.identity) : undefined;
  // The IPC channel is how the function says it listens, and how it knows its parent is gone.
  const child = spawn(process.execPath, args, {
    cwd: root,
    env: {
      ...childEnv(metadata),
      ...opts.env,
      FUNCTION_TARGET: opts.target,
      FUNCTION_SIGNATURE_TYPE: opts.signatureType,
      NODE_OPTIONS: '',
    },
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  const exited = new Promise<FunctionExit>((resolve) =>
    child.once('close', (code, signal) => resolve({ code, signal })),
  );
  void exited.then(() => metadata?.close());
  const output: string[] = [];
  const collect = (chunk: Buffer) => {
    for (const line of chunk.toString().split('\n').filter(Boolean)) {
      output.push(line);
      opts.onLine?.(line);
    }
  };
  child.stdout!.on('data', collect);
  child.stderr!.on('data', collect);
  let port: number;
  try {
    port = await waitListening(opts, child, exited, output);
  } catch (err) {
    child.kill('SIGKILL');
    await exited;
    await metadata?.close();
    throw err;
  }
  let stopping = false;
  const stop = async () => {
    stopping = true;
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const kill = setTimeout(() => child.kill('SIGKILL'), 3_000);
      kill.unref();
      await exited;
      clearTimeout(kill);
    }
    await metadata?.close();
  };
  return {
    target: opts.target,
    url: `http://127.0.0.1:${port}`,
    port,
    child,
    output,
    exited,
    get stopping() {
      return stopping;
    },
    stop,
  };
}

/**
 * The parent's environment without its Google credentials, plus where the metadata server is:
 * the function's transport asks it for its token (shared/gcp/credentials.ts), google-auth-library (the
 * official Workflows client's auth) finds it too (`assume-present` spares the probe), and neither
 * finds a key file; without one it is told there is none (`none`), as before.
 */
function childEnv(metadata: MetadataServer | undefined): NodeJS.ProcessEnv {
  const { GOOGLE_APPLICATION_CREDENTIALS: _adc, GCE_METADATA_HOST: _host, GCE_METADATA_IP: _ip, ...env } = process.env;
  return metadata
    ? { ...env, GCE_METADATA_HOST: metadata.host, METADATA_SERVER_DETECTION: 'assume-present' }
    : { ...env, METADATA_SERVER_DETECTION: 'none' };
}

/** The port the function says it listens on, or why it could not start. */
async function waitListening(
  opts: SpawnOptions,
  child: ChildProcess,
  exited: Promise<FunctionExit>,
  output: string[],
): Promise<number> {
  const timeoutMs = opts.startTimeoutMs ?? 60_000;
  let timer: NodeJS.Timeout | undefined;
  let failed: RunnerMessage | undefined;
  const said = new Promise<number>((resolve) => {
    child.on('message', (m: RunnerMessage) => {
      if (m.kind === 'listening') resolve(m.port);
      else failed = m;
    });
  });
  const died = exited.then(({ code, signal }) => {
    const why = failed?.kind === 'failed' ? failed : undefined;
    const how = signal ? `was killed (${signal})` : `exited with code ${code}`;
    throw new FunctionStartError(
      `function ${opts.target} ${how} during start-up${why ? `: ${why.message}` : ''}:\n${output.join('\n')}`,
      opts.target,
      why?.code,
      why?.port,
    );
  });
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new FunctionStartError(
            `function ${opts.target} did not listen within ${timeoutMs} ms:\n${output.join('\n')}`,
            opts.target,
            undefined,
            undefined,
          ),
        ),
      timeoutMs,
    );
  });
  try {
    return await Promise.race([said, died, late]);
  } finally {
    clearTimeout(timer);
  }
}
