/** Paging through Google list methods. */
import type { Service, Transport } from './transport.js';

/**
 * Follows `nextPageToken` until the list is complete. Every Google list method pages this way;
 * only the page-size parameter differs (Compute `maxResults`, Vertex AI `pageSize`: pass it in `query`).
 */
export async function listAll<T>(
  t: Transport,
  path: string,
  itemsKey: string,
  query: Record<string, string | number | undefined> = {},
  via: { service?: Service; method?: 'GET' | 'POST' } = {},
): Promise<T[]> {
  const { service = 'compute', method = 'GET' } = via;
  const all: T[] = [];
  let pageToken: string | undefined;
  do {
    const page = await t.request<Record<string, unknown>>({ service, method, path, query: { ...query, pageToken } });
    all.push(...((page[itemsKey] as T[] | undefined) ?? []));
    pageToken = page.nextPageToken as string | undefined;
  } while (pageToken);
  return all;
}
