/**
 * Request-target handling (PROTOCOL.md §3.3) lives in `protocol/paths.ts`,
 * shared with the test client, which must build the same `raw_path`.
 */
export { splitTarget, type SplitTarget } from '../protocol/paths.js';
