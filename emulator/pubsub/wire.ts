/** Small wire helpers of the local Pub/Sub: unary handlers, protobuf Timestamps and Durations, and list pages. */
import type * as grpc from '@grpc/grpc-js';
import { toGrpcError } from './errors.js';

/** Wraps a unary handler: thrown errors become gRPC statuses. */
export function unary<Req, Res>(handler: (req: Req) => Res | Promise<Res>): grpc.handleUnaryCall<Req, Res> {
  return (call, callback) => {
    Promise.resolve()
      .then(() => handler(call.request))
      .then(
        (res) => callback(null, res),
        (err: unknown) => callback(toGrpcError(err)),
      );
  };
}

/** An ISO time as google.protobuf.Timestamp (seconds as a string: proto-loader's `longs: String`). */
export function timestamp(iso: string): { seconds: string; nanos: number } {
  const ms = Date.parse(iso);
  return { seconds: String(Math.floor(ms / 1000)), nanos: (ms % 1000) * 1_000_000 };
}

/**
 * A Duration in its JSON form as google.protobuf.Duration (seconds as a string, like `timestamp`).
 * duration.proto, JSON Mapping: "the Duration type is encoded as a string rather than an object,
 * where the string ends in the suffix "s" (indicating seconds) and is preceded by the number of
 * seconds, with nanoseconds expressed as fractional seconds". Non-negative ones only: all the local
 * Pub/Sub keeps.
 */
export function duration(json: string): { seconds: string; nanos: number } {
  const m = /^(\d+)(?:\.(\d{1,9}))?s$/.exec(json);
  if (!m) throw new Error(`not a Duration: ${json}`);
  return { seconds: String(Number(m[1])), nanos: Number((m[2] ?? '').padEnd(9, '0')) };
}

/** One page of a sorted list; the token is the offset (opaque to callers). */
export function pageOf<T>(all: T[], pageSize = 0, pageToken = ''): { items: T[]; next: string } {
  const start = pageToken ? Number(Buffer.from(pageToken, 'base64url').toString()) || 0 : 0;
  const size = pageSize > 0 ? Math.min(pageSize, 1000) : 100;
  const items = all.slice(start, start + size);
  return { items, next: start + size < all.length ? Buffer.from(String(start + size)).toString('base64url') : '' };
}
