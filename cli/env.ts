/**
 * The CLI's environment: against the local Google Cloud (NETREFLEX_EMULATOR_HOST set) the
 * sample topology fills any variable left unset, so `netreflex plan routes` just works next to
 * `npm start`; against a real project every variable comes from the shell, as the functions', and
 * the local stack is not loaded at all.
 */
export async function cliEnv(env: NodeJS.ProcessEnv = process.env): Promise<Record<string, string | undefined>> {
  const host = env.NETREFLEX_EMULATOR_HOST;
  if (!host) return { ...env };
  const { SAMPLE, sampleEnv } = await import('./local-stack.js');
  // `npm start -- --route-mode ilb`: the sample's load balancer is the next hop (nat.tf's ilb_name).
  const ilb = env.NETREFLEX_ROUTE_MODE === 'ilb' ? { NETREFLEX_ILB_FORWARDING_RULE: SAMPLE.nat.ilb } : {};
  return { ...sampleEnv(host), ...ilb, ...env };
}
