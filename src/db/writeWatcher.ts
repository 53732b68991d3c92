/**
 * Counts the app's own writes to the database, so read models cached in memory know when they
 * may be stale. A Kysely plugin sees every query this process runs: after an insert, update or
 * delete completes (on any table but sessions, which members touch on every request), the
 * generation goes up. Writes by other instances are not seen; caches bound that with a TTL.
 */
import { AliasNode, TableNode, type KyselyPlugin, type OperationNode, type PluginTransformQueryArgs, type PluginTransformResultArgs, type QueryResult, type RootOperationNode, type UnknownRow } from 'kysely';

const UNWATCHED_TABLES = new Set(['sessions']);

export interface WriteWatcher {
  plugin: KyselyPlugin;
  /** Goes up after every completed write this process made to a watched table. */
  generation(): number;
}

function tableName(node: OperationNode | undefined): string | undefined {
  if (node && AliasNode.is(node)) return tableName(node.node);
  return node && TableNode.is(node) ? node.table.identifier.name : undefined;
}

/** The tables a write names (raw SQL, kind RawNode, names none; schema changes happen only at start-up). */
function writtenTables(node: RootOperationNode): Array<string | undefined> {
  if (node.kind === 'InsertQueryNode') return [tableName(node.into)];
  if (node.kind === 'UpdateQueryNode') return [tableName(node.table)];
  if (node.kind === 'DeleteQueryNode') return node.from.froms.map(tableName);
  return [];
}

export function createWriteWatcher(): WriteWatcher {
  let generation = 0;
  const pendingWrites = new WeakSet<object>();
  const plugin: KyselyPlugin = {
    transformQuery({ node, queryId }: PluginTransformQueryArgs): RootOperationNode {
      if (writtenTables(node).some((table) => table === undefined || !UNWATCHED_TABLES.has(table))) pendingWrites.add(queryId);
      return node;
    },
    async transformResult({ result, queryId }: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
      if (pendingWrites.delete(queryId)) generation += 1;
      return result;
    },
  };
  return { plugin, generation: () => generation };
}
