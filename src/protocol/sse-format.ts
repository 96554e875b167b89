/**
 * The Server-Sent Events wire format (PROTOCOL.md §6.3, WHATWG HTML
 * "server-sent events"). Pure string builders; the validator has already
 * rejected `event`/`id` values containing CR or LF.
 */

const LINE_BREAK = /\r\n|\r|\n/;

/** `event:`, one `data:` per line of `data`, `id:`, `retry:`, then a blank line. */
export function formatSseEvent(data: string, event?: string, id?: string, retry?: number): string {
  let out = event ? `event: ${event}\n` : '';
  if (data.indexOf('\n') === -1 && data.indexOf('\r') === -1) {
    out += `data: ${data}\n`;
  } else {
    for (const line of data.split(LINE_BREAK)) out += `data: ${line}\n`;
  }
  if (id) out += `id: ${id}\n`;
  if (retry !== undefined) out += `retry: ${retry}\n`;
  return `${out}\n`;
}

/** Each line of `comment` with a leading `:` (kept when present), then a blank line. */
export function formatSseComment(comment: string): string {
  let out = '';
  for (const line of comment.split(LINE_BREAK)) out += line.charCodeAt(0) === 0x3a /* : */ ? `${line}\n` : `:${line}\n`;
  return `${out}\n`;
}

/** The keepalive chunk: `:<comment>\n\n` (a multi-line comment is written line by line). */
export function formatSseKeepalive(comment: string): string {
  return LINE_BREAK.test(comment) ? formatSseComment(comment) : `:${comment}\n\n`;
}
