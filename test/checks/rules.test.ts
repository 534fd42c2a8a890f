import { check, deployment, of, service, shContainer } from './helpers';
import { CheckLevel, RulePack } from '../../src';

describe('GS001 prestop-sleep-exceeds-grace', () => {
  test('fires when an exec sleep inside sh -c is not below the grace period', () => {
    const f = of('GS001', [deployment([shContainer('echo bye; sleep 30')])]);
    expect(f).toHaveLength(1);
    expect(f[0].level).toBe(CheckLevel.ERROR);
    expect(f[0].container).toBe('app');
    expect(f[0].message).toContain('Deployment shop/web');
    expect(f[0].message).toContain('sleeps 30s');
    expect(f[0].message).toContain('terminationGracePeriodSeconds 30 (the Kubernetes default');
  });
  test('fires for the sleep action and sums several top-level sleeps', () => {
    const sleepAction = { name: 'app', image: 'x', lifecycle: { preStop: { sleep: { seconds: 45 } } } };
    expect(of('GS001', [deployment([sleepAction], { terminationGracePeriodSeconds: 40 })], '1.30')[0].message).toContain('sleeps 45s (the sleep action');
    expect(of('GS001', [deployment([shContainer('sleep 10; echo x; sleep 1m')], { terminationGracePeriodSeconds: 60 })])[0].message).toContain('sleeps 70s');
  });
  test('quiet when the sleep fits', () => {
    expect(of('GS001', [deployment([shContainer('sleep 20')], { terminationGracePeriodSeconds: 40 })])).toEqual([]);
    expect(of('GS001', [deployment([{ name: 'a', image: 'x', lifecycle: { preStop: { exec: { command: ['sleep', '10'] } } } }])])).toEqual([]);
  });
});

describe('GS002 istio-drain-not-below-grace', () => {
  const ann = (text: string) => ({ annotations: { 'proxy.istio.io/config': text } });
  test('fires when terminationDrainDuration is not below the grace period', () => {
    const f = of('GS002', [deployment([{ name: 'app', image: 'x' }], { terminationGracePeriodSeconds: 60 }, ann('terminationDrainDuration: 1m30s'))]);
    expect(f).toHaveLength(1);
    expect(f[0].message).toContain('terminationDrainDuration 1m30s');
    expect(f[0].message).toContain('terminationGracePeriodSeconds 60');
    expect(f[0].container).toBe('istio-proxy');
  });
  test('quiet when it is below, and for pods without Istio', () => {
    expect(of('GS002', [deployment([{ name: 'app', image: 'x' }], { terminationGracePeriodSeconds: 100 }, ann('terminationDrainDuration: 1m30s'))])).toEqual([]);
    expect(of('GS002', [deployment([{ name: 'app', image: 'x' }], { terminationGracePeriodSeconds: 3 })])).toEqual([]);
  });
});

describe('GS003 istio-sidecar-exits-before-app-wait', () => {
  const meta = { labels: { 'sidecar.istio.io/inject': 'true' } };
  test('fires when the app waits longer than the default 5s drain', () => {
    const f = of('GS003', [deployment([shContainer('sleep 15')], { terminationGracePeriodSeconds: 40 }, meta)]);
    expect(f).toHaveLength(1);
    expect(f[0].level).toBe(CheckLevel.WARNING);
    expect(f[0].message).toContain('5s (Istio default)');
    expect(f[0].message).toContain('waits 15s');
  });
  test('quiet when the drain outlasts the wait, or the proxy is a native sidecar', () => {
    const longer = { labels: meta.labels, annotations: { 'proxy.istio.io/config': 'terminationDrainDuration: 20s' } };
    expect(of('GS003', [deployment([shContainer('sleep 15')], { terminationGracePeriodSeconds: 40 }, longer)])).toEqual([]);
    const native = deployment([shContainer('sleep 15')], { terminationGracePeriodSeconds: 40, initContainers: [{ name: 'istio-proxy', image: 'proxyv2', restartPolicy: 'Always' }] });
    expect(of('GS003', [native], '1.29')).toEqual([]);
  });
});

