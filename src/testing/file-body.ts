/** Reads a `file`/`fh` response body the way a server streams it (PROTOCOL.md §4.3). */
import { open } from 'node:fs/promises';
import type { NormalizedSendEvent } from '../protocol/validate.js';

type FileBodyEvent = Extract<NormalizedSendEvent, { type: 'http.response.body'; kind: 'file' | 'fh' }>;

/**
 * Bytes `[offset, offset + length)` of the file, clipped to its end. A `file`
 * is opened and closed here; an `fh` is read positionally and left open.
 * Errors (`ENOENT`, a closed handle) reject before anything is delivered.
 */
export async function readFileBody(event: FileBodyEvent): Promise<Uint8Array> {
  const handle = event.kind === 'file' ? await open(event.file, 'r') : event.fh;
  try {
    const size = (await handle.stat()).size;
    const start = Math.min(event.offset, size);
    const length = Math.min(event.length ?? size - start, size - start);
    const buffer = Buffer.alloc(length);
    let read = 0;
    while (read < length) {
      const { bytesRead } = await handle.read(buffer, read, length - read, start + read);
      if (bytesRead === 0) break;
      read += bytesRead;
    }
    return buffer.subarray(0, read);
  } finally {
    if (event.kind === 'file') await handle.close();
  }
}
