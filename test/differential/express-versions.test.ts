/**
 * The Express matrix is real: each version's suite gets that version's
 * package, told apart by behaviour, not only by its version string.
 */
import { expect, it } from 'vitest';
import { describeEachExpress, expressMajor, expressVersions } from './express-versions.js';

it('covers Express 4 and 5 unless DIFF_EXPRESS picks one', () => {
  const majors = expressVersions.map((v) => v.major);
  const only = process.env['DIFF_EXPRESS'];
  expect(majors).toEqual(only === undefined || only === '' ? [5, 4] : [Number(only)]);
});

describeEachExpress('the module handed to the suite', (express, version) => {
  it('is the version it is labelled with', () => {
    expect(version.version.startsWith(`${version.major}.`)).toBe(true);
    expect(expressMajor(express)).toBe(version.major);
  });

  it("routes with that version's path syntax", () => {
    // path-to-regexp 8 (Express 5) refuses an unnamed wildcard; 0.1 (Express 4) accepts it.
    const unnamedWildcard = () => express().get('/*', (_req, res) => res.end());
    if (version.major === 4) expect(unnamedWildcard).not.toThrow();
    else expect(unnamedWildcard).toThrow();
  });
});
