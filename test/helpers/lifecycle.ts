/**
 * Object Lifecycle Management as Cloud Storage runs it, one pass at a given time, for the buckets a
 * scenario needs it on (the local Google Cloud keeps every version until told otherwise). A rule's
 * conditions must all hold (ANDed) and a version that meets every condition of a `Delete` rule is
 * deleted; deleting a live version of a versioned bucket makes it noncurrent
 * (https://cloud.google.com/storage/docs/lifecycle#conditions, #actions):
 * - `age`: days since the version was created;
 * - `num_newer_versions`: at least that many versions (the live one included) newer than it;
 * - `days_since_noncurrent_time`: days since it became noncurrent (live versions never match);
 * - `with_state`: `LIVE`, `ARCHIVED` (noncurrent) or `ANY`.
 * A condition it does not know is an error, so a rule is never half-judged.
 */
import type { Emulator } from '../../emulator/server.js';
import { blocks, isObject, loadModule, sub } from '../../local/terraform/reader.js';

export interface LifecycleRule {
  readonly action: string;
  readonly condition: Readonly<Record<string, unknown>>;
}

const DAY = 86_400_000;
const KNOWN = new Set(['age', 'num_newer_versions', 'days_since_noncurrent_time', 'with_state']);

/** The lifecycle rules terraform-bootstrap gives the bucket resource `name`, as written. */
export async function terraformLifecycle(name: string): Promise<LifecycleRule[]> {
  const bucket = blocks(await loadModule(), 'resource').find(
    (b) => b.type === 'google_storage_bucket' && b.name === name,
  );
  if (!bucket) throw new Error(`terraform-bootstrap has no google_storage_bucket.${name}`);
  const rules = Array.isArray(bucket.body.lifecycle_rule) ? bucket.body.lifecycle_rule : [];
  return rules.map((r) => {
    const rule = isObject(r) ? r : {};
    return { action: String(sub(rule, 'action')?.type), condition: sub(rule, 'condition') ?? {} };
  });
}

/** One lifecycle pass over the versions of `object` in `bucket` at `nowMs`: the `name#generation`s it deleted. */
export function runLifecycle(
  emu: Emulator,
  bucket: string,
  object: string,
  rules: readonly LifecycleRule[],
  nowMs: number,
): string[] {
  const versions = emu.storage.listObjects(bucket, true).filter((v) => v.name === object);
  const deleted: string[] = [];
  for (const v of versions) {
    const newer = versions.filter((o) => BigInt(o.generation) > BigInt(v.generation)).length;
    const live = !v.timeDeleted;
    const matches = (c: Readonly<Record<string, unknown>>) =>
      Object.entries(c).every(([key, want]) => {
        if (!KNOWN.has(key))
          throw new Error(`lifecycle condition ${key} is not emulated; add it to test/helpers/lifecycle.ts`);
        if (key === 'with_state') return want === 'ANY' || (want === 'LIVE') === live;
        if (key === 'age') return nowMs - Date.parse(String(v.timeCreated)) >= Number(want) * DAY;
        if (key === 'num_newer_versions') return newer >= Number(want);
        return !live && nowMs - Date.parse(String(v.timeDeleted)) >= Number(want) * DAY;
      });
    if (!rules.some((r) => r.action === 'Delete' && matches(r.condition))) continue;
    emu.storage.deleteObject(bucket, v.name, {}, live ? null : v.generation);
    deleted.push(`${v.name}#${v.generation}`);
  }
  return deleted;
}
