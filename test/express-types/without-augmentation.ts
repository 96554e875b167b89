// Compiled by express-types.test.ts: without `import 'pagi/express'`, Express's Request has no `pagi`.
import express from 'express';

express().get('/', (req, res) => {
  // @ts-expect-error req.pagi exists only with the opt-in augmentation
  res.json(req.pagi);
});
