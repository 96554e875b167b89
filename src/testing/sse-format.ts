/**
 * The SSE wire format the test client renders from `sse.*` events
 * (PROTOCOL.md §6.3), so that `client.sse()` parses exactly what a browser's
 * EventSource would see from a real server.
 */

/** `sse.send` → `event:`, one `data:` per line, `id:`, `retry:`, blank line. */
export function renderSSEEvent(event: { data: string; event?: string | undefined; id?: string | undefined; retry?: number | undefined }): string {
  let out = '';
  if (event.event) out += `event: ${event.event}\n`;
  for (const line of event.data.split(/\r\n|\r|\n/)) out += `data: ${line}\n`;
  if (event.id) out += `id: ${event.id}\n`;
  if (event.retry !== undefined) out += `retry: ${event.retry}\n`;
  return `${out}\n`;
}

/** `sse.comment` → each line with a leading `:` (unless it has one), blank line. */
export function renderSSEComment(comment: string): string {
  let out = '';
  for (const line of comment.split(/\r\n|\r|\n/)) out += line.startsWith(':') ? `${line}\n` : `:${line}\n`;
  return `${out}\n`;
}

/** `sse.keepalive` tick: `:<comment>\n\n`. */
export function renderSSEKeepalive(comment: string): string {
  return `:${comment}\n\n`;
}
