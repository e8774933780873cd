/**
 * The local Pub/Sub's gRPC replies carry only fields of their pubsub.proto response messages
 * (Shapes.checkGrpcReply): the encoder would drop any other without a word. Real traffic of the
 * official client — topics, publish, a streaming pull — makes no finding; a planted reply with one
 * unknown field is a finding naming the RPC and the field.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Emulator } from '../../emulator/server.js';
import { startSampleEmulator } from '../../local/seed.js';
import { SAMPLE } from '../../local/topology.js';
import { pubsubClient } from '../helpers/pubsub.js';

let emu: Emulator;

beforeAll(async () => {
  emu = await startSampleEmulator();
});
afterAll(() => emu.close());

describe('gRPC replies of the local Pub/Sub', () => {
  it("the official client's topics, publish and streaming pull make no finding", async () => {
    const ps = pubsubClient(emu.pubsubHost);
    try {
      const [topic] = await ps.createTopic('grpc-replies');
      const [sub] = await topic.createSubscription('grpc-replies-sub');
      await topic.get();
      await ps.getTopics();
      const got = new Promise<string>((resolve) =>
        sub.on('message', (m: { data: Buffer; ack(): void }) => {
          m.ack();
          resolve(m.data.toString());
        }),
      );
      await topic.publishMessage({ data: Buffer.from('hello'), attributes: { k: 'v' } });
      expect(await got).toBe('hello');
      await sub.close();
    } finally {
      await ps.close();
    }
    expect(emu.shapes.findings).toEqual([]);
  });

  it('planted: a GetTopic reply with a field Topic lacks is a finding naming the RPC and the field', async () => {
    const name = `projects/${SAMPLE.project}/topics/grpc-replies`;
    const ps = pubsubClient(emu.pubsubHost);
    const spy = vi.spyOn(emu.topics, 'get').mockReturnValue({ name, labels: {}, internalNote: 'x' } as never);
    try {
      const findings = await emu.shapes.planted(async () => {
        await ps.topic('grpc-replies').getMetadata();
      });
      expect(findings.map((f) => [f.methodId, f.method, f.field, f.problem])).toEqual([
        ['google.pubsub.v1.Publisher.GetTopic', 'gRPC', 'internalNote', 'unknown field "internalNote"'],
      ]);
      expect(findings[0]!.definition).toMatch(/^google\.pubsub\.v1\.Topic \(google\/pubsub\/v1\/pubsub\.proto\)$/);
    } finally {
      spy.mockRestore();
      await ps.close();
    }
  });
});
