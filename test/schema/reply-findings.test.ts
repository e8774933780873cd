/**
 * No reply of the local Google Cloud, in this whole run, was outside Google's definitions: every
 * sample emulator the suite started (local/seed.ts) wrote each reply-shape finding it made to
 * NETREFLEX_REPLY_FINDINGS_DIR (emulator/schema/findings.ts), and this file runs after every other one (vitest.config.ts: a
 * later group). A 500 alone would not do: netreflex retries a 5xx and may report "degraded",
 * which a test can expect and pass.
 */
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readFindings, replyProblems } from '../../emulator/schema/findings.js';
import { startSampleEmulator } from '../../local/seed.js';
import { SAMPLE } from '../../local/topology.js';

const DIR = process.env.NETREFLEX_REPLY_FINDINGS_DIR;

afterAll(() => {
  if (!DIR) return;
  rmSync(DIR, { recursive: true, force: true });
  // Runs stopped before this file left their directories behind; an hour is longer than any run.
  const parent = dirname(DIR);
  if (!existsSync(parent)) return;
  for (const d of readdirSync(parent, { withFileTypes: true }).filter((e) => e.isDirectory()))
    if (Date.now() - statSync(join(parent, d.name)).mtimeMs > 3_600_000)
      rmSync(join(parent, d.name), { recursive: true, force: true });
});

describe("the local Google Cloud's replies in this run", () => {
  it('none was outside the definition it is checked against', () => {
    if (!DIR) throw new Error('NETREFLEX_REPLY_FINDINGS_DIR is not set: run this through vitest.config.ts (npm test)');
    expect(replyProblems(readFindings(DIR))).toEqual([]);
  });

  it('a planted reply with an unknown field is written down and fails this check, naming call and field', async () => {
    const planted = mkdtempSync(join(tmpdir(), 'netreflex-reply-findings-'));
    // The sample emulator takes its findings directory from the environment when it starts (local/seed.ts).
    const saved = process.env.NETREFLEX_REPLY_FINDINGS_DIR;
    process.env.NETREFLEX_REPLY_FINDINGS_DIR = planted;
    const emu = await startSampleEmulator().finally(() => (process.env.NETREFLEX_REPLY_FINDINGS_DIR = saved));
    try {
      const networks = `projects/${SAMPLE.project}/global/networks`;
      emu.store.update(networks, SAMPLE.vpcA.network, (n) => void (n.internalNote = 'not in compute.proto'));
      const res = await fetch(`${emu.url}/compute/v1/${networks}/${SAMPLE.vpcA.network}`);
      expect(res.status).toBe(500);
      const definition = emu.shapes.findings[0]?.definition ?? '';
      expect(definition).toMatch(/^google\.cloud\.compute\.v1\.Network \(@google-cloud\/compute@/);
      expect(replyProblems(readFindings(planted))).toEqual([
        `compute.networks.get (GET /compute/v1/${networks}/${SAMPLE.vpcA.network}) answered 200 with internalNote: unknown field "internalNote", outside ${definition} — in test/schema/reply-findings.test.ts; fix the emulator's reply (emulator/), not the check`,
      ]);
    } finally {
      await emu.close();
      rmSync(planted, { recursive: true, force: true });
    }
  });
});
