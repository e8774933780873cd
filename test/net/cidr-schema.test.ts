/** The CIDR of configuration (shared/net/cidr-schema.ts): canonical text out, and each refusal in words. */
import { describe, expect, it } from 'vitest';
import { cidr } from '../../shared/net/cidr-schema.js';

const issues = (value: string) => {
  const r = cidr.safeParse(value);
  if (!r.success) for (const i of r.error.issues) expect(i.code).toBe('custom');
  return r.success ? [] : r.error.issues.map((i) => i.message);
};

describe('cidr (configuration)', () => {
  it('answers the canonical form', () => {
    expect(cidr.parse('2001:DB8::/32')).toBe('2001:db8::/32');
    expect(cidr.parse('198.51.100.0/24')).toBe('198.51.100.0/24');
  });

  it('host bits set: says which range was meant', () => {
    expect(issues('198.51.100.7/24')).toEqual(['"198.51.100.7/24" has host bits set; did you mean 198.51.100.0/24?']);
  });

  it('a bare address: says it is not a range', () => {
    expect(issues('198.51.100.7')).toEqual([
      '"198.51.100.7" is an address, not a range; did you mean 198.51.100.7/32?',
    ]);
  });

  it("text that is no range at all: the parser's own words", () => {
    const [message] = issues('010.0.0.0/8');
    expect(message).toMatch(/010\.0\.0\.0\/8/);
    expect(issues('010.0.0.0/8')).toHaveLength(1);
  });
});
