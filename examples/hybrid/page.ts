// Server-side rendering for the Express part of the demo: a template string with escaped values.
import type { ChatMessage } from './chat-room.js';

export interface PageData {
  name: string;
  visits: number;
  messages: readonly ChatMessage[];
}

export function renderPage({ name, visits, messages }: PageData): string {
  const history = messages.map((m) => `<li><b>${escapeHtml(m.from)}</b> ${escapeHtml(m.text)}</li>`).join('\n        ');
  return `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>PAGI hybrid demo</title>
  <link rel="stylesheet" href="/static/demo.css">
</head>
<body data-name="${escapeHtml(name)}">
  <header>
    <h1>PAGI hybrid demo</h1>
    <p>One Node process, one port: a legacy Express app and native async PAGI endpoints, composed with
      <code>mount</code> and <code>cascade</code>.</p>
  </header>
  <main>
    <section class="card" id="express-card">
      <h2>Rendered by Express <span class="tag legacy">legacy</span></h2>
      <p id="rendered-by">Hello, <strong id="visitor">${escapeHtml(name)}</strong>! This HTML came from an
        Express route through <code>fromExpress</code>.</p>
      <p>express-session counts your visits: <strong id="visits">${visits}</strong>.</p>
      <p>Chat history when the page was rendered (from the shared room):</p>
      <ul id="rendered-history" class="history">
        ${history || '<li class="empty">no messages yet</li>'}
      </ul>
      <button id="api-post" type="button">Post “hello” through the Express JSON API</button>
    </section>

    <section class="card" id="sse-card">
      <h2>Live clock <span class="tag native">native SSE</span></h2>
      <p class="status" id="sse-status">connecting…</p>
      <p class="clock" id="clock">--:--:--</p>
      <dl>
        <dt>ticks received</dt><dd id="tick-count">0</dd>
        <dt>people in the chat (this process)</dt><dd id="online">0</dd>
        <dt>messages in the room</dt><dd id="message-count">0</dd>
      </dl>
    </section>

    <section class="card" id="chat-card">
      <h2>Chat <span class="tag native">native WebSocket</span></h2>
      <p class="status" id="ws-status">connecting…</p>
      <ul id="chat-log" class="history"></ul>
      <form id="chat-form">
        <input id="chat-input" name="text" autocomplete="off" placeholder="Say something" maxlength="500" disabled>
        <button id="chat-send" type="submit" disabled>Send</button>
      </form>
    </section>
  </main>
  <footer>
    <a href="/api/messages">/api/messages</a> (Express) ·
    <a href="/api/stats">/api/stats</a> (native, in front of Express via <code>cascade</code>) ·
    <a href="/api/me">/api/me</a> (Express session)
  </footer>
  <script src="/static/demo.js" defer></script>
</body>
</html>
`;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
