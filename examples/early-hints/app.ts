// 103 Early Hints before a slow response: the browser starts fetching the stylesheet while the
// page is still being rendered. `interim` is a PAGI extension: check it before sending.
import type { App } from 'pagi';

/** How long the "render" takes; the hints are out long before it ends. */
const RENDER_MS = Number(process.env.RENDER_MS ?? 300);

export const app: App = async (scope, receive, send) => {
  if (scope.type !== 'http' && scope.type !== 'sse') throw new Error(`early-hints does not handle '${scope.type}'`);

  if (scope.path === '/style.css') {
    await send({ type: 'http.response.start', status: 200, headers: [['content-type', 'text/css']] });
    await send({ type: 'http.response.body', body: 'body { font-family: sans-serif; }\n' });
    return;
  }

  // Servers that cannot send 1xx (HTTP/1.0 clients, HTTP/2 here) do not advertise `interim`.
  if (scope.extensions.interim) {
    await send({
      type: 'http.response.interim',
      status: 103,
      headers: [['link', '</style.css>; rel=preload; as=style']],
    });
  }
  await new Promise((resolve) => setTimeout(resolve, RENDER_MS));
  await send({
    type: 'http.response.start',
    status: 200,
    headers: [
      ['content-type', 'text/html; charset=utf-8'],
      ['link', '</style.css>; rel=preload; as=style'],
    ],
  });
  await send({ type: 'http.response.body', body: '<!doctype html><link rel="stylesheet" href="/style.css"><p>Rendered slowly.</p>\n' });
};
