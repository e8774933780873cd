#!/usr/bin/env node
// netreflex CLI entry: runs the TypeScript sources through tsx so a clone works without a build step.
import { register } from 'tsx/esm/api';

register();
// Against the local Google Cloud nothing may probe the GCE metadata server (169.254.169.254).
if (process.env.NETREFLEX_EMULATOR_HOST || process.argv[2] === 'up') process.env.METADATA_SERVER_DETECTION ??= 'none';
await import('../cli/main.ts');
