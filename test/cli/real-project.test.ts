/**
 * A CLI command against a real project loads none of the local Google Cloud: the emulator and the
 * local stack come in only through cli/local-stack.ts, and only when NETREFLEX_EMULATOR_HOST
 * points the CLI at them. Each command runs as a user runs it (bin/netreflex.js in its own
 * process), configured for a real project and without credentials, so it goes as far as the
 * first call to Google; a load hook records every module it loaded.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const HOOKS = fileURLToPath(new URL('./fixtures/record-loads.mjs', import.meta.url));
const EMULATOR = `${new URL('../../emulator/', import.meta.url).href}`;
const LOCAL = `${new URL('../../local/', import.meta.url).href}`;
const dir = mkdtempSync(join(tmpdir(), 'netreflex-cli-'));
const allowlist = join(dir, 'allowlist.yaml');
writeFileSync(
  allowlist,
  'version: 1\npolicies: [inference-policy]\nlists:\n  partners:\n    entries:\n      - cidr: 198.51.100.0/24\n        description: a partner\n',
);

/** A real project's configuration, and a HOME without Application Default Credentials. */
const REAL_PROJECT = {
  NETREFLEX_PROJECT: 'acme-prod',
  NETREFLEX_PROJECT_NUMBER: '1234567',
  NETREFLEX_DESTINATIONS: '198.51.100.0/24',
  NETREFLEX_CONFIG_BUCKET: 'acme-config',
  NETREFLEX_STATE_BUCKET: 'acme-state',
  NETREFLEX_REQUEST_BUCKET: 'acme-requests',
  METADATA_SERVER_DETECTION: 'none',
  HOME: dir,
};

interface Run {
  code: number;
  output: string;
  loaded: string[];
}

function run(args: string[], env: Record<string, string>): Promise<Run> {
  const log = join(dir, `${args.join('-').replace(/\W+/g, '-')}-${Object.keys(env).length}.log`);
  writeFileSync(log, '');
  const childEnv = { PATH: process.env.PATH ?? '', NETREFLEX_TEST_LOAD_LOG: log, ...env };
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', HOOKS, 'bin/netreflex.js', ...args],
      { cwd: ROOT, env: childEnv, timeout: 120_000 },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
        resolve({ code, output: stdout + stderr, loaded: readFileSync(log, 'utf8').split('\n').filter(Boolean) });
      },
    );
  });
}

/** The modules of the local Google Cloud and of the local stack built on it that a run loaded. */
const emulatorModules = (r: Run) => r.loaded.filter((url) => url.startsWith(EMULATOR) || url.startsWith(LOCAL));

describe('the CLI against a real project', () => {
  it('loads no emulator module, whatever the command', async () => {
    const commands = [
      ['validate', allowlist],
      ['plan', 'routes'],
      ['apply', 'ranges', '--jobs', '2', '--nodes-per-job', '8'],
      ['plan', 'allowlist'],
      ['status', '--json'],
      ['teardown'],
    ];
    const runs = await Promise.all(commands.map((args) => run(args, REAL_PROJECT)));
    runs.forEach((r, i) => {
      const what = commands[i]!.join(' ');
      // The command really ran: validate passes offline, the others reached for credentials.
      expect(
        r.loaded.some((url) => url.includes('/cli/main.ts')),
        what,
      ).toBe(true);
      if (what.startsWith('validate')) expect(r.code, `${what}: ${r.output}`).toBe(0);
      else expect(r.output, what).toMatch(/default credentials/);
      expect(emulatorModules(r), what).toEqual([]);
    });
  }, 180_000);

  it('loads the local stack when pointed at it (the probe sees its modules)', async () => {
    const r = await run(['validate', allowlist], { ...REAL_PROJECT, NETREFLEX_EMULATOR_HOST: 'http://127.0.0.1:9' });
    expect(r.code, r.output).toBe(0);
    expect(emulatorModules(r)).toContain(`${LOCAL}stack.ts`);
  }, 120_000);
});
