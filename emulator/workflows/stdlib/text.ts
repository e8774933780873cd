/**
 * `text.*`. Workflows' regular expressions are RE2; JS RegExp accepts the RE2 subset workflows
 * use in practice (no look-around in RE2, so nothing here is looser in a way that matters).
 */
import { WorkflowError } from '../errors.js';
import { fn, bytes, int, str, opt, type Library } from './function.js';

function regex(pattern: string, what: string, flags = 'u'): RegExp {
  try {
    return new RegExp(pattern, flags);
  } catch (err) {
    throw WorkflowError.of('ValueError', `${what}: invalid regular expression '${pattern}': ${(err as Error).message}`);
  }
}

function charset(name: string, what: string): BufferEncoding {
  const normalized = name.toUpperCase().replace(/-/g, '');
  if (normalized === 'UTF8') return 'utf8';
  if (normalized === 'ASCII' || normalized === 'USASCII') return 'ascii';
  if (normalized === 'ISO88591' || normalized === 'LATIN1') return 'latin1';
  throw WorkflowError.of('ValueError', `${what}: unsupported charset '${name}'`);
}

function findAll(source: string, substr: string): { index: number; match: string }[] {
  const out: { index: number; match: string }[] = [];
  if (substr === '') return out;
  for (let i = source.indexOf(substr); i >= 0; i = source.indexOf(substr, i + substr.length))
    out.push({ index: i, match: substr });
  return out;
}

function substring(source: string, start: number, end: number): string {
  const chars = [...source];
  const clamp = (n: number) => Math.max(0, Math.min(chars.length, n));
  return chars.slice(clamp(start), clamp(end)).join('');
}

export const TEXT: Library = {
  'text.find_all': fn(['source', 'substr'], ([s, sub]) =>
    findAll(str(s!, 'text.find_all'), str(sub!, 'text.find_all')),
  ),
  'text.find_all_regex': fn(['source', 'regexp'], ([s, r]) =>
    [
      ...str(s!, 'text.find_all_regex').matchAll(regex(str(r!, 'text.find_all_regex'), 'text.find_all_regex', 'gu')),
    ].map((m) => ({ index: m.index, match: m[0] })),
  ),
  'text.match_regex': fn(['source', 'regexp'], ([s, r]) =>
    regex(str(r!, 'text.match_regex'), 'text.match_regex').test(str(s!, 'text.match_regex')),
  ),
  'text.replace_all': fn(['source', 'substr', 'repl'], ([s, sub, repl]) =>
    str(s!, 'text.replace_all').split(str(sub!, 'text.replace_all')).join(str(repl!, 'text.replace_all')),
  ),
  'text.replace_all_regex': fn(['source', 'regexp', 'repl'], ([s, r, repl]) =>
    str(s!, 'text.replace_all_regex').replace(
      regex(str(r!, 'text.replace_all_regex'), 'text.replace_all_regex', 'gu'),
      str(repl!, 'text.replace_all_regex').replace(/\\(\d)/g, '$$$1'),
    ),
  ),
  'text.split': fn(['source', 'separator'], ([s, sep]) => str(s!, 'text.split').split(str(sep!, 'text.split'))),
  'text.substring': fn(['source', 'start', 'end'], ([s, a, b]) =>
    substring(str(s!, 'text.substring'), int(a!, 'text.substring'), int(b!, 'text.substring')),
  ),
  'text.to_lower': fn(['source'], ([s]) => str(s!, 'text.to_lower').toLowerCase()),
  'text.to_upper': fn(['source'], ([s]) => str(s!, 'text.to_upper').toUpperCase()),
  'text.url_encode': fn(['source'], ([s]) => encodeURIComponent(str(s!, 'text.url_encode'))),
  'text.url_encode_plus': fn(['source'], ([s]) =>
    encodeURIComponent(str(s!, 'text.url_encode_plus')).replace(/%20/g, '+'),
  ),
  'text.url_decode': fn(['source'], ([s]) => {
    try {
      return decodeURIComponent(str(s!, 'text.url_decode').replace(/\+/g, ' '));
    } catch {
      throw WorkflowError.of('ValueError', `text.url_decode: malformed input`);
    }
  }),
  'text.decode': fn(['data', opt('charset', 'UTF-8')], ([d, c]) =>
    Buffer.from(bytes(d!, 'text.decode')).toString(charset(str(c!, 'text.decode'), 'text.decode')),
  ),
  'text.encode': fn(
    ['text', opt('charset', 'UTF-8')],
    ([t, c]) => new Uint8Array(Buffer.from(str(t!, 'text.encode'), charset(str(c!, 'text.encode'), 'text.encode'))),
  ),
};
