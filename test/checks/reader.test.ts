import { check, deployment, of, service, shContainer } from './helpers';
import { CheckLevel } from '../../src';
import { timelinesOf, timelineText } from '../../src/checks/timeline';
import { containersOf, toTarget } from '../../src/checks/workload';

// What the shell reader must read in hooks written by hand (the misses and false alarms found on
// public manifests): variables from the container's env, `sh -c` wrappers, quoting, `sleep
// infinity`, `timeout N`, Envoy's drain flags, and polls that read an unreachable admin as zero.

const env = (vars: Record<string, string>) => ({ env: Object.entries(vars).map(([name, value]) => ({ name, value })) });

/** Knative's kourier gateway (net-kourier config/300-gateway.yaml), with its drain time as given. */
function kourier(drain: string): any {
  return deployment([{
    name: 'kourier-gateway',
    image: 'envoyproxy/envoy',
    args: ['--base-id 0', '-c /tmp/config/envoy-bootstrap.yaml', '--drain-time-s $(DRAIN_TIME_SECONDS)', '--drain-strategy immediate'],
    ...env({ DRAIN_TIME_SECONDS: drain }),
    lifecycle: { preStop: { exec: { command: ['/bin/sh', '-c', 'curl -X POST http://localhost:9901/drain_listeners?graceful; sleep $DRAIN_TIME_SECONDS'] } } },
  }], { terminationGracePeriodSeconds: 30 });
}

describe('variables from the container env', () => {
  test('sleep $VAR is read from env: a 45s drain with grace 30 is GS001, and GS016 reads --drain-time-s $(VAR)', () => {
    const f = check([kourier('45'), service]).filter(x => x.level !== CheckLevel.INFO);
    expect(f.map(x => x.ruleId).sort()).toEqual(['GS001', 'GS016']);
    expect(f.find(x => x.ruleId === 'GS001')!.message).toContain('sleeps 45s');
    expect(f.find(x => x.ruleId === 'GS016')!.message).toContain('--drain-time-s');
  });
  test('the unmodified kourier (15s) is clean: the sleep of a variable is a wait (no GS005)', () => {
    expect(check([kourier('15'), service]).filter(x => x.level !== CheckLevel.INFO)).toEqual([]);
  });
  test('a sleep of a variable the manifest does not set is a wait of unknown length, not "no wait"', () => {
    const d = deployment([shContainer('sleep $DRAIN_SECONDS')]);
    expect(of('GS005', [d, service])).toEqual([]);
    expect(of('GS001', [d])).toEqual([]);
    const text = timelinesOf(toTarget({ kind: 'Deployment', name: 'web', podTemplate: d.spec.template }, '1.33')).map(timelineText).join('\n');
    expect(text).not.toContain('(fixed)');
    expect(text).toContain('`sleep $DRAIN_SECONDS` (its length is not in the manifest');
  });
  test('the script\'s own assignments count too', () => {
    expect(of('GS001', [deployment([shContainer('D=40; sleep "$D"')])])[0].message).toContain('sleeps 40s');
  });
});

