/**
 * Putting a layer where both worlds find it: `withChannels(app, layer)`
 * gives every scope the layer under `scope['pagi.channels']`; native code
 * reads it from the scope, Express handlers behind `fromExpress` from
 * `req.pagi.scope`, and `channelsOf()` does either.
 */
import type { App, Scope } from '../protocol/types.js';
import { ChannelsNotInstalled } from './errors.js';
import type { ChannelLayer } from './types.js';

/** The scope key under which `withChannels` puts the layer. */
export const CHANNELS_KEY = 'pagi.channels';

/**
 * Middleware: `app` sees every scope (lifespan included) with the layer at
 * `scope['pagi.channels']`. The scope is copied, never changed (PROTOCOL.md §11).
 */
export function withChannels(app: App, layer: ChannelLayer): App {
  if (typeof app !== 'function') throw new TypeError('withChannels(app, layer): app must be a function');
  if (!isLayer(layer)) throw new TypeError('withChannels(app, layer): layer must be a channel layer (createMemoryLayer(), createClusterLayer(), createRedisLayer())');
  return (scope, receive, send) => app({ ...scope, [CHANNELS_KEY]: layer } as Scope, receive, send);
}

/**
 * A scope, or an Express request served through `fromExpress` (which carries
 * its scope as `req.pagi.scope`; Express's types do not know that property,
 * hence `object`).
 */
export type ScopeSource = Scope | object;

/** The scope behind `source`. */
export function scopeOf(source: ScopeSource): Scope {
  // A scope's `pagi` holds versions; a bridged request's holds `{ scope, state }`.
  const bridged = (source as { pagi?: { scope?: unknown } }).pagi?.scope;
  const scope = (bridged ?? source) as Partial<Scope>;
  if (typeof scope !== 'object' || scope === null || typeof scope.type !== 'string') {
    throw new TypeError('expected a PAGI scope, or an Express request served through fromExpress (req.pagi.scope)');
  }
  return scope as Scope;
}

/**
 * The layer of a scope, or of an Express request served through
 * `fromExpress`. Throws `ChannelsNotInstalled` when the app is not wrapped
 * with `withChannels`.
 */
export function channelsOf(source: ScopeSource): ChannelLayer {
  const layer: unknown = scopeOf(source)[CHANNELS_KEY];
  if (!isLayer(layer)) throw new ChannelsNotInstalled(CHANNELS_KEY);
  return layer;
}

function isLayer(value: unknown): value is ChannelLayer {
  return typeof value === 'object' && value !== null && typeof (value as ChannelLayer).publish === 'function' && typeof (value as ChannelLayer).subscribe === 'function';
}
