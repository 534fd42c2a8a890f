import { Duration } from 'cdk8s';
import * as fc from 'fast-check';
import {
  checkDuration, checkHttpUrl, checkPort, PLACEHOLDER_NAMES, splitPlaceholders, ValidationError, valueKey, withValueKey,
} from '../../src/core';
import { ShellWord } from '../../src/script';

// The bottom layer: the placeholder grammar, the validators' errors, and value keys.

describe('placeholders', () => {
  const piece = fc.oneof(
    fc.string(),
    fc.constantFrom(...PLACEHOLDER_NAMES.map(n => `\${${n}}`), '${', '}', '$', '${A_B}', '${1X}', '$POD_IP'),
  );
  const text = fc.array(piece, { maxLength: 6 }).map(parts => parts.join(''));

  test('splitting a text and joining the parts gives the text back', () => {
    fc.assert(fc.property(text, t => {
      const joined = splitPlaceholders(t).map(p => ('env' in p ? `\${${p.env}}` : p.literal)).join('');
      expect(joined).toBe(t);
    }), { numRuns: 500 });
  });

  test('a user template reads the supported names at run time and refuses any other ${...}, typos included', () => {
    fc.assert(fc.property(text, t => {
      const unknown = [...t.matchAll(/\$\{([^}]*)\}/g)].map(m => m[1]).filter(n => !PLACEHOLDER_NAMES.includes(n));
      if (unknown.length > 0) {
        expect(() => ShellWord.userTemplate(t, 'url')).toThrow(`\${${unknown[0]}}, which is never set at run time`);
      } else {
        const word = ShellWord.userTemplate(t, 'url');
        expect(word.display).toBe(t);
        expect(word.envNames.every(n => PLACEHOLDER_NAMES.includes(n))).toBe(true);
      }
    }), { numRuns: 500 });
  });
});

describe('validators', () => {
  test('a ValidationError names the property, the value and the fix, and the construct once known', () => {
    let e: ValidationError | undefined;
    try {
      checkPort(70000, 'listeners[0].port');
    } catch (x) {
      e = x as ValidationError;
    }
    expect(e).toBeInstanceOf(ValidationError);
    expect(e!.message).toBe('listeners[0].port 70000 is out of range: use a whole number 1-65535.');
    const located = e!.inConstruct('chart/gw');
    expect(located.message).toBe(`chart/gw: ${e!.message}`);
    expect(located.inConstruct('chart/other').constructPath).toBe('chart/gw');
  });

  test('durations: zero where a wait is promised, non-whole where seconds are counted, and non-durations', () => {
    expect(() => checkDuration(Duration.seconds(0), 'interval', { minSeconds: 1, whole: true })).toThrow('zero would skip a wait the plan promises');
    expect(() => checkDuration(Duration.millis(1500), 'sleep', { minSeconds: 0, whole: true })).toThrow('sleep 1.5s must be a whole number of seconds');
    expect(checkDuration(Duration.millis(1500), 'drain', { minSeconds: 0, whole: false }).toMilliseconds()).toBe(1500);
    expect(() => checkDuration(5 as any, 'drain', { minSeconds: 0, whole: false })).toThrow('drain 5 is not a Duration');
  });

  test('URLs: http(s) with a host, no white space, supported placeholders only', () => {
    expect(checkHttpUrl('http://${POD_IP}:8080/x', 'u')).toBe('http://${POD_IP}:8080/x');
    for (const bad of ['ftp://h/', 'http://', 'http://h /x', 'http://${NACOS_HOST}:8848', undefined]) {
      expect(() => checkHttpUrl(bad, 'u')).toThrow(ValidationError);
    }
  });
});

describe('value keys', () => {
  test('a factory object is keyed by its inputs, kept beside it: a spread copy is another value', () => {
    const make = (port: number) => withValueKey({ port, probe: () => port }, 'probe', { port });
    const a = make(1);
    expect(valueKey(a)).toBe(valueKey(make(1)));
    expect(valueKey(a)).not.toBe(valueKey(make(2)));
    expect(Object.getOwnPropertySymbols(a)).toEqual([]);
    expect(Object.keys(a)).toEqual(['port', 'probe']);
    // The copy holds a function of its own and no recorded inputs: it cannot be keyed.
    expect(valueKey({ ...a, probe: () => 3 })).toBeUndefined();
  });
});
