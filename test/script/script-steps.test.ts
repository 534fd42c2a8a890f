import { Duration } from 'cdk8s';
import { runInAllShells, runScript, shellcheck, SHELLS } from './run-script';
import { HttpHeader, HttpMethod, PollProbe, PosixScript, ShellWord, Step } from '../../src/script';
import { IPollProbe } from '../../src/script/probe';
import { LOADED_HOST_SLACK_MS } from '../util/timing';

const s = Duration.seconds;
const script = (deadline: number, ...steps: Step[]) => new PosixScript({ name: 'steps-test', deadline: s(deadline), steps });

describe('rendering', () => {
  test('every kind of step renders a script that passes shellcheck -s sh', () => {
    const custom: IPollProbe = { description: 'custom', usesHttp: true, renderBody: () => 'gs_count=$(gs_http GET http://127.0.0.1:1/x "$(gs_cap 1)" \'\') || return 1\nreturn 0' };
    const text = script(30,
      Step.log("it's $HOME `x`"),
      Step.sleep(s(2), 'settle'),
      Step.sleepUntil(s(5), 'propagation'),
      Step.http({ method: HttpMethod.POST, url: ShellWord.template('http://${POD_IP}:8080/x?a=b'), body: ShellWord.literal('{"a":1}'), headers: [HttpHeader.of('X-A', 'b'), HttpHeader.fromEnv('X-T', 'TOKEN')] }),
      Step.whenLastFailed([Step.run(['rm', '-f', '/tmp/ready file'], 'remove ready file')]),
      Step.pollUntilZero({ probe: PollProbe.processAlive('/run/nginx.pid'), until: s(20) }),
      Step.pollUntilZero({ probe: PollProbe.listeningTcpPorts([8080, 8443]), interval: s(2) }),
      Step.pollUntilZero({ probe: custom }),
      Step.whenPollDidNotReachZero([Step.log('gave up')]),
    ).render();
    expect(shellcheck(text)).toEqual({ ok: true, output: '' });
    expect(text.startsWith('#!/bin/sh\n# cdk8s-graceful-shutdown: steps-test\n')).toBe(true);
    expect(text).toContain('gs_log_target=${GS_LOG_TARGET:-/proc/1/fd/1}');
    const noHttp = script(3, Step.log('x')).render();
    expect(shellcheck(noHttp)).toEqual({ ok: true, output: '' });
    expect(noHttp).not.toContain('gs_http_detect');
  });

  test('toCommand runs the text with /bin/sh -c', () => {
    const p = script(3, Step.log('x'));
    expect(p.toCommand()).toEqual(['/bin/sh', '-c', p.render()]);
    expect(p.deadlineSeconds).toBe(3);
    expect(new PosixScript({ name: 'x', deadline: Duration.millis(2999) }).deadlineSeconds).toBe(2);
  });

  test('a rendered script is sealed: adding a step afterwards throws instead of silently missing the manifest', () => {
    const sealed = new PosixScript({ name: 'sealed', deadline: Duration.seconds(5) }).add(Step.log('one'));
    const text = sealed.render();
    expect(() => sealed.add(Step.log('two'))).toThrow("script 'sealed' was already rendered into a manifest; a step added now would not reach it.");
    expect(sealed.render()).toBe(text);
    expect(sealed.toCommand()[2]).toBe(text);
    expect(text).toContain("gs_log 'one'");
    expect(text).not.toContain("'two'");
  });

  test('errors', () => {
    expect(() => new PosixScript({ name: 'Bad Name', deadline: s(3) })).toThrow("script name 'Bad Name' is not valid");
    expect(() => new PosixScript({ name: 'x', deadline: Duration.millis(999) })).toThrow("script 'x': deadline 999ms is under 1s; a preStop script needs at least 1s.");
    expect(() => Step.sleep(Duration.millis(1500), 'x')).toThrow('sleep 1.5s must be a whole number of seconds, at least 0s');
    expect(() => Step.sleepUntil(Duration.millis(500), 'x')).toThrow('sleepUntil 0.5s must be a whole number of seconds');
    expect(() => Step.http({ method: HttpMethod.GET, url: ShellWord.literal('http://x/'), timeout: s(0) })).toThrow('http timeout 0s must be a whole number of seconds, at least 1s');
    expect(() => Step.run([], 'nothing')).toThrow("step 'nothing': command is empty.");
    expect(() => Step.pollUntilZero({ probe: PollProbe.processAlive('/x'), interval: s(0) })).toThrow('poll interval 0s must be a whole number of seconds, at least 1s');
    expect(() => PollProbe.listeningTcpPorts([])).toThrow('listeningTcpPorts needs at least one port.');
    expect(() => PollProbe.listeningTcpPorts([0])).toThrow('port 0 is out of range: use a whole number 1-65535.');
    expect(() => PollProbe.listeningTcpPorts([65536])).toThrow('port 65536 is out of range');
    expect(() => HttpHeader.of('Bad Header', 'x')).toThrow("HTTP header name 'Bad Header' is not a valid token");
    expect(() => HttpHeader.of('X-A', 'a\r\nInjected: 1')).toThrow('header X-A: value contains a line break');
    expect(() => HttpHeader.fromEnv('X-A', 'NOT-VALID')).toThrow("header X-A: envVar 'NOT-VALID' is not a valid environment variable name");
    expect(HttpHeader.fromEnv('Authorization', 'TOKEN').display).toBe('Authorization: <from $TOKEN>');
  });
});

