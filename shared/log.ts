/**
 * Structured logs in Cloud Logging's JSON format: one object per line on stdout with `severity`,
 * `message` and the fields of the call. Cloud Run / Cloud Functions pick `severity` up as the
 * entry's level and everything else as `jsonPayload`, so a log line is queryable by field.
 */
import { pino, stdSerializers, destination as pinoDestination, type Logger, type LevelWithSilent } from 'pino';

export type { Logger };

const SEVERITY: Record<string, string> = {
  trace: 'DEBUG',
  debug: 'DEBUG',
  info: 'INFO',
  warn: 'WARNING',
  error: 'ERROR',
  fatal: 'CRITICAL',
};

export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;

/** Builds a logger writing Cloud Logging JSON to `destination` (stdout by default). */
export function createLogger(level: LevelWithSilent = 'info', destination?: NodeJS.WritableStream): Logger {
  return pino(
    {
      level,
      messageKey: 'message',
      base: undefined,
      timestamp: () => `,"timestamp":"${new Date().toISOString()}"`,
      formatters: {
        level: (label) => ({ severity: SEVERITY[label] ?? 'DEFAULT' }),
      },
      serializers: { err: stdSerializers.err },
    },
    destination ?? pinoDestination({ dest: 1, sync: true }),
  );
}
