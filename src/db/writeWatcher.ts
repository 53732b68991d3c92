/**
 * Counts the app's own writes to the database, so read models cached in memory know when they
 * may be stale. A Kysely plugin sees every query this process runs: after an insert, update or
 * delete completes (on any table but sessions, which members touch on every request), the
 * generation goes up. Writes by other instances are not seen; caches bound that with a TTL.
 */
import type { KyselyPlugin, PluginTransformQueryArgs, PluginTransformResultArgs, QueryResult, RootOperationNode, UnknownRow } from 'kysely';

const WRITES = new Set(['InsertQueryNode', 'UpdateQueryNode', 'DeleteQueryNode']);
const UNWATCHED_TABLES = new Set(['sessions']);

export interface WriteWatcher {
  plugin: KyselyPlugin;
  /** Goes up after every completed write this process made to a watched table. */
  generation(): number;
}

/** The tables a write names; raw SQL (kind RawNode) is not inspected, and schema changes happen only at start-up. */
function writtenTables(node: RootOperationNode): string[] {
  const json = JSON.stringify(node.kind === 'DeleteQueryNode' ? node.from : node.kind === 'InsertQueryNode' ? node.into : node.kind === 'UpdateQueryNode' ? node.table : null);
  return [...json.matchAll(/"identifier":\{"kind":"IdentifierNode","name":"([^"]+)"/g)].map((match) => match[1]!);
}

export function createWriteWatcher(): WriteWatcher {
  let generation = 0;
  const pendingWrites = new WeakSet<object>();
  const plugin: KyselyPlugin = {
    transformQuery({ node, queryId }: PluginTransformQueryArgs): RootOperationNode {
      if (WRITES.has(node.kind) && writtenTables(node).some((table) => !UNWATCHED_TABLES.has(table))) pendingWrites.add(queryId);
      return node;
    },
    async transformResult({ result, queryId }: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
      if (pendingWrites.delete(queryId)) generation += 1;
      return result;
    },
  };
  return { plugin, generation: () => generation };
}
