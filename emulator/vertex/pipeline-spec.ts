/**
 * What a PipelineJob runs, read from its compiled pipeline (KFP IR, `PipelineSpec`, the YAML/JSON
 * `kfp.compiler` writes and `PipelineJob.pipeline_spec` / `template_uri` carry): the tasks of the
 * root DAG, how many of each run at once, and how many nodes each one's CustomJob takes — which
 * is what decides whether the reserved ranges hold the run (capacity.ts in the planner, ip-blocks.ts
 * here).
 *
 * The subset of the IR this reads (kubeflow/pipelines `api/v2alpha1/pipeline_spec.proto`):
 * - `root.dag.tasks.<name>`: `componentRef.name`, `dependentTasks`, `iteratorPolicy.parallelismLimit`
 *   (0 = no limit) and `parameterIterator.items` — `raw` (a JSON list) or `inputParameter` (a list
 *   given by the task's `inputs.parameters[…]`, a `runtimeValue.constant` or a
 *   `componentInputParameter` read from `runtimeConfig.parameterValues` or the root's default);
 * - `components.<name>`: `dag` (a sub-DAG, e.g. the body of a `dsl.ParallelFor`: its tasks run once
 *   per iteration of the task that calls it) or `executorLabel`;
 * - `deploymentSpec.executors.<label>`: `container` (Vertex runs it as a CustomJob with one
 *   replica, `PipelineTaskExecutorDetail.ContainerDetail.main_job`) or `customJob.customJob.jobSpec`
 *   (`ExecutorSpec.custom_job`: its `workerPoolSpecs[].replicaCount` are the nodes).
 * Anything else (importers, resolvers) takes no node. A pipeline the emulator cannot read (a
 * template URI outside the local Cloud Storage) is run as one single-node task: it has to run
 * something, and one node is the least it can take.
 */

export interface PipelineTask {
  name: string;
  /** The task's name and those of the tasks around it (a loop's task): what `dependentTasks` name. */
  scope: string[];
  /** Nodes of one instance's CustomJob (every replica of every worker pool). */
  nodes: number;
  /** Instances in all (iterations of every loop around it). */
  instances: number;
  /** Instances at most at once. */
  concurrency: number;
  dependsOn: string[];
  executor: 'container' | 'customJob';
  /** The CustomJob `jobSpec` a customJob executor names (its worker pools). */
  jobSpec?: Record<string, unknown>;
}

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : {});

/** The tasks a pipeline spec runs, innermost DAGs flattened. */
export function pipelineTasks(spec: unknown, parameterValues: Obj = {}): PipelineTask[] {
  const s = obj(spec);
  const root = obj(s.root);
  const defaults = Object.fromEntries(
    Object.entries(obj(obj(root.inputDefinitions).parameters)).map(([k, v]) => [k, obj(v).defaultValue]),
  );
  const ctx: Ctx = {
    components: obj(s.components),
    executors: obj(obj(s.deploymentSpec).executors),
    params: { ...defaults, ...parameterValues },
  };
  return dagTasks(ctx, obj(root.dag), { scope: [], instances: 1, concurrency: 1, dependsOn: [] });
}

/** One single-node task: what a pipeline the emulator cannot read is run as. */
export const UNREADABLE_PIPELINE: PipelineTask[] = [
  {
    name: 'pipeline',
    scope: ['pipeline'],
    nodes: 1,
    instances: 1,
    concurrency: 1,
    dependsOn: [],
    executor: 'container',
  },
];

interface Ctx {
  components: Obj;
  executors: Obj;
  params: Obj;
}

interface Outer {
  scope: string[];
  instances: number;
  concurrency: number;
  dependsOn: string[];
}

function dagTasks(ctx: Ctx, dag: Obj, outer: Outer): PipelineTask[] {
  return Object.entries(obj(dag.tasks)).flatMap(([name, raw]) => {
    const task = obj(raw);
    const iterations = iterationsOf(ctx, task);
    const limit = Number(obj(task.iteratorPolicy).parallelismLimit ?? 0);
    const concurrency = limit > 0 ? Math.min(limit, iterations) : iterations;
    const dependsOn = [
      ...outer.dependsOn,
      ...(Array.isArray(task.dependentTasks) ? task.dependentTasks.map(String) : []),
    ];
    const here: Outer = {
      scope: [...outer.scope, name],
      instances: outer.instances * iterations,
      concurrency: outer.concurrency * concurrency,
      dependsOn,
    };
    const component = obj(ctx.components[String(obj(task.componentRef).name ?? '')]);
    if (component.dag) return dagTasks(ctx, obj(component.dag), here);
    const executor = obj(ctx.executors[String(component.executorLabel ?? '')]);
    if (executor.container) return [{ name, nodes: 1, ...here, executor: 'container' as const }];
    const jobSpec = obj(obj(obj(executor.customJob).customJob).jobSpec);
    if (executor.customJob)
      return [{ name, nodes: nodesOf(jobSpec), ...here, executor: 'customJob' as const, jobSpec }];
    return [];
  });
}

/** Σ replicaCount over the worker pools (a pool without one has one replica). */
export function nodesOf(jobSpec: Obj): number {
  const pools = Array.isArray(jobSpec.workerPoolSpecs) ? jobSpec.workerPoolSpecs : [];
  return pools.reduce((sum: number, pool) => sum + Math.max(0, Number(obj(pool).replicaCount ?? 1) || 0), 0);
}

/** How many times a task runs: the length of its iterator's list, else once. */
function iterationsOf(ctx: Ctx, task: Obj): number {
  const items = obj(obj(task.parameterIterator).items);
  if (typeof items.raw === 'string') return listLength(safeJson(items.raw));
  if (typeof items.inputParameter === 'string') {
    const input = obj(obj(obj(task.inputs).parameters)[items.inputParameter]);
    const value =
      obj(input.runtimeValue).constant ??
      (typeof input.componentInputParameter === 'string' ? ctx.params[input.componentInputParameter] : undefined);
    return listLength(typeof value === 'string' ? safeJson(value) : value);
  }
  return 1;
}

const listLength = (v: unknown) => (Array.isArray(v) ? v.length : 1);

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/**
 * The order Vertex runs the tasks in: a task starts once every task it depends on has ended
 * (`dependentTasks`); a task whose instances exceed its concurrency runs them in rounds. Each
 * round is one list of `{task, count}` started together.
 */
export function rounds(tasks: readonly PipelineTask[]): { task: PipelineTask; count: number }[][] {
  const level = new Map<string, number>();
  const levelOf = (t: PipelineTask, seen: Set<string> = new Set()): number => {
    if (level.has(t.name)) return level.get(t.name)!;
    if (seen.has(t.name)) return 0;
    seen.add(t.name);
    const deps = tasks.filter((d) => d !== t && t.dependsOn.some((n) => d.scope.includes(n)));
    const l = deps.length ? Math.max(...deps.map((d) => levelOf(d, seen) + batches(d))) : 0;
    level.set(t.name, l);
    return l;
  };
  const out: { task: PipelineTask; count: number }[][] = [];
  for (const t of tasks) {
    const start = levelOf(t);
    for (let b = 0; b < batches(t); b++)
      (out[start + b] ??= []).push({ task: t, count: Math.min(t.concurrency, t.instances - b * t.concurrency) });
  }
  return out.filter(Boolean);
}

const batches = (t: PipelineTask) => (t.concurrency > 0 ? Math.ceil(t.instances / t.concurrency) : 0);
