/**
 * `readMultipart`: a `multipart/form-data` body as an async iteration of its
 * parts, parsed by busboy while the upload is still arriving. File contents
 * are never buffered here: each file part is a `Readable` the app consumes
 * (or lets the iterator discard) before it asks for the next part, and
 * busboy's own backpressure stops pulling `receive()` while a file stream is
 * full.
 */
import type { Readable } from 'node:stream';
import busboy from 'busboy';
import { foldedHeader } from '../protocol/headers.js';
import { assertBodyScope, assertBodyUnread, bodyChunks, checkLimit, claimBodyStream, type BodyReceive, type BodyScope } from './body-stream.js';
import { checkType, type BodyScopeInput } from './body-readers.js';
import { HttpError } from './errors.js';

/** A form field (a part without a filename). */
export interface MultipartField {
  type: 'field';
  name: string;
  value: string;
  /** The part's `content-type` (`text/plain` when it had none). */
  mimeType: string;
}

/** A file part. Read `stream` before asking the iterator for the next part, or it is discarded. */
export interface MultipartFile {
  type: 'file';
  name: string;
  /** The client's file name (path components removed); `undefined` for an `application/octet-stream` part without one. */
  filename: string | undefined;
  mimeType: string;
  /** The part's `content-transfer-encoding` (`7bit` by default). */
  encoding: string;
  /** The file's bytes as they arrive; it errors with a 413 `HttpError` past `fileSize`. */
  stream: Readable;
}

/** One part of a multipart body, discriminated on `type`. */
export type MultipartPart = MultipartField | MultipartFile;

/** Limits of `readMultipart`; crossing any of them is a 413. */
export interface MultipartOptions {
  /** Most body bytes in total. Default `Infinity` (files stream; set it to cap uploads). */
  limit?: number;
  /** Most bytes of one file. Default `Infinity`. */
  fileSize?: number;
  /** Most file parts. Default `Infinity`. */
  files?: number;
  /** Most bytes of one field value. Default 1 MiB. */
  fieldSize?: number;
  /** Most bytes of a part's name. Default 100 (busboy's). */
  fieldNameSize?: number;
  /** Most fields. Default 1,000. */
  fields?: number;
  /** Most parts of any kind. Default `Infinity`. */
  parts?: number;
  /** Most header lines of one part. Default 2,000. */
  headerPairs?: number;
}

/**
 * The parts of a `multipart/form-data` request body, in order, as they
 * arrive. Wrong content type → 415, no boundary or a malformed body → 400,
 * a limit crossed → 413 (all `HttpError`s, thrown by the iteration). Works on
 * `http` and `sse` scopes; the body can be streamed once.
 *
 * ```ts
 * for await (const part of readMultipart(scope, receive, { fileSize: 10e6 })) {
 *   if (part.type === 'file') await pipeline(part.stream, createWriteStream(dest));
 *   else fields[part.name] = part.value;
 * }
 * ```
 */
export function readMultipart(scope: BodyScopeInput, receive: BodyReceive, options: MultipartOptions = {}): AsyncIterableIterator<MultipartPart> {
  assertBodyScope(scope, 'readMultipart');
  assertBodyUnread(receive, 'readMultipart');
  const media = checkType(scope, undefined, ['multipart/form-data']);
  const limit = checkLimit(options.limit, Infinity, 'readMultipart');
  claimBodyStream(receive, 'readMultipart');
  return parts(scope, receive, media === undefined ? '' : (foldedHeader(scope.headers, 'content-type') as string), limit, options);
}

async function* parts(
  scope: BodyScope,
  receive: BodyReceive,
  contentType: string,
  limit: number,
  options: MultipartOptions,
): AsyncGenerator<MultipartPart> {
  let parser: busboy.Busboy;
  try {
    parser = busboy({
      headers: { 'content-type': contentType },
      defParamCharset: 'utf8',
      limits: {
        fileSize: options.fileSize ?? Infinity,
        files: options.files ?? Infinity,
        fieldSize: options.fieldSize ?? 1024 * 1024,
        fieldNameSize: options.fieldNameSize ?? 100,
        fields: options.fields ?? 1000,
        parts: options.parts ?? Infinity,
        headerPairs: options.headerPairs ?? 2000,
      },
    });
  } catch (error) {
    throw new HttpError(400, `malformed multipart request: ${(error as Error).message}`, { cause: error });
  }
  const run = new MultipartRun(parser, options);
  void run.pump(bodyChunks(scope, receive, limit));
  let current: MultipartPart | undefined;
  try {
    for (;;) {
      // A file the app did not read would stall the parser: discard it.
      if (current?.type === 'file' && current.stream.readableFlowing === null) current.stream.resume();
      current = await run.next();
      if (current === undefined) return;
      yield current;
    }
  } finally {
    run.stop();
  }
}

