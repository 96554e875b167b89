/** Real `pagi-server` processes running the broadcast fixture, and small HTTP helpers for them. */
import http from 'node:http';
import { fileURLToPath } from 'node:url';
import { runCli, type Child } from '../../server/helpers.js';

export const BROADCAST_APP = fileURLToPath(new URL('../fixtures/broadcast-app.ts', import.meta.url));

export interface BroadcastServer {
  readonly url: string;
  readonly child: Child;
}

/** Starts `pagi-server [--workers N] broadcast-app.ts` on a free port and waits until every worker listens. */
export async function startBroadcastServer(env: Record<string, string>, workers = 1): Promise<BroadcastServer> {
  const args = ['--port', '0', '--host', '127.0.0.1', '--no-access-log', '--log-level', 'info'];
  if (workers > 1) args.push('--workers', String(workers));
  const child = runCli([...args, BROADCAST_APP], env);
  const pattern = workers > 1 ? new RegExp(`${workers} of ${workers} workers listening on (\\S+)`) : /listening on (\S+)/;
  const url = (await child.waitOutput(pattern, 40_000))[1]!;
  return { url, child };
}

/** POSTs `data` to /publish on a fresh connection; resolves with the message id. */
export async function publish(base: string, data: unknown): Promise<string> {
  const body = JSON.stringify(data);
  const reply = await request(base, '/publish', 'POST', body);
  return (JSON.parse(reply) as { id: string }).id;
}

export async function whoami(base: string): Promise<{ pid: number; worker: number | null }> {
  return JSON.parse(await request(base, '/whoami', 'GET')) as { pid: number; worker: number | null };
}

function request(base: string, path: string, method: string, body?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = http.request(`${base}${path}`, { method, agent: false, headers: body ? { 'content-type': 'application/json' } : {}, timeout: 10_000 }, (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
      res.on('end', () => (res.statusCode === 200 ? resolve(text) : reject(new Error(`${method} ${path}: ${res.statusCode} ${text}`))));
    });
    req.on('timeout', () => req.destroy(new Error(`${method} ${path}: timed out`)));
    req.on('error', reject);
    req.end(body);
  });
}
