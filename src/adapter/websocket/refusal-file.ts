/**
 * A refusal's `file` body (a path or an open handle, with an optional byte
 * range), piped into the response that carries the refusal. Shared by the
 * HTTP/1.1 upgrade refusal and the HTTP/2 extended-CONNECT one; the caller
 * ends its response afterwards.
 */
import { open, type FileHandle } from 'node:fs/promises';
import type { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { RefusalEvent } from './transport.js';

/** The file events of a refusal. */
export type RefusalFileEvent = Extract<RefusalEvent, { kind: 'file' | 'fh' }>;

/** Writes the event's range of the file into `destination` without ending it; a handle the event opened by path is closed. */
export async function pipeRefusalFile(event: RefusalFileEvent, destination: Writable): Promise<void> {
  const handle: FileHandle = event.kind === 'file' ? await open(event.file, 'r') : event.fh;
  try {
    const { size } = await handle.stat();
    const available = Math.max(0, size - event.offset);
    const length = event.length === undefined ? available : Math.min(event.length, available);
    if (length > 0) {
      const stream = handle.createReadStream({ start: event.offset, end: event.offset + length - 1, autoClose: false });
      await pipeline(stream, destination, { end: false });
    }
  } finally {
    if (event.kind === 'file') await handle.close();
  }
}
