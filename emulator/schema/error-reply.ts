/**
 * Google's JSON error reply, which every non-2xx JSON reply of the local Google Cloud is held to
 * (shapes.ts). The shape, from Google's API Design Guide, "Errors" › "HTTP mapping"
 * (https://cloud.google.com/apis/design/errors#http_mapping): `{"error": {"code", "message",
 * "status", "details"}}`, where `code` is the HTTP status, `status` the name of a google.rpc.Code
 * (google/rpc/code.proto) and each `details` entry a google.protobuf.Any of the standard error
 * details (google/rpc/error_details.proto, compiled from google-gax's copy with the other
 * google.rpc messages, sources.ts). Compute Engine and Cloud Storage, whose JSON APIs predate it,
 * also send the older `errors` list (`{"domain", "reason", "message", "location",
 * "locationType", "extendedHelp", "sendReport"}`, Google's JSON style guide,
 * https://google.github.io/styleguide/jsoncstyleguide.xml#error; the same fields as the Java
 * client's GoogleJsonError.ErrorInfo), which the official clients read too.
 *
 * Beyond the fields and types:
 * - `error.code` is the HTTP status of the reply;
 * - `status` is a google.rpc.Code whose "HTTP Mapping" in code.proto is that HTTP status, where
 *   code.proto maps one (409: ALREADY_EXISTS or ABORTED; 412, which Compute and Cloud Storage
 *   answer for `conditionNotMet`, has none, so any Code name passes there);
 * - every `details` entry is one of the error detail messages of error_details.proto.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { NODE_MODULES } from './cache.js';
import { Checker, type Finding } from './check.js';
import { REPEATED, REQUIRED, type ApiSchema, type MessageDef } from './compact.js';

export const ERROR_REPLY_MESSAGE = 'google.rest.ErrorReply';

export const ERROR_REPLY: { source: string[]; messages: Record<string, MessageDef> } = {
  source: [
    'https://cloud.google.com/apis/design/errors#http_mapping',
    'https://google.github.io/styleguide/jsoncstyleguide.xml#error',
  ],
  messages: {
    [ERROR_REPLY_MESSAGE]: { error: ['M:google.rest.ErrorReply.Error', REQUIRED] },
    'google.rest.ErrorReply.Error': {
      code: ['int32', REQUIRED],
      message: ['string', REQUIRED],
      status: ['S:google.rpc.Code', REQUIRED],
      details: ['M:google.protobuf.Any', REPEATED],
      errors: ['M:google.rest.ErrorReply.Item', REPEATED],
    },
    'google.rest.ErrorReply.Item': {
      domain: ['string', 0],
      reason: ['string', 0],
      message: ['string', 0],
      location: ['string', 0],
      locationType: ['string', 0],
      extendedHelp: ['string', 0],
      sendReport: ['string', 0],
    },
  },
};

let httpOfCode: Map<string, number> | undefined;

/** code.proto's "HTTP Mapping: 400 Bad Request" line above each google.rpc.Code value. */
export function httpMappings(): Map<string, number> {
  if (httpOfCode) return httpOfCode;
  const text = readFileSync(join(NODE_MODULES, 'google-gax', 'build', 'protos', 'google', 'rpc', 'code.proto'), 'utf8');
  httpOfCode = new Map(
    [...text.matchAll(/HTTP Mapping: (\d{3})[^\n]*\n(?:\s*\/\/[^\n]*\n)*\s*([A-Z_]+) = \d+;/g)].map((m) => [
      m[2]!,
      Number(m[1]),
    ]),
  );
  return httpOfCode;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** What is wrong with `body` as Google's JSON error reply with HTTP status `status`. */
export function errorReplyFindings(schema: ApiSchema, status: number, body: unknown): Finding[] {
  const checker = new Checker(schema, { mode: 'response', required: true });
  checker.message(ERROR_REPLY_MESSAGE, body, []);
  const findings = [...checker.findings];
  const error = isObject(body) && isObject(body.error) ? body.error : undefined;
  if (!error) return findings;
  const at = (json: string) => [
    { json: 'error', proto: 'error' },
    { json, proto: json },
  ];
  if (typeof error.code === 'number' && error.code !== status)
    findings.push({
      path: at('code'),
      kind: 'type',
      detail: `${status}, the HTTP status of the reply, got ${error.code}`,
    });
  const mappings = httpMappings();
  const codes = [...mappings].filter(([, http]) => http === status).map(([code]) => code);
  if (typeof error.status === 'string' && codes.length && !codes.includes(error.status))
    findings.push({
      path: at('status'),
      kind: 'enum',
      detail: error.status,
      enumName: `google.rpc.Code for HTTP ${status} (code.proto's HTTP Mapping)`,
      allowed: codes,
    });
  if (Array.isArray(error.details))
    error.details.forEach((d, i) => {
      const type = isObject(d) && typeof d['@type'] === 'string' ? d['@type'].replace(/^.*\//, '') : '';
      if (type && !(type.startsWith('google.rpc.') && schema.messages[type]))
        findings.push({
          path: [...at('details'), { index: i }, { json: '@type', proto: '@type' }],
          kind: 'enum',
          detail: type,
          enumName: 'google.rpc error detail (error_details.proto)',
          allowed: Object.keys(schema.messages).filter(
            (m) => m.startsWith('google.rpc.') && !m.includes('.', 11) && m !== 'google.rpc.Status',
          ),
        });
    });
  return findings;
}
