import createDebug from 'debug';

/** Namespaced debug loggers: `DEBUG=swarm:*` shows them all. */
export function logger(name: string): createDebug.Debugger {
  return createDebug(`swarm:${name}`);
}
