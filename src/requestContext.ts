/**
 * The request a piece of work belongs to, carried through async calls (AsyncLocalStorage),
 * so every log line written while serving a request carries its id — storage and image code
 * included — without threading a logger through every call.
 */
import { AsyncLocalStorage } from 'node:async_hooks';

export interface RequestContext {
  reqId: string;
}

export const requestContext = new AsyncLocalStorage<RequestContext>();