describe('GS004 exit-on-zero-unbounded', () => {
  const exitOnZero = (extra = '') => ({ annotations: { 'proxy.istio.io/config': `proxyMetadata:\n  EXIT_ON_ZERO_ACTIVE_CONNECTIONS: "true"\n${extra}` } });
  test('warns when the grace period is left to the default', () => {
    const f = of('GS004', [deployment([{ name: 'app', image: 'x' }], {}, exitOnZero())]);
    expect(f).toHaveLength(1);
    expect(f[0].level).toBe(CheckLevel.WARNING);
    expect(f[0].message).toContain('does not set terminationGracePeriodSeconds');
  });
  test('is an error when MINIMUM_DRAIN_DURATION does not fit, and warns on huge grace periods', () => {
    const f = of('GS004', [deployment([{ name: 'app', image: 'x' }], { terminationGracePeriodSeconds: 10 }, exitOnZero('  MINIMUM_DRAIN_DURATION: 15s'))]);
    expect(f[0].level).toBe(CheckLevel.ERROR);
    expect(f[0].message).toContain('MINIMUM_DRAIN_DURATION 15s');
    expect(of('GS004', [deployment([{ name: 'app', image: 'x' }], { terminationGracePeriodSeconds: 3600 }, exitOnZero())])[0].message).toContain('3600');
  });
  test('quiet with an explicit, bounded grace period; also reads the injected container env', () => {
    expect(of('GS004', [deployment([{ name: 'app', image: 'x' }], { terminationGracePeriodSeconds: 90 }, exitOnZero())])).toEqual([]);
    const injected = deployment([{ name: 'app', image: 'x' }, { name: 'istio-proxy', image: 'proxyv2', env: [{ name: 'EXIT_ON_ZERO_ACTIVE_CONNECTIONS', value: 'true' }] }]);
    expect(of('GS004', [injected])).toHaveLength(1);
  });
});

describe('GS005 service-without-prestop-wait', () => {
  test('fires for a Service-backed pod with no waiting preStop', () => {
    const f = of('GS005', [service, deployment([{ name: 'app', image: 'x' }])]);
    expect(f).toHaveLength(1);
    expect(f[0].message).toContain('selected by a Service');
    expect(f[0].message).toContain('"app"');
  });
  test('quiet with a sleep, an httpGet hook, or no Service selecting the pod', () => {
    expect(of('GS005', [service, deployment([shContainer('sleep 5')])])).toEqual([]);
    expect(of('GS005', [service, deployment([{ name: 'a', image: 'x', lifecycle: { preStop: { httpGet: { path: '/shutdown', port: 8090 } } } }])])).toEqual([]);
    expect(of('GS005', [{ ...service, spec: { selector: { app: 'other' } } }, deployment([{ name: 'app', image: 'x' }])])).toEqual([]);
    expect(of('GS005', [deployment([{ name: 'app', image: 'x' }])])).toEqual([]);
  });
});

describe('GS006 readiness-file-wait-too-short', () => {
  const probe = { exec: { command: ['cat', '/tmp/ready'] }, periodSeconds: 5, failureThreshold: 3 };
  test('fires when the wait after removing the file is shorter than period x failures', () => {
    const f = of('GS006', [deployment([shContainer('rm -f /tmp/ready; sleep 5', 'app', { readinessProbe: probe })], { terminationGracePeriodSeconds: 60 })]);
    expect(f).toHaveLength(1);
    expect(f[0].message).toContain('/tmp/ready');
    expect(f[0].message).toContain('periodSeconds 5 × failureThreshold 3 = 15s');
    expect(f[0].message).toContain('waits 5s');
  });
  test('quiet when the wait covers it; sleeps before the rm do not count', () => {
    expect(of('GS006', [deployment([shContainer('rm -f /tmp/ready; sleep 20', 'app', { readinessProbe: probe })], { terminationGracePeriodSeconds: 60 })])).toEqual([]);
    expect(of('GS006', [deployment([shContainer('sleep 20; rm -f /tmp/ready', 'app', { readinessProbe: probe })], { terminationGracePeriodSeconds: 60 })])).toHaveLength(1);
  });
});

describe('GS007 nginx-quit-without-wait', () => {
  test('fires for nginx -s quit with nothing after it', () => {
    const f = of('GS007', [deployment([{ name: 'nginx', image: 'nginx', lifecycle: { preStop: { exec: { command: ['nginx', '-s', 'quit'] } } } }])]);
    expect(f).toHaveLength(1);
    expect(f[0].container).toBe('nginx');
    expect(f[0].message).toContain('nginx -s quit');
  });
  test('quiet when a loop waits for nginx to exit', () => {
    const script = 'sleep 5; nginx -s quit; deadline=$(( $(date +%s) + 20 )); while pgrep -x nginx >/dev/null && [ "$(date +%s)" -lt "$deadline" ]; do sleep 1; done';
    expect(of('GS007', [deployment([shContainer(script, 'nginx')], { terminationGracePeriodSeconds: 40 })])).toEqual([]);
  });
});

