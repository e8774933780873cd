/**
 * The CLI as a user meets it in a shell: `--version`, what it says when the environment names no
 * project (and how to reach the local Google Cloud), and NETREFLEX_EMULATOR_HOST as a URL or as
 * `host:port`, the PUBSUB_EMULATOR_HOST convention.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Emulator } from '../../emulator/server.js';
import { startSampleEmulator } from '../../local/seed.js';
import { emulatorUrl } from '../../shared/config/common.js';
import { loadStatusConfig } from '../../shared/status/config.js';

const root = new URL('../..', import.meta.url).pathname;
const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
  version: string;
};

/** Runs bin/netreflex.js with exactly `env` (plus PATH), answering the exit code and both streams. */
async function cli(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  const base = { PATH: process.env.PATH ?? '', METADATA_SERVER_DETECTION: 'none' };
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, ['bin/netreflex.js', ...args], {
      cwd: root,
      env: { ...base, ...env },
      timeout: 30_000,
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

let emu: Emulator;
beforeAll(async () => {
  emu = await startSampleEmulator({ natInstances: ['nat-c1', 'nat-c2'] });
});
afterAll(() => emu?.close());

describe('netreflex CLI', () => {
  it('--version prints the package version', async () => {
    expect((await cli(['--version'])).stdout.trim()).toBe(version);
  });

  it('without a project or NETREFLEX_EMULATOR_HOST: exit 2, the unset variables, and how to reach the local Google Cloud', async () => {
    const { code, stderr } = await cli(['status']);
    expect(code).toBe(2);
    expect(stderr).toContain(
      'netreflex status: the environment does not configure it:\n  - NETREFLEX_PROJECT: required, not set',
    );
    expect(stderr).toContain('export NETREFLEX_EMULATOR_HOST=http://127.0.0.1:8090 (127.0.0.1:8090 works too)');
    expect(stderr).not.toMatch(/restart/);
  }, 30_000);

  it('a bad value is named; with NETREFLEX_EMULATOR_HOST set, no hint to set it', async () => {
    const { code, stderr } = await cli(['plan', 'routes'], {
      NETREFLEX_EMULATOR_HOST: emu.url,
      NETREFLEX_ROUTE_PRIORITY: 'high',
    });
    expect(code).toBe(2);
    expect(stderr).toMatch(
      /netreflex \(natRoutes\): the environment does not configure it:\n {2}- NETREFLEX_ROUTE_PRIORITY: .*\(got "high"\)/,
    );
    expect(stderr).not.toContain('export NETREFLEX_EMULATOR_HOST');
  }, 30_000);

  it('takes NETREFLEX_EMULATOR_HOST as host:port and reads the local Google Cloud there', async () => {
    const { stdout, code } = await cli(['status', '--json'], { NETREFLEX_EMULATOR_HOST: `127.0.0.1:${emu.port}` });
    const report = JSON.parse(stdout) as { project: string; exitCode: number; links: { id: string; state: string }[] };
    expect(report.exitCode).toBe(code);
    expect(report.project).toBe('netreflex-demo');
    // The unsynced sample topology has no routes yet, but every link was read: nothing is unknown.
    expect(report.links.filter((l) => l.state === 'unknown')).toEqual([]);
  }, 30_000);
});

describe('NETREFLEX_EMULATOR_HOST', () => {
  it.each([
    ['127.0.0.1:8090', 'http://127.0.0.1:8090'],
    ['localhost:8090', 'http://localhost:8090'],
    ['[::1]:8090', 'http://[::1]:8090'],
    ['http://127.0.0.1:8090/', 'http://127.0.0.1:8090'],
    ['https://emulator.example.com', 'https://emulator.example.com'],
  ])('%s means %s', (value, url) => {
    expect(emulatorUrl.parse(value)).toBe(url);
    expect(
      loadStatusConfig({
        NETREFLEX_PROJECT: 'netreflex-demo',
        NETREFLEX_DESTINATIONS: '198.51.100.10/32',
        NETREFLEX_EMULATOR_HOST: value,
      }).emulatorHost,
    ).toBe(url);
  });

  it('reads NETREFLEX_EGRESS_IPS as the workflow does, and refuses what is not an IP', () => {
    const base = { NETREFLEX_PROJECT: 'netreflex-demo', NETREFLEX_DESTINATIONS: '198.51.100.10/32' };
    expect(loadStatusConfig(base).egressIps).toBeUndefined();
    expect(loadStatusConfig({ ...base, NETREFLEX_EGRESS_IPS: '203.0.113.5, 2001:DB8::1' }).egressIps).toEqual([
      '203.0.113.5',
      '2001:db8::1',
    ]);
    expect(() => loadStatusConfig({ ...base, NETREFLEX_EGRESS_IPS: '203.0.113.0/28' })).toThrow(
      /NETREFLEX_EGRESS_IPS.*is not an IP address/,
    );
  });

  it.each(['ftp://127.0.0.1:8090', '127.0.0.1', 'not a host', 'http//127.0.0.1:8090'])(
    'refuses %s, saying both forms',
    (value) => {
      expect(() =>
        loadStatusConfig({
          NETREFLEX_PROJECT: 'netreflex-demo',
          NETREFLEX_DESTINATIONS: '198.51.100.10/32',
          NETREFLEX_EMULATOR_HOST: value,
        }),
      ).toThrow(/NETREFLEX_EMULATOR_HOST: must be a URL such as http:\/\/127\.0\.0\.1:8090, or host:port/);
    },
  );
});
