/** The one report envelope's status table, the kinds of failure, and degrade. */
import { describe, expect, it } from 'vitest';
import { ApiError, ConfigError, SafetyError } from '../../shared/errors.js';
import { degrade, failureOf, httpStatus, severityOf, type Envelope } from '../../shared/reconcile/report.js';

const env = (over: Partial<Envelope>): Pick<Envelope, 'status' | 'retry' | 'error'> => ({
  status: 'ok',
  retry: false,
  ...over,
});

describe('httpStatus', () => {
  it.each([
    [{ status: 'ok' }, 200],
    [{ status: 'unchanged' }, 200],
    [{ status: 'planned' }, 200],
    [{ status: 'ignored' }, 200],
    [{ status: 'degraded' }, 422],
    [{ status: 'degraded', retry: true }, 503],
    [{ status: 'failed', retry: true }, 503],
    [{ status: 'failed' }, 500],
    [{ status: 'failed', error: { kind: 'config', message: 'x', transient: false } }, 422],
    [{ status: 'failed', error: { kind: 'internal', message: 'x', transient: false } }, 500],
    [{ status: 'refused', error: { kind: 'invalid-request', message: 'x', transient: false } }, 400],
    [{ status: 'refused', error: { kind: 'method-not-allowed', message: 'x', transient: false } }, 405],
    [{ status: 'refused', error: { kind: 'conflict', message: 'x', transient: false } }, 409],
    [{ status: 'refused', error: { kind: 'too-large', message: 'x', transient: false } }, 413],
    [{ status: 'refused' }, 422],
  ] as const)('%o → %i', (over, code) => {
    expect(httpStatus(env(over as Partial<Envelope>))).toBe(code);
  });
});

describe('failureOf', () => {
  it('tells who can fix it', () => {
    expect(failureOf(new ApiError(503, 'UNAVAILABLE', 'x'))).toMatchObject({ kind: 'transient', transient: true });
    expect(failureOf(new ApiError(403, 'PERMISSION_DENIED', 'x'))).toMatchObject({ kind: 'refused', transient: false });
    expect(failureOf(new ConfigError('x'))).toMatchObject({ kind: 'config' });
    expect(failureOf(new ConfigError('x'), 'invalid-request')).toMatchObject({ kind: 'invalid-request' });
    expect(failureOf(new SafetyError('x'))).toMatchObject({ kind: 'refused' });
    expect(failureOf(new TypeError('x'))).toMatchObject({ kind: 'internal', message: 'x' });
    expect(failureOf(Object.assign(new SafetyError('busy'), { failureKind: 'conflict' }))).toMatchObject({
      kind: 'conflict',
    });
  });
});

describe('degrade and severity', () => {
  it('degrades ok but never hides a failure, and names each reason once', () => {
    const r = { status: 'ok' as Envelope['status'], reasons: [] as string[] };
    degrade(r, 'the peer does not receive 10.0.0.0/8');
    degrade(r, 'the peer does not receive 10.0.0.0/8');
    expect(r).toEqual({ status: 'degraded', reasons: ['the peer does not receive 10.0.0.0/8'] });
    const f = { status: 'failed' as Envelope['status'], reasons: [] as string[] };
    degrade(f, 'x');
    expect(f.status).toBe('failed');
  });

  it('logs by status', () => {
    expect([
      severityOf({ status: 'ok' }),
      severityOf({ status: 'degraded' }),
      severityOf({ status: 'refused' }),
    ]).toEqual(['info', 'warn', 'error']);
  });
});
