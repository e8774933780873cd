/** `json.*` and `base64.*`: the bytes/string boundary is explicit, as in Workflows. */
import { WorkflowError } from '../errors.js';
import { isBytes, toJson, toValue, type Value } from '../values.js';
import { bytes, fn, int, opt, str, type Library } from './function.js';

function encode(data: Value, indent: Value, what: string): string {
  assertJsonable(data, what);
  return toJson(data, indent === null ? undefined : int(indent, what));
}

function assertJsonable(v: Value, what: string): void {
  if (isBytes(v))
    throw WorkflowError.of('TypeError', `${what}: bytes cannot be encoded as JSON; use base64.encode first`);
  if (Array.isArray(v)) v.forEach((item) => assertJsonable(item, what));
  else if (v !== null && typeof v === 'object') Object.values(v).forEach((item) => assertJsonable(item, what));
}

function decodeJson(data: Value): Value {
  const text = isBytes(data) ? Buffer.from(data).toString('utf8') : str(data, 'json.decode');
  try {
    return toValue(JSON.parse(text));
  } catch (err) {
    throw WorkflowError.of('ValueError', `json.decode: ${(err as Error).message}`);
  }
}

function decodeBase64(data: string, padding: boolean): Uint8Array {
  const body = padding ? data : data.replace(/=+$/, '');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(body) || (padding && body.length % 4 !== 0)) {
    throw WorkflowError.of('ValueError', 'base64.decode: input is not valid base64');
  }
  return new Uint8Array(Buffer.from(body, 'base64'));
}

export const ENCODING: Library = {
  'json.encode': fn(
    ['data', opt('indent')],
    ([d, i]) => new Uint8Array(Buffer.from(encode(d!, i!, 'json.encode'), 'utf8')),
  ),
  'json.encode_to_string': fn(['data', opt('indent')], ([d, i]) => encode(d!, i!, 'json.encode_to_string')),
  'json.decode': fn(['data'], ([d]) => decodeJson(d!)),
  'base64.encode': fn(['data', opt('padding', true)], ([d, p]) => {
    const text = Buffer.from(bytes(d!, 'base64.encode')).toString('base64');
    return p === false ? text.replace(/=+$/, '') : text;
  }),
  'base64.decode': fn(['data', opt('padding', true)], ([d, p]) => decodeBase64(str(d!, 'base64.decode'), p !== false)),
};
