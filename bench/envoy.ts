/**
 * `npm run bench:envoy`: for one connection-close schedule, how long after the last connection
 * closed each approach lets the pod exit, and how many connections were still open when its
 * preStop returned (Envoy cuts those at SIGTERM).
 *
 * Every variant runs for real (busybox sh + busybox wget, as in Gloo's image) against the fake
 * Envoy admin (test/envoy/fake-envoy-admin.ts), with the same schedule: three ssh connections on
 * [::]:2222 that close at 1.5s, 3s and 4.2s after the pod is told to terminate.
 *
 * - graceful-envoy-gateway: this library's preStop (healthcheck/fail, drain_listeners?graceful,
 *   poll the selected listener every 1s, return at 0). minDrain 0 and no readiness probe, so there
 *   is no min-drain phase and only the drain shows.
 * - graceful-envoy-gateway-defaults: the same with the default min-drain phase (max(minDrain 5s,
 *   readiness 5s x 2) = 10s after the deregister calls): it never exits before t=~10s, whatever
 *   the connections do. That wait is for endpoint propagation, not for connections; with this
 *   short schedule it matches Gloo's 10s sleep, with sessions longer than it it costs nothing.
 * - gloo-fixed-sleep: Gloo's gracefulShutdown preStop, `wget --post-data "" … /healthcheck/fail;
 *   sleep N` (solo-io/gloo install/helm/gloo/templates/7-gateway-proxy-deployment.yaml; N is
 *   `sleepTimeSeconds`, 10 in the gateway2 template's default).
 * - field-poll-10s: the loop the field case ran before this construct, written the way such
 *   scripts are: `while [ $(wget … /stats | grep … | cut …) -ne 0 ]; do sleep 10; done`.
 */
import { Duration, Testing } from 'cdk8s';
import { GracefulEnvoyGateway, GracefulEnvoyGatewayProps } from '../src';
import { FakeEnvoyAdmin } from '../test/envoy/fake-envoy-admin';
import { DEFAULT_TOOLS, runScript } from '../test/script/run-script';
import { containerOf, only, preStopScript } from '../test/util/synth';

const CLOSES_MS = [1500, 3000, 4200];
const SCOPE = '[__]_2222';
const GAUGE = `listener.${SCOPE}.downstream_cx_active`;
const GLOO_SLEEP_SECONDS = 10;

interface Variant {
  readonly name: string;
  script(adminPort: number): string;
}

function constructScript(port: number, props: Partial<GracefulEnvoyGatewayProps>): string {
  const chart = Testing.chart();
  new GracefulEnvoyGateway(chart, 'gateway-proxy', {
    image: 'quay.io/solo-io/gloo-envoy-wrapper:1.17.0',
    listeners: [{ name: 'ssh', port: 2222, address: '::' }],
    adminPort: port,
    maxDrain: Duration.seconds(60),
    ...props,
  });
  return preStopScript(containerOf(only(Testing.synth(chart), 'Deployment'), 'envoy'));
}

const VARIANTS: Variant[] = [
  {
    name: 'graceful-envoy-gateway',
    script: port => constructScript(port, { minDrain: Duration.seconds(0), readiness: false }),
  },
  {
    name: 'graceful-envoy-gateway-defaults',
    script: port => constructScript(port, {}),
  },
  {
    name: 'gloo-fixed-sleep',
    script: port => `wget --post-data "" -O /dev/null 127.0.0.1:${port}/healthcheck/fail; sleep ${GLOO_SLEEP_SECONDS}\n`,
  },
  {
    name: 'field-poll-10s',
    // The field pattern, kept as written (unquoted $(...), grep on the whole /stats page).
    script: port => [
      `while [ $(wget -q -O - http://127.0.0.1:${port}/stats | grep 'listener.\\[__\\]_2222.downstream_cx_active:' | cut -d' ' -f2) -ne 0 ]; do`,
      '  sleep 10',
      'done',
      '',
    ].join('\n'),
  },
];

async function runVariant(v: Variant): Promise<string> {
  const admin = new FakeEnvoyAdmin();
  await admin.start();
  try {
    const text = v.script(admin.port);
    admin.setConnections({ [SCOPE]: CLOSES_MS.length });
    const lastCloseAt = Date.now() + CLOSES_MS[CLOSES_MS.length - 1];
    admin.schedule(CLOSES_MS.map((at, i) => ({ atMs: at, set: { [SCOPE]: CLOSES_MS.length - 1 - i } })));
    const r = await runScript(text, {
      shell: 'busybox',
      withPath: { http: 'busybox-wget', tools: [...DEFAULT_TOOLS, 'grep', 'cut'] },
      timeoutMs: 60_000,
    });
    const exitedAt = Date.now();
    const dropped = admin.gauge(GAUGE) ?? 0;
    if (r.code !== 0 || r.timedOut) throw new Error(`${v.name}: exit ${r.code}${r.timedOut ? ' (timed out)' : ''}: ${r.stderr}`);
    return `variant=${v.name} exit_after_last_close_ms=${exitedAt - lastCloseAt} dropped_connections=${dropped}`;
  } finally {
    await admin.close();
  }
}

async function main(): Promise<void> {
  console.log(`# connections close at ${CLOSES_MS.map(ms => `${ms / 1000}s`).join(', ')}; busybox sh + busybox wget; gloo sleep ${GLOO_SLEEP_SECONDS}s`);
  const lines = await Promise.all(VARIANTS.map(runVariant));
  for (const l of lines) console.log(l);
}

main().catch(e => {
  console.error(e);
  process.exit(1);
});
