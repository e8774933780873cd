/**
 * The local Eventarc waits on the emulator's `Timers`: a delivery parked in a delay fault's wait
 * (or a retry's backoff) when the emulator closes is cancelled with every other delay — `close()`
 * returns at once instead of waiting the delay out, and the function never gets the event. Until
 * then `idle()` still waits for delayed deliveries, as tests rely on.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator } from '../../emulator/server.js';
import { newEventId, type CloudEventMessage } from '../../emulator/events/router.js';

const TYPE = 'test.netreflex.event-router';
let server: Server;
let url = '';
const received: string[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    received.push(String(req.headers['ce-id']));
    req.resume().on('end', () => res.writeHead(204).end());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

const event = (): CloudEventMessage => ({ id: newEventId(), source: '//test', type: TYPE, data: {} });

describe('event deliveries wait on the emulator timers', () => {
  it('close() during a parked delivery returns, and the delivery is never sent', async () => {
    const emu = await startEmulator();
    emu.events.subscribe({ id: 'fn', type: TYPE, url });
    // An hour: if close() waited for the parked delivery, the test would time out.
    emu.events.injectFault({ kind: 'delay', ms: 3_600_000 });
    const parked = event();
    emu.events.publish(parked);
    expect(emu.timers.size).toBeGreaterThan(0);
    await emu.close();
    expect(emu.timers.size).toBe(0);
    expect(received).not.toContain(parked.id);
    expect(emu.events.deliveries.filter((d) => d.eventId === parked.id)).toEqual([]);
  }, 30_000);

  it('close() during a retry backoff returns; the attempt already made is recorded', async () => {
    const emu = await startEmulator();
    // Nothing listens here: every attempt fails at once, and the next waits 100 ms, then 200 ms, …
    emu.events.subscribe({ id: 'fn', type: TYPE, url: 'http://127.0.0.1:9/', attempts: 20 });
    const retried = event();
    emu.events.publish(retried);
    await expect.poll(() => emu.events.deliveries.length, { timeout: 20_000 }).toBeGreaterThan(0);
    await emu.close();
    const attempts = emu.events.deliveries.filter((d) => d.eventId === retried.id);
    expect(attempts.length).toBeGreaterThan(0);
    expect(attempts.length).toBeLessThan(20);
    expect(attempts.every((d) => d.status === 'error')).toBe(true);
  }, 30_000);

  it('idle() before close still waits for a delayed delivery', async () => {
    const emu = await startEmulator();
    try {
      emu.events.subscribe({ id: 'fn', type: TYPE, url });
      emu.events.injectFault({ kind: 'delay', ms: 50, count: 1 });
      const delayed = event();
      emu.events.publish(delayed);
      await emu.events.idle();
      expect(received).toContain(delayed.id);
      expect(emu.events.deliveries.filter((d) => d.eventId === delayed.id).map((d) => d.status)).toEqual([204]);
    } finally {
      await emu.close();
    }
  }, 30_000);
});
