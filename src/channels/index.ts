// pagi/channels: groups that connections join and anyone publishes to, for SSE and WebSocket
// broadcast across workers (cluster) and machines (Redis). Only createRedisLayer touches a Redis
// client, and only the one the application passes.

// ---- layers
export { createMemoryLayer } from './memory.js';
export { createClusterLayer } from './cluster.js';
export type { ClusterLayerOptions, IpcChannel } from './cluster.js';
export { createRedisLayer } from './redis.js';
export type { RedisLayerOptions } from './redis.js';
export type { RedisClient, NodeRedisClient, IoRedisClient } from './redis-driver.js';

// ---- the layer interface and what it delivers
export type {
  ChannelLayer,
  Subscription,
  SubscribeOptions,
  ChannelDelivery,
  ChannelMessage,
  ChannelGap,
  GapReason,
  QueueOptions,
  OverflowPolicy,
  SubscriptionEndReason,
  HistoryPolicy,
  HistoryOption,
  HistoryResult,
  LayerOptions,
  LayerStats,
  Published,
} from './types.js';
export type { JsonValue } from './json.js';

// ---- using it from apps
export { withChannels, channelsOf, scopeOf, CHANNELS_KEY } from './middleware.js';
export type { ScopeSource } from './middleware.js';
export { interleave } from './interleave.js';
export type { Interleaved } from './interleave.js';
export { streamGroupsToSSE } from './sse.js';
export type { GroupsToSSEOptions, GroupsToSSEEnd } from './sse.js';

// ---- errors
export {
  InvalidMessage,
  InvalidGroup,
  InvalidLayerOption,
  ChannelsClosed,
  ChannelsUnavailable,
  ChannelsNotInstalled,
  UnsupportedRedisClient,
} from './errors.js';
