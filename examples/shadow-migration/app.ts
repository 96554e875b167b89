// The two stages of the migration of /api/products:
// - shadowed: Express answers every client; the rewrite answers a copy of each GET, and the answers are
//   compared. GET /_shadow/report shows the counts.
// - switched: the rewrite answers /api/products itself; everything else still goes to Express.
import { cascade, fromExpress, mount, shadow, type App, type ShadowDifference, type ShadowedApp } from 'pagi';
import { sendJson } from 'pagi/toolkit';
import { createLegacyApp } from './legacy.js';
import { rewrite } from './rewrite.js';

/** One line per difference, for the log. */
export function describeDifference(d: ShadowDifference): string {
  const what = d.differences.map((m) => (m.kind === 'body' ? `body ${m.paths?.join(', ') ?? '(bytes)'}` : m.kind === 'header' ? `header ${m.name}` : `status ${m.primary} → ${m.candidate}`));
  return `shadow: ${d.route} differs: ${what.join('; ')} — legacy ${d.primary.bodyExcerpt} / rewrite ${d.candidate.bodyExcerpt}`;
}

export function createShadowedApp(log: (line: string) => void = console.log): { app: App; shadowed: ShadowedApp } {
  const legacy = fromExpress(createLegacyApp());
  const shadowed = shadow(legacy, rewrite, {
    filter: (scope) => scope.path === '/api/products' || scope.path.startsWith('/api/products/'),
    route: (scope) => `${scope.method} ${scope.path.replace(/\/\d+$/, '/:id')}`,
    ignorePaths: ['/servedAt'], // a timestamp: differs on every request, on purpose
    onDifference: (d) => log(describeDifference(d)),
  });
  // GET /_shadow/report answers the counts so far; at shutdown the final counts go to the log.
  const report: App = async (scope, receive, send) => {
    if (scope.type !== 'lifespan') return sendJson(send, 200, shadowed.report());
    for (;;) {
      const event = await receive();
      if (event.type === 'lifespan.startup') await send({ type: 'lifespan.startup.complete' });
      if (event.type === 'lifespan.shutdown') {
        await shadowed.idle();
        log(`shadow report: ${JSON.stringify(shadowed.report().routes)}`);
        await send({ type: 'lifespan.shutdown.complete' });
        return;
      }
    }
  };
  return { app: mount({ '/_shadow/report': report, '/': shadowed }), shadowed };
}

export function createSwitchedApp(): App {
  // The rewrite first; its 404 for anything it does not route means "not mine" and Express answers.
  return cascade(rewrite, fromExpress(createLegacyApp()));
}
