/** A mistake on the `pagi-server` command line; its message is the one line the CLI prints (exit 2). */
export class UsageError extends Error {
  override name = 'UsageError';
}
