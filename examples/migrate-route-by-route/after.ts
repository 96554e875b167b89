// AFTER: the two routes are native PAGI, in front; the Express app, with those routes deleted, behind.
import express from 'express';
import { cascade, fromExpress, type App } from 'pagi';
import { nativeRoutes } from './native-routes.js';
import { addRemainingRoutes } from './remaining-routes.js';

export function createAfterApp(): App {
  const legacy = addRemainingRoutes(express());
  return cascade(nativeRoutes, fromExpress(legacy));
}
