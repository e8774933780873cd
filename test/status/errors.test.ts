/** How a failed read is explained: each kind of failure gets the fix that makes the next read work. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiError } from '../../shared/errors.js';
import { isMissingSurface, isResourceMissing, unreadable } from '../../shared/status/errors.js';
import { startEmulator } from '../../emulator/server.js';
import { Transport } from '../../shared/gcp/transport.js';
import { needs, ok, unknown, worstState, broken } from '../../shared/status/link.js';

const real = { project: 'netreflex-demo' };
const local = { project: 'netreflex-demo', emulatorHost: 'http://127.0.0.1:8090' };
const net = (code: string) => Object.assign(new Error(`connect ${code} 127.0.0.1:8090 (${code})`), { code });

describe('unreadable', () => {
  it.each([
    ['unreachable local Google Cloud', net('ECONNREFUSED'), local, /unreachable/, /npm start.*NETREFLEX_EMULATOR_HOST/],
    ['unreachable Google APIs', net('ENOTFOUND'), real, /the Google APIs unreachable/, /googleapis\.com/],
    [
      '403 naming the permission',
      new ApiError(
        403,
        'PERMISSION_DENIED',
        "Required 'compute.routes.list' permission for 'projects/netreflex-demo'",
        'forbidden',
      ),
      real,
      /permission denied/,
      /grant the identity running netreflex status compute\.routes\.list on project netreflex-demo/,
    ],
    [
      '403 without a named permission: the method’s permissions',
      new ApiError(403, 'PERMISSION_DENIED', 'The caller does not have permission', 'forbidden'),
      real,
      /permission denied/,
      /compute\.networks\.listPeeringRoutes/,
    ],
    [
      '403 of an API that is off',
      new ApiError(
        403,
        'PERMISSION_DENIED',
        'Compute Engine API has not been used in project 123 before or it is disabled.',
        'accessNotConfigured',
      ),
      real,
      /not enabled/,
      /gcloud services enable compute\.googleapis\.com/,
    ],
    [
      '401',
      new ApiError(401, 'UNAUTHENTICATED', 'Request had invalid authentication credentials.'),
      real,
      /not authenticated/,
      /application-default login/,
    ],
    [
      'no ADC',
      new Error(
        'Could not load the default credentials. Browse to https://cloud.google.com/docs/authentication/getting-started for more information.',
      ),
      real,
      /no usable credentials/,
      /application-default login/,
    ],
    [
      '503',
      new ApiError(503, 'UNAVAILABLE', 'The service is currently unavailable.'),
      real,
      /answered 503 UNAVAILABLE/,
      /run netreflex status again/,
    ],
    [
      '400',
      new ApiError(400, 'INVALID_ARGUMENT', 'Invalid value for field region'),
      real,
      /answered 400/,
      /NETREFLEX_REGION/,
    ],
    [
      'a URL the local Google Cloud serves no method at',
      new ApiError(404, '404', 'HTTP 404'),
      local,
      /local Google Cloud does not serve/,
      /by hand/,
    ],
    [
      'a URL Google serves no method at',
      new ApiError(404, '404', 'HTTP 404'),
      real,
      /has no method at the URL/,
      /update netreflex/,
    ],
  ])('%s', (_name, err, ctx, reason, fix) => {
    const u = unreadable('the thing', ['compute.networks.listPeeringRoutes'], err, ctx);
    expect(u.reason).toMatch(reason);
    expect(u.fix).toMatch(fix);
  });
});

describe("a 404 is told apart by Google's error shape, not its wording", () => {
  it.each([
    [
      'Compute: errors[].reason notFound',
      new ApiError(404, '404', "The resource 'projects/p/global/routes/x' was not found", 'notFound'),
      true,
    ],
    ['OnePlatform: error.status NOT_FOUND', new ApiError(404, 'NOT_FOUND', 'Requested entity was not found.'), true],
    ['no API error at all (an HTML page)', new ApiError(404, '404', 'HTTP 404'), false],
  ])('%s', (_name, err, missingResource) => {
    expect(isResourceMissing(err)).toBe(missingResource);
    expect(isMissingSurface(err)).toBe(!missingResource);
  });

  describe('through the transport, against the local Google Cloud', () => {
    let emu: Awaited<ReturnType<typeof startEmulator>>;
    beforeAll(async () => {
      emu = await startEmulator({ settings: { operationLatencyMs: 0 } });
    });
    afterAll(() => emu.close());
    const read = (path: string) =>
      new Transport({ emulatorHost: emu.url }).request({ service: 'compute', method: 'GET', path }).then(
        () => undefined,
        (e: unknown) => e,
      );

    it('a missing resource is not found', async () => {
      const err = await read('/compute/v1/projects/netreflex-demo/global/routes/never-was');
      expect(isResourceMissing(err)).toBe(true);
      expect(isMissingSurface(err)).toBe(false);
    });

    it('a URL no method serves is a missing surface', async () => {
      const err = await read('/compute/v1/projects/netreflex-demo/global/noSuchCollection/x');
      expect(isMissingSurface(err)).toBe(true);
      expect(isResourceMissing(err)).toBe(false);
    });
  });
});

describe('the headline', () => {
  const head = { id: 'routes', title: 'Routes' } as const;
  it('is broken over unknown over ok; nothing is ok while one link is unknown', () => {
    expect(worstState([ok(head, 'fine'), ok(head, 'fine')])).toBe('ok');
    expect(worstState([ok(head, 'fine'), unknown(head, 'blind', 'look')])).toBe('unknown');
    expect(worstState([unknown(head, 'blind', 'look'), broken(head, 'bad', 'mend')])).toBe('broken');
    expect(worstState([])).toBe('unknown');
  });

  it('a link that depends on a broken one is unknown and points at that link’s fix', () => {
    const dep = broken({ id: 'nat-ips', title: 'Cloud NAT IPs' }, 'no IP', 'reserve a static address');
    expect(needs({ id: 'allowlists', title: 'Allowlists' }, dep, 'the Cloud NAT IPs')).toMatchObject({
      state: 'unknown',
      fix: 'fix "Cloud NAT IPs" first: reserve a static address',
    });
  });
});
