// Browser side of the hybrid demo, plain JavaScript: EventSource for the clock, WebSocket for the chat.
const $ = (id) => document.getElementById(id);
const name = document.body.dataset.name;

// ---- Server-Sent Events: /live/events (native PAGI)
let ticks = 0;
const events = new EventSource('/live/events');
events.addEventListener('open', () => setStatus('sse-status', 'connected', true));
events.addEventListener('error', () => setStatus('sse-status', 'reconnecting…', false));
events.addEventListener('tick', (event) => {
  const { time, online, messages } = JSON.parse(event.data);
  ticks += 1;
  $('clock').textContent = new Date(time).toLocaleTimeString();
  $('tick-count').textContent = String(ticks);
  $('online').textContent = String(online);
  $('message-count').textContent = String(messages);
});

// ---- WebSocket: /live/chat (native PAGI), reconnecting when the server goes away
let socket;
function connectChat() {
  const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
  socket = new WebSocket(`${scheme}://${location.host}/live/chat?name=${encodeURIComponent(name)}`);
  socket.addEventListener('open', () => {
    setStatus('ws-status', `connected as ${name}`, true);
    $('chat-input').disabled = false;
    $('chat-send').disabled = false;
  });
  socket.addEventListener('close', () => {
    setStatus('ws-status', 'disconnected, retrying…', false);
    $('chat-input').disabled = true;
    $('chat-send').disabled = true;
    setTimeout(connectChat, 2000);
  });
  socket.addEventListener('message', (event) => {
    const data = JSON.parse(event.data);
    if (data.type === 'message') appendMessage(data.message);
    if (data.type === 'presence') $('online').textContent = String(data.online);
  });
}
connectChat();

$('chat-form').addEventListener('submit', (event) => {
  event.preventDefault();
  const input = $('chat-input');
  const text = input.value.trim();
  if (text && socket.readyState === WebSocket.OPEN) socket.send(text);
  input.value = '';
  input.focus();
});

// ---- The legacy JSON API (Express) posts into the same room; the message comes back over the WebSocket
$('api-post').addEventListener('click', async () => {
  await fetch('/api/messages', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ text: 'hello (via the Express JSON API)' }),
  });
});

function appendMessage(message) {
  const item = document.createElement('li');
  const from = document.createElement('b');
  from.textContent = message.from;
  item.append(from, ` ${message.text}`);
  if (message.from === name) item.className = 'mine';
  const log = $('chat-log');
  log.append(item);
  log.scrollTop = log.scrollHeight;
}

function setStatus(id, text, ok) {
  const element = $(id);
  element.textContent = text;
  element.classList.toggle('ok', ok);
}
