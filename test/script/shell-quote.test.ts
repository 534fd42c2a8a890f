import * as fc from 'fast-check';
import { runScript, SHELLS } from './run-script';
import { Shell, ShellWord } from '../../src/script';

const META = [...'\'"$`\\!*?[]{}();&|<>~#\n\t '];

/** Strings the shell could misread: metacharacters, spaces, quotes, unicode, control bytes; never NUL. */
const noNul = (s: string) => s.replace(/\0/g, '');
const arbitraries = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.fullUnicodeString({ maxLength: 20 }),
  fc.stringOf(fc.constantFrom(...META, 'a', 'x', '=', '-', '%', 's', '\r'), { maxLength: 30 }),
  fc.stringOf(fc.oneof(fc.constantFrom(...META), fc.char16bits(), fc.hexa()), { maxLength: 30 })
    // lone surrogates cannot be written as UTF-8; keep well-formed strings only
    .filter(s => !/[\ud800-\udfff]/.test(s) || Buffer.from(s, 'utf8').toString('utf8') === s),
).map(noNul);

/** Runs `printf '%s' <quoted>` for every value in one script and splits the output on NUL separators. */
async function roundTrip(shell: (typeof SHELLS)[number], values: string[]): Promise<Buffer[]> {
  const text = values.map(v => `printf '%s' ${Shell.quote(v)}; printf '\\000'`).join('\n') + '\n';
  const r = await runScript(text, { shell, timeoutMs: 20_000 });
  expect(r.code).toBe(0);
  return splitOnNul(r.stdoutBytes, values.length);
}

function splitOnNul(buf: Buffer, n: number): Buffer[] {
  const parts: Buffer[] = [];
  let start = 0;
  for (let i = 0; i < buf.length; i++) {
    if (buf[i] === 0) {
      parts.push(buf.subarray(start, i));
      start = i + 1;
    }
  }
  expect(parts.length).toBe(n);
  return parts;
}

describe('Shell.quote survives real shells byte for byte', () => {
  const samples = fc.sample(arbitraries, { numRuns: 200, seed: 20240601 });
  const fixed = ["'", "''", "a'b", "'\\''", '$(touch /tmp/gs-pwned)', '`id`', '${HOME}', '$HOME', '"', '\\', '\n', ' leading', 'trailing ', '*', '~', '#x', '-n', '-e', '--', '', 'ü€😀', '\u00a0'];
  const values = [...fixed, ...samples];

  test.each(SHELLS)('%s', async shell => {
    const out = await roundTrip(shell, values);
    values.forEach((v, i) => {
      // Compare bytes, not strings.
      if (!out[i].equals(Buffer.from(v, 'utf8'))) {
        throw new Error(`${shell} read back ${JSON.stringify(out[i].toString('utf8'))} for ${JSON.stringify(v)} (quoted ${Shell.quote(v)})`);
      }
    });
  });

  test('the property as fast-check states it: quoted text is one word of the value (bash, 100 runs in batches)', async () => {
    // fc.assert with an async property runs one shell per case; batch 25 values per case to stay fast.
    await fc.assert(fc.asyncProperty(fc.array(arbitraries, { minLength: 1, maxLength: 25 }), async vals => {
      const out = await roundTrip('bash', vals);
      return vals.every((v, i) => out[i].equals(Buffer.from(v, 'utf8')));
    }), { numRuns: 4, seed: 7 });
  });

  test('NUL is refused with a clear error', () => {
    expect(() => Shell.quote('a\0b')).toThrow('cannot quote a value containing a NUL byte for a shell script: "a\\u0000b". Remove the NUL byte.');
    expect(() => ShellWord.literal('\0')).toThrow(/NUL byte/);
  });
});

describe('ShellWord', () => {
  test('literal, env and concat render literal parts single-quoted and ${NAME} double-quoted', () => {
    const w = ShellWord.concat([ShellWord.literal('http://x/?ip='), ShellWord.env('POD_IP'), ShellWord.literal("&a='b'")]);
    expect(w.text).toBe("'http://x/?ip='\"${POD_IP}\"'&a='\\''b'\\'''");
    expect(w.display).toBe("http://x/?ip=${POD_IP}&a='b'");
    expect(w.envNames).toEqual(['POD_IP']);
    expect(ShellWord.concat([]).text).toBe("''");
  });

  test('template parses ${NAME} references only', () => {
    const w = ShellWord.template('http://nacos:8848/nacos/v1/ns/instance?ip=${POD_IP}&port=8080&x=$HOME&y=${1BAD}');
    expect(w.text).toBe("'http://nacos:8848/nacos/v1/ns/instance?ip='\"${POD_IP}\"'&port=8080&x=$HOME&y=${1BAD}'");
    expect(w.envNames).toEqual(['POD_IP']);
    expect(ShellWord.template('${A}${B_2}').text).toBe('"${A}""${B_2}"');
    expect(ShellWord.template('').text).toBe("''");
  });

  test.each(['', '1X', 'A-B', 'A B', 'a.b', '$X', 'X}'])('env name %j is rejected', name => {
    expect(() => ShellWord.env(name)).toThrow(`environment variable '${name}' is not a valid environment variable name`);
  });

  test('what the shells make of them: env read at run time, a literal ${X} is not expanded', async () => {
    const words = [
      ShellWord.template('ip=${POD_IP};port=${PORT}'),
      ShellWord.literal('${POD_IP} $(echo no) `echo no`'),
      ShellWord.concat([ShellWord.literal("it's "), ShellWord.env('SPACEY')]),
      ShellWord.env('UNSET_VAR'),
    ];
    const text = words.map(w => `printf '%s|' ${w.text}`).join('\n');
    const results = await Promise.all(SHELLS.map(shell => runScript(text, { shell, env: { POD_IP: '10.0.0.7', PORT: '8080', SPACEY: ' a  *  b ' } })));
    for (const r of results) {
      expect(r.stdout).toBe("ip=10.0.0.7;port=8080|${POD_IP} $(echo no) `echo no`|it's  a  *  b ||");
      expect(r.stdout.split('|')).toHaveLength(5); // one word each, even with the empty UNSET_VAR
    }
  });
});
