import { Duration } from 'cdk8s';
import * as fc from 'fast-check';
import { DrainSelection, DrainTarget, EnvoyProbe } from '../../src/envoy';
import { establishedConnectionsProbe, readyFileOnceListeningProbe } from '../../src/nginx/connections-probe';
import { fileExistsProbe, nacosLoginProbe, nacosPresenceProbe, PresentWhen, statusPresenceProbe } from '../../src/registry/probes';
import { HttpHeader, IPollProbe, PollProbe, ShellWord, Step, PosixScript } from '../../src/script';
import { probeKey } from '../../src/script/value-key';

// A poll step keys its probe by the probe's value key instead of its 1-3 KB body (see
// `keyedProbe`). Every library probe factory is drawn here with inputs from small sets, all into
// one pool: two probes with the same key must render the same body (a key that leaves out an
// input, or two factories sharing a tag, fails).

const file = fc.constantFrom('/tmp/a', "/tmp/it's");
const port = fc.constantFrom(8080, 9090);
const ports = fc.constantFrom([8080], [9090], [8080, 9090]);
const seconds = fc.integer({ min: 1, max: 2 });
const url = fc.constantFrom(ShellWord.literal('http://h/a'), ShellWord.template('http://h/a?ip=${POD_IP}'));
const env = fc.constantFrom('A', 'B');
const headers = fc.constantFrom([], [HttpHeader.of('X-A', '1')], [HttpHeader.fromEnv('X-A', 'TOKEN')]);
const selection = fc.constantFrom(
  DrainSelection.of([DrainTarget.listener({ port: 8080 })]),
  DrainSelection.of([DrainTarget.listener({ port: 8080 }), DrainTarget.listener({ port: 2222, address: '::' })]),
  DrainSelection.of([DrainTarget.allListeners()]),
  DrainSelection.of([DrainTarget.allListeners({ excludePorts: [19001] })]),
);

const probe: fc.Arbitrary<IPollProbe> = fc.oneof(
  file.map(f => PollProbe.processAlive(f)),
  ports.map(p => PollProbe.listeningTcpPorts(p)),
  ports.map(p => PollProbe.establishedTcpConnections(p)),
  port.map(p => establishedConnectionsProbe(p)),
  fc.tuple(port, file).map(([p, f]) => readyFileOnceListeningProbe(p, f)),
  fc.tuple(file, fc.constantFrom('x', 'y')).map(([f, d]) => EnvoyProbe.fileExists(f, d)),
  fc.tuple(selection, fc.constantFrom('http://127.0.0.1:19000', 'http://127.0.0.1:19000/', 'http://[::1]:19000'), seconds)
    .map(([s, adminUrl, t]) => EnvoyProbe.activeConnections({ selection: s, adminUrl, timeout: Duration.seconds(t) })),
  fc.tuple(url, port, seconds).map(([listUrl, p, t]) => nacosPresenceProbe({ listUrl, port: p, timeoutSeconds: t })),
  fc.record({
    url,
    headers,
    timeoutSeconds: seconds,
    presentWhen: fc.option(fc.constantFrom(PresentWhen.ANSWERED, PresentWhen.STATUS_UP, PresentWhen.BODY_CONTAINS), { nil: undefined }),
    text: fc.option(fc.constantFrom(ShellWord.literal('UP'), ShellWord.template('${POD_IP}')), { nil: undefined }),
  }).filter(o => o.presentWhen !== PresentWhen.BODY_CONTAINS || o.text !== undefined)
    .map(o => statusPresenceProbe({ description: 'present', ...o })),
  fc.tuple(url, env, env, env, seconds).map(([u, a, b, c, t]) => nacosLoginProbe(u, a, b, c, t)),
  fc.tuple(file, fc.constantFrom('x', 'y')).map(([f, d]) => fileExistsProbe(f, d)),
);

describe('library probes carry value keys that decide their bodies', () => {
  test('equal keys render equal bodies', () => {
    const bodyByKey = new Map<string, string>();
    const bodies = new Set<string>();
    fc.assert(fc.property(fc.array(probe, { minLength: 1, maxLength: 20 }), all => {
      for (const p of all) {
        const key = probeKey(p);
        const body = p.renderBody();
        expect(key.startsWith('B')).toBe(false); // a library probe is keyed by its inputs, not its body
        if (bodyByKey.has(key)) expect(body).toBe(bodyByKey.get(key));
        bodyByKey.set(key, body);
        bodies.add(body);
      }
    }), { numRuns: 300, seed: 20261122 });
    // The pool held many distinct probes, so the comparisons above had something to compare.
    expect(bodies.size).toBeGreaterThan(40);
  });

  test("a user's probe is keyed by its body, so scripts with different user probes differ", () => {
    const userProbe = (body: string): IPollProbe => ({ description: 'jobs', usesHttp: false, renderBody: () => body });
    const script = (body: string) => new PosixScript({ name: 'u', deadline: Duration.seconds(5) })
      .add(Step.pollUntilZero({ probe: userProbe(body) })).render();
    expect(script('gs_count=0\nreturn 0')).toContain('  gs_count=0\n');
    expect(script('gs_count=1\nreturn 0')).toContain('  gs_count=1\n');
    expect(probeKey(userProbe('x'))).not.toBe(probeKey(userProbe('y')));
  });

  test('a poll step in a cached script keeps its own probe body', () => {
    const render = (p: number) => new PosixScript({ name: 'n', deadline: Duration.seconds(5) })
      .add(Step.pollUntilZero({ probe: PollProbe.establishedTcpConnections([p]), description: 'connections' })).render();
    expect(render(8080)).toContain('*:1F90)');
    expect(render(9090)).toContain('*:2382)');
    expect(render(8080)).toBe(render(8080));
  });
});
