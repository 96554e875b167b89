/**
 * A minimal cookie jar for the test client: remembers `name=value` from
 * `set-cookie` answers and sends them back in one `cookie` header. Enough for
 * session tests; it ignores `Domain`, `Path` and `Secure` (one test host), and
 * forgets a cookie on `Max-Age=0` or an `Expires` in the past.
 */
import type { HeaderPair } from '../protocol/types.js';

export class CookieJar {
  private readonly cookies = new Map<string, string>();

  /** Learns from the `set-cookie` pairs of a response. */
  learn(headers: readonly HeaderPair[]): void {
    for (const [name, value] of headers) {
      if (name === 'set-cookie') this.store(value);
    }
  }

  /** The `cookie` header value, or `undefined` when the jar is empty. */
  header(): string | undefined {
    if (this.cookies.size === 0) return undefined;
    return [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
  }

  get(name: string): string | undefined {
    return this.cookies.get(name);
  }

  clear(): void {
    this.cookies.clear();
  }

  private store(setCookie: string): void {
    const [pair = '', ...attributes] = setCookie.split(';');
    const eq = pair.indexOf('=');
    if (eq <= 0) return;
    const name = pair.slice(0, eq).trim();
    const value = pair.slice(eq + 1).trim();
    if (attributes.some(isExpiry)) this.cookies.delete(name);
    else this.cookies.set(name, value);
  }
}

function isExpiry(attribute: string): boolean {
  const [key = '', value = ''] = attribute.split('=').map((s) => s.trim());
  if (key.toLowerCase() === 'max-age') return Number(value) <= 0;
  if (key.toLowerCase() === 'expires') return Date.parse(value) < Date.now();
  return false;
}
