/**
 * Setup of the mutation runs (`npm run mutation`, vitest.mutation.config.ts): fast-check runs with
 * one fixed seed, so every mutant meets the same generated inputs and a score does not move from one
 * run to the next by chance. `NETREFLEX_MUTATION_SEED` picks another seed to look further.
 */
import fc from 'fast-check';

fc.configureGlobal({ seed: Number(process.env.NETREFLEX_MUTATION_SEED ?? 20261201) });
