// An Express app hosting a native PAGI endpoint: `toExpress` turns a PAGI app into Express middleware.
import express, { type Express } from 'express';
import helmet from 'helmet';
import { toExpress } from 'pagi';
import { createCountdown } from './live.js';

export function createApp(options: { stepMs?: number } = {}): Express {
  const app = express();
  // Headers set by Express middleware before the PAGI app answers are kept in its response.
  app.use(helmet({ contentSecurityPolicy: false }));

  app.get('/', (_req, res) => {
    res.type('html').send(`<!doctype html>
<meta charset="utf-8"><title>PAGI inside Express</title>
<h1>Countdown</h1>
<ol id="out"></ol>
<script>
  const source = new EventSource('/live/countdown?from=5');
  source.addEventListener('count', (e) => document.getElementById('out').insertAdjacentHTML('beforeend', '<li>' + e.data + '</li>'));
  source.addEventListener('done', () => source.close());
</script>`);
  });

  app.use('/live', toExpress(createCountdown(options)));
  return app;
}
