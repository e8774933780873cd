/**
 * The layering eslint.config.js holds, each rule with a planted mistake that it refuses and the
 * import it must still allow: planners import no API wrapper (types and gcp/paths.js only),
 * shared/gcp/ no planner, the allowlist file format no environment config, product code never the
 * emulator nor the local stack — except the CLI's one seam to the local stack, cli/local-stack.ts —
 * and the fake Google Cloud (emulator/) never the local stack built on it (local/).
 */
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

const eslint = new ESLint({ cwd: new URL('../..', import.meta.url).pathname });

/** The restricted-import messages for `code` placed at `filePath`. */
async function refused(filePath: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(`${code}\nexport const used = x;\n`, { filePath });
  return result!.messages.filter((m) => m.ruleId === '@typescript-eslint/no-restricted-imports').map((m) => m.message);
}

describe('layering', () => {
  it.each([
    ['shared/plan/extra.ts', "import { listRoutes as x } from '../gcp/routes.js';", 'planners are pure'],
    [
      'shared/gcp/extra.ts',
      "import type { PlanInput as x } from '../plan/routes.js';",
      'imports nothing from the planners',
    ],
    [
      'shared/gcp/extra.ts',
      "import { planRoutes as x } from '../plan/routes.js';",
      'imports nothing from the planners',
    ],
    [
      'shared/allowlist/extra.ts',
      "import { resourceName as x } from '../config/common.js';",
      'environment configuration',
    ],
    [
      'shared/allowlist/extra.ts',
      "import { logger as x } from '../log.js';",
      'environment configuration or the logger',
    ],
    [
      'functions/nat-routes/extra.ts',
      "import { SAMPLE as x } from '../../local/topology.js';",
      'never imports the emulator or the local stack',
    ],
    [
      'shared/status/extra.ts',
      "import { startEmulator as x } from '../../emulator/server.js';",
      'never imports the emulator',
    ],
    [
      'shared/gcp/extra.ts',
      "import { startEmulator as x } from '../../emulator/server.js';",
      'never imports the emulator',
    ],
    [
      'cli/env.ts',
      "import { sampleEnv as x } from '../local/stack.js';",
      'never imports the emulator or the local stack',
    ],
    [
      'cli/commands/extra.ts',
      "import { startStack as x } from '../../local/stack.js';",
      'never imports the emulator or the local stack',
    ],
    ['emulator/extra.ts', "import { SAMPLE as x } from '../local/topology.js';", 'knows no netreflex'],
    ['emulator/compute/extra.ts', "import { seedSample as x } from '../../local/seed.js';", 'knows no netreflex'],
    ['emulator/pubsub/extra.ts', "import { startStack as x } from '../../local/stack.js';", 'knows no netreflex'],
    ['emulator/compute/extra.ts', "import x from '@google-cloud/compute';", 'only under shared/gcp/'],
  ])('refuses in %s: %s', async (file, code, message) => {
    expect(await refused(file, code)).toEqual([expect.stringContaining(message)]);
  });

  it.each([
    ['shared/plan/extra.ts', "import type { Route as x } from '../gcp/routes.js';"],
    ['shared/plan/extra.ts', "import { resourcePath as x } from '../gcp/paths.js';"],
    ['shared/allowlist/extra.ts', "import { resourceName as x } from '../names.js';"],
    ['cli/local-stack.ts', "import { sampleEnv as x } from '../local/stack.js';"],
    ['shared/armor-allowlist/extra.ts', "import { planAllowlist as x } from '../plan/allowlist.js';"],
    ['test/extra.test.ts', "import { startEmulator as x } from '../emulator/server.js';"],
    ['test/extra.test.ts', "import { SAMPLE as x } from '../local/topology.js';"],
    ['local/extra.ts', "import { Emulator as x } from '../emulator/server.js';"],
    ['emulator/workflows/extra.ts', "import { LocalWorkflows as x } from './local.js';"],
  ])('allows in %s: %s', async (file, code) => {
    expect(await refused(file, code)).toEqual([]);
  });
});
