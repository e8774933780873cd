/**
 * Service Networking v1 ships no proto with the Node clients, so its compact schema is written
 * here from the REST reference, for the methods the local Google Cloud serves:
 *
 * - services.connections.list — `GET /v1/{parent=services/*}/connections?network=`
 *   https://cloud.google.com/service-infrastructure/docs/service-networking/reference/rest/v1/services.connections/list
 * - services.connections.create — `POST /v1/{parent=services/*}/connections`, body Connection
 *   https://cloud.google.com/service-infrastructure/docs/service-networking/reference/rest/v1/services.connections/create
 * - services.connections.patch — `PATCH /v1/{name=services/*\/connections/*}?updateMask=&force=`, body Connection
 *   https://cloud.google.com/service-infrastructure/docs/service-networking/reference/rest/v1/services.connections/patch
 * - operations.get — `GET /v1/{name=operations/**}`
 *   https://cloud.google.com/service-infrastructure/docs/service-networking/reference/rest/v1/operations/get
 *
 * Connection (https://cloud.google.com/service-infrastructure/docs/service-networking/reference/rest/v1/services.connections#Connection):
 * `network` (projects/{number}/global/networks/{name}), `reservedPeeringRanges[]`, and the
 * output-only `peering` and `service`. Operation and Status are google.longrunning.Operation and
 * google.rpc.Status (https://cloud.google.com/service-infrastructure/docs/service-networking/reference/rest/v1/operations#Operation).
 */
import { OUTPUT_ONLY, REPEATED, REQUIRED, type ApiSchema } from './compact.js';

const SN = 'google.cloud.servicenetworking.v1';

export const SERVICE_NETWORKING: ApiSchema = {
  api: 'servicenetworking',
  style: 'oneplatform',
  source: [
    'https://cloud.google.com/service-infrastructure/docs/service-networking/reference/rest/v1/services.connections',
  ],
  methods: [
    {
      rpc: 'servicenetworking.services.connections.list',
      verb: 'GET',
      path: '/v1/services/*/connections',
      request: `${SN}.ListConnectionsRequest`,
      response: `${SN}.ListConnectionsResponse`,
      pathFields: ['parent'],
    },
    {
      rpc: 'servicenetworking.services.connections.create',
      verb: 'POST',
      path: '/v1/services/*/connections',
      body: 'connection',
      request: `${SN}.CreateConnectionRequest`,
      response: 'google.longrunning.Operation',
      pathFields: ['parent'],
    },
    {
      rpc: 'servicenetworking.services.connections.patch',
      verb: 'PATCH',
      path: '/v1/services/*/connections/*',
      body: 'connection',
      request: `${SN}.UpdateConnectionRequest`,
      response: 'google.longrunning.Operation',
      pathFields: ['name'],
    },
    {
      rpc: 'servicenetworking.operations.get',
      verb: 'GET',
      path: '/v1/operations/**',
      request: 'google.longrunning.GetOperationRequest',
      response: 'google.longrunning.Operation',
      pathFields: ['name'],
    },
  ],
  messages: {
    [`${SN}.Connection`]: {
      network: ['string', REQUIRED],
      reservedPeeringRanges: ['string', REPEATED, 'reserved_peering_ranges'],
      peering: ['string', OUTPUT_ONLY],
      service: ['string', OUTPUT_ONLY],
    },
    [`${SN}.ListConnectionsRequest`]: { parent: ['string', REQUIRED], network: ['string', 0] },
    [`${SN}.ListConnectionsResponse`]: { connections: [`M:${SN}.Connection`, REPEATED] },
    [`${SN}.CreateConnectionRequest`]: { parent: ['string', REQUIRED], connection: [`M:${SN}.Connection`, REQUIRED] },
    [`${SN}.UpdateConnectionRequest`]: {
      name: ['string', REQUIRED],
      connection: [`M:${SN}.Connection`, REQUIRED],
      updateMask: ['M:google.protobuf.FieldMask', 0, 'update_mask'],
      force: ['bool', 0],
    },
    'google.longrunning.GetOperationRequest': { name: ['string', REQUIRED] },
    'google.longrunning.Operation': {
      name: ['string', 0],
      metadata: ['M:google.protobuf.Any', 0],
      done: ['bool', 0],
      error: ['M:google.rpc.Status', 0],
      response: ['M:google.protobuf.Any', 0],
    },
    'google.rpc.Status': { code: ['int32', 0], message: ['string', 0], details: ['M:google.protobuf.Any', REPEATED] },
  },
  enums: {},
};