describe('GS008 fixed-drain-after-healthcheck-fail', () => {
  test('fires for the Gloo recipe', () => {
    const f = of('GS008', [deployment([shContainer('wget --post-data "" -O /dev/null 127.0.0.1:19000/healthcheck/fail; sleep 10')])]);
    expect(f).toHaveLength(1);
    expect(f[0].message).toContain('sleeps a fixed 10s');
  });
  test('quiet when the drain polls the connection count', () => {
    const script = [
      'wget -q -T 2 --post-data "" -O /dev/null http://127.0.0.1:19000/healthcheck/fail',
      'deadline=$(( $(date +%s) + 20 ))',
      'while [ "$(date +%s)" -lt "$deadline" ]; do',
      '  n=$(wget -q -T 2 -O - "http://127.0.0.1:19000/stats?filter=downstream_cx_active")',
      '  case $n in \'\'|*[!0-9]*) sleep 1; continue ;; esac',
      '  [ "$n" -eq 0 ] && break',
      '  sleep 1',
      'done',
    ].join('\n');
    expect(check([deployment([shContainer(script)], { terminationGracePeriodSeconds: 40 })]).filter(f => f.level !== CheckLevel.INFO)).toEqual([]);
  });
});

describe('GS009 stats-unreachable-read-as-zero', () => {
  test('fires when a stats read feeds a numeric test directly, or via an unchecked variable', () => {
    const direct = 'for i in 1 2 3; do [ $(curl -s localhost:9901/stats | grep -c downstream_cx_active) -eq 0 ] && break; sleep 1; done';
    expect(of('GS009', [deployment([shContainer(direct)])])).toHaveLength(1);
    const viaVar = 'for i in 1 2 3; do n=$(curl -s "localhost:9901/stats?filter=server.total_connections" | cut -d" " -f2); [ "$n" -eq 0 ] && break; sleep 1; done';
    const f = of('GS009', [deployment([shContainer(viaVar)])]);
    expect(f).toHaveLength(1);
    expect(f[0].message).toContain('n=$(curl');
    const zeroDefault = 'for i in 1 2 3; do n=$(curl -sf localhost:9901/stats) || true; [ "${n:-0}" -eq 0 ] && break; sleep 1; done';
    expect(of('GS009', [deployment([shContainer(zeroDefault)])])).toHaveLength(1);
  });
  test('quiet when the read is checked before it is compared', () => {
    const ok = 'for i in 1 2 3; do n=$(curl -sf localhost:9901/stats?filter=downstream_cx_active); if [ -z "$n" ]; then sleep 1; continue; fi; [ "$n" -eq 0 ] && break; sleep 1; done';
    expect(of('GS009', [deployment([shContainer(ok)])])).toEqual([]);
  });
});

describe('GS010 poll-loop-exceeds-grace', () => {
  test('fires when iterations x (sleep + timeout) exceed the grace period', () => {
    const f = of('GS010', [deployment([shContainer('sleep 5; for i in $(seq 1 20); do wget -T 2 -q -O- localhost:8080/busy || break; sleep 1; done')])]);
    expect(f).toHaveLength(1);
    expect(f[0].level).toBe(CheckLevel.ERROR);
    expect(f[0].message).toContain('may run 65s');
    expect(f[0].message).toContain('20 × 3s = 60s of polling');
  });
  test('fires with a deadline beyond the grace period; warns for a loop with no bound', () => {
    expect(of('GS010', [deployment([shContainer('d=$(( $(date +%s) + 90 )); while [ "$(date +%s)" -lt "$d" ]; do sleep 1; done')])])[0].message).toContain('90s deadline');
    const f = of('GS010', [deployment([shContainer('while true; do sleep 1; done')])]);
    expect(f[0].level).toBe(CheckLevel.WARNING);
    expect(f[0].message).toContain('no counter or deadline');
  });
  test('quiet when the loop is bounded within the grace period (counter loop)', () => {
    expect(of('GS010', [deployment([shContainer('i=0; while [ $i -lt 10 ]; do sleep 1; i=$((i+1)); done')])])).toEqual([]);
  });
});

describe('GS011 bashism-in-sh-hook', () => {
  test('fires for [[ ]], source, arrays and function under /bin/sh', () => {
    const f = of('GS011', [deployment([shContainer('source /etc/env\nfunction drain { sleep 1; }\nports=(80 443)\nif [[ -f /tmp/x ]]; then drain; fi')])]);
    expect(f).toHaveLength(1);
    for (const c of ['[[ ]]', 'source', 'function keyword', 'array']) expect(f[0].message).toContain(c);
    expect(f[0].message).toContain('line 1');
  });
  test('quiet for POSIX sh, for bash -c, and for brackets inside single quotes', () => {
    expect(of('GS011', [deployment([shContainer('if [ -f /tmp/x ]; then . /etc/env; fi; awk \'{ if (a[$1]) print }\' /f')])])).toEqual([]);
    expect(of('GS011', [deployment([{ name: 'a', image: 'x', lifecycle: { preStop: { exec: { command: ['bash', '-c', '[[ -f /x ]] && sleep 1'] } } } }])])).toEqual([]);
  });
});

