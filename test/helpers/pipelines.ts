/**
 * Compiled pipelines (KFP IR) for tests: each task is a `dsl.ParallelFor` over `parallel` items of a
 * CustomJob component with `nodes` replicas, as `kfp.compiler` lays it out (a for-loop task whose
 * component is a sub-DAG, a `customJob` executor with worker pools).
 */
export interface TaskShape {
  name: string;
  parallel: number;
  nodes: number;
  dependsOn?: string[];
}

export function kfpPipeline(name: string, tasks: readonly TaskShape[]): Record<string, unknown> {
  const components: Record<string, unknown> = {};
  const executors: Record<string, unknown> = {};
  const rootTasks: Record<string, unknown> = {};
  for (const t of tasks) {
    components[`comp-${t.name}`] = { executorLabel: `exec-${t.name}` };
    components[`comp-for-loop-${t.name}`] = {
      dag: { tasks: { [t.name]: { taskInfo: { name: t.name }, componentRef: { name: `comp-${t.name}` } } } },
    };
    executors[`exec-${t.name}`] = {
      customJob: {
        customJob: {
          displayName: t.name,
          jobSpec: {
            workerPoolSpecs: [
              {
                machineSpec: { machineType: 'n1-standard-4' },
                replicaCount: '1',
                containerSpec: { imageUri: 'python:3.11' },
              },
              ...(t.nodes > 1
                ? [
                    {
                      machineSpec: { machineType: 'n1-standard-4' },
                      replicaCount: String(t.nodes - 1),
                      containerSpec: { imageUri: 'python:3.11' },
                    },
                  ]
                : []),
            ],
          },
        },
      },
    };
    rootTasks[`for-loop-${t.name}`] = {
      taskInfo: { name: `for-loop-${t.name}` },
      componentRef: { name: `comp-for-loop-${t.name}` },
      parameterIterator: {
        itemInput: 'pipelinechannel--loop-item',
        items: { raw: JSON.stringify(Array.from({ length: t.parallel }, (_, i) => i)) },
      },
      ...(t.dependsOn?.length ? { dependentTasks: t.dependsOn.map((d) => `for-loop-${d}`) } : {}),
    };
  }
  return {
    pipelineInfo: { name },
    root: { dag: { tasks: rootTasks } },
    components,
    deploymentSpec: { executors },
    schemaVersion: '2.1.0',
    sdkVersion: 'kfp-2.7.0',
  };
}

type StructValue =
  | { nullValue: 'NULL_VALUE' }
  | { numberValue: number }
  | { stringValue: string }
  | { boolValue: boolean }
  | { structValue: Struct }
  | { listValue: { values: StructValue[] } };
type Struct = { fields: Record<string, StructValue> };

/** A JSON value as a google.protobuf.Struct, the form the official clients take `pipelineSpec` in. */
export function toStruct(json: Record<string, unknown>): Struct {
  return { fields: Object.fromEntries(Object.entries(json).map(([k, v]) => [k, toValue(v)])) };
}

function toValue(v: unknown): StructValue {
  if (v === null || v === undefined) return { nullValue: 'NULL_VALUE' };
  if (typeof v === 'number') return { numberValue: v };
  if (typeof v === 'string') return { stringValue: v };
  if (typeof v === 'boolean') return { boolValue: v };
  if (Array.isArray(v)) return { listValue: { values: v.map(toValue) } };
  return { structValue: toStruct(v as Record<string, unknown>) };
}
