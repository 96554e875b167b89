/**
 * Worker replacement under load (issue 13): a real `pagi-server --workers 2
 * --limit-max-requests 5` under a stream of sequential and concurrent
 * requests, each on a fresh connection, across several replacements. The
 * primary hands connections round-robin to the workers, so some land on a
 * worker just as it retires: every one must still get its 200.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { connect, killChildren, readAll, runCli, within, type Child } from './helpers.js';

afterEach(() => killChildren());

const APP = `export default async (scope, receive, send) => {
  if (scope.type !== 'http') throw new Error('http only');
  await send({ type: 'http.response.start', status: 200, headers: [] });
  await send({ type: 'http.response.body', body: 'ok ' + process.pid });
};\n`;

/** Replacements the load must span. */
const REPLACEMENTS = 6;
/** Clients each sending one request after another, all at the same time. */
const CONCURRENT_CLIENTS = 8;
/** A request with no answer by then counts as lost. */
const REQUEST_TIMEOUT_MS = 5000;

interface Outcome {
  ok: boolean;
  detail: string;
}

/** One GET on its own connection (agent: false), never retried: a reset or silence is a lost request. */
function getFresh(url: string): Promise<Outcome> {
  return new Promise((resolve) => {
    const req = http.get(url, { agent: false, timeout: REQUEST_TIMEOUT_MS }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ ok: res.statusCode === 200 && /^ok \d+$/.test(body), detail: `${res.statusCode} ${body}` }));
      res.on('error', (err: NodeJS.ErrnoException) => resolve({ ok: false, detail: `response ${err.code ?? err.message}` }));
    });
    req.on('timeout', () => req.destroy(Object.assign(new Error('no answer'), { code: 'ETIMEDOUT' })));
    req.on('error', (err: NodeJS.ErrnoException) => resolve({ ok: false, detail: err.code ?? err.message }));
  });
}

const REQUEST = 'GET / HTTP/1.1\r\nHost: x\r\n\r\n';

