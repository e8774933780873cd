/**
 * terraform.tfvars.example says every value it shows is the default: each one must equal the
 * variable's default in variables.tf (the README's 40 × 8 run was refused with the example's old
 * psa_pool, a /16 where the default is a /15). A planted drift must be caught.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from '@cdktf/hcl2json';
import { describe, expect, it } from 'vitest';
import { TF_DIR } from './policy.js';

type Vars = Record<string, { default?: unknown }[]>;

async function drift(exampleText: string): Promise<string[]> {
  const example = (await parse('terraform.tfvars.example', exampleText)) as Record<string, unknown>;
  const variables = (
    (await parse('variables.tf', readFileSync(join(TF_DIR, 'variables.tf'), 'utf8'))) as { variable: Vars }
  ).variable;
  return Object.entries(example).flatMap(([name, value]) => {
    const declared = variables[name]?.[0];
    if (!declared) return [`${name}: set in the example, not declared in variables.tf`];
    if (!('default' in declared)) return [];
    return JSON.stringify(value) === JSON.stringify(declared.default)
      ? []
      : [`${name}: example ${JSON.stringify(value)}, default ${JSON.stringify(declared.default)}`];
  });
}

const EXAMPLE = readFileSync(join(TF_DIR, 'terraform.tfvars.example'), 'utf8');

describe('terraform.tfvars.example', () => {
  it('shows exactly the defaults', async () => {
    expect(await drift(EXAMPLE)).toEqual([]);
  });

  it('a value that drifted from its default is reported', async () => {
    expect(await drift(EXAMPLE.replace('psa_pool   = "10.98.0.0/15"', 'psa_pool   = "10.98.0.0/16"'))).toEqual([
      'psa_pool: example "10.98.0.0/16", default "10.98.0.0/15"',
    ]);
  });
});
