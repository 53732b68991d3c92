/**
 * Counts the requests the app itself sends to a bucket, by the class S3 bills them in, so
 * storage:usage can price the month from what happened rather than a guess. Browsers fetching
 * public or signed URLs are not the app's requests and are not counted here.
 */
import type { StorageAdapter } from './contract.ts';

/** put: PUT, COPY, POST, LIST class; get: GET, HEAD class; delete is free. */
export type RequestKind = 'put' | 'get' | 'list' | 'delete';

/** S3 returns at most this many keys per ListObjectsV2 page: one request per page. */
const LIST_PAGE = 1000;

export function withRequestCounting(adapter: StorageAdapter, count: (kind: RequestKind) => void): StorageAdapter {
  const seal = adapter.sealChecksum?.bind(adapter);
  const probe = adapter.probe?.bind(adapter);
  const readHead = adapter.readHead?.bind(adapter);
  return {
    location: adapter.location,
    put(key, body, options) {
      count('put');
      return adapter.put(key, body, options);
    },
    get(key, range) {
      count('get');
      return adapter.get(key, range);
    },
    head(key) {
      count('get');
      return adapter.head(key);
    },
    async *list(prefix) {
      count('list');
      let listed = 0;
      for await (const object of adapter.list(prefix)) {
        listed += 1;
        if (listed % LIST_PAGE === 0) count('list');
        yield object;
      }
    },
    delete(key) {
      count('delete');
      return adapter.delete(key);
    },
    urlFor: (key) => adapter.urlFor(key),
    isAvailable() {
      count('get');
      return adapter.isAvailable();
    },
    ...(seal && {
      // HEAD, CopyObject, HEAD.
      sealChecksum(key: string) {
        count('get');
        count('put');
        count('get');
        return seal(key);
      },
    }),
    ...(readHead && {
      readHead(key: string, bytes: number) {
        count('get');
        return readHead(key, bytes);
      },
    }),
    ...(probe && {
      probe() {
        count('list');
        return probe();
      },
    }),
  };
}
