// The legacy Express app, as it runs in production today.
import express from 'express';
import { findProduct, products } from './catalog.js';

export function createLegacyApp(): express.Express {
  const app = express();
  // Express announces itself; the rewrite does not. Turned off so the report shows real differences only.
  app.disable('x-powered-by');

  app.get('/', (_req, res) => {
    res.type('html').send('<h1>Catalog</h1><p>Try <a href="/api/products">/api/products</a>.</p>');
  });

  app.get('/api/products', (req, res) => {
    const tag = typeof req.query.tag === 'string' ? req.query.tag : undefined;
    const list = tag === undefined ? products : products.filter((p) => p.tags.includes(tag));
    res.json({ count: list.length, items: list.map((p) => ({ id: p.id, name: p.name })) });
  });

  app.get('/api/products/:id', (req, res) => {
    const product = findProduct(req.params.id);
    if (!product) return void res.status(404).json({ error: 'not found' });
    // The price goes out as a string with two decimals: "1250.00".
    res.json({ id: product.id, name: product.name, price: (product.cents / 100).toFixed(2), tags: product.tags, servedAt: new Date().toISOString() });
  });

  return app;
}