async function withApp<T>(run: (file: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(path.join(tmpdir(), 'pagi-replace-'));
  try {
    const file = path.join(dir, 'app.mjs');
    await writeFile(file, APP);
    return await run(file);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Reads one response (the app's is always sized) off a kept-alive raw socket, leaving the socket open. */
function readResponse(socket: net.Socket): Promise<string> {
  let data = '';
  return within(
    new Promise<string>((resolve) => {
      const onData = (chunk: Buffer) => {
        data += chunk.toString('latin1');
        const end = data.indexOf('\r\n\r\n');
        const length = /\r\ncontent-length: (\d+)\r\n/i.exec(data)?.[1];
        if (end === -1 || length === undefined || data.length < end + 4 + Number(length)) return;
        socket.removeListener('data', onData);
        resolve(data);
      };
      socket.on('data', onData);
    }),
    5000,
    'response',
  );
}

/** Sends fresh-connection requests until both original workers have been replaced; returns their pids. */
async function replaceBothWorkers(child: Child, url: string): Promise<string[]> {
  const replaced = () => (child.stdout() + child.stderr()).match(/worker \d replaced \(pid \d+\)/g)?.length ?? 0;
  const deadline = Date.now() + 30_000;
  while (replaced() < 2 && Date.now() < deadline) {
    const outcome = await getFresh(url);
    expect(outcome.ok, outcome.detail).toBe(true);
  }
  expect(replaced()).toBe(2);
  const retiring = [...(child.stdout() + child.stderr()).matchAll(/worker \d \(pid (\d+)\): reached limit-max-requests/g)];
  return retiring.slice(0, 2).map((match) => match[1] as string);
}

describe('worker replacement under load', () => {
  it('loses no request across replacements (--workers 2 --limit-max-requests 5)', { timeout: 90_000 }, async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'pagi-replace-'));
    try {
      const file = path.join(dir, 'app.mjs');
      await writeFile(file, APP);
      const child = runCli(['--port', '0', '--workers', '2', '--limit-max-requests', '5', file]);
      const url = (await child.waitOutput(/workers listening on (http:\/\/\S+)/))[1] as string;
      const replacements = () => (child.stdout() + child.stderr()).match(/worker \d replaced \(pid \d+\)/g)?.length ?? 0;

      const failures: string[] = [];
      const pids = new Set<string>();
      let requests = 0;
      const deadline = Date.now() + 60_000;
      const running = () => replacements() < REPLACEMENTS && Date.now() < deadline;
      const client = async () => {
        while (running()) {
          const outcome = await getFresh(url);
          requests++;
          if (outcome.ok) pids.add(outcome.detail.split(' ')[2] as string);
          else failures.push(outcome.detail);
        }
      };
      // Bursts too: a batch of connections opened together, so several are queued to one worker at once.
      const bursts = async () => {
        while (running()) {
          for (const outcome of await Promise.all(Array.from({ length: 10 }, () => getFresh(url)))) {
            requests++;
            if (outcome.ok) pids.add(outcome.detail.split(' ')[2] as string);
            else failures.push(outcome.detail);
          }
        }
      };
      await within(Promise.all([...Array.from({ length: CONCURRENT_CLIENTS }, client), bursts()]), 80_000, 'load');

      expect(replacements(), `replacements in ${requests} requests`).toBeGreaterThanOrEqual(REPLACEMENTS);
      expect(pids.size).toBeGreaterThan(2);
      expect(failures, `${failures.length} of ${requests} requests lost`).toEqual([]);
      child.proc.kill('SIGTERM');
      const code = await child.exited();
      if (code !== 0) console.log(`pagi-server exited with ${code}:\n${child.stdout()}${child.stderr()}`);
      expect(code).toBe(0);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('a replaced worker drains what it accepted', () => {
  it('answers a connection that had sent nothing yet, and a kept-alive one, each with Connection: close', { timeout: 60_000 }, async () => {
    await withApp(async (file) => {
      // A grace longer than the time both replacements take, so every held connection is still open.
      const child = runCli(['--port', '0', '--workers', '2', '--limit-max-requests', '5', '--timeout-keep-alive', '15', '--log-level', 'debug', file]);
      const url = (await child.waitOutput(/workers listening on (http:\/\/\S+)/))[1] as string;
      const port = Number(new URL(url).port);
      // Handed round-robin before any replacement: each sits on one of the two original workers.
      const silent = await Promise.all(Array.from({ length: 4 }, () => connect(port)));
      const kept = await Promise.all(Array.from({ length: 2 }, () => connect(port)));
      for (const socket of kept) {
        socket.write(REQUEST);
        expect(await readResponse(socket)).toMatch(/^HTTP\/1\.1 200 [^]*\r\nConnection: keep-alive\r\n/);
      }
      const originals = await replaceBothWorkers(child, url);

      const answers = await Promise.all(
        [...silent, ...kept].map((socket) => {
          const all = readAll(socket, 5000);
          socket.write(REQUEST);
          return all.then((data) => data.toString('latin1'));
        }),
      );
      for (const answer of answers) {
        expect(answer).toMatch(/^HTTP\/1\.1 200 /);
        expect(answer).toMatch(/\r\nConnection: close\r\n/);
        expect(answer).toMatch(/\r\n\r\nok \d+$/);
        // The retiring worker itself answered: the connection was neither reset nor moved.
        expect(originals).toContain(/ok (\d+)$/.exec(answer)?.[1]);
      }
      for (const pid of originals) await child.waitOutput(new RegExp(`\\(pid ${pid}, replaced\\) exited \\(code 0\\)`), 20_000);
      child.proc.kill('SIGTERM');
      expect(await child.exited()).toBe(0);
    });
  });

  it('closes a connection that sends nothing once the grace is over, and exits', { timeout: 60_000 }, async () => {
    await withApp(async (file) => {
      const child = runCli(['--port', '0', '--workers', '2', '--limit-max-requests', '3', '--timeout-keep-alive', '1', '--log-level', 'debug', file]);
      const url = (await child.waitOutput(/workers listening on (http:\/\/\S+)/))[1] as string;
      const silent = await Promise.all(Array.from({ length: 4 }, () => connect(Number(new URL(url).port))));
      const closed = silent.map((socket) => {
        socket.on('error', () => {});
        return readAll(socket, 20_000);
      });
      const originals = await replaceBothWorkers(child, url);
      for (const data of await Promise.all(closed)) expect(data.length).toBe(0);
      for (const pid of originals) await child.waitOutput(new RegExp(`\\(pid ${pid}, replaced\\) exited \\(code 0\\)`), 20_000);
      child.proc.kill('SIGTERM');
      expect(await child.exited()).toBe(0);
    });
  });
});
