/**
 * The allowlist file (version 1): what a security engineer reviews in a pull request and uploads
 * to the config bucket. Every object is strict — an unknown key is an error, because a typo such
 * as `expire:` would otherwise silently keep an entry open forever.
 *
 * The README (section "The allowlist file") documents every field; keep the two in step.
 */
import * as z from 'zod';
import { resourceName } from '../names.js';
import { DEFAULT_RULE_PRIORITY } from '../gcp/security-policies.js';

export const ALLOWLIST_MODES = ['sync', 'upsert-only'] as const;
export type AllowlistMode = (typeof ALLOWLIST_MODES)[number];

export const DEFAULT_PRIORITIES = { from: 1000, to: 1999 } as const;

/**
 * Shortest prefixes accepted without `allowWorldOpen`. /16 (65,536 addresses) is larger than any
 * single partner or office range in practice; /48 is one IPv6 site. Lower them in the file when a
 * caller really is that large — the point is that it takes a reviewed line to do so.
 */
export const DEFAULT_MIN_PREFIX = { ipv4: 16, ipv6: 48 } as const;

/** A list name: it is written into the ownership marker of Cloud Armor rule descriptions. */
export const listName = z
  .string()
  .regex(
    /^[a-z][a-z0-9-]{0,39}$/,
    'must be a lowercase name of at most 40 chars (a-z, 0-9, -), starting with a letter',
  );

/**
 * `2025-12-31` (00:00 UTC that day) or an RFC 3339 date-time with an offset. A date-time without an
 * offset is refused: whose midnight it means is exactly the ambiguity an expiry must not have.
 */
export const expiry = z.union([z.iso.date(), z.iso.datetime({ offset: true })], {
  error:
    'must be an ISO date (2025-12-31, meaning 00:00 UTC) or a date-time with an offset (2025-12-31T18:00:00+09:00)',
});

/** "The NAT IPs of that Cloud NAT": resolved by the caller, so the pipelines' egress IP is never copied by hand. */
export const cloudNatSource = z.strictObject({
  router: resourceName,
  nat: resourceName,
  /** Defaults to the function's region (NETREFLEX_REGION). */
  region: z
    .string()
    .regex(/^[a-z]+-[a-z]+[0-9]$/, 'must be a region such as asia-northeast1')
    .optional(),
});
export type CloudNatSource = z.infer<typeof cloudNatSource>;

const ENTRY_KINDS = ['cidr', 'ip', 'cloudNat'] as const;

export const entrySchema = z
  .strictObject({
    cidr: z.string().optional(),
    ip: z.string().optional(),
    cloudNat: cloudNatSource.optional(),
    /** Who or what this is and why it is allowed: required so every open range is explained in review. */
    description: z.string().trim().min(1, 'must say who this is and why they are allowed').max(256),
    expires: expiry.optional(),
  })
  .superRefine((entry, ctx) => {
    const given = ENTRY_KINDS.filter((k) => entry[k] !== undefined);
    if (given.length !== 1) {
      ctx.addIssue({
        code: 'custom',
        message: `an entry needs exactly one of cidr, ip or cloudNat (found ${given.length ? given.join(', ') : 'none'})`,
      });
    }
  });
export type EntryInput = z.infer<typeof entrySchema>;

export const listSchema = z.strictObject({
  description: z.string().max(256).optional(),
  /** Overrides the file's `policies` for this list. */
  policies: z.array(resourceName).min(1).optional(),
  /** Overrides the file's `preview` for this list's rules. */
  preview: z.boolean().optional(),
  entries: z.array(entrySchema),
});

/** Cloud Armor's default rule lives at the last priority; the band must stay below it. */
const priority = z
  .int()
  .min(0)
  .max(DEFAULT_RULE_PRIORITY - 1);

export const safetySchema = z.strictObject({
  minPrefixLength: z
    .strictObject({
      ipv4: z.int().min(0).max(32).default(DEFAULT_MIN_PREFIX.ipv4),
      ipv6: z.int().min(0).max(128).default(DEFAULT_MIN_PREFIX.ipv6),
    })
    .prefault({}),
  /** Explicit opt-in for `*`, 0.0.0.0/0, ::/0 and any prefix shorter than `minPrefixLength`. */
  allowWorldOpen: z.boolean().default(false),
  /** Largest share (0..1) of currently allowed addresses, per IP family, one sync may remove. */
  maxRemovalShare: z.number().min(0).max(1).default(0.5),
  /** One-shot override of `maxRemovalShare`; remove it again after the sync it was meant for. */
  force: z.boolean().default(false),
});
export type AllowlistSafety = z.infer<typeof safetySchema>;

export const allowlistFileSchema = z.strictObject({
  version: z.literal(1, { error: 'must be 1 (the only allowlist format version)' }),
  policies: z.array(resourceName).min(1).optional(),
  mode: z.enum(ALLOWLIST_MODES).default('sync'),
  preview: z.boolean().default(false),
  priorities: z
    .strictObject({ from: priority, to: priority })
    .refine((band) => band.from <= band.to, { error: '`from` must not be above `to`' })
    .default(DEFAULT_PRIORITIES),
  safety: safetySchema.prefault({}),
  lists: z.record(listName, listSchema),
});
export type AllowlistFile = z.infer<typeof allowlistFileSchema>;
