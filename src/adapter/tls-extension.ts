/**
 * The `tls` extension value (PROTOCOL.md §10), built from a `TLSSocket`.
 *
 * Node reports the protocol and cipher by name; the spec wants their wire
 * numbers, hence the lookup tables. The value is computed once per socket
 * (keep-alive requests share it) and copied into each scope.
 */
import type { TLSSocket, PeerCertificate, DetailedPeerCertificate } from 'node:tls';
import type { TLSExtension } from '../protocol/types.js';

const TLS_VERSIONS: Record<string, number> = {
  SSLv3: 0x0300,
  TLSv1: 0x0301,
  'TLSv1.1': 0x0302,
  'TLSv1.2': 0x0303,
  'TLSv1.3': 0x0304,
};

// IANA numbers of the suites OpenSSL negotiates in practice, keyed by the
// RFC ("standard") name Node reports in `getCipher().standardName`.
const CIPHER_SUITES: Record<string, number> = {
  TLS_AES_128_GCM_SHA256: 0x1301,
  TLS_AES_256_GCM_SHA384: 0x1302,
  TLS_CHACHA20_POLY1305_SHA256: 0x1303,
  TLS_AES_128_CCM_SHA256: 0x1304,
  TLS_AES_128_CCM_8_SHA256: 0x1305,
  TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256: 0xc02b,
  TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384: 0xc02c,
  TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256: 0xc02f,
  TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384: 0xc030,
  TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256: 0xcca8,
  TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256: 0xcca9,
  TLS_DHE_RSA_WITH_AES_128_GCM_SHA256: 0x009e,
  TLS_DHE_RSA_WITH_AES_256_GCM_SHA384: 0x009f,
  TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256: 0xccaa,
  TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256: 0xc023,
  TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384: 0xc024,
  TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256: 0xc027,
  TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384: 0xc028,
  TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA: 0xc009,
  TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA: 0xc00a,
  TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA: 0xc013,
  TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA: 0xc014,
  TLS_RSA_WITH_AES_128_GCM_SHA256: 0x009c,
  TLS_RSA_WITH_AES_256_GCM_SHA384: 0x009d,
  TLS_RSA_WITH_AES_128_CBC_SHA256: 0x003c,
  TLS_RSA_WITH_AES_256_CBC_SHA256: 0x003d,
  TLS_RSA_WITH_AES_128_CBC_SHA: 0x002f,
  TLS_RSA_WITH_AES_256_CBC_SHA: 0x0035,
};

const cache = new WeakMap<TLSSocket, TLSExtension>();

/** The wire number of a TLS protocol name (`'TLSv1.3'` → `0x0304`), or null. */
export function tlsVersionNumber(name: string | null | undefined): number | null {
  return (name && TLS_VERSIONS[name]) || null;
}

/** The IANA number of a cipher suite by its standard name, or null when unknown. */
export function cipherSuiteNumber(standardName: string | undefined): number | null {
  return (standardName && CIPHER_SUITES[standardName]) || null;
}

/** Builds (or reuses) the `tls` extension value for a TLS socket. */
export function tlsExtensionFor(socket: TLSSocket): TLSExtension {
  let value = cache.get(socket);
  if (value === undefined) {
    value = buildTlsExtension(socket);
    cache.set(socket, value);
  }
  // Each scope gets its own object: apps must not be able to edit another request's view.
  return { ...value, client_cert_chain: [...value.client_cert_chain] };
}

function buildTlsExtension(socket: TLSSocket): TLSExtension {
  const own = socket.getCertificate();
  const peer = socket.getPeerCertificate(true);
  const hasPeer = peer !== null && typeof peer === 'object' && 'raw' in peer && peer.raw !== undefined;
  const cipher = socket.getCipher() as { standardName?: string } | null;
  const authError = socket.authorizationError as unknown;
  return {
    server_cert: own && 'raw' in own && own.raw ? toPem(own.raw) : null,
    client_cert_chain: hasPeer ? chainOf(peer) : [],
    client_cert_name: hasPeer ? subjectName(peer) : null,
    client_cert_error: hasPeer && authError ? String(authError instanceof Error ? authError.message : authError) : null,
    tls_version: tlsVersionNumber(socket.getProtocol()),
    cipher_suite: cipherSuiteNumber(cipher?.standardName),
  };
}

/** Leaf first; stops at a self-signed issuer (Node links the root to itself). */
function chainOf(leaf: DetailedPeerCertificate): string[] {
  const out: string[] = [];
  const seen = new Set<DetailedPeerCertificate>();
  let cert: DetailedPeerCertificate | undefined = leaf;
  while (cert && cert.raw && !seen.has(cert)) {
    seen.add(cert);
    out.push(toPem(cert.raw));
    cert = cert.issuerCertificate;
  }
  return out;
}

/** RFC 4514 string: most specific RDN first, special characters escaped. */
function subjectName(cert: PeerCertificate): string | null {
  const subject = cert.subject as unknown as Record<string, string | string[]> | undefined;
  if (!subject) return null;
  const rdns: string[] = [];
  for (const [key, value] of Object.entries(subject)) {
    for (const v of Array.isArray(value) ? value : [value]) rdns.push(`${key}=${escapeRdnValue(v)}`);
  }
  return rdns.reverse().join(',');
}

function escapeRdnValue(value: string): string {
  return value
    .replace(/[\\",+;<>=]/g, (c) => `\\${c}`)
    .replace(/^[ #]/, (c) => `\\${c}`)
    .replace(/ $/, '\\ ');
}

function toPem(der: Buffer): string {
  const b64 = der.toString('base64').replace(/.{64}/g, '$&\n');
  return `-----BEGIN CERTIFICATE-----\n${b64}${b64.endsWith('\n') ? '' : '\n'}-----END CERTIFICATE-----\n`;
}
