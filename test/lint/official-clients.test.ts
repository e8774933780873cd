/**
 * The one-wrapper-per-API lint rule holds netreflex's product folders and nothing else: a user's
 * own script anywhere else in the tree may import an official client.
 */
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

const eslint = new ESLint({ cwd: new URL('../..', import.meta.url).pathname });
const CODE = "import compute from '@google-cloud/compute';\nexport const c = compute;\n";

async function restricted(filePath: string): Promise<string[]> {
  const [result] = await eslint.lintText(CODE, { filePath });
  return result!.messages.filter((m) => m.ruleId === '@typescript-eslint/no-restricted-imports').map((m) => m.message);
}

describe('restricted imports for the Google client libraries', () => {
  it.each([
    'functions/nat-routes/extra.ts',
    'shared/plan/extra.ts',
    'cli/commands/extra.ts',
    'emulator/compute/extra.ts',
  ])('refuses the import in product code: %s', async (file) => {
    expect(await restricted(file)).toEqual([expect.stringContaining('only under shared/gcp/')]);
  });

  it.each([
    'shared/gcp/extra.ts',
    'scripts/my-report.ts',
    'my-tool.ts',
    'examples/extra.ts',
    'test/extra.test.ts',
    'tools/ops/cleanup.ts',
  ])('allows it outside the product folders (and in shared/gcp/): %s', async (file) => {
    expect(await restricted(file)).toEqual([]);
  });

  it('still lets product code use the Functions Framework', async () => {
    const [result] = await eslint.lintText(
      "import { cloudEvent } from '@google-cloud/functions-framework';\nexport const f = cloudEvent;\n",
      { filePath: 'functions/x.ts' },
    );
    expect(result!.messages).toEqual([]);
  });
});
