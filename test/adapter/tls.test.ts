import https from 'node:https';
import { X509Certificate } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { toNodeListener } from '../../src/adapter/index.js';
import type { HTTPScope, SSEScope, TLSExtension } from '../../src/protocol/types.js';
import { closeServer, listen, withDeadline } from '../helpers/server.js';
import { httpLike } from '../helpers/scope.js';
import { localhostCert, selfSignedCert } from '../helpers/tls.js';

let server: https.Server | undefined;
afterEach(async () => {
  if (server) await closeServer(server);
  server = undefined;
});

describe('TLS connections', () => {
  it('set scheme https and advertise the tls extension', async () => {
    const { key, cert } = await localhostCert();
    let seen: HTTPScope | SSEScope | undefined;
    server = https.createServer(
      { key, cert },
      toNodeListener(async (scope, _receive, send) => {
        seen = httpLike(scope);
        await send({ type: 'http.response.start', status: 200 });
        await send({ type: 'http.response.body', body: 'secure' });
      }),
    );
    const { port } = await listen(server);
    const body = await withDeadline(
      new Promise<string>((resolve, reject) => {
        https
          .get({ host: '127.0.0.1', port, rejectUnauthorized: false, agent: false }, (res) => {
            let text = '';
            res.on('data', (d: Buffer) => (text += d.toString()));
            res.on('end', () => resolve(text));
          })
          .on('error', reject);
      }),
      10_000,
      'https request',
    );
    expect(body).toBe('secure');
    const scope = seen as HTTPScope;
    expect(scope.scheme).toBe('https');
    const tls = scope.extensions.tls as TLSExtension;
    expect(new X509Certificate(tls.server_cert as string).fingerprint256).toBe(new X509Certificate(cert).fingerprint256);
    expect(tls.client_cert_chain).toEqual([]);
    expect(tls.client_cert_name).toBeNull();
    expect(tls.client_cert_error).toBeNull();
    expect([0x0303, 0x0304]).toContain(tls.tls_version);
    expect(typeof tls.cipher_suite).toBe('number');
    expect(scope.extensions.fullflush).toEqual({});
  });

  it('reports a client certificate: chain, RFC 4514 name and the verification error', async () => {
    const { key, cert } = await localhostCert();
    const clientCert = await selfSignedCert('pagi test client');
    let tls: TLSExtension | undefined;
    server = https.createServer(
      { key, cert, requestCert: true, rejectUnauthorized: false },
      toNodeListener(async (scope, _receive, send) => {
        tls = httpLike(scope).extensions.tls;
        await send({ type: 'http.response.start', status: 204 });
        await send({ type: 'http.response.body' });
      }),
    );
    const { port } = await listen(server);
    await withDeadline(
      new Promise<void>((resolve, reject) => {
        https
          .get({ host: '127.0.0.1', port, rejectUnauthorized: false, agent: false, key: clientCert.key, cert: clientCert.cert }, (res) => {
            res.resume();
            res.on('end', () => resolve());
          })
          .on('error', reject);
      }),
      10_000,
      'https request with a client certificate',
    );
    expect(tls?.client_cert_chain).toHaveLength(1);
    expect(new X509Certificate(tls?.client_cert_chain[0] as string).fingerprint256).toBe(new X509Certificate(clientCert.cert).fingerprint256);
    expect(tls?.client_cert_name).toBe('CN=pagi test client');
    expect(tls?.client_cert_error).toBe('DEPTH_ZERO_SELF_SIGNED_CERT');
  });
});
