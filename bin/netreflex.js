#!/usr/bin/env node
// netreflex CLI entry: runs the TypeScript sources through tsx so a clone works without a build step.
import { register } from 'tsx/esm/api';

register();
await import('../cli/main.ts');
