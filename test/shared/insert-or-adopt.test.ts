/**
 * insertOrAdopt (shared/gcp/operations.ts), the one idempotent insert natRoutes' routes and
 * peeringRanges' addresses use: a 409 over the same resource is done, a 409 whose resource is not
 * readable yet (its insert still running) waits, one over another resource is the caller's error,
 * and the wait ends at the deadline with a retryable 503.
 */
import { describe, expect, it } from 'vitest';
import { ApiError } from '../../shared/errors.js';
import { insertOrAdopt } from '../../shared/gcp/operations.js';

const conflict = () => Promise.reject(new ApiError(409, 'ALREADY_EXISTS', 'exists'));
const notFound = () => new ApiError(404, 'NOT_FOUND', 'not found');
const base = {
  same: (existing: string) => existing === 'ours',
  taken: (existing: string) => new Error(`taken by ${existing}`),
  what: 'route r1',
};

describe('insertOrAdopt', () => {
  it('an insert that succeeds wrote something (false) and reads nothing', async () => {
    let reads = 0;
    const r = await insertOrAdopt({ ...base, insert: async () => ({}), get: async () => (reads++, 'ours') });
    expect(r).toBe(false);
    expect(reads).toBe(0);
  });

  it('a 409 over the same resource is done without a write (true)', async () => {
    expect(await insertOrAdopt({ ...base, insert: conflict, get: async () => 'ours' })).toBe(true);
  });

  it('a 409 whose resource is not readable yet waits for the other insert to land', async () => {
    let reads = 0;
    const get = async () => {
      reads += 1;
      if (reads < 3) throw notFound();
      return 'ours';
    };
    expect(await insertOrAdopt({ ...base, insert: conflict, get })).toBe(true);
    expect(reads).toBe(3);
  });

  it("a 409 over another resource throws the caller's error", async () => {
    await expect(insertOrAdopt({ ...base, insert: conflict, get: async () => 'theirs' })).rejects.toThrow(
      'taken by theirs',
    );
  });

  it('a resource that never appears ends at the deadline with a 503 naming it', async () => {
    const started = Date.now();
    const err = await insertOrAdopt({
      ...base,
      insert: conflict,
      get: () => Promise.reject(notFound()),
      deadline: started + 300,
    }).catch((e: unknown) => e);
    expect(err).toMatchObject({
      code: 503,
      message: 'route r1 is being created by another call (409) and did not appear in time; retry',
    });
  });

  it('waits at most maxWaitMs after the 409, however far the deadline', async () => {
    const err = await insertOrAdopt({
      ...base,
      insert: conflict,
      get: () => Promise.reject(notFound()),
      deadline: Date.now() + 600_000,
      maxWaitMs: 200,
    }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 503 });
  });

  it("the caller's conflict is thrown even when it is itself a 404", async () => {
    const gone = new ApiError(404, 'NOT_FOUND', 'taken, and answered as a 404');
    await expect(
      insertOrAdopt({ ...base, insert: conflict, get: async () => 'theirs', taken: () => gone, maxWaitMs: 60_000 }),
    ).rejects.toBe(gone);
  });

  it('any other refusal of the insert, or of the read, is thrown as it is', async () => {
    const denied = new ApiError(403, 'PERMISSION_DENIED', 'no');
    await expect(
      insertOrAdopt({ ...base, insert: () => Promise.reject(denied), get: async () => 'ours' }),
    ).rejects.toBe(denied);
    await expect(insertOrAdopt({ ...base, insert: conflict, get: () => Promise.reject(denied) })).rejects.toBe(denied);
  });
});
