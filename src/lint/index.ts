// Development middleware that reports PAGI protocol misuse.
export { lint, LintError } from './lint.js';
export type { LintOptions } from './lint.js';
