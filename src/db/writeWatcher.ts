/**
 * Counts the app's own writes to the database, so read models cached in memory know when they
 * may be stale. A Kysely plugin on the app's database sees every query run through it: after an
 * insert, update or delete completes, the generation goes up. The session store writes through
 * the same database without the plugin (composeApp.ts): members touch sessions on every request.
 * Writes by other instances and the worker arrive through the change feed (changeFeed.ts).
 */
import type {
  KyselyPlugin,
  PluginTransformQueryArgs,
  PluginTransformResultArgs,
  QueryResult,
  RootOperationNode,
  UnknownRow,
} from 'kysely';

export interface WriteWatcher {
  plugin: KyselyPlugin;
  /** Goes up after every completed write made through the watched database. */
  generation(): number;
}

const WRITES = new Set(['InsertQueryNode', 'UpdateQueryNode', 'DeleteQueryNode']);

export function createWriteWatcher(): WriteWatcher {
  let generation = 0;
  const pendingWrites = new WeakSet<object>();
  const plugin: KyselyPlugin = {
    transformQuery({ node, queryId }: PluginTransformQueryArgs): RootOperationNode {
      if (WRITES.has(node.kind)) pendingWrites.add(queryId);
      return node;
    },
    async transformResult({ result, queryId }: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
      if (pendingWrites.delete(queryId)) generation += 1;
      return result;
    },
  };
  return { plugin, generation: () => generation };
}
