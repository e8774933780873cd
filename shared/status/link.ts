/** Building links: an ok link has a summary; a broken or unknown one also has the fix. */
import { unreadable, type ReadContext } from './errors.js';
import type { Link, LinkId, LinkState } from './types.js';

export interface LinkHead {
  id: LinkId;
  title: string;
}

export const ok = (head: LinkHead, reason: string, details: string[] = []): Link => ({
  ...head,
  state: 'ok',
  reason,
  details,
});

export const broken = (head: LinkHead, reason: string, fix: string, details: string[] = []): Link => ({
  ...head,
  state: 'broken',
  reason,
  fix,
  details,
});

export const unknown = (head: LinkHead, reason: string, fix: string, details: string[] = []): Link => ({
  ...head,
  state: 'unknown',
  reason,
  fix,
  details,
});

/** A read of `what` failed: the link is unknown, with why and how to make it readable. */
export function unreadableLink(
  head: LinkHead,
  what: string,
  methods: readonly string[],
  err: unknown,
  ctx: ReadContext,
  details: string[] = [],
): Link {
  const { reason, fix } = unreadable(what, methods, err, ctx);
  return unknown(head, reason, fix, details);
}

/** A link that needs what another link reads cannot be judged while that one is not ok. */
export function needs(head: LinkHead, dependency: Link, what: string): Link {
  return unknown(
    head,
    `could not check: needs ${what}, and "${dependency.title}" is ${dependency.state.toUpperCase()}`,
    `${dependency.state === 'broken' ? 'fix' : 'make readable'} "${dependency.title}" first: ${dependency.fix ?? dependency.reason}`,
  );
}

/**
 * The headline: any broken link makes the path broken; otherwise any unknown link makes it
 * unknown. No links at all is unknown too: nothing was seen.
 */
export function worstState(links: readonly Link[]): LinkState {
  if (links.some((l) => l.state === 'broken')) return 'broken';
  if (!links.length || links.some((l) => l.state === 'unknown')) return 'unknown';
  return 'ok';
}
