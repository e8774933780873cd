/** How a step hands control back: fall through, jump, leave a loop, or leave the routine. */
export type Flow =
  | { kind: 'normal' }
  | { kind: 'jump'; target: string }
  | { kind: 'break' }
  | { kind: 'continue' }
  | { kind: 'return'; value: import('../values.js').Value }
  | { kind: 'end' };

export const NORMAL: Flow = { kind: 'normal' };

/** The flow a `next:` value means. */
export function flowOfNext(next: string): Flow {
  if (next === 'end') return { kind: 'end' };
  if (next === 'break') return { kind: 'break' };
  if (next === 'continue') return { kind: 'continue' };
  return { kind: 'jump', target: next };
}
