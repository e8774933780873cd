/**
 * `npm start` as a user runs it, on a free base port: all or nothing. A function that cannot
 * listen at start-up (a port clash) stops the stack with the port and the flag to change; one that
 * dies later stops everything, loudly, with exit 1; a SIGTERM to npm alone (its shell does not pass
 * it on) does not leave the stack holding its ports; a function follows its parent however the
 * parent went. Everything listens on 127.0.0.1 only.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { connect, createServer, type Server } from 'node:net';
import { describe, it } from 'vitest';
import { FUNCTION_TARGETS } from '../../local/stack.js';
import { portLayout } from '../../cli/up.js';

const root = new URL('../..', import.meta.url).pathname;
const TIMEOUT = 180_000;

function listen(port: number, host = '127.0.0.1'): Promise<Server> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(port, host, () => resolve(srv));
  });
}

const close = (srv: Server) => new Promise<void>((resolve) => srv.close(() => resolve()));

/** Whether every port of the layout of `base` can be bound on 127.0.0.1 now (nobody holds one). */
async function allFree(base: number): Promise<boolean> {
  const held: Server[] = [];
  try {
    for (const { port } of portLayout(base)) held.push(await listen(port));
    return true;
  } catch {
    return false;
  } finally {
    await Promise.all(held.map(close));
  }
}

/**
 * A base port whose whole layout is free now, below the kernel's ephemeral range (32768–60999 on
 * Linux), so no outgoing connection of this machine is handed one of its ports meanwhile, and above
 * 10080, the last port fetch refuses to call (the Fetch standard's bad ports).
 */
async function freeBase(): Promise<number> {
  for (;;) {
    const base = 10_100 + Math.floor(Math.random() * 22_000);
    if (await allFree(base)) return base;
  }
}

/** How often a test starts the stack again on another base when `up` says a port was taken. */
const CLASH_RETRIES = 3;
const clashedOn = (stderr: string) => Number(/port (\d+) \(.*\) is already in use/.exec(stderr)?.[1]) || undefined;

