import { CheckLevel } from '../model';
import { objectRef } from '../workload';
import { fmt, running } from './helpers';
import { defineRule } from './rule';

export const GS008 = defineRule({
  id: 'GS008',
  name: 'fixed-drain-after-healthcheck-fail',
  level: CheckLevel.WARNING,
  summary: 'Gloo-style `healthcheck/fail; sleep N` with no connection-count poll.',
  explanation: 'A preStop that fails Envoy\'s health check (`POST /healthcheck/fail`) and then sleeps a fixed time (Gloo\'s gracefulShutdown) waits the full time even when nothing is connected, and stops waiting while long requests are still open. It also only tells health-checking load balancers to leave; Kubernetes endpoints still need their propagation time (kgateway #7743).',
  fix: 'Poll the connection count (`/stats?filter=^listener\\..*\\.downstream_cx_active$`) every second until it is zero, with a deadline below the grace period, treating an unreachable admin endpoint as unknown.',
  check: t => running(t).flatMap(c => {
    const a = c.preStop.analysis;
    if (!a || !/healthcheck\/fail/.test(a.script)) return [];
    const failAt = a.commands.find(x => /healthcheck\/fail/.test(x.text));
    // A count-based wait after the health-check failure (Envoy's stats, listening sockets) is a drain, not a fixed sleep.
    const polls = a.loops.some(l => l.pollsEnvoyStats || (l.keyword !== 'for' && !l.unbounded && l.startIndex > failAt?.index!));
    if (!failAt || polls) return [];
    const sleep = a.sleeps.filter(s => s.depth === 0 && s.index > failAt.index).reduce((s, x) => s + (x.seconds ?? 0), 0);
    if (sleep <= 0) return [];
    return [{
      container: c.name,
      message: `${objectRef(t)}: preStop of container "${c.name}" fails Envoy's health check and then sleeps a fixed ${fmt(sleep)}: it waits ${fmt(sleep)} even with no connection left, and cuts connections still open after ${fmt(sleep)}.`,
    }];
  }),
});
