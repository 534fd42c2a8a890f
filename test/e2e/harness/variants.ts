/**
 * The pods the harness compares, all built from one synthesized GracefulNginx (same nginx.conf
 * servers, same mounts), with short plan values so that a run takes seconds: readiness period 1s,
 * failureThreshold 1, propagation 2s.
 */
import { Duration, Testing } from 'cdk8s';
import { podFromManifests, PodSpecUnderTest, withNginxConf } from './pod';
import { GracefulNginx, GracefulNginxProps, NginxCutOver, NginxPaths } from '../../../src';

/** The harness's endpoint propagation delay; the plans below assume it. */
export const PROPAGATION_MS = 2000;

/** Test plan values: short, so a deletion under load takes seconds. */
export const TEST_PROPS: GracefulNginxProps = {
  cutOver: NginxCutOver.readinessFile({ period: Duration.seconds(1), failureThreshold: 1 }),
  propagation: Duration.seconds(PROPAGATION_MS / 1000),
  keepaliveTimeout: Duration.seconds(2),
  maxDrain: Duration.seconds(2),
  margin: Duration.seconds(1),
  accessLog: false,
  servers: 'server {\n  listen 8080;\n  location / {\n    return 200 "ok\\n";\n  }\n}',
};

/** Synthesizes a GracefulNginx and reads the pod the harness runs. */
export function gracefulPod(props: GracefulNginxProps = {}): { pod: PodSpecUnderTest; objects: any[]; construct: GracefulNginx } {
  const chart = Testing.chart();
  const construct = new GracefulNginx(chart, 'web', { ...TEST_PROPS, ...props });
  const objects = Testing.synth(chart);
  return { pod: podFromManifests(objects, { stopSignal: 'SIGQUIT' }), objects, construct };
}

/** nginx's stock keep-alive: no keepalive_time (1h), keepalive_timeout as given. */
function stockKeepalive(conf: string, keepaliveTimeout: string): string {
  return conf
    .replace(/^\s*keepalive_time\s+[^;]*;\s*$/m, '')
    .replace(/keepalive_timeout\s+[^;]*;/, `keepalive_timeout ${keepaliveTimeout};`);
}

const sh = (script: string) => ['/bin/sh', '-c', script];
const nginx = (signal: string) => `nginx -e stderr -c ${NginxPaths.CONFIG_FILE} -s ${signal}`;

/** The variants of the benchmark, by name. */
export function variants(): Record<string, PodSpecUnderTest> {
  const g = gracefulPod();
  const wait = 1 + PROPAGATION_MS / 1000;
  const waitExit = `i=0; while [ -f ${NginxPaths.PID_FILE} ] && [ "$i" -lt 20 ]; do sleep 1; i=$((i + 1)); done`;
  return {
    // Plain nginx: no preStop, SIGTERM (fast shutdown), nginx's default keepalive_timeout 75s.
    'naive': {
      ...withNginxConf(g.pod, c => stockKeepalive(c, '75s')),
      preStop: undefined,
      postStart: undefined,
      readiness: undefined,
      stopSignal: 'SIGTERM',
    },
    // The readiness-file hack without reload: remove the file, sleep past the probe window and
    // propagation, then the image's STOPSIGNAL (SIGQUIT).
    'readiness-only': {
      ...withNginxConf(g.pod, c => stockKeepalive(c, '3s')),
      preStop: sh(`rm -f ${NginxPaths.READY_FILE}; sleep ${wait}`),
    },
    // The field recipe: readiness file, sleep, nginx -s reload, nginx -s quit, keepalive_timeout 3s.
    'field-recipe': {
      ...withNginxConf(g.pod, c => stockKeepalive(c, '3s')),
      preStop: sh(`rm -f ${NginxPaths.READY_FILE}; sleep ${wait}; ${nginx('reload')}; sleep 1; ${nginx('quit')}; ${waitExit}`),
    },
    'graceful-nginx': g.pod,
    'graceful-nginx+reload': gracefulPod({ reloadBeforeQuit: true }).pod,
    'graceful-nginx-endpoints': gracefulPod({ cutOver: NginxCutOver.endpointsOnly() }).pod,
  };
}
