/**
 * The README is run, not just read: its "another terminal" block is executed line by line against a
 * running local stack, exactly as a new user would type it, and every variable a function reads must
 * appear in its configuration tables.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, type Stack } from '../../local/stack.js';
import { FUNCTIONS } from '../../shared/config/functions.js';
import { envNames } from '../../shared/config/env.js';
import { portLayout } from '../../cli/up.js';

const run = promisify(execFile);
const README = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');

/** The shell lines of the first ```sh block after `marker`, comments stripped. */
function shellBlockAfter(marker: string): string[] {
  const rest = README.slice(README.indexOf(marker));
  const block = /```sh\n([\s\S]*?)```/.exec(rest)?.[1] ?? '';
  return block
    .split('\n')
    .map((l) => l.replace(/\s+#.*$/, '').trim())
    .filter(Boolean);
}

describe('README', () => {
  it('has the two quick-start commands', () => {
    expect(README).toContain('npm ci && npm start');
    expect(README).toContain('npm ci && npm test');
  });

  it('documents every environment variable each function reads', () => {
    const missing = FUNCTIONS.flatMap((f) => envNames(f.env)).filter((name) => !README.includes(`\`${name}\``));
    expect(missing).toEqual([]);
  });

  it('documents the ports npm start takes, as netreflex up lays them out', () => {
    // | N | … |, | N+1 … N+5 | `natRoutes`, … |, | N+10 | Pub/Sub … | → offset: what.
    const documented = [...README.matchAll(/^\| N(?:\+(\d+))?(?: … N\+(\d+))? \| (.+) \|$/gm)].flatMap(
      ([, from = '0', to, what]) => {
        if (!to) return [`+${from} ${/gRPC/.test(what!) ? 'Pub/Sub, gRPC' : 'the local Google Cloud, HTTP'}`];
        const targets = [...what!.matchAll(/`(\w+)`/g)].map((m) => m[1]);
        expect(targets.length).toBe(Number(to) - Number(from) + 1);
        return targets.map((t, i) => `+${Number(from) + i} function ${t}`);
      },
    );
    expect(documented).toEqual(portLayout(8090).map((p) => `+${p.port - 8090} ${p.what}`));
  });

  // An explicitly ordered story on one stack: the session a reader types, in the README's order, each
  // block on the state the blocks before it left. Never shuffled or concurrent.
  describe('the quick-start session against npm start', { sequential: true, shuffle: false }, () => {
    let stack: Stack;
    beforeAll(async () => {
      stack = await startStack({
        tickMs: 0,
        emulator: { settings: { operationLatencyMs: 20, instanceStepMs: 50, pipelineStepMs: 20, pipelineRunMs: 200 } },
      });
      stack.emulator.workflows.timeScale = 0.01;
      stack.emulator.topics.publish('projects/netreflex-demo/topics/netreflex-tick', [{ data: '{}' }]);
      await stack.emulator.events.idle();
    }, 60_000);
    afterAll(() => stack?.stop());

    it('runs every line of the "another terminal" block; the plan is empty after the recreate', async () => {
      const lines = shellBlockAfter('Then, in another terminal:');
      expect(lines[0]).toMatch(/^export NETREFLEX_EMULATOR_HOST=/);
      const env = { ...process.env, NETREFLEX_EMULATOR_HOST: stack.emulator.url };
      const outputs: string[] = [];
      const sh = async (line: string) => {
        const [cmd, ...args] = line.split(/\s+/);
        return (await run(cmd!, args, { env, cwd: new URL('../..', import.meta.url).pathname, timeout: 60_000 }))
          .stdout;
      };
      for (const line of lines.slice(1)) outputs.push(await sh(line));
      // natRoutes may still be on its last settle pass when the MIG turns stable: look again briefly.
      for (let i = 0; i < 5 && !/No changes/.test(outputs[2]!); i++) {
        await new Promise((r) => setTimeout(r, 500));
        outputs[2] = await sh(lines[3]!);
      }
      expect(outputs[0]).toMatch(/No changes: 4 routes already as desired/);
      expect(outputs[1]).toMatch(/recreating nat-/);
      expect(outputs[2]).toMatch(/No changes: 4 routes already as desired/);
      expect(outputs[2]).toMatch(/Status: ok/);
    }, 120_000);

    it('sends the control API examples: each answers 200 and the faults are in force', async () => {
      const lines = shellBlockAfter('Its own control API');
      expect(lines.length).toBeGreaterThan(3);
      for (const line of lines) {
        const method = /-X (\w+)/.exec(line)?.[1] ?? 'GET';
        const path = /\$NETREFLEX_EMULATOR_HOST(\S+)/.exec(line)![1]!;
        const body = /-d '([^']*)'/.exec(line)?.[1];
        const res = await fetch(`${stack.emulator.url}${path}`, {
          method,
          headers: { 'content-type': 'application/json' },
          ...(body ? { body } : {}),
        });
        expect(res.status, line).toBe(200);
        if (path.endsWith('/faults') && method === 'POST') {
          const added = JSON.parse(body!) as { method?: string; fault: unknown };
          const active = await (await fetch(`${stack.emulator.url}${path}`)).text();
          expect(active, line).toContain(added.method ?? (added.fault as { kind: string }).kind);
        }
      }
    });

    it('runs the pipeline block: 40 parallel jobs get a new range, the run succeeds, status is all OK', async () => {
      const lines = shellBlockAfter('Run a whole pipeline through the orchestration');
      const env = { ...process.env, NETREFLEX_EMULATOR_HOST: stack.emulator.url };
      const outputs: string[] = [];
      for (const line of lines) {
        const [cmd, ...args] = line.split(/\s+/);
        outputs.push(
          (await run(cmd!, args, { env, cwd: new URL('../..', import.meta.url).pathname, timeout: 90_000 })).stdout,
        );
      }
      expect(outputs[0]).toMatch(/SUCCEEDED/);
      expect(outputs[0]).toMatch(/"netreflex-psa-vpc-a-10-99-0-0-16"/);
      expect(outputs[1]).toMatch(/egress path OK/);
    }, 180_000);
  });
});
