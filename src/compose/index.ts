// Composition of PAGI apps: URL maps and fall-through chains.
export { mount } from './mount.js';
export type { MountOptions, MountRoutes } from './mount.js';
export { cascade } from './cascade.js';
export type { CascadeOptions } from './cascade.js';
export { LifespanDeclined } from './lifespan-fanout.js';
