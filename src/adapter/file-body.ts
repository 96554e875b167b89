/**
 * `file`/`fh` response bodies (PROTOCOL.md §4.3): bytes `[offset, offset +
 * length)` read with positional reads and written with backpressure. Opening
 * and `stat` happen before anything is written, so a missing file or a closed
 * handle rejects the send with the `fs` error and leaves the response alone.
 */
import { open, type FileHandle } from 'node:fs/promises';
import type { NormalizedSendEvent } from '../protocol/validate.js';

export type FileBodyEvent = Extract<NormalizedSendEvent, { type: 'http.response.body'; kind: 'file' | 'fh' }>;

/** Where the bytes go. */
export interface FileBodySink {
  /** Called once the source is known to be readable, with the byte count to come. May throw. */
  begin(length: number): void;
  /** Writes one chunk; a promise means "wait for drain". */
  write(chunk: Uint8Array): Promise<void> | undefined;
  /** The abnormal-end reason once the client is gone, else undefined. */
  gone(): string | undefined;
}

/** Thrown when the source ended before the announced length (the response must be cut). */
export class FileBodyTruncated extends Error {
  readonly code = 'ERR_PAGI_FILE_TRUNCATED';
}

const CHUNK_SIZE = 64 * 1024;

/**
 * Streams the body. Errors before `begin` (open, stat) are the caller's to
 * report unchanged; errors after it mean a partly written response.
 */
export async function streamFileBody(event: FileBodyEvent, sink: FileBodySink): Promise<void> {
  let handle: FileHandle;
  let owned = false;
  if (event.kind === 'file') {
    handle = await open(event.file, 'r');
    owned = true;
  } else {
    handle = event.fh;
  }
  try {
    const size = (await handle.stat()).size;
    const start = Math.min(event.offset, size);
    const end = event.length === undefined ? size : Math.min(size, start + event.length);
    sink.begin(end - start);
    let position = start;
    while (position < end) {
      const want = Math.min(CHUNK_SIZE, end - position);
      // A fresh buffer per chunk: Node keeps a reference until the socket wrote it.
      const buffer = Buffer.allocUnsafe(want);
      const { bytesRead } = await handle.read(buffer, 0, want, position);
      if (sink.gone() !== undefined) return;
      if (bytesRead === 0) throw new FileBodyTruncated(`file body ended ${end - position} bytes early`);
      position += bytesRead;
      const pending = sink.write(bytesRead === want ? buffer : buffer.subarray(0, bytesRead));
      if (pending !== undefined) await pending;
    }
  } finally {
    if (owned) await handle.close().catch(() => {});
  }
}
