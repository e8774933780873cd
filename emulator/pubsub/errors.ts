/** Pub/Sub errors as gRPC statuses: what the official client's callers branch on (`err.code`). */
import { HttpError } from '../errors.js';

/** gRPC status codes (google.rpc.Code) the local Pub/Sub answers with. */
export const GRPC_CODES = {
  INVALID_ARGUMENT: 3,
  NOT_FOUND: 5,
  ALREADY_EXISTS: 6,
  FAILED_PRECONDITION: 9,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
} as const;
export type GrpcStatus = keyof typeof GRPC_CODES;

export class PubsubError extends Error {
  constructor(
    readonly status: GrpcStatus,
    message: string,
  ) {
    super(message);
  }

  get code(): number {
    return GRPC_CODES[this.status];
  }
}

const BY_HTTP: Record<number, GrpcStatus> = {
  400: 'INVALID_ARGUMENT',
  404: 'NOT_FOUND',
  409: 'ALREADY_EXISTS',
  412: 'FAILED_PRECONDITION',
  503: 'UNAVAILABLE',
};

/** Any error as a gRPC `{code, details}` the server can hand to its callback. */
export function toGrpcError(err: unknown): { code: number; details: string; message: string } {
  if (err instanceof PubsubError) return { code: err.code, details: err.message, message: err.message };
  if (err instanceof HttpError) {
    const status = BY_HTTP[err.code] ?? 'INTERNAL';
    return { code: GRPC_CODES[status], details: err.message, message: err.message };
  }
  const message = `local Pub/Sub: ${err instanceof Error ? err.message : String(err)}`;
  return { code: GRPC_CODES.INTERNAL, details: message, message };
}
