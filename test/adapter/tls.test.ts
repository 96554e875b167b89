import https from 'node:https';
import { X509Certificate } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { toNodeListener } from '../../src/adapter/index.js';
import type { HTTPScope, SSEScope, TLSExtension } from '../../src/protocol/types.js';
import { closeServer, listen, withDeadline } from '../helpers/server.js';
import { httpLike } from '../helpers/scope.js';
import { localhostCert } from '../helpers/tls.js';

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
});
