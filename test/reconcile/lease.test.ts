/**
 * The kernel's lease (shared/reconcile/lease.ts) with a state of its own, not peeringRanges': what a
 * holder releases is what the next one acquires, one of two callers racing for a free lease gets it
 * while the other waits, and an object that is not a lease reads as a free one with the empty state.
 * (peeringRanges' own suite covers expiry, the 503 past the wait and the fence.)
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Emulator } from '../../emulator/server.js';
import { startSampleEmulator } from '../../local/seed.js';
import { Transport } from '../../shared/gcp/transport.js';
import { Lease, readLease, type LeaseState } from '../../shared/reconcile/lease.js';
import { storageClient } from '../helpers/storage.js';

const BUCKET = 'netreflex-lease-test';
const COUNTER: LeaseState<{ count: number }> = {
  empty: { count: 0 },
  parse: (json) => ({ count: typeof json.count === 'number' ? json.count : 0 }),
};

let emu: Emulator;
const transport = () => new Transport({ emulatorHost: emu.url, retry: { attempts: 3, baseMs: 5, maxMs: 20 } });
const options = (object: string) => ({
  bucket: BUCKET,
  object,
  state: COUNTER,
  ttlMs: 5_000,
  waitMs: 5_000,
  what: 'count',
  scope: 'the test',
});

beforeAll(async () => {
  emu = await startSampleEmulator();
  await storageClient(emu.url).createBucket(BUCKET);
});

afterAll(async () => {
  await emu?.close();
});

describe('the kernel lease', () => {
  it('hands each holder the state the one before it released, one holder at a time', async () => {
    const add = async () => {
      const lease = await Lease.acquire(transport(), options('counter.json'));
      const seen = lease.body.count;
      await new Promise((res) => setTimeout(res, 20));
      expect(await lease.release({ count: seen + 1 })).toBe(true);
    };
    await Promise.all([add(), add(), add(), add()]);
    const { body } = await readLease(transport(), BUCKET, 'counter.json', COUNTER);
    // A lost update (two holders at once reading the same count) would leave fewer than 4.
    expect(body).toEqual({ holder: null, expiresAt: null, count: 4 });
  });

  it('an object that is not a lease (not JSON, or not an object) is a free lease with the empty state', async () => {
    const gcs = storageClient(emu.url).bucket(BUCKET);
    for (const text of ['not json', '[1, 2]', 'null']) {
      await gcs.file('junk.json').save(text);
      const { body } = await readLease(transport(), BUCKET, 'junk.json', COUNTER);
      expect(body).toEqual({ holder: null, expiresAt: null, count: 0 });
      const lease = await Lease.acquire(transport(), options('junk.json'));
      expect(await lease.release({ count: 7 })).toBe(true);
      expect((await readLease(transport(), BUCKET, 'junk.json', COUNTER)).body.count).toBe(7);
    }
  });
});
