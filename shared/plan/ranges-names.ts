/**
 * Names of the ranges netreflex allocates. A global address name is unique per PROJECT, not per
 * network, so the network is part of it: `netreflex-psa-vpc-a-10-99-0-0-16`. Two networks of one
 * project can then hold the same CIDR without one's name blocking the other (the clash answered
 * every call for vpc-a with a 500), and a range is netreflex's on a network only when its name
 * says that network. The name is deterministic — the same block on the same network always has
 * the same name — which is what lets a retry find the address it created. RFC 1035 allows 63
 * characters: a network name too long to fit is shortened and a hash of the whole name keeps it
 * unique.
 */
import { formatIpv4Block, type Ipv4Block } from '../net/ipv4-blocks.js';

const MAX = 63;

/** The deterministic name of the range netreflex allocates for `block` on `network`. */
export function rangeName(block: Ipv4Block, namePrefix: string, network: string): string {
  const cidr = formatIpv4Block(block).replace(/[./]/g, '-');
  const full = `${namePrefix}${network}-${cidr}`;
  if (full.length <= MAX) return full;
  const hash = fnv1a(network);
  const room = MAX - namePrefix.length - cidr.length - hash.length - 2;
  return `${namePrefix}${network.slice(0, Math.max(1, room)).replace(/-+$/, '')}-${hash}-${cidr}`;
}

/** 32-bit FNV-1a of a string as 7 base-36 characters. */
function fnv1a(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(36).padStart(7, '0');
}