/** One parse: busboy's events queued for the iterator, and the pump that feeds busboy. */
class MultipartRun {
  private readonly queue: MultipartPart[] = [];
  private failure: unknown;
  private done = false;
  private stopped = false;
  private wake: (() => void) | undefined;
  private taken: (() => void) | undefined;

  constructor(
    private readonly parser: busboy.Busboy,
    options: MultipartOptions,
  ) {
    parser.on('field', (name, value, info) => {
      if (info.nameTruncated) return this.fail(new HttpError(413, `multipart field name longer than ${options.fieldNameSize ?? 100} bytes`));
      if (info.valueTruncated) return this.fail(new HttpError(413, `multipart field '${name}' is larger than ${options.fieldSize ?? 1024 * 1024} bytes`));
      this.push({ type: 'field', name, value, mimeType: info.mimeType });
    });
    parser.on('file', (name, stream, info) => {
      // A file stream busboy or we destroy with an error must not crash the
      // process when nobody listens (the app skipped the part); readers that
      // pipe or iterate it still get the error through their own listener.
      stream.on('error', ignore);
      // busboy ends a file cut short with a plain Error ('Unexpected end of
      // file'); the app reading the stream should see the 400 it means.
      const destroy = stream.destroy.bind(stream);
      stream.destroy = (error?: Error) => destroy(error === undefined || error instanceof HttpError ? error : malformed(error));
      stream.once('limit', () => {
        const error = new HttpError(413, `uploaded file '${info.filename ?? name}' is larger than ${options.fileSize} bytes`);
        stream.destroy(error);
        this.fail(error);
      });
      this.push({ type: 'file', name, filename: info.filename, mimeType: info.mimeType, encoding: info.encoding, stream });
    });
    parser.on('fieldsLimit', () => this.fail(new HttpError(413, `more than ${options.fields ?? 1000} multipart fields`)));
    parser.on('filesLimit', () => this.fail(new HttpError(413, `more than ${options.files} uploaded files`)));
    parser.on('partsLimit', () => this.fail(new HttpError(413, `more than ${options.parts} multipart parts`)));
    parser.on('error', (error: Error) => this.fail(malformed(error)));
    parser.on('close', () => {
      this.done = true;
      this.signal();
    });
  }

  /** Feeds busboy chunk by chunk, waiting for it (and for the app to take queued parts) before the next. */
  async pump(chunks: AsyncGenerator<Uint8Array>): Promise<void> {
    try {
      for await (const chunk of chunks) {
        if (this.halted) break;
        await new Promise<void>((resolve, reject) => this.parser.write(chunk, (error) => (error ? reject(error) : resolve())));
        while (this.queue.length > 0 && !this.halted) await new Promise<void>((resolve) => (this.taken = resolve));
      }
      if (!this.halted) this.parser.end();
    } catch (error) {
      // A write error is already reported by busboy's 'error' event; a body error (413, Disconnected) is not.
      this.fail(error);
    }
  }

  private get halted(): boolean {
    return this.stopped || this.failure !== undefined;
  }

  /** The next part, `undefined` at the end; rejects with the first failure. */
  async next(): Promise<MultipartPart | undefined> {
    for (;;) {
      if (this.failure !== undefined) throw this.failure;
      const part = this.queue.shift();
      if (part !== undefined) {
        this.taken?.();
        this.taken = undefined;
        return part;
      }
      if (this.done) return undefined;
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
  }

  /** The iteration ended (finished, failed or abandoned): stop reading and release busboy. */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.taken?.();
    if (!this.done) this.parser.destroy();
    for (const part of this.queue) if (part.type === 'file') part.stream.resume();
  }

  private push(part: MultipartPart): void {
    this.queue.push(part);
    this.signal();
  }

  private fail(error: unknown): void {
    this.failure ??= error;
    this.signal();
  }

  private signal(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }
}

function ignore(): void {}

function malformed(error: Error): HttpError {
  return new HttpError(400, `malformed multipart body: ${error.message}`, { cause: error });
}
