// Payload sizes shared by the server targets (the clients use the same numbers in bench/lib).

/** The stream-out response: 1 MB written as 64 chunks of 16 KB. */
export const STREAM_CHUNK = Buffer.alloc(16 * 1024, 0x61);
export const STREAM_CHUNKS = 64;
