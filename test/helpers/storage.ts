/** The official @google-cloud/storage client pointed at the local Google Cloud, both ways users do it. */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Storage } from '@google-cloud/storage';
import { SAMPLE } from '../../local/topology.js';

/** With `apiEndpoint` (JSON API under `/storage/v1`), no credentials needed. */
export const storageClient = (url: string) => new Storage({ apiEndpoint: url, projectId: SAMPLE.project });

/**
 * With `STORAGE_EMULATOR_HOST`, which the client reads once in its constructor and uses verbatim as
 * the JSON API base URL (requests go to `/b/…`, not `/storage/v1/b/…`).
 */
export function storageClientFromEnv(url: string): Storage {
  const before = process.env.STORAGE_EMULATOR_HOST;
  process.env.STORAGE_EMULATOR_HOST = url;
  try {
    return new Storage({ projectId: SAMPLE.project });
  } finally {
    if (before === undefined) delete process.env.STORAGE_EMULATOR_HOST;
    else process.env.STORAGE_EMULATOR_HOST = before;
  }
}

export interface ReceivedEvent {
  headers: IncomingHttpHeaders;
  body: unknown;
}

/** A tiny HTTP endpoint standing in for a function: records every CloudEvent POSTed to it. */
export async function eventSink(): Promise<{ url: string; events: ReceivedEvent[]; close(): Promise<void> }> {
  const events: ReceivedEvent[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      events.push({ headers: req.headers, body: JSON.parse(Buffer.concat(chunks).toString('utf8') || 'null') });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  return { url, events, close: () => new Promise((resolve) => server.close(() => resolve())) };
}
