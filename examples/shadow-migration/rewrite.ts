// The native rewrite of the two /api/products routes, on pagi/toolkit. It has one deliberate
// difference from the legacy routes: `price` is a number (1250), not a string ("1250.00").
import { HttpError, query, router, sendJson } from 'pagi/toolkit';
import { findProduct, products } from './catalog.js';

export const rewrite = router({ renderError: (error, send) => sendJson(send, error.status, { error: error.message }) })
  .get('/api/products', ({ scope, send }) => {
    const tag = query(scope).get('tag') ?? undefined;
    const list = tag === undefined ? products : products.filter((p) => p.tags.includes(tag));
    return sendJson(send, 200, { count: list.length, items: list.map((p) => ({ id: p.id, name: p.name })) });
  })
  .get('/api/products/:id', ({ params, send }) => {
    const product = findProduct(params.id);
    if (!product) throw new HttpError(404, 'not found');
    return sendJson(send, 200, { id: product.id, name: product.name, price: product.cents / 100, tags: product.tags, servedAt: new Date().toISOString() });
  });
