/** isTransient: what a retry may fix, however the error arrives (our REST layer, a gRPC client, a client in REST mode). */
import { describe, expect, it } from 'vitest';
import { ApiError, ConfigError, isTransient } from '../../shared/errors.js';

describe('isTransient', () => {
  it.each([
    ['an ApiError 503', new ApiError(503, 'UNAVAILABLE', 'x'), true],
    ['an ApiError 429', new ApiError(429, 'RESOURCE_EXHAUSTED', 'x'), true],
    ['an ApiError 403', new ApiError(403, 'PERMISSION_DENIED', 'x'), false],
    ['gRPC UNAVAILABLE (14)', Object.assign(new Error('x'), { code: 14 }), true],
    ['gRPC NOT_FOUND (5)', Object.assign(new Error('x'), { code: 5 }), false],
    ['an official client in REST mode: HTTP 503 as its code', Object.assign(new Error('x'), { code: 503 }), true],
    ['an official client in REST mode: HTTP 400 as its code', Object.assign(new Error('x'), { code: 400 }), false],
    ['a refused connection', Object.assign(new Error('x'), { code: 'ECONNREFUSED' }), true],
    ['bad configuration', new ConfigError('x'), false],
  ])('%s → %s', (_name, err, transient) => {
    expect(isTransient(err)).toBe(transient);
  });
});
