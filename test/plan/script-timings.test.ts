import { App, Chart, Duration } from 'cdk8s';
import { buildExampleApp } from '../../examples/main';
import {
  AppWait, DeregistrationPlacement, GracefulEnvoyGateway, GracefulNginx, IstioDrainedWorkload, IstioProtocol, IstioVersion,
  NginxCutOver, Registry, RegistryAwareService,
} from '../../src';

// Every time a library script waits comes from its workload's plan: a script's deadline and each
// "wait until t=N" are the end of a phase, each fixed sleep is the bound of a phase, and every
// timeout is a phase's bound or the script's deadline. This reads each script the library
// synthesized (preStop hooks and the scripts sidecars run), parses its sleeps and timeouts from
// the text, and checks each number against the plan annotation of the same pod. A sleep or
// timeout typed as a constant next to the plan (a separate "1s pause", a "2s" command timeout)
// has no phase to match and fails here.

const s = Duration.seconds;

interface Phase { name: string; start: number; end: number; preStop?: boolean }
interface Timing { kind: string; seconds: number; line: string }

/** The numbers a library script waits on, by kind, read from its text. */
function timingsOf(script: string): Timing[] {
  const found: Timing[] = [];
  const add = (kind: string, re: RegExp, unit = 1) => {
    for (const line of script.split('\n')) {
      const m = re.exec(line);
      if (m) found.push({ kind, seconds: Number(m[1]) / unit, line: line.trim() });
    }
  };
  add('deadline', /^gs_deadline=\$\(\(gs_start \+ (\d+)\)\)$/);
  add('sleep-until', /^\s*gs_sleep_until (\d+)$/);
  // A relative sleep, in the runtime's two spellings (whole seconds of `date`, or its centisecond clock).
  add('sleep', /gs_sleep_until \$\(\(\$\(date \+%s\) - gs_start \+ (\d+)\)\)/);
  add('sleep', /^\s*gs_sleep_for (\d+)$/);
  add('poll-until', /^\s*gs_until=\$\(\(gs_start \+ (\d+)\)\)$/);
  add('poll-until', /^\s*gs_until=\$\(\(gs_t0 \+ (\d+)\)\)$/, 100);
  add('command-timeout', /gs_bounded "\$\(gs_cap (\d+)\)"/);
  add('call-timeout', /gs_http [A-Z]+ .*"\$\(gs_cap (\d+)\)"/);
  return found;
}

/** Every library script in a pod spec, with where it runs. */
function scriptsOf(podSpec: any): Array<{ where: string; text: string }> {
  const out: Array<{ where: string; text: string }> = [];
  for (const c of [...(podSpec.initContainers ?? []), ...(podSpec.containers ?? [])]) {
    const texts = [...(c.lifecycle?.preStop?.exec?.command ?? []), ...(c.command ?? []), ...(c.args ?? [])];
    for (const t of texts) {
      if (typeof t === 'string' && t.includes('# cdk8s-graceful-shutdown:')) out.push({ where: `${c.name}`, text: t });
    }
  }
  return out;
}

/** The timings of every library script in `objects` that no phase of its pod's plan accounts for. */
function unaccounted(objects: any[]): { checked: number; problems: string[] } {
  const problems: string[] = [];
  let checked = 0;
  for (const o of objects) {
    const template = o.spec?.template;
    const annotation = template?.metadata?.annotations?.['graceful-shutdown.cdk8s.io/plan'];
    if (!annotation) continue;
    const plan = JSON.parse(annotation) as { gracePeriodSeconds: number; phases: Phase[] };
    const ends = new Set(plan.phases.map(p => p.end));
    // A fixed sleep or a timeout lasts one phase, or several in a row (a wait that must not be
    // shortened may cover consecutive phases), of those that run while the scripts do.
    const running = plan.phases.filter(p => p.preStop);
    const bounds = new Set(running.flatMap((first, i) => running.slice(i).map(last => last.end - first.start)));
    for (const { where, text } of scriptsOf(template.spec)) {
      const timings = timingsOf(text);
      const deadline = timings.find(t => t.kind === 'deadline');
      if (!deadline) {
        problems.push(`${o.metadata.name}/${where}: no deadline line`);
        continue;
      }
      for (const t of timings) {
        checked++;
        // An HTTP call's timeout is one share of the phase that budgets k such calls (a
        // deregister phase of two admin calls, a poll's per-read timeout).
        const ok = t.kind === 'sleep' ? bounds.has(t.seconds)
          : t.kind === 'command-timeout' ? bounds.has(t.seconds) || t.seconds === deadline.seconds
            : t.kind === 'call-timeout' ? [...bounds].some(b => t.seconds > 0 && b % t.seconds === 0)
              : t.kind === 'poll-until' ? ends.has(t.seconds) || t.seconds === deadline.seconds
                : ends.has(t.seconds);
        if (!ok) {
          problems.push(`${o.metadata.name}/${where}: ${t.kind} ${t.seconds}s is no phase's ${t.kind.endsWith('-until') || t.kind === 'deadline' ? 'end' : 'length'} `
            + `(phases: ${plan.phases.map(p => `${p.name} ${p.start}..${p.end}`).join(', ')}): ${t.line}`);
        }
      }
    }
  }
  return { checked, problems };
}

