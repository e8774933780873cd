/** Parses `for` loops and `parallel` steps (branches or a parallel `for`). */
import { EXCEPTION_POLICIES, type ExceptionPolicy, type ForLoop, type Parallel } from './model.js';
import { asList, asMap, asName, checkKeys, singleEntry } from './shapes.js';
import type { PathSeg, Problems } from './source.js';
import { parseSteps } from './steps.js';
import { compileTemplate } from './templates.js';

const FOR_KEYS = ['value', 'index', 'in', 'range', 'steps'] as const;
const PARALLEL_KEYS = ['shared', 'exception_policy', 'concurrency_limit', 'branches', 'for'] as const;

export function parseFor(raw: unknown, path: PathSeg[], problems: Problems): ForLoop {
  const body = asMap(raw, path, problems, `'for'`) ?? {};
  checkKeys(body, FOR_KEYS, path, problems, `a 'for' loop`);
  const sources = ['in', 'range'].filter((k) => k in body);
  if (sources.length !== 1) problems.add(path, `a 'for' loop needs exactly one of 'in' or 'range'`);
  const index = 'index' in body ? asName(body.index, [...path, 'index'], problems, `'index'`) : undefined;
  return {
    value: asName(body.value, [...path, 'value'], problems, `'value'`) ?? '_',
    ...(index ? { index } : {}),
    ...('in' in body ? { in: compileTemplate(body.in, [...path, 'in'], problems) } : {}),
    ...('range' in body ? { range: compileTemplate(body.range, [...path, 'range'], problems) } : {}),
    steps: parseSteps(body.steps, [...path, 'steps'], problems),
  };
}

export function parseParallel(raw: unknown, path: PathSeg[], problems: Problems): Parallel {
  const body = asMap(raw, path, problems, `'parallel'`) ?? {};
  checkKeys(body, PARALLEL_KEYS, path, problems, `a 'parallel' step`);
  if ('branches' in body === 'for' in body)
    problems.add(path, `a 'parallel' step needs exactly one of 'branches' or 'for'`);
  const out: Parallel = {
    shared: parseShared(body.shared, [...path, 'shared'], problems),
    exceptionPolicy: parsePolicy(body.exception_policy, [...path, 'exception_policy'], problems),
  };
  if ('concurrency_limit' in body)
    out.concurrencyLimit = parseLimit(body.concurrency_limit, [...path, 'concurrency_limit'], problems);
  if ('branches' in body) out.branches = parseBranches(body.branches, [...path, 'branches'], problems);
  if ('for' in body) out.for = parseFor(body.for, [...path, 'for'], problems);
  return out;
}

function parseShared(raw: unknown, path: PathSeg[], problems: Problems): string[] {
  if (raw === undefined) return [];
  const items = asList(raw, path, problems, `'shared'`) ?? [];
  return items.flatMap((item, i) => asName(item, [...path, i], problems, 'a shared variable') ?? []);
}

function parsePolicy(raw: unknown, path: PathSeg[], problems: Problems): ExceptionPolicy {
  if (raw === undefined) return 'continueAll';
  if ((EXCEPTION_POLICIES as readonly unknown[]).includes(raw)) return raw as ExceptionPolicy;
  problems.add(
    path,
    `exception_policy ${JSON.stringify(raw)} is not supported (supported: ${EXCEPTION_POLICIES.join(', ')})`,
  );
  return 'continueAll';
}

function parseLimit(raw: unknown, path: PathSeg[], problems: Problems): number | undefined {
  if (typeof raw === 'number' && Number.isInteger(raw) && raw > 0) return raw;
  problems.add(path, `concurrency_limit must be a positive integer`);
  return undefined;
}

function parseBranches(raw: unknown, path: PathSeg[], problems: Problems): NonNullable<Parallel['branches']> {
  const items = asList(raw, path, problems, `'branches'`) ?? [];
  if (items.length < 2) problems.add(path, `a parallel step needs at least 2 branches`);
  return items.flatMap((item, i) => {
    const entry = singleEntry(item, [...path, i], problems, 'branch');
    if (!entry) return [];
    const branchPath = [...path, i, entry[0]];
    const body = asMap(entry[1], branchPath, problems, `branch '${entry[0]}'`) ?? {};
    checkKeys(body, ['steps'], branchPath, problems, `branch '${entry[0]}'`);
    return [
      {
        name: entry[0],
        at: problems.locate(branchPath),
        steps: parseSteps(body.steps, [...branchPath, 'steps'], problems),
      },
    ];
  });
}
