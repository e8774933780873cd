/**
 * `executions.stepEntries.list` is in the Workflow Executions REST API v1 but not yet in the
 * executions.proto @google-cloud/workflows ships, so this part of the Workflows schema is written
 * from the REST reference and merged into the compiled one (sources.ts):
 * https://cloud.google.com/workflows/docs/reference/executions/rest/v1/projects.locations.workflows.executions.stepEntries
 * https://cloud.google.com/workflows/docs/reference/executions/rest/v1/projects.locations.workflows.executions.stepEntries/list
 */
import { MAP, OUTPUT_ONLY, REPEATED, REQUIRED, type ApiSchema, type FieldDef } from './compact.js';

const P = 'google.cloud.workflows.executions.v1';
const out = (type: string, flags = 0): FieldDef => [type, flags | OUTPUT_ONLY];

export const STEP_ENTRIES: Pick<ApiSchema, 'methods' | 'messages' | 'enums'> = {
  methods: [
    {
      rpc: `${P}.Executions.ListStepEntries`,
      verb: 'GET',
      path: '/v1/projects/*/locations/*/workflows/*/executions/*/stepEntries',
      request: `${P}.ListStepEntriesRequest`,
      response: `${P}.ListStepEntriesResponse`,
      pathFields: ['parent'],
    },
  ],
  messages: {
    [`${P}.ListStepEntriesRequest`]: {
      parent: ['string', REQUIRED],
      pageSize: ['int32', 0, 'page_size'],
      pageToken: ['string', 0, 'page_token'],
      skip: ['int32', 0],
      filter: ['string', 0],
      orderBy: ['string', 0, 'order_by'],
      view: [`E:${P}.EntryView`, 0],
    },
    [`${P}.ListStepEntriesResponse`]: {
      stepEntries: [`M:${P}.StepEntry`, REPEATED, 'step_entries'],
      nextPageToken: ['string', 0, 'next_page_token'],
      totalSize: ['int32', 0, 'total_size'],
    },
    [`${P}.StepEntry`]: {
      name: out('string'),
      createTime: out('M:google.protobuf.Timestamp', 0),
      updateTime: out('M:google.protobuf.Timestamp', 0),
      routine: out('string'),
      step: out('string'),
      stepType: out(`E:${P}.StepEntry.StepType`),
      state: out(`E:${P}.StepEntry.State`),
      exception: out(`M:${P}.Exception`),
      entryId: out('int64'),
      navigationInfo: out(`M:${P}.NavigationInfo`),
      stepEntryMetadata: out(`M:${P}.StepEntryMetadata`),
      variableData: out(`M:${P}.VariableData`),
    },
    [`${P}.Exception`]: { payload: ['string', 0] },
    [`${P}.NavigationInfo`]: {
      children: ['int64', REPEATED],
      parent: ['int64', 0],
      next: ['int64', 0],
      previous: ['int64', 0],
    },
    [`${P}.StepEntryMetadata`]: {
      progressType: [`E:${P}.StepEntryMetadata.ProgressType`, 0],
      progressNumber: ['int64', 0],
      threadId: ['string', 0],
      expectedIteration: ['int64', 0],
    },
    [`${P}.VariableData`]: { variables: ['M:google.protobuf.Value', MAP] },
  },
  enums: {
    [`${P}.EntryView`]: {
      values: ['EXECUTION_ENTRY_VIEW_UNSPECIFIED', 'EXECUTION_ENTRY_VIEW_BASIC', 'EXECUTION_ENTRY_VIEW_DETAILED'],
      numbers: [0, 1, 2],
    },
    [`${P}.StepEntry.State`]: {
      values: ['STATE_UNSPECIFIED', 'STATE_IN_PROGRESS', 'STATE_SUCCEEDED', 'STATE_FAILED', 'STATE_CANCELLED'],
      numbers: [0, 1, 2, 3, 4],
    },
    [`${P}.StepEntry.StepType`]: {
      values: [
        'STEP_TYPE_UNSPECIFIED',
        'STEP_ASSIGN',
        'STEP_STD_LIB_CALL',
        'STEP_CONNECTOR_CALL',
        'STEP_SUBWORKFLOW_CALL',
        'STEP_CALL',
        'STEP_SWITCH',
        'STEP_CONDITION',
        'STEP_FOR',
        'STEP_FOR_ITERATION',
        'STEP_PARALLEL_FOR',
        'STEP_PARALLEL_BRANCH',
        'STEP_PARALLEL_BRANCH_ENTRY',
        'STEP_TRY_RETRY_EXCEPT',
        'STEP_TRY',
        'STEP_RETRY',
        'STEP_EXCEPT',
        'STEP_RETURN',
        'STEP_RAISE',
        'STEP_GOTO',
      ],
      numbers: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19],
    },
    [`${P}.StepEntryMetadata.ProgressType`]: {
      values: [
        'PROGRESS_TYPE_UNSPECIFIED',
        'PROGRESS_TYPE_FOR',
        'PROGRESS_TYPE_SWITCH',
        'PROGRESS_TYPE_RETRY',
        'PROGRESS_TYPE_PARALLEL_FOR',
        'PROGRESS_TYPE_PARALLEL_BRANCH',
      ],
      numbers: [0, 1, 2, 3, 4, 5],
    },
  },
};