test('the example app: every sleep, wait and timeout of every script comes from its plan', () => {
  const app = new App({ outdir: '/nonexistent' });
  buildExampleApp(app);
  const { checked, problems } = unaccounted(app.charts.flatMap(c => c.toJson()));
  expect(problems).toEqual([]);
  expect(checked).toBeGreaterThan(30);
});

test('each pattern in its other placements and modes: every sleep, wait and timeout comes from its plan', () => {
  const chart = new Chart(new App(), 'modes');
  new GracefulNginx(chart, 'reload', { reloadBeforeQuit: true });
  new GracefulNginx(chart, 'endpoints', { cutOver: NginxCutOver.endpointsOnly(), propagation: s(3) });
  new GracefulEnvoyGateway(chart, 'envoy', { image: 'e:1', listeners: [{ name: 'http', port: 8080 }], maxDrain: s(30) });
  new GracefulEnvoyGateway(chart, 'envoy-dm', { image: 'e:1', listeners: [{ name: 'http', port: 8080 }], drainManager: {}, maxDrain: s(30) });
  const ports = [{ port: 8080, protocol: IstioProtocol.HTTP }];
  new IstioDrainedWorkload(chart, 'istio', { image: 'a:1', istioVersion: IstioVersion.of('1.22'), ports, shutdownEndpoint: { path: '/shutdown' } });
  new IstioDrainedWorkload(chart, 'istio-zero', { image: 'a:1', istioVersion: IstioVersion.of('1.22'), ports, exitOnZeroActiveConnections: true });
  const registry = Registry.nacos({ serverUrl: 'http://nacos:8848', serviceName: 'a', port: 8080 });
  new RegistryAwareService(chart, 'reg', { registry, app: { image: 'svc:1' } });
  new RegistryAwareService(chart, 'reg-done', { registry, app: { image: 'svc:1' }, placement: DeregistrationPlacement.SIDECAR, appWait: AppWait.DONE_FILE });
  new RegistryAwareService(chart, 'reg-sleep', { registry, app: { image: 'svc:1' }, placement: DeregistrationPlacement.SIDECAR, appWait: AppWait.SLEEP });
  const { checked, problems } = unaccounted(chart.toJson());
  expect(problems).toEqual([]);
  expect(checked).toBeGreaterThan(40);
});

test('the parser reads every kind of wait a script makes (it can fail)', () => {
  const script = [
    '# cdk8s-graceful-shutdown: x', 'gs_deadline=$((gs_start + 20))', 'gs_sleep_until 7',
    'gs_sleep_until $(($(date +%s) - gs_start + 1))', 'gs_until=$((gs_start + 18))', 'if gs_bounded "$(gs_cap 2)" touch /x; then', 'if gs_body=$(gs_http GET \'http://h/\' "$(gs_cap 3)" \'\'); then',
    'gs_sleep_for 13', 'gs_sleep_until $(($(date +%s) - gs_start + 20))', 'gs_until=$((gs_t0 + 700))',
  ].join('\n');
  expect(timingsOf(script).map(t => `${t.kind}=${t.seconds}`)).toEqual(['deadline=20', 'sleep-until=7', 'sleep=1', 'sleep=20', 'sleep=13', 'poll-until=18', 'poll-until=7', 'command-timeout=2', 'call-timeout=3']);
  const pod = {
    spec: {
      template: {
        metadata: { annotations: { 'graceful-shutdown.cdk8s.io/plan': JSON.stringify({ gracePeriodSeconds: 22, phases: [{ name: 'a', start: 0, end: 7, preStop: true }, { name: 'b', start: 7, end: 20, preStop: true }, { name: 'm', start: 20, end: 22 }] }) } },
        spec: { containers: [{ name: 'c', lifecycle: { preStop: { exec: { command: ['/bin/sh', '-c', script] } } } }] },
      },
    },
    metadata: { name: 'p' },
  };
  const { problems } = unaccounted([pod]);
  // 13 and 20 are phase b and phases a+b; 1 and 2 are no phase (2 is the margin, which no script
  // runs in); no phase budgets whole 3s calls (7, 13, 20).
  expect(problems.map(p => p.split(' is ')[0])).toEqual(['p/c: sleep 1s', 'p/c: poll-until 18s', 'p/c: command-timeout 2s', 'p/c: call-timeout 3s']);
});
