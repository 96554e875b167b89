// Runs one example's server.ts inside the child process that scripts/examples.mjs starts, so that a
// mistake the user can fix (the port is taken, no permission) prints one line, as `pagi-server`
// does, instead of a stack trace: `hybrid: error: cannot listen on 127.0.0.1:3000: ...`.
import { pathToFileURL } from 'node:url';

const [entry, name = 'example'] = process.argv.slice(2);
const REASONS = {
  EADDRINUSE: 'the address is already in use',
  EACCES: 'permission denied',
  EADDRNOTAVAIL: 'the address is not available on this machine',
};
const HINTS = { EADDRINUSE: ' (set PORT to use another port)', EACCES: ' (choose a PORT above 1023)' };

/** One line for a listen failure: a ListenFailed from serve(), or a raw error from server.listen(). */
function listenProblem(error) {
  if (error?.code === 'ERR_PAGI_LISTEN_FAILED') return `${error.message}${HINTS[error.syscallCode] ?? ''}`;
  if (error?.syscall === 'listen' && typeof error.code === 'string') {
    const where = error.port === undefined ? String(error.address ?? '') : `${error.address}:${error.port}`;
    return `cannot listen on ${where}: ${REASONS[error.code] ?? error.code}${HINTS[error.code] ?? ''}`;
  }
  return undefined;
}

function exitWith(error) {
  const problem = listenProblem(error);
  if (problem === undefined) {
    // Anything else is a bug worth its stack trace, printed the way Node would.
    console.error(error);
  } else {
    process.stderr.write(`${name}: error: ${problem}\n`);
  }
  process.exit(1);
}

// node:http reports a busy port as an 'error' event nobody listens to: an uncaught exception.
process.on('uncaughtException', exitWith);

try {
  await import(pathToFileURL(entry).href);
} catch (error) {
  // serve() rejects, and the example's top-level await hands the rejection to this import.
  exitWith(error);
}