function connects(port: number, host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, host);
    socket.setTimeout(5_000, () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** Whether natRoutesSync on `port` answers an HTTP request (any status: it is serving). */
async function syncAnswers(port: number): Promise<boolean> {
  try {
    await fetch(`http://127.0.0.1:${port}/`, { method: 'GET', signal: AbortSignal.timeout(30_000) });
    return true;
  } catch {
    return false;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function eventually(
  what: string | (() => string),
  check: () => boolean | Promise<boolean>,
  timeoutMs = 90_000,
): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > until)
      throw new Error(`still not true after ${timeoutMs} ms: ${typeof what === 'string' ? what : what()}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

interface Started {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exit: Promise<number | null>;
}

/**
 * What one test started, ended when that test finishes (the tests run at once, so each cleans up
 * only its own processes, by pid).
 */
class Tracked {
  readonly running: Started[] = [];
  readonly pids: number[] = [];
  constructor(onTestFinished: (fn: () => void) => void) {
    onTestFinished(() => {
      for (const s of this.running)
        if (s.child.exitCode === null && s.child.signalCode === null) s.child.kill('SIGKILL');
      for (const pid of this.pids) if (pid > 0 && alive(pid)) process.kill(pid, 'SIGKILL');
    });
  }

  /** `npm start` on `base`, as in a shell (NETREFLEX_PORT). */
  npmStart(base: number): Started {
    const env: NodeJS.ProcessEnv = { ...process.env, NETREFLEX_PORT: String(base), NODE_OPTIONS: '' };
    delete env.NETREFLEX_EMULATOR_HOST;
    const child = spawn('npm', ['start', '--silent'], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
    return this.track(child);
  }

  track(child: ChildProcess): Started {
    let out = '';
    let err = '';
    child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr!.on('data', (c: Buffer) => (err += c.toString()));
    const exit = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
    const started = { child, stdout: () => out, stderr: () => err, exit };
    this.running.push(started);
    return started;
  }

  async whenUp(s: Started): Promise<{ up: number; functions: Record<string, number> }> {
    await eventually(
      () => `npm start prints its banner (stdout so far: ${s.stdout().slice(-500)}; stderr: ${s.stderr().slice(-500)})`,
      () => s.stdout().includes('Ctrl-C stops everything') || s.child.exitCode !== null || s.child.signalCode !== null,
      TIMEOUT - 30_000,
    );
    const found = bannerPids(s.stdout());
    this.pids.push(found.up, ...Object.values(found.functions));
    return found;
  }

  /**
   * `npm start` on a free base, up. Between choosing the base and binding it someone else on this
   * machine may take a port: `up` then exits 2 naming it (what the clash test holds it to), and the
   * stack starts again on another base — never when `up` fails any other way.
   */
  async startUp(): Promise<{ s: Started; base: number; up: number; functions: Record<string, number> }> {
    for (let attempt = 1; ; attempt++) {
      const base = await freeBase();
      const s = this.npmStart(base);
      const found = await this.whenUp(s);
      if (s.stdout().includes('Ctrl-C stops everything')) return { s, base, ...found };
      const code = await s.exit;
      if (code !== 2 || !clashedOn(s.stderr()) || attempt >= CLASH_RETRIES)
        throw new Error(`npm start on ${base} exited ${code} before its banner: ${s.stderr().slice(-1000)}`);
      console.warn(`npm start on ${base}: port ${clashedOn(s.stderr())} was taken meanwhile; trying another base`);
    }
  }
}

/** The pids the banner prints: netreflex up's own, then each function's. */
function bannerPids(stdout: string): { up: number; functions: Record<string, number> } {
  const up = Number(/local Google Cloud on \S+ \(pid (\d+)\)/.exec(stdout)?.[1]);
  const functions = Object.fromEntries(
    FUNCTION_TARGETS.map((t) => [t, Number(new RegExp(`^  ${t} +\\S+ +pid (\\d+)`, 'm').exec(stdout)?.[1])]),
  );
  return { up, functions };
}

// Each test starts its own stack on its own ports; they run at once so the file costs about one
// start-up, not four.
describe.concurrent('npm start', () => {
  it(
    'a function that cannot listen at start-up (its port taken): exit 2 with the port and the flag to change, nothing left listening',
    async ({ expect, onTestFinished }) => {
      const t = new Tracked(onTestFinished);
      let base: number;
      let s: Started;
      let squatter: Server;
      // Another base when a port other than the squatted one was taken meanwhile (a clash not ours).
      for (let attempt = 1; ; attempt++) {
        base = await freeBase();
        squatter = await listen(base + 2); // natRoutesSync's port
        s = t.npmStart(base);
        const code = await s.exit;
        const clash = clashedOn(s.stderr());
        if (code !== 2 || clash === undefined || clash === base + 2 || attempt >= CLASH_RETRIES) break;
        await close(squatter);
      }
      try {
        expect(await s.exit).toBe(2);
        expect(s.stderr()).toContain(`port ${base + 2} (function natRoutesSync) is already in use`);
        expect(s.stderr()).toMatch(/--port \d+ .*NETREFLEX_PORT=\d+/);
        expect(s.stdout()).not.toContain('Ctrl-C stops everything');
      } finally {
        await close(squatter);
      }
      expect(await allFree(base)).toBe(true);
    },
    TIMEOUT,
  );

  it(
    'listens on 127.0.0.1 only; a function that dies stops everything, loudly, exit 1',
    async ({ expect, onTestFinished }) => {
      const t = new Tracked(onTestFinished);
      const { s, base, up, functions } = await t.startUp();
      for (const { port, what } of portLayout(base)) {
        expect({ what, loopback: await connects(port, '127.0.0.1') }).toEqual({ what, loopback: true });
        // Another loopback address reaches a server that listens on every interface, not one on 127.0.0.1.
        expect({ what, otherAddress: await connects(port, '127.0.0.2') }).toEqual({ what, otherAddress: false });
      }
      process.kill(functions.peeringRanges!, 'SIGKILL');
      expect(await s.exit).toBe(1);
      expect(s.stderr()).toMatch(/FAILED: function peeringRanges was killed \(SIGKILL\)/);
      expect(alive(up)).toBe(false);
      for (const [target, pid] of Object.entries(functions))
        expect({ target, alive: alive(pid) }).toEqual({ target, alive: false });
      await eventually('every port of the stack free again', () => allFree(base));
    },
    TIMEOUT,
  );

  it(
    'SIGTERM to npm alone: the stack it started goes too and frees its ports',
    async ({ onTestFinished }) => {
      const t = new Tracked(onTestFinished);
      const { s, base, up, functions } = await t.startUp();
      s.child.kill('SIGTERM'); // npm passes it to its shell, which ends without passing it on
      await s.exit;
      await eventually('netreflex up gone', () => !alive(up));
      for (const [target, pid] of Object.entries(functions))
        await eventually(`function ${target} gone`, () => !alive(pid));
      await eventually('every port of the stack free again', () => allFree(base));
    },
    TIMEOUT,
  );
});

describe.concurrent('a local function', () => {
  it(
    'leaves a Ctrl-C to its parent, and exits when the parent is killed outright (SIGKILL leaves it no time to stop anything)',
    async ({ expect, onTestFinished }) => {
      const t = new Tracked(onTestFinished);
      const base = await freeBase();
      // A parent that starts natRoutesSync on `base`, prints its lines and then only waits.
      const script = `
        import { spawnFunction } from './local/functions-host.ts';
        import { sampleEnv } from './local/stack.ts';
        const fn = await spawnFunction({ target: 'natRoutesSync', signatureType: 'http', port: ${base}, env: sampleEnv('http://127.0.0.1:${base + 1}'), onLine: (line) => console.log(line) });
        console.log('function pid ' + fn.child.pid);
        setInterval(() => {}, 1000);
      `;
      const parent = t.track(
        spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
          cwd: root,
          env: { ...process.env, NODE_OPTIONS: '' },
          stdio: ['ignore', 'pipe', 'pipe'],
        }),
      );
      const out = () => parent.stdout() + parent.stderr();
      await eventually(
        () => `the function started (output: ${out().slice(-500)})`,
        () => /function pid \d+/.test(out()),
        TIMEOUT - 30_000,
      );
      const fnPid = Number(/function pid (\d+)/.exec(out())![1]);
      t.pids.push(fnPid);
      expect(await connects(base, '127.0.0.1')).toBe(true);
      // Ctrl-C reaches the whole process group: the function leaves it to its parent and keeps serving.
      process.kill(fnPid, 'SIGINT');
      await eventually(
        () => `the function took the SIGINT (output: ${out().slice(-500)})`,
        () => /Ctrl-C; the local stack stops this function/.test(out()),
      );
      expect(await syncAnswers(base)).toBe(true);
      expect(alive(fnPid)).toBe(true);
      parent.child.kill('SIGKILL');
      await eventually('the function gone', () => !alive(fnPid));
      await eventually('its port free', async () => {
        try {
          await close(await listen(base));
          return true;
        } catch {
          return false;
        }
      });
    },
    TIMEOUT,
  );
});
