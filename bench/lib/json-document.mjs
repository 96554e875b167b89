// The request body of the JSON scenarios (json, toolkit).

/** A JSON object of about 1 KB: a few fields and an array, like a typical API payload. */
export function documentOfOneKilobyte() {
  const doc = { id: 12345, name: 'benchmark', active: true, tags: ['a', 'b', 'c'], items: [] };
  while (Buffer.byteLength(JSON.stringify(doc)) < 1000) {
    doc.items.push({ sku: `item-${doc.items.length}`, qty: doc.items.length % 7, price: 9.99 });
  }
  return Buffer.from(JSON.stringify(doc));
}