describe('forms of waiting', () => {
  test('sleep infinity with any grace period is GS001', () => {
    const f = of('GS001', [deployment([shContainer('sleep infinity')], { terminationGracePeriodSeconds: 600 })]);
    expect(f).toHaveLength(1);
    expect(f[0].message).toContain('sleeps forever');
    const istio = of('GS003', [deployment([shContainer('sleep infinity')], { terminationGracePeriodSeconds: 60 }, { labels: { 'sidecar.istio.io/inject': 'true' } })]);
    expect(istio[0].message).toContain('waits forever');
    expect(istio[0].fix).not.toMatch(/Infinity|NaN/);
  });
  test('timeout 45 sleep 45 with grace 30 is GS001; timeout 10 sleep 45 is a 10s sleep', () => {
    expect(of('GS001', [deployment([shContainer('timeout 45 sleep 45')])])[0].message).toContain('sleeps 45s');
    expect(of('GS001', [deployment([shContainer('timeout -s KILL 10 sleep 45')])])).toEqual([]);
  });
  test('timeout 600 /wait-shutdown with grace 300 is GS010 (a bounded wait past SIGKILL); timeout 60 is clean', () => {
    const f = of('GS010', [deployment([shContainer('timeout 600 /wait-shutdown')], { terminationGracePeriodSeconds: 300 })]);
    expect(f).toHaveLength(1);
    expect(f[0].message).toContain('600s of `timeout`-bounded commands');
    expect(of('GS010', [deployment([shContainer('timeout 60 /wait-shutdown')], { terminationGracePeriodSeconds: 300 })])).toEqual([]);
  });
  test('sh -c "/wait-shutdown" is a wait like ["/wait-shutdown"]', () => {
    const direct = deployment([{ name: 'c', image: 'x', lifecycle: { preStop: { exec: { command: ['/wait-shutdown'] } } } }]);
    const wrapped = deployment([shContainer('/wait-shutdown', 'c')]);
    expect(of('GS005', [direct, service])).toEqual([]);
    expect(of('GS005', [wrapped, service])).toEqual([]);
  });
  test('bash -c "kong quit" is in the timeline', () => {
    const d = deployment([{ name: 'proxy', image: 'kong', lifecycle: { preStop: { exec: { command: ['/bin/bash', '-c', 'kong quit'] } } } }]);
    const text = timelinesOf(toTarget({ kind: 'Deployment', name: 'web', podTemplate: d.spec.template }, '1.33')).map(timelineText).join('\n');
    expect(text).toMatch(/exec\s+<=30s\s+`kong quit` \(blocks until it returns/);
  });
  test('nested wrappers are opened: sh -c "bash -c \'sleep 40\'"', () => {
    expect(of('GS001', [deployment([shContainer('bash -c \'sleep 40\'')])])[0].message).toContain('sleeps 40s');
  });
});

describe('quoting', () => {
  test('GS011 does not fire on bash syntax inside double-quoted text', () => {
    expect(of('GS011', [deployment([shContainer('echo "[[ draining: source envoy ]]"; /bin/contour envoy shutdown')])])).toEqual([]);
  });
  test('GS011 still fires on ${v//x/y} inside double quotes, which the shell expands there', () => {
    expect(of('GS011', [deployment([shContainer('echo "${v//x/y}"')])])).toHaveLength(1);
  });
});

describe('Envoy stats read as zero', () => {
  test('a while loop that polls `wget .../stats | grep -q "downstream_cx_active: [1-9]"` is GS009', () => {
    const loop = 'i=0; while [ $i -lt 40 ] && wget -qO- http://127.0.0.1:19000/stats | grep -q "downstream_cx_active: [1-9]"; do sleep 1; i=$((i+1)); done';
    const f = of('GS009', [deployment([shContainer(loop, 'envoy')], { terminationGracePeriodSeconds: 60 })]);
    expect(f).toHaveLength(1);
    expect(f[0].message).toContain('grep -q');
  });
  test('until ... grep -q "downstream_cx_active: 0" waits on a failed read: no GS009', () => {
    const loop = 'i=0; until [ $i -ge 40 ] || wget -qO- http://127.0.0.1:19000/stats | grep -q "downstream_cx_active: 0"; do sleep 1; i=$((i+1)); done';
    expect(of('GS009', [deployment([shContainer(loop, 'envoy')], { terminationGracePeriodSeconds: 60 })])).toEqual([]);
  });
});

describe('Envoy Gateway shutdown manager', () => {
  const eg = (timeout: string) => deployment([{
    name: 'shutdown-manager',
    image: 'envoyproxy/gateway',
    args: ['envoy', 'shutdown-manager', '--ready-timeout=40s'],
    command: ['envoy-gateway'],
    lifecycle: { preStop: { exec: { command: ['envoy-gateway', 'envoy', 'shutdown', `--drain-timeout=${timeout}`, '--min-drain-duration=15s'] } } },
  }], { terminationGracePeriodSeconds: 330 });
  test('--drain-timeout=600s with grace 330 is GS016; 30s is clean', () => {
    const f = of('GS016', [eg('600s')]);
    expect(f).toHaveLength(1);
    expect(f[0].message).toContain('600s');
    expect(f[0].fix).toContain('at least 610');
    expect(of('GS016', [eg('30s')])).toEqual([]);
  });
  test('the timeline bounds the shutdown preStop by its --drain-timeout', () => {
    const d = eg('600s');
    const text = timelinesOf(toTarget({ kind: 'Deployment', name: 'web', podTemplate: d.spec.template }, '1.33')).map(timelineText).join('\n');
    expect(text).toMatch(/exec\s+<=5m30s\s+`envoy-gateway envoy shutdown --drain-timeout=600s .*` \(returns by its --drain-timeout\), cut at t=330s by SIGKILL/);
    expect(timelineText(timelinesOf(toTarget({ kind: 'Deployment', name: 'web', podTemplate: eg('300s').spec.template }, '1.33'))[0])).toMatch(/exec\s+<=5m\s+`envoy-gateway envoy shutdown --drain-timeout=300s .*` \(returns by its --drain-timeout\)/);
  });
});

describe('settings that cannot be read', () => {
  test('a sleep action with seconds "abc" is GS015 and the timeline says so (no "undefineds")', () => {
    const d = deployment([{ name: 'a', image: 'x', lifecycle: { preStop: { sleep: { seconds: 'abc' } } } }]);
    expect(of('GS015', [d], '1.33')[0].message).toContain('seconds: "abc"');
    const text = timelinesOf(toTarget({ kind: 'Deployment', name: 'web', podTemplate: d.spec.template }, '1.33')).map(timelineText).join('\n');
    expect(text).not.toContain('undefined');
    expect(text).toContain('not a whole number of seconds');
  });
  test('an unparsable proxy.istio.io/config is GS015 (warning), not a silent 5s default', () => {
    const d = deployment([{ name: 'app', image: 'x' }], {}, { annotations: { 'proxy.istio.io/config': 'terminationDrainDuration: [30s' } });
    const f = of('GS015', [d]);
    expect(f).toHaveLength(1);
    expect(f[0].level).toBe(CheckLevel.WARNING);
    const bad = deployment([{ name: 'app', image: 'x' }], {}, { annotations: { 'proxy.istio.io/config': 'terminationDrainDuration: thirty' } });
    expect(of('GS015', [bad])[0].message).toContain('"thirty"');
  });
});

describe('timeline grace period line', () => {
  const text = (d: any) => timelinesOf(toTarget({ kind: 'Deployment', name: 'web', podTemplate: d.spec.template }, '1.33')).map(timelineText).join('\n');
  test('an unset grace period is the Kubernetes default, not "pinned"', () => {
    const out = text(deployment([shContainer('sleep 5')]));
    expect(out).toContain('terminationGracePeriodSeconds: 30 (Kubernetes default; the pod does not set it)');
    expect(out).not.toContain('pinned');
  });
  test('grace 5 with sleep 5 does not say it is what the plan needs, and notes the stop signal comes at SIGKILL', () => {
    const d = deployment([shContainer('sleep 5')], { terminationGracePeriodSeconds: 5 });
    const t = timelinesOf(toTarget({ kind: 'Deployment', name: 'web', podTemplate: d.spec.template }, '1.33'));
    expect(timelineText(t[0])).not.toContain('exactly what the plan needs');
    expect(t[0].notes.join(' ')).toContain('the stop signal comes at SIGKILL');
  });
});

describe('the plan annotation', () => {
  test('an unreadable one is GS014 (warning) in lint and a note in the timeline', () => {
    const d = deployment([shContainer('sleep 5')], {}, { annotations: { 'graceful-shutdown.cdk8s.io/plan': '{"gracePeriodSeconds": "x"' } });
    const f = of('GS014', [d]);
    expect(f.map(x => x.level)).toEqual([CheckLevel.WARNING]);
    expect(f[0].message).toContain('is not JSON');
    const t = timelinesOf(toTarget({ kind: 'Deployment', name: 'web', podTemplate: d.spec.template }, '1.33'));
    expect(t[0].notes.join(' ')).toContain('annotation that cannot be read');
  });
});

describe('size limit', () => {
  test('a hook script over 1 MiB is not read: one GS000 error, quickly', () => {
    const big = `${'echo x; '.repeat(140_000)}sleep 5`;
    const started = Date.now();
    const f = check([deployment([shContainer(big)])]);
    expect(Date.now() - started).toBeLessThan(5000);
    const e = f.filter(x => x.level === CheckLevel.ERROR);
    expect(e.map(x => [x.ruleId, x.ruleName])).toEqual([['GS000', 'script-too-large']]);
    expect(e[0].message).toMatch(/is \d+ bytes of shell, over the 1048576 bytes/);
  });
  test('containersOf reads each pod template once', () => {
    const d = deployment([shContainer('sleep 5')]);
    const t = toTarget({ kind: 'Deployment', name: 'web', podTemplate: d.spec.template }, '1.33');
    expect(containersOf(t)).toBe(containersOf(t));
  });
});

describe('loop counters are not deadlines', () => {
  // `i=$((i + 1))` has the shape of `deadline=$((now + N))`; only a clock ($(date +%s), a variable
  // set from it, bash's SECONDS) makes a deadline.
  const poll = (increment: string) => [
    'i=0',
    'while [ $i -lt 40 ]; do',
    `  ${increment}; sleep 1`,
    'done',
  ].join('\n');
  test.each(['i=$((i+1))', 'i=$(( i + 1 ))', 'i=$(($i + 1))'])('40 iterations of sleep 1 (%s) with grace 30 is GS010, and the timeline runs the loop until SIGKILL', (increment) => {
    const d = deployment([shContainer(poll(increment))], { terminationGracePeriodSeconds: 30 });
    expect(of('GS010', [d]).length).toBe(1);
    const t = timelinesOf(toTarget({ kind: 'Deployment', name: 'web', podTemplate: d.spec.template }, '1.33'));
    // 40s asked for, cut at SIGKILL (before the fix: `<=1s`, the counter read as a deadline).
    expect(timelineText(t[0])).toMatch(/poll\s+<=30s\s+poll loop `while \[ \$i -lt 40 \]`, cut at t=30s by SIGKILL/);
  });
  test.each([
    ['deadline=$(( $(date +%s) + 25 ))'],
    ['now=$(date +%s); deadline=$((now + 25))'],
    ['deadline=$((SECONDS + 25))'],
  ])('a clock-based deadline (%s) still bounds an endless loop', (setup) => {
    const script = `${setup}\nwhile [ "$(date +%s)" -lt "$deadline" ]; do sleep 1; done`;
    expect(of('GS010', [deployment([shContainer(script)], { terminationGracePeriodSeconds: 30 })])).toEqual([]);
    expect(of('GS010', [deployment([shContainer(script)], { terminationGracePeriodSeconds: 20 })]).length).toBe(1);
  });
});

describe('the timeline puts SIGKILL at the grace period, also when the hook means to run longer', () => {
  const timelineOf = (d: any) => timelinesOf(toTarget({ kind: 'Deployment', name: 'web', podTemplate: d.spec.template }, '1.33'));
  test('kourier with a 45s drain and grace 30: the sleep is cut at t=30s, the stop signal is never sent', () => {
    const [t] = timelineOf(kourier('45'));
    const rows = t.plan.timeline();
    expect(rows.find(r => r.name === 'SIGKILL')!.startMillis).toBe(30_000);
    expect(rows.every(r => r.endMillis <= 30_000)).toBe(true);
    const text = timelineText(t);
    expect(text).toMatch(/`sleep \$DRAIN_TIME_SECONDS` \(45s .*\), cut at t=30s by SIGKILL/);
    expect(text).toContain('stop signal: never sent, SIGKILL comes first');
    expect(text).not.toMatch(/t=45s/);
  });
  test('sleep infinity: a note, and no stop signal before SIGKILL', () => {
    const [t] = timelineOf(deployment([shContainer('sleep infinity')], { terminationGracePeriodSeconds: 30 }));
    expect(t.notes.join(' ')).toContain('waits forever');
    expect(timelineText(t)).toContain('stop signal: never sent');
  });
  test('a hook that fits keeps its stop signal', () => {
    const text = timelineText(timelineOf(kourier('15'))[0]);
    expect(text).not.toContain('never sent');
    expect(text).not.toContain('cut at');
  });
});

describe('an unreadable proxy.istio.io/config is said in the timeline and in lint, in one clean line', () => {
  const injected = (config: string) => deployment([
    shContainer('sleep 5'),
    { name: 'istio-proxy', image: 'docker.io/istio/proxyv2:1.22.0' },
  ], { terminationGracePeriodSeconds: 30 }, { annotations: { 'proxy.istio.io/config': config } });
  const notes = (d: any) => timelinesOf(toTarget({ kind: 'Deployment', name: 'web', podTemplate: d.spec.template }, '1.33')).flatMap(t => t.notes).join('\n');
  test.each([
    ['terminationDrainDuration: [30s', 'proxy.istio.io/config is not valid YAML'],
    ['terminationDrainDuration: 30 seconds', 'terminationDrainDuration "30 seconds" in proxy.istio.io/config is not a Go duration'],
  ])('%s: a timeline note when the sidecar is in the manifest', (config, said) => {
    expect(notes(injected(config))).toContain(said);
    expect(notes(injected('terminationDrainDuration: 20s'))).not.toContain('proxy.istio.io/config');
  });
  test('GS015 on a YAML error: no "::", and a fix about the Istio annotation, not the sleep action', () => {
    const [f] = of('GS015', [injected('terminationDrainDuration: [30s')]);
    expect(f.message).not.toContain('::');
    expect(f.message).not.toMatch(/at line \d+, column \d+/);
    expect(f.fix).toContain('proxy.istio.io/config');
    expect(f.fix).not.toContain('sleep.seconds');
  });
});

describe('${VAR:-default}', () => {
  const hook = (extra: Record<string, unknown> = {}) => deployment([shContainer('sleep ${DRAIN:-45}', 'app', extra)], { terminationGracePeriodSeconds: 30 });
  test('the default stands when VAR is not set: 45s with grace 30 is GS001', () => {
    expect(of('GS001', [hook()]).map(f => f.message)).toEqual([expect.stringContaining('sleeps 45s')]);
    expect(of('GS001', [hook({ env: [{ name: 'DRAIN', value: '' }] })]).length).toBe(1);
  });
  test('a literal value wins; a valueFrom or an envFrom may set it, so nothing is claimed', () => {
    expect(of('GS001', [hook({ env: [{ name: 'DRAIN', value: '10' }] })])).toEqual([]);
    expect(of('GS001', [hook({ env: [{ name: 'DRAIN', valueFrom: { configMapKeyRef: { name: 'a', key: 'b' } } }] })])).toEqual([]);
    expect(of('GS001', [hook({ envFrom: [{ configMapRef: { name: 'a' } }] })])).toEqual([]);
  });
});

describe('redirections and background jobs', () => {
  const grace30 = (script: string) => [deployment([shContainer(script)], { terminationGracePeriodSeconds: 30 }), service];
  test.each(['sleep 35 >/dev/null 2>&1', 'sleep 35 > /dev/null', 'sleep 35 2>/dev/null', 'sleep 35 &> /dev/null'])('%s: a redirection is not an argument, the sleep is still 35s (GS001)', (script) => {
    expect(of('GS001', grace30(script)).map(f => f.message)).toEqual([expect.stringContaining('sleeps 35s')]);
  });
  test('sleep 35 & : the hook does not wait for a background job, so no GS001 and the pod has no wait (GS005)', () => {
    expect(of('GS001', grace30('sleep 35 &'))).toEqual([]);
    expect(of('GS005', grace30('sleep 35 &')).length).toBe(1);
    expect(of('GS001', grace30('sleep 35 && echo done')).length).toBe(1);
  });
});

describe('sleep without an operand', () => {
  test('["sh", "-c", "sleep", "30"] does not wait (30 is the script\'s $0): a Service-selected pod gets GS005', () => {
    const d = deployment([{ name: 'app', image: 'app:1', lifecycle: { preStop: { exec: { command: ['sh', '-c', 'sleep', '30'] } } } }], { terminationGracePeriodSeconds: 30 });
    expect(of('GS005', [d, service]).length).toBe(1);
    expect(of('GS005', [deployment([shContainer('sleep 30')], { terminationGracePeriodSeconds: 40 }), service])).toEqual([]);
  });
});

describe('an exec hook without a shell expands no variables (kubernetes/kubernetes#129502)', () => {
  const direct = (command: string[]) => deployment([{ name: 'app', image: 'app:1', env: [{ name: 'DRAIN', value: '45' }], lifecycle: { preStop: { exec: { command } } } }], { terminationGracePeriodSeconds: 30 });
  test.each([[['sleep', '$(DRAIN)']], [['sleep', '$DRAIN']]])('%j: sleep gets the text and fails at once: no GS001, GS005 with a Service, and a GS015 warning that says why', (command) => {
    const objects = [direct(command), service];
    expect(of('GS001', objects)).toEqual([]);
    expect(of('GS005', objects).length).toBe(1);
    const [w] = of('GS015', objects);
    expect(w.level).toBe(CheckLevel.WARNING);
    expect(w.message).toContain('the kubelet expands no variables in lifecycle hooks');
    expect(w.fix).toContain('"/bin/sh", "-c", "sleep $DRAIN"');
    const text = timelinesOf(toTarget({ kind: 'Deployment', name: 'web', podTemplate: direct(command).spec.template }, '1.33')).map(timelineText).join('\n');
    expect(text).toContain('no shell expands the variable');
  });
  test('through a shell the same variable is read from env: 45s with grace 30 is GS001, no GS015', () => {
    const objects = [direct(['/bin/sh', '-c', 'sleep $DRAIN']), service];
    expect(of('GS001', objects).length).toBe(1);
    expect(of('GS015', objects)).toEqual([]);
  });
});
