// Which channel layer, from the environment: Redis when REDIS_URL is set (any number of processes
// and machines), otherwise the cluster layer (one process, or the workers of WORKERS=N).
import { createClient } from 'redis';
import { createClusterLayer, createRedisLayer, type ChannelLayer, type LayerOptions } from 'pagi/channels';

/** The notifications keep history: the last 100, at most an hour old, for clients that reconnect. */
export const OPTIONS: LayerOptions = { history: { notifications: { count: 100, maxAge: 3600 } } };

export async function layerFromEnv(): Promise<{ layer: ChannelLayer; close: () => Promise<void> }> {
  const url = process.env.REDIS_URL;
  if (!url) {
    const layer = createClusterLayer(OPTIONS);
    return { layer, close: () => layer.close() };
  }
  const client = createClient({ url });
  client.on('error', (error: Error) => console.error(`redis: ${error.message}`));
  await client.connect();
  const layer = createRedisLayer({ ...OPTIONS, client });
  return {
    layer,
    close: async () => {
      await layer.close();
      await client.close();
    },
  };
}
