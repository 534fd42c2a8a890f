import * as fc from 'fast-check';
import { analyzeScript, findBashisms } from '../../src/checks/shell';

// The reader's arithmetic holds for generated scripts: top-level sleeps add up (literal, from the
// environment, or bounded by `timeout`), opening `sh -c` / `bash -c` wrappers changes nothing, and
// text inside double or single quotes is never taken for bash-only syntax.

const quoteSingle = (s: string) => `'${s.replace(/'/g, '\'\\\'\'')}'`;
const message = fc.constantFrom('[[ draining ]]', 'source: envoy', 'a == b', 'x <<< y', 'function f', '{1..3}', 'done; sleep 99', '$((1+1))');

type Piece = { text: string; seconds: number; env?: [string, string] };
const piece: fc.Arbitrary<Piece> = fc.oneof(
  fc.integer({ min: 0, max: 90 }).map(n => ({ text: `sleep ${n}`, seconds: n })),
  fc.tuple(fc.integer({ min: 1, max: 60 }), fc.integer({ min: 0, max: 60 })).map(([t, n]) => ({ text: `timeout ${t} sleep ${n}`, seconds: Math.min(t, n) })),
  fc.tuple(fc.constantFrom('DRAIN', 'WAIT_S', 'T'), fc.integer({ min: 0, max: 60 })).map(([v, n]) => ({ text: `sleep $${v}`, seconds: n, env: [v, String(n)] as [string, string] })),
  message.map(m => ({ text: `echo "${m}"`, seconds: 0 })),
  message.map(m => ({ text: `echo ${quoteSingle(m)}`, seconds: 0 })),
  fc.constant({ text: 'rm -f /tmp/ready', seconds: 0 }),
);

test('top-level sleeps add up, through wrappers, with variables from the environment', () => {
  fc.assert(fc.property(fc.array(piece, { minLength: 1, maxLength: 6 }), fc.constantFrom('; ', '\n', ' && '), (pieces, sep) => {
    // One value per variable: the last piece that sets it decides, for every use.
    const env = new Map<string, string>();
    for (const p of pieces) if (p.env) env.set(p.env[0], p.env[1]);
    const expected = pieces.reduce((t, p) => t + (p.env ? Number(env.get(p.env[0])) : p.seconds), 0);
    const script = pieces.map(p => p.text).join(sep);
    expect(analyzeScript(script, env).fixedWaitSeconds).toBe(expected);
    expect(analyzeScript(`bash -c ${quoteSingle(script)}`, env).fixedWaitSeconds).toBe(expected);
    expect(analyzeScript(`sh -c ${quoteSingle(`bash -c ${quoteSingle(script)}`)}`, env).fixedWaitSeconds).toBe(expected);
    expect(analyzeScript(script, env).unknownWaits).toEqual([]);
  }), { numRuns: 300, seed: 14 });
});

test('quoted text is never bash-only syntax', () => {
  fc.assert(fc.property(fc.array(piece, { minLength: 1, maxLength: 6 }), pieces => {
    expect(findBashisms(pieces.map(p => p.text).join('\n'))).toEqual([]);
  }), { numRuns: 300, seed: 15 });
});
