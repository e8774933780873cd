/** The emulator's timers: held timers wait for `release` and then run in the order they came due. */
import { describe, expect, it } from 'vitest';
import { Timers } from '../../emulator/timers.js';

const tick = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('Timers.hold', () => {
  it('runs nothing that comes due while held; release runs it in order; a cancelled one never runs', async () => {
    const timers = new Timers();
    const ran: string[] = [];
    const gate = timers.hold();
    timers.after(1, () => ran.push('first'));
    const cancelled = timers.after(2, () => ran.push('cancelled'));
    timers.after(3, () => ran.push('second'));
    await tick(30);
    expect(ran).toEqual([]);
    timers.cancel(cancelled);
    gate.release();
    expect(ran).toEqual(['first', 'second']);
    timers.after(1, () => ran.push('after release'));
    await tick(30);
    expect(ran).toEqual(['first', 'second', 'after release']);
  });

  it('one hold at a time, and clear drops what is held', async () => {
    const timers = new Timers();
    const ran: string[] = [];
    const gate = timers.hold();
    expect(() => timers.hold()).toThrow(/held already/);
    timers.after(1, () => ran.push('dropped'));
    await tick(30);
    timers.clear();
    gate.release();
    expect(ran).toEqual([]);
  });
});
