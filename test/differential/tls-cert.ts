/**
 * A self-signed certificate for `localhost`, made at test time with the
 * `openssl` CLI (no key material is committed), cached per test process.
 */
import { execFile, execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface KeyAndCert {
  key: string;
  cert: string;
}

let cached: Promise<KeyAndCert> | undefined;

function probeOpenssl(): boolean {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Whether the `openssl` CLI exists here; TLS scenarios are skipped (visibly) without it. */
export const opensslAvailable = probeOpenssl();

async function generate(): Promise<KeyAndCert> {
  const dir = await mkdtemp(path.join(tmpdir(), 'pagi-diff-tls-'));
  try {
    const keyFile = path.join(dir, 'key.pem');
    const certFile = path.join(dir, 'cert.pem');
    await run('openssl', [
      'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1',
      '-subj', '/CN=localhost', '-keyout', keyFile, '-out', certFile,
    ]);
    return { key: await readFile(keyFile, 'utf8'), cert: await readFile(certFile, 'utf8') };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export function selfSignedCert(): Promise<KeyAndCert> {
  cached ??= generate();
  return cached;
}
