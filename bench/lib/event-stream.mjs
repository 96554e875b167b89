// One SSE stream for the fan-out clients: a fresh connection (agent: false, so a cluster may hand
// it to any worker), the body cut into whole event blocks.
import http from 'node:http';

/**
 * Opens `url` with `Accept: text/event-stream`. `onEvents(text)` gets complete blocks (ending with a
 * blank line); `onFailure(kind)` hears 'refused' (not a 200), 'ended' (the server closed) or 'error'.
 * Resolves with the request once the 200 head arrived, or `undefined` when it did not.
 */
export function openEventStream(url, { onEvents, onFailure }) {
  return new Promise((resolve) => {
    const request = http.get(url, { agent: false, headers: { accept: 'text/event-stream' } }, (res) => {
      if (res.statusCode !== 200) {
        onFailure('refused');
        res.resume();
        return resolve(undefined);
      }
      res.setEncoding('utf8');
      let pending = '';
      res.on('data', (text) => {
        pending += text;
        const cut = pending.lastIndexOf('\n\n');
        if (cut === -1) return;
        onEvents(pending.slice(0, cut + 2));
        pending = pending.slice(cut + 2);
      });
      res.on('error', () => undefined);
      res.on('end', () => onFailure('ended'));
      resolve(request);
    });
    request.on('error', () => {
      onFailure('error');
      resolve(undefined);
    });
  });
}
