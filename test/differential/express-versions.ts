/**
 * The Express versions the differential and middleware suites run against:
 * the real `express` (5.x) and `express4` (the npm alias of 4.x) packages.
 *
 * `describeEachExpress(name, body)` declares the suite once per version. The
 * two copies run concurrently in the same worker (they are independent: each
 * starts its own servers), while the tests inside each copy stay sequential,
 * because a file's scenarios share one pair of servers and its probes. The
 * suites are mostly waiting on sockets and timers, so the second version costs
 * little wall time.
 *
 * `DIFF_EXPRESS=4` or `DIFF_EXPRESS=5` restricts a run to one version.
 */
import { createRequire } from 'node:module';
import express5 from 'express';
import { describe } from 'vitest';

/** The Express module's shape; Express 4 is typed as 5 (the API the suites use is common to both). */
export type ExpressModule = typeof express5;

export interface ExpressUnderTest {
  /** `Express 5.2.1`: the name of the version's suite. */
  label: string;
  major: 4 | 5;
  version: string;
  express: ExpressModule;
}

const require = createRequire(import.meta.url);

function underTest(major: 4 | 5, packageName: string, express: ExpressModule): ExpressUnderTest {
  const { version } = require(`${packageName}/package.json`) as { version: string };
  return { label: `Express ${version}`, major, version, express };
}

const all: readonly ExpressUnderTest[] = [
  underTest(5, 'express', express5),
  underTest(4, 'express4', require('express4') as ExpressModule),
];

const only = process.env['DIFF_EXPRESS'];

/** The versions this run covers (both unless `DIFF_EXPRESS` picks one). */
export const expressVersions: readonly ExpressUnderTest[] =
  only === undefined || only === '' ? all : all.filter((v) => String(v.major) === only);

if (expressVersions.length === 0) throw new Error(`DIFF_EXPRESS=${only}: no such Express major (4 or 5)`);

export interface DescribeEachExpressOptions {
  /** Skip the suite on every version (like `describe.skipIf`). */
  skip?: boolean;
}

/**
 * Declares `body` as suite `name` once per Express version, as
 * `Express <version> > <name>`; `body` gets that version's module (build every
 * app from it, not from an `express` import) and its description.
 */
export function describeEachExpress(
  name: string,
  body: (express: ExpressModule, version: ExpressUnderTest) => void,
  options: DescribeEachExpressOptions = {},
): void {
  // (A `skip: false` option would be inherited by every test and undo `it.skip`.)
  const outer = options.skip === true ? describe.concurrent.skip : describe.concurrent;
  for (const version of expressVersions) {
    // The outer suite is concurrent with its sibling version; the inner one
    // makes this version's tests (and hooks) run one after another again.
    outer(version.label, () => {
      describe.sequential(name, () => body(version.express, version));
    });
  }
}

/** The major version of an Express module from `expressVersions`, for the few apps that must differ (documented at each use). */
export function expressMajor(express: ExpressModule): 4 | 5 {
  const version = all.find((v) => v.express === express);
  if (version === undefined) throw new Error('expressMajor: not one of the Express modules under test');
  return version.major;
}
