/**
 * Self-signed certificates made at test time with the `openssl` CLI (no key
 * material in the repository), cached per test process and common name.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface KeyAndCert {
  key: string;
  cert: string;
}

const cache = new Map<string, Promise<KeyAndCert>>();

/** Key and self-signed certificate (PEM) for `CN=<commonName>`, valid for one day. */
export function selfSignedCert(commonName: string): Promise<KeyAndCert> {
  let pending = cache.get(commonName);
  if (pending === undefined) {
    pending = (async () => {
      const dir = await mkdtemp(path.join(tmpdir(), 'pagi-tls-'));
      try {
        const keyFile = path.join(dir, 'key.pem');
        const certFile = path.join(dir, 'cert.pem');
        await run('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', `/CN=${commonName}`, '-keyout', keyFile, '-out', certFile]);
        return { key: await readFile(keyFile, 'utf8'), cert: await readFile(certFile, 'utf8') };
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    })();
    cache.set(commonName, pending);
  }
  return pending;
}

/** Key and certificate (PEM) for CN=localhost. */
export function localhostCert(): Promise<KeyAndCert> {
  return selfSignedCert('localhost');
}
