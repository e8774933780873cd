/**
 * `sys.*`, `time.*`, `math.*` and `uuid.generate`: everything that reads the clock, the
 * environment or randomness goes through the injected StdContext, so tests pin all three.
 */
import { WorkflowError } from '../errors.js';
import { type Value } from '../values.js';
import { fn, num, opt, str, type Library, type StdContext } from './function.js';

const SEVERITIES = [
  'DEFAULT',
  'DEBUG',
  'INFO',
  'NOTICE',
  'WARNING',
  'ERROR',
  'CRITICAL',
  'ALERT',
  'EMERGENCY',
] as const;

function getEnv(ctx: StdContext, name: string, fallback: Value | undefined): Value {
  if (Object.prototype.hasOwnProperty.call(ctx.env, name)) return ctx.env[name]!;
  if (fallback !== undefined) return fallback;
  throw WorkflowError.of('KeyError', `environment variable not found: ${name}`);
}

function log([data, severity, text, json]: Value[], ctx: StdContext): null {
  const sev = str(severity!, 'sys.log').toUpperCase();
  if (!(SEVERITIES as readonly string[]).includes(sev))
    throw WorkflowError.of('ValueError', `sys.log: unknown severity '${sev}'`);
  ctx.log(sev, text ?? json ?? data ?? null);
  return null;
}

async function sleep(seconds: Value, ctx: StdContext): Promise<null> {
  const s = num(seconds, 'sys.sleep');
  if (s < 0) throw WorkflowError.of('ValueError', 'sys.sleep: seconds must not be negative');
  await ctx.sleep(s * 1000);
  return null;
}

/** Offset of `timeZone` at `ms`, in minutes east of UTC, through Intl (IANA names). */
function offsetMinutes(ms: number, timeZone: string): number {
  try {
    const parts = new Intl.DateTimeFormat('en-US', { timeZone, timeZoneName: 'longOffset' }).formatToParts(
      new Date(ms),
    );
    const m = /GMT([+-])(\d{2}):(\d{2})/.exec(parts.find((p) => p.type === 'timeZoneName')?.value ?? '');
    return m ? (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3])) : 0;
  } catch {
    throw WorkflowError.of('ValueError', `time.format: unknown time zone '${timeZone}'`);
  }
}

/** RFC 3339 with microseconds, as Workflows' `time.format` prints it. */
function formatTime(seconds: number, timeZone: string): string {
  const ms = Math.floor(seconds * 1000);
  const micros = String(Math.round((seconds * 1e6) % 1e6)).padStart(6, '0');
  const offset = offsetMinutes(ms, timeZone);
  const local = new Date(ms + offset * 60_000).toISOString().slice(0, 19);
  if (offset === 0) return `${local}.${micros}Z`;
  const abs = Math.abs(offset);
  return `${local}.${micros}${offset < 0 ? '-' : '+'}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
}

function parseTime(text: string): number {
  const m = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(\.\d+)?(Z|[+-]\d{2}:\d{2})$/i.exec(text);
  const ms = m ? Date.parse(`${m[1]}${m[3]}`) : NaN;
  if (!m || Number.isNaN(ms))
    throw WorkflowError.of('ValueError', `time.parse: '${text}' is not an RFC 3339 timestamp`);
  return ms / 1000 + Number(`0${m[2] ?? ''}`);
}

export const SYSTEM: Library = {
  'sys.get_env': {
    params: [{ name: 'name' }, { name: 'default', optional: true }],
    run: (args, ctx) => getEnv(ctx, str(args[0]!, 'sys.get_env'), args[1]),
  },
  'sys.now': fn([], (_args, ctx) => ctx.nowMs() / 1000),
  'sys.log': fn([opt('data'), opt('severity', 'DEFAULT'), opt('text'), opt('json'), opt('timeout')], log),
  'sys.sleep': fn(['seconds'], ([s], ctx) => sleep(s!, ctx), true),
  'sys.sleep_until': fn(
    ['time'],
    ([t], ctx) => sleep(Math.max(0, parseTime(str(t!, 'sys.sleep_until')) - ctx.nowMs() / 1000), ctx),
    true,
  ),
  'time.format': fn(['seconds', opt('timezone', 'UTC')], ([s, tz]) =>
    formatTime(num(s!, 'time.format'), str(tz!, 'time.format')),
  ),
  'time.parse': fn(['value'], ([v]) => parseTime(str(v!, 'time.parse'))),
  'math.abs': fn(['x'], ([x]) => Math.abs(num(x!, 'math.abs'))),
  'math.floor': fn(['x'], ([x]) => Math.floor(num(x!, 'math.floor'))),
  'math.max': fn(['x', 'y'], ([x, y]) => Math.max(num(x!, 'math.max'), num(y!, 'math.max'))),
  'math.min': fn(['x', 'y'], ([x, y]) => Math.min(num(x!, 'math.min'), num(y!, 'math.min'))),
  'uuid.generate': fn([], (_args, ctx) => ctx.uuid()),
};