describe('GS012 feature-needs-newer-kubernetes', () => {
  const sleeper = { name: 'app', image: 'distroless', lifecycle: { preStop: { sleep: { seconds: 5 } } } };
  const sidecar = deployment([{ name: 'app', image: 'x' }], { initContainers: [{ name: 'proxy', image: 'envoy', restartPolicy: 'Always' }] });
  test('fires for the sleep action before 1.30 and native sidecars before 1.29', () => {
    const f = of('GS012', [deployment([sleeper])], '1.28');
    expect(f[0].message).toContain('needs Kubernetes 1.30');
    expect(f[0].message).toContain('the target is 1.28');
    expect(of('GS012', [sidecar], '1.28')[0].message).toContain('restartPolicy: Always');
    expect(of('GS012', [deployment([{ ...sleeper, lifecycle: { preStop: { sleep: { seconds: 0 } } } }])], 'v1.31.2')[0].message).toContain('seconds: 0');
  });
  test('quiet on versions that have them', () => {
    expect(of('GS012', [deployment([sleeper]), sidecar], '1.30')).toEqual([]);
  });
});

describe('GS013 tcpsocket-lifecycle-hook', () => {
  test('fires for a tcpSocket preStop, quiet for exec', () => {
    expect(of('GS013', [deployment([{ name: 'a', image: 'x', lifecycle: { preStop: { tcpSocket: { port: 80 } } } }])])[0].message).toContain('tcpSocket');
    expect(of('GS013', [deployment([shContainer('sleep 1')])])).toEqual([]);
  });
});

describe('RulePack', () => {
  test('every built-in rule has an id, a level, an explanation and a fix; ids are unique', () => {
    const rules = RulePack.builtIn().rules;
    expect(rules.map(r => r.id)).toEqual(['GS001', 'GS002', 'GS003', 'GS004', 'GS005', 'GS006', 'GS007', 'GS008', 'GS009', 'GS010', 'GS011', 'GS012', 'GS013', 'GS014', 'GS015', 'GS016']);
    for (const r of rules) {
      expect(r.explanation.length).toBeGreaterThan(40);
      expect(r.fix.length).toBeGreaterThan(10);
      expect(r.name).toMatch(/^[a-z0-9-]+$/);
    }
  });
  test('unknown kinds are skipped with an info finding, never a crash', () => {
    const f = RulePack.builtIn().checkObjects([{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' } }, 'text', null, { metadata: {} }, { kind: 'Deployment', metadata: { name: 'd' } }]);
    expect(f.map(x => x.level)).toEqual(['info', 'info', 'info', 'info', 'info']);
    expect(f[0].message).toBe('skipped: kind ConfigMap is not a workload');
    expect(f[4].message).toContain('has no pod template');
  });
  test('reads Pods, CronJobs and Lists', () => {
    const pod = { kind: 'Pod', metadata: { name: 'p' }, spec: { containers: [shContainer('sleep 40')] } };
    const cron = { kind: 'CronJob', metadata: { name: 'c' }, spec: { jobTemplate: { spec: { template: { spec: { containers: [shContainer('sleep 40')] } } } } } };
    const f = RulePack.builtIn().checkObjects([{ kind: 'List', items: [pod, cron] }]).filter(x => x.ruleId === 'GS001');
    expect(f.map(x => `${x.kind}/${x.name}`)).toEqual(['Pod/p', 'CronJob/c']);
  });
  test('disabledRules and the suppress annotation turn rules off; unknown ids are refused', () => {
    const d = deployment([shContainer('sleep 30')]);
    expect(RulePack.builtIn({ disabledRules: ['GS001'] }).checkObjects([d]).filter(x => x.ruleId === 'GS001')).toEqual([]);
    const suppressed = { ...d, metadata: { ...d.metadata, annotations: { [RulePack.SUPPRESS_ANNOTATION]: 'GS001, GS005' } } };
    expect(RulePack.builtIn().checkObjects([suppressed]).filter(x => x.ruleId === 'GS001')).toEqual([]);
    expect(() => RulePack.builtIn({ disabledRules: ['GS999'] })).toThrow(/GS999.*GS001/);
  });
  test('a custom rule runs, and one that throws becomes a warning, not a crash', () => {
    const pack = new RulePack({
      rules: [
        { id: 'X001', name: 'always', level: CheckLevel.INFO, explanation: 'e', fix: 'f', check: t => [{ message: `saw ${t.name} grace ${t.gracePeriodSeconds}` }] },
        { id: 'X002', name: 'broken', level: CheckLevel.ERROR, explanation: 'e', fix: 'f', check: () => { throw new Error('boom'); } },
      ],
    });
    const f = pack.checkObjects([deployment([], { terminationGracePeriodSeconds: 12 })]);
    expect(f[0].message).toBe('saw web grace 12');
    expect(f[1]).toMatchObject({ ruleId: 'GS000', level: CheckLevel.WARNING });
    expect(f[1].message).toContain('X002');
    expect(f[1].message).toContain('boom');
  });
});
