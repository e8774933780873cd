/**
 * Runs a netreflex function locally the way Cloud Run functions does: the Functions Framework
 * CLI in its own process, with FUNCTION_TARGET and the function's environment, serving HTTP.
 * TypeScript sources load through tsx, so a fresh clone needs no build step.
 *
 * Given an identity, the function gets its own metadata server (emulator/iam/metadata-server.ts)
 * through GCE_METADATA_HOST, as a deployed function has one: it then calls the local Google Cloud
 * as that service account, with what its roles grant. The child never sees
 * GOOGLE_APPLICATION_CREDENTIALS, so a developer's own credentials never stand in for it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { connect } from 'node:net';
import { startMetadataServer, type FunctionIdentity, type MetadataServer } from './iam/metadata-server.js';

export interface FunctionProcess {
  target: string;
  url: string;
  port: number;
  child: ChildProcess;
  /** Lines the function wrote (stdout and stderr), for tests and `netreflex up`. */
  output: string[];
  stop(): Promise<void>;
}

export interface SpawnOptions {
  target: string;
  signatureType: 'cloudevent' | 'http';
  port: number;
  env: Record<string, string>;
  /** Called with each output line (e.g. to pretty-print in `netreflex up`). */
  onLine?: (line: string) => void;
  /** Source module; defaults to functions/index.ts. */
  source?: string;
  /** The service account the function calls as; without one it calls as the project owner. */
  identity?: FunctionIdentity;
}

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);

export async function spawnFunction(opts: SpawnOptions): Promise<FunctionProcess> {
  const ffMain = path.join(path.dirname(require.resolve('@google-cloud/functions-framework')), 'main.js');
  const source = opts.source ?? path.join(root, 'functions/index.ts');
  // Built JavaScript (the deployable bundle) runs as deployed: without the TypeScript loader.
  const loader = source.endsWith('.ts') ? ['--import', 'tsx'] : [];
  const args = [...loader, ffMain, `--target=${opts.target}`, `--signature-type=${opts.signatureType}`, `--source=${source}`, `--port=${opts.port}`];
  const metadata = opts.identity ? await startMetadataServer(opts.identity) : undefined;
  const child = spawn(process.execPath, args, { cwd: root, env: { ...childEnv(metadata), ...opts.env, FUNCTION_TARGET: opts.target, FUNCTION_SIGNATURE_TYPE: opts.signatureType, NODE_OPTIONS: '' }, stdio: ['ignore', 'pipe', 'pipe'] });
  child.once('exit', () => void metadata?.close());
  const output: string[] = [];
  const collect = (chunk: Buffer) => {
    for (const line of chunk.toString().split('\n').filter(Boolean)) {
      output.push(line);
      opts.onLine?.(line);
    }
  };
  child.stdout!.on('data', collect);
  child.stderr!.on('data', collect);
  const url = `http://127.0.0.1:${opts.port}`;
  try {
    await waitListening(url, child, output);
  } catch (err) {
    child.kill('SIGKILL');
    await metadata?.close();
    throw err;
  }
  const stop = async () => {
    await new Promise<void>((resolve) => {
      if (child.exitCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
      setTimeout(() => child.kill('SIGKILL'), 3_000).unref();
    });
    await metadata?.close();
  };
  return { target: opts.target, url, port: opts.port, child, output, stop };
}

/**
 * The parent's environment without its Google credentials, plus where the metadata server is:
 * google-auth-library then finds the metadata server (`assume-present` spares the probe) and never a
 * key file; without one it is told there is none (`none`), as before.
 */
function childEnv(metadata: MetadataServer | undefined): NodeJS.ProcessEnv {
  const { GOOGLE_APPLICATION_CREDENTIALS: _adc, GCE_METADATA_HOST: _host, GCE_METADATA_IP: _ip, ...env } = process.env;
  return metadata ? { ...env, GCE_METADATA_HOST: metadata.host, METADATA_SERVER_DETECTION: 'assume-present' } : { ...env, METADATA_SERVER_DETECTION: 'none' };
}

async function waitListening(url: string, child: ChildProcess, output: string[], timeoutMs = 30_000): Promise<void> {
  const started = Date.now();
  while (Date.now() - started < timeoutMs) {
    if (child.exitCode !== null) throw new Error(`function exited with code ${child.exitCode} during start-up:\n${output.join('\n')}`);
    if (await accepts(url)) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`function did not listen on ${url} within ${timeoutMs} ms:\n${output.join('\n')}`);
}

/** True once the port accepts a TCP connection (an HTTP probe would be a malformed event). */
function accepts(url: string): Promise<boolean> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = connect(Number(port), hostname);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
