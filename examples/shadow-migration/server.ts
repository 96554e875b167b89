// MODE=shadow (default): Express serves, the rewrite is compared on a copy of each request.
// MODE=switched: the rewrite serves /api/products. In shadow mode the report is printed at shutdown.
import { serve } from 'pagi/server';
import { createShadowedApp, createSwitchedApp } from './app.js';

const host = process.env.HOST ?? '127.0.0.1';
const port = Number(process.env.PORT ?? 3000);

if (process.env.MODE === 'switched') {
  const server = await serve(createSwitchedApp(), { host, port, handleSignals: true });
  console.log(`shadow-migration (switched: the rewrite serves /api/products): listening on ${server.url}`);
} else {
  const { app } = createShadowedApp();
  const server = await serve(app, { host, port, handleSignals: true });
  console.log(`shadow-migration (shadowing /api/products): listening on ${server.url}`);
}