describe('log, sleep and sleepUntil, for real', () => {
  test('timing in every shell', async () => {
    const text = script(6,
      Step.log('one'),
      Step.sleep(s(1), 'a second'),
      Step.sleepUntil(s(2), 'until two'),
      Step.sleepUntil(s(1), 'already past'),
      Step.log('two'),
    ).render();
    const all = await runInAllShells(text);
    for (const shell of SHELLS) {
      const r = all[shell];
      expect(r.code).toBe(0);
      expect(r.messages).toEqual(['start (deadline t=6s)', 'one', 'sleep 1s: a second', 'wait until t=2s: until two', 'wait until t=1s: already past', 'two', 'done']);
      // date has whole seconds: t=2 is between 1 and 2 real seconds after the start.
      expect(r.elapsedMs).toBeGreaterThanOrEqual(1000);
      expect(r.elapsedMs).toBeLessThan(2000 + LOADED_HOST_SLACK_MS);
      // Never before t=2; later only by what a loaded host adds.
      const t = Number(/^t=(\d+(?:\.\d+)?) steps-test: two$/.exec(r.log[5])?.[1]);
      expect(t).toBeGreaterThanOrEqual(2);
      expect(t).toBeLessThanOrEqual(2 + LOADED_HOST_SLACK_MS / 1000);
    }
  });

  test('sleeps are cut by the deadline', async () => {
    const all = await runInAllShells(script(2, Step.sleep(s(30), 'long'), Step.sleepUntil(s(60), 'later'), Step.log('end')).render());
    for (const r of Object.values(all)) {
      expect(r.messages.slice(-2)).toEqual(['end', 'done']);
      expect(r.elapsedMs).toBeLessThan(2000 + LOADED_HOST_SLACK_MS);
    }
  });

  test('the log falls back to stderr when the target cannot be written', async () => {
    const r = await runScript(script(2, Step.log('hello')).render(), { shell: 'busybox', env: { GS_LOG_TARGET: '/nonexistent/dir/log' } });
    expect(r.code).toBe(0);
    // t= is whatever the clock said (a loaded host may cross a second): the format and order matter here.
    expect(r.stderr).toMatch(/^t=[0-9.]+ steps-test: start \(deadline t=2s\)\nt=[0-9.]+ steps-test: hello\nt=[0-9.]+ steps-test: done\n$/);
  });
});

describe('Step.run, for real', () => {
  test('success, failure with exit code, output in the log, timeout, and gs_ok for whenLastFailed', async () => {
    const text = script(6,
      Step.run(['sh', '-c', 'echo "$0" >&2; echo out', "arg with 'quotes' $HOME"], 'ok cmd'),
      Step.whenLastFailed([Step.log('NOT EXPECTED')]),
      Step.run(['sh', '-c', 'echo "first line $1"; echo second; exit 3', 'sh', '$(x)'], 'bad cmd'),
      Step.whenLastFailed([Step.log('fallback ran')]),
      Step.run(['sleep', '30'], 'slow cmd', { timeout: s(1) }),
      Step.run(['/no/such/program'], 'missing cmd'),
      Step.run(['true'], 'quick cmd', { timeout: s(5) }),
    ).render();
    const all = await runInAllShells(text);
    for (const shell of SHELLS) {
      const r = all[shell];
      expect({ shell, code: r.code }).toEqual({ shell, code: 0 });
      const m = r.messages;
      expect(m.slice(0, 9)).toEqual([
        'start (deadline t=6s)',
        "arg with 'quotes' $HOME", 'out', 'ok cmd: ok',
        'first line $(x)', 'second', 'bad cmd: failed with exit 3: its output is in the log above',
        'fallback ran',
        'slow cmd: failed with exit 143: no exit within 1s, terminated',
      ]);
      expect(m[9]).toMatch(/\/no\/such\/program.*(not found|No such file)/i);
      expect(m[10]).toBe('missing cmd: failed with exit 127: command not found');
      expect(m.slice(11)).toEqual(['quick cmd: ok', 'done']);
      // The watchdog of a quick command must not hold the script: about 1s for the slow one, not 5s.
      expect(r.elapsedMs).toBeLessThan(1000 + LOADED_HOST_SLACK_MS);
    }
  });

  test('a child the command leaves behind cannot hold the script past its deadline', async () => {
    const all = await runInAllShells(script(3, Step.run(['sh', '-c', 'sleep 6 & sleep 6; true'], 'forks', { timeout: s(1) }), Step.log('after')).render());
    for (const r of Object.values(all)) {
      expect(r.messages).toContain('forks: failed with exit 143: no exit within 1s, terminated');
      expect(r.messages).toContain('after');
      expect(r.elapsedMs).toBeLessThan(1000 + LOADED_HOST_SLACK_MS);
    }
  });

  test('a command past the deadline is not started', async () => {
    const all = await runInAllShells(script(1, Step.sleep(s(1), 'use it up'), Step.run(['sleep', '5'], 'late'), Step.log('after')).render());
    for (const r of Object.values(all)) {
      expect(r.messages).toContain("late: failed with exit 124: the script's deadline has passed, not started");
      expect(r.elapsedMs).toBeLessThan(1000 + LOADED_HOST_SLACK_MS);
    }
  });
});
