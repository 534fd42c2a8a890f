import { Duration } from 'cdk8s';
import * as fc from 'fast-check';
import { HttpHeader, HttpMethod, PollProbe, PosixScript, ShellWord, Step } from '../../src/script';

// PosixScript.render reuses the text of an earlier script with the same value key, and a step's
// key is built from its inputs, not its text. These properties render many scripts whose steps
// draw their inputs from small sets (so scripts that differ in one input are frequent) through the
// cache, and compare each with a fresh render: a key that leaves out an input the text depends on
// hands a script the text of another and fails here.

const s = Duration.seconds;
// Two or three values per input: scripts that differ in one input only are frequent.
const word = fc.constantFrom('a', "a'b");
const seconds = fc.integer({ min: 1, max: 2 });

const headers = fc.constantFrom(
  undefined,
  [HttpHeader.of('X-A', '1')],
  [HttpHeader.fromEnv('X-A', 'TOKEN')],
  [HttpHeader.of('X-A', '1'), HttpHeader.of('X-B', '1')],
);
const url = fc.constantFrom(ShellWord.literal('http://h/a'), ShellWord.template('http://${POD_IP}/a'));
const body = fc.constantFrom(undefined, ShellWord.concat([]), ShellWord.literal('{}'));

const fixedStep: fc.Arbitrary<Step> = fc.oneof(
  word.map(m => Step.log(m)),
  fc.tuple(seconds, word).map(([n, r]) => Step.sleep(s(n), r)),
  fc.tuple(seconds, word).map(([n, r]) => Step.sleepUntil(s(n), r)),
  fc.record({
    method: fc.constantFrom(HttpMethod.GET, HttpMethod.POST),
    url,
    body,
    headers,
    timeout: fc.option(seconds.map(n => s(n)), { nil: undefined }),
    description: fc.option(word, { nil: undefined }),
  }).map(call => Step.http(call)),
  fc.tuple(fc.array(word, { minLength: 1, maxLength: 2 }), word, fc.option(seconds, { nil: undefined }))
    .map(([cmd, d, t]) => Step.run(cmd, d, t === undefined ? {} : { timeout: s(t) })),
);

const step: fc.Arbitrary<Step> = fc.oneof(
  { arbitrary: fixedStep, weight: 6 },
  { arbitrary: fc.array(fixedStep, { maxLength: 2 }).map(st => Step.whenLastFailed(st)), weight: 1 },
  { arbitrary: fc.array(fixedStep, { maxLength: 2 }).map(st => Step.whenPollDidNotReachZero(st)), weight: 1 },
  {
    arbitrary: fc.tuple(fc.constantFrom(1, 2), fc.option(seconds, { nil: undefined }), fc.option(word, { nil: undefined }))
      .map(([i, u, d]) => Step.pollUntilZero({
        probe: PollProbe.processAlive('/run/x.pid'),
        interval: s(i),
        until: u === undefined ? undefined : s(u),
        description: d,
      })),
    weight: 1,
  },
);

const scriptProps = fc.record({
  name: fc.constantFrom('a', 'b'),
  deadline: fc.integer({ min: 1, max: 2 }),
  steps: fc.array(step, { minLength: 1, maxLength: 2 }),
});

/** The script's text rendered now, without the cache (its private renderText). */
function fresh(script: PosixScript): string {
  return (script as unknown as { renderText(): string }).renderText();
}

describe('the render cache gives every script its own text', () => {
  test('cached and fresh renders are equal over many scripts that share inputs', () => {
    let hits = 0;
    fc.assert(fc.property(fc.array(scriptProps, { minLength: 2, maxLength: 30 }), all => {
      for (const p of all) {
        const script = new PosixScript({ name: p.name, deadline: s(p.deadline), steps: p.steps });
        const cached = script.render();
        const again = new PosixScript({ name: p.name, deadline: s(p.deadline), steps: p.steps }).render();
        if (again === cached) hits++;
        expect(cached).toBe(fresh(script));
      }
    }), { numRuns: 500, seed: 20261122 });
    // The cache was used: equal scripts got the one kept text.
    expect(hits).toBeGreaterThan(1000);
  });

  test('a script differing only in one input of one step gets its own text', () => {
    // Pairs that differ in exactly one input; each pair's first script is rendered first, so a key
    // missing that input would give the second the first's text.
    const pairs: Array<[Step, Step]> = [
      [Step.log('a'), Step.log('b')],
      [Step.sleep(s(1), 'r'), Step.sleep(s(2), 'r')],
      [Step.sleep(s(1), 'r'), Step.sleep(s(1), 'q')],
      [Step.sleepUntil(s(1), 'r'), Step.sleepUntil(s(2), 'r')],
      [Step.sleepUntil(s(1), 'r'), Step.sleepUntil(s(1), 'q')],
      [Step.sleep(s(1), 'r'), Step.sleepUntil(s(1), 'r')],
      [Step.http({ method: HttpMethod.GET, url: ShellWord.literal('http://h/a') }), Step.http({ method: HttpMethod.POST, url: ShellWord.literal('http://h/a') })],
      [Step.http({ method: HttpMethod.GET, url: ShellWord.literal('http://h/a'), description: 'd' }), Step.http({ method: HttpMethod.GET, url: ShellWord.literal('http://h/b'), description: 'd' })],
      [Step.http({ method: HttpMethod.GET, url: ShellWord.literal('http://h/a') }), Step.http({ method: HttpMethod.GET, url: ShellWord.literal('http://h/a'), body: ShellWord.literal('{}') })],
      [Step.http({ method: HttpMethod.GET, url: ShellWord.literal('http://h/a'), headers: [HttpHeader.of('X-A', '1')] }), Step.http({ method: HttpMethod.GET, url: ShellWord.literal('http://h/a'), headers: [HttpHeader.fromEnv('X-A', 'T')] })],
      [Step.http({ method: HttpMethod.GET, url: ShellWord.literal('http://h/a') }), Step.http({ method: HttpMethod.GET, url: ShellWord.literal('http://h/a'), timeout: s(3) })],
      [Step.http({ method: HttpMethod.GET, url: ShellWord.literal('http://h/a') }), Step.http({ method: HttpMethod.GET, url: ShellWord.literal('http://h/a'), description: 'd' })],
      [Step.run(['a'], 'd'), Step.run(['b'], 'd')],
      [Step.run(['a'], 'd'), Step.run(['a'], 'e')],
      [Step.run(['a'], 'd'), Step.run(['a'], 'd', { timeout: s(3) })],
      [Step.run(['a', 'b'], 'd'), Step.run(['a b'], 'd')],
    ];
    for (const [a, b] of pairs) {
      const first = new PosixScript({ name: 'pair', deadline: s(9), steps: [a] });
      const second = new PosixScript({ name: 'pair', deadline: s(9), steps: [b] });
      expect(first.render()).toBe(fresh(first));
      expect(second.render()).toBe(fresh(second));
      expect(fresh(second)).not.toBe(fresh(first)); // the pair does differ in its text
      expect(second.render()).not.toBe(first.render());
    }
  });
});
