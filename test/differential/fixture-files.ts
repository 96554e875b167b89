/**
 * A temporary directory of files for static-file scenarios, with fixed
 * modification times so ETag and Last-Modified are stable within a run.
 */
import { mkdir, mkdtemp, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

export interface FixtureFiles {
  root: string;
  /** Bytes of `binary.bin`: contains CRLF and chunk-terminator look-alikes. */
  binary: Buffer;
  /** Bytes of `large.bin` (512 kB). */
  large: Buffer;
  remove(): Promise<void>;
}

const MTIME = new Date(Date.UTC(2024, 0, 2, 3, 4, 5));

export async function createFixtureFiles(): Promise<FixtureFiles> {
  const root = await mkdtemp(path.join(tmpdir(), 'pagi-diff-static-'));
  const binary = Buffer.concat([Buffer.from('0\r\n\r\nbinary\r\n'), Buffer.from([0, 1, 2, 13, 10, 255, 254]), Buffer.from('\r\n0\r\n\r\n')]);
  const large = Buffer.alloc(512 * 1024);
  for (let i = 0; i < large.length; i += 1) large[i] = (i * 31) % 256;
  const files: Record<string, string | Buffer> = {
    'hello.txt': 'Hello, static world!\n',
    'page.html': '<!doctype html><title>page</title>',
    'data.json': '{"static":true}',
    'binary.bin': binary,
    'large.bin': large,
    'space name.txt': 'a file name with a space',
    'ünï.txt': 'a UTF-8 file name',
    '.hidden': 'dotfile content',
    'sub/index.html': '<h1>sub index</h1>',
    'sub/deeper/file.txt': 'deep file',
    'noindex/file.txt': 'in a directory without an index',
    // serve-static's own redirect-encoding test: a directory with a space and a non-ASCII name.
    'snow ☃/file.txt': 'under a snowman',
  };
  for (const [name, content] of Object.entries(files)) {
    const file = path.join(root, name);
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, content);
    await utimes(file, MTIME, MTIME);
  }
  return { root, binary, large, remove: () => rm(root, { recursive: true, force: true }) };
}
