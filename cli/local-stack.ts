/**
 * The CLI's one way into the local stack (local/, over the emulator): `netreflex up` runs it, and a CLI pointed at
 * it (NETREFLEX_EMULATOR_HOST) takes the sample topology for the variables left unset. Load this
 * module with `await import()` and only for those two cases, so a command against a real project
 * loads none of the local Google Cloud (eslint.config.js allows local/ imports here only;
 * test/cli/real-project.test.ts checks what a real-project command loads).
 */
export { FUNCTION_TARGETS, sampleEnv, startStack, type FunctionDeath, type Stack } from '../local/stack.js';
export { FunctionStartError } from '../local/functions-host.js';
export { SAMPLE } from '../local/topology.js';
