// Composition of PAGI apps: URL maps, fall-through chains and shadow traffic.
export { mount } from './mount.js';
export type { MountOptions, MountRoutes } from './mount.js';
export { cascade } from './cascade.js';
export type { CascadeOptions } from './cascade.js';
export { LifespanDeclined } from './lifespan-fanout.js';
export { shadow } from './shadow.js';
export type { ShadowOptions, ShadowedApp } from './shadow.js';
export type { ShadowDifference, ShadowCandidateError, ShadowSide, ShadowRequestInfo } from './shadow-exchange.js';
export type { ShadowMismatch } from './shadow-compare.js';
export type { ShadowReport, ShadowCounts, ShadowSkipReason, CandidateLifespanStatus } from './shadow-report.js';
export { ShadowCandidateFailed } from './shadow-candidate.js';
