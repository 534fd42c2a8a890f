import * as fs from 'fs';
import { Duration } from 'cdk8s';
import { makeBinDir, parseLogLine, runInAllShells, runScript, shellcheck } from './run-script';
import { PosixScript, Step } from '../../src/script';

describe('runScript helper', () => {
  test('runs a script in each shell, logs to GS_LOG_TARGET, reports exit code and output', async () => {
    const text = new PosixScript({ name: 'hello', deadline: Duration.seconds(3) }).add(Step.log('hi there')).render()
      + '\n'; // exit 0 is in the script
    const all = await runInAllShells(`${text}`);
    for (const r of Object.values(all)) {
      expect(r.code).toBe(0);
      expect(r.timedOut).toBe(false);
      expect(r.messages).toEqual(['start (deadline t=3s)', 'hi there', 'done']);
      expect(parseLogLine(r.log[1])).toEqual({ t: 0, name: 'hello', message: 'hi there' });
    }
    const raw = await runScript('echo out; echo err >&2; exit 7', { shell: 'bash' });
    expect([raw.code, raw.stdout, raw.stderr]).toEqual([7, 'out\n', 'err\n']);
  });

  test('kills the script at timeoutMs', async () => {
    const r = await runScript('sleep 20', { timeoutMs: 500 });
    expect(r.timedOut).toBe(true);
    expect(r.elapsedMs).toBeLessThan(5000);
  });

  test('withPath shows only the chosen tools', async () => {
    const dir = makeBinDir({ http: 'busybox' });
    try {
      expect(fs.readdirSync(dir)).toContain('busybox');
      expect(fs.readdirSync(dir)).not.toContain('curl');
      expect(fs.readdirSync(dir)).not.toContain('wget');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
    const r = await runScript('command -v curl || echo no-curl; command -v wget', { shell: 'busybox', withPath: { http: 'wget' } });
    expect(r.stdout).toMatch(/^no-curl\n.*\/wget\n$/);
  });

  test('refuses to log to /proc/1/fd/1', async () => {
    await expect(runScript('true', { env: { GS_LOG_TARGET: '/proc/1/fd/1' } })).rejects.toThrow(/never \/proc\/1\/fd\/1/);
  });

  test('shellcheck reports a problem', () => {
    expect(shellcheck('#!/bin/sh\necho $1\n').ok).toBe(false);
    expect(shellcheck('#!/bin/sh\necho "$1"\n')).toEqual({ ok: true, output: '' });
  });
});
