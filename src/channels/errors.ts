/**
 * Errors of `pagi/channels`. Each has a stable `code`; all extend `PagiError`,
 * so `err instanceof PagiError` holds whichever subpath raised them.
 */
import { PagiError } from '../protocol/errors.js';

/** A published message is not a JSON value, or is larger than the layer's `maxMessageBytes`. */
export class InvalidMessage extends PagiError {
  /** Where in the message the problem is: `data`, `data.user.born`, `data.items[3]`. */
  readonly path: string;
  constructor(path: string, problem: string) {
    super('ERR_PAGI_CHANNELS_INVALID_MESSAGE', `${path} ${problem}`);
    this.path = path;
  }
}

/** A group name that is empty, too long, not a string, or contains control characters. */
export class InvalidGroup extends PagiError {
  readonly group: unknown;
  constructor(group: unknown, problem: string) {
    super('ERR_PAGI_CHANNELS_INVALID_GROUP', `group ${typeof group === 'string' ? JSON.stringify(group.slice(0, 80)) : String(group)} ${problem}`);
    this.group = group;
  }
}

/** The layer (or the subscription) was closed: nothing can be published, subscribed or joined through it any more. */
export class ChannelsClosed extends PagiError {
  constructor(what: string, closed: 'layer' | 'subscription' = 'layer') {
    super('ERR_PAGI_CHANNELS_CLOSED', `${what}: the ${closed === 'layer' ? 'channel layer is closed' : 'subscription has ended'}`);
  }
}

/** A bad layer option (history policy, queue size, message limit). */
export class InvalidLayerOption extends PagiError {
  readonly option: string;
  constructor(option: string, problem: string) {
    super('ERR_PAGI_CHANNELS_INVALID_OPTION', `${option} ${problem}`);
    this.option = option;
  }
}

/** The layer's transport failed: the primary's relay is gone or did not answer, or Redis returned an error. */
export class ChannelsUnavailable extends PagiError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_PAGI_CHANNELS_UNAVAILABLE', message, options);
  }
}

/** `channelsOf()` found no layer: the app is not wrapped with `withChannels()`. */
export class ChannelsNotInstalled extends PagiError {
  constructor(key: string) {
    super('ERR_PAGI_CHANNELS_NOT_INSTALLED', `no channel layer under scope['${key}']: wrap the app with withChannels(app, layer)`);
  }
}

/** `createRedisLayer()` was given something that is neither a `redis` (v4+) nor an `ioredis` client. */
export class UnsupportedRedisClient extends PagiError {
  constructor(problem: string) {
    super('ERR_PAGI_CHANNELS_REDIS_CLIENT', `createRedisLayer: ${problem}`);
  }
}

/** Errors of this package pass through; anything else (a Redis or IPC error) becomes `ChannelsUnavailable` about `what`. */
export function asUnavailable(error: unknown, what: string): Error {
  if (error instanceof PagiError) return error;
  return new ChannelsUnavailable(`${what}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
}
