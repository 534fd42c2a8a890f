import { Duration } from 'cdk8s';
import { freePort, RecordingServer, startRecordingServer } from './http-fixture';
import { HttpToolChoice, runScript, ScriptResult, ShellName, SHELLS } from './run-script';
import { HttpHeader, HttpMethod, PosixScript, ShellWord, Step } from '../../src/script';

const TOOLS: HttpToolChoice[] = ['curl', 'wget', 'busybox-wget', 'busybox'];
const CASES: Array<[ShellName, HttpToolChoice]> = SHELLS.flatMap(sh => TOOLS.map(t => [sh, t] as [ShellName, HttpToolChoice]));
const DETECTED: Record<HttpToolChoice, string> = { 'curl': 'curl', 'wget': 'wget', 'busybox-wget': 'busybox-wget', 'busybox': 'busybox', 'none': 'none' };

let srv: RecordingServer;
beforeAll(async () => {
  srv = await startRecordingServer(req => {
    if (req.url.includes('/hang')) return { hang: true };
    const status = Number(/status=(\d+)/.exec(req.url)?.[1] ?? 200);
    return { status, body: `you sent ${req.method}` };
  });
});
afterAll(() => srv.close());

const secret = "s3cr3t 'quoted' $HOME";

/** Runs one script per shell and tool at once; each case gets its own path prefix on the server. */
let runs = 0;
async function runMatrix(build: (prefix: string) => PosixScript, cases = CASES) {
  const run = ++runs;
  return Promise.all(cases.map(async ([shell, tool]) => {
    const prefix = `/${run}-${shell}-${tool}`;
    const r = await runScript(build(prefix).render(), { shell, withPath: { http: tool }, env: { TOKEN: secret, POD_IP: '10.1.2.3' }, timeoutMs: 20_000 });
    return { shell, tool, prefix, r, requests: () => srv.requests.filter(q => q.url.startsWith(`${prefix}/`)) };
  }));
}

function expectNoSecret(r: ScriptResult) {
  expect(r.log.join('\n')).not.toContain('s3cr3t');
  expect(r.stdout + r.stderr).not.toContain('s3cr3t');
}

describe('Step.http with curl, GNU wget, a busybox wget symlink and a bare busybox', () => {
  test('GET and POST arrive as sent; 2xx is ok; 4xx, 5xx and refused connections are failures that do not stop the script', async () => {
    const refused = await freePort();
    const results = await runMatrix(prefix => new PosixScript({ name: 'http-test', deadline: Duration.seconds(15) }).add(
      Step.http({
        method: HttpMethod.GET,
        url: ShellWord.template(`${srv.url}${prefix}/get?ip=\${POD_IP}&q=a%20b`),
        headers: [HttpHeader.of('X-Plain', "it's a \"value\" $x"), HttpHeader.fromEnv('Authorization', 'TOKEN')],
      }),
      Step.whenLastFailed([Step.log('GET was not ok')]),
      Step.http({
        method: HttpMethod.POST,
        url: ShellWord.literal(`${srv.url}${prefix}/post`),
        body: ShellWord.literal('{"a": "it\'s", "b": "$(id)"}'),
        headers: [HttpHeader.of('Content-Type', 'application/json')],
        description: 'post it',
      }),
      Step.http({ method: HttpMethod.GET, url: ShellWord.literal(`${srv.url}${prefix}/missing?status=404`) }),
      Step.whenLastFailed([Step.log('404 seen')]),
      Step.http({ method: HttpMethod.POST, url: ShellWord.literal(`${srv.url}${prefix}/boom?status=503`), body: ShellWord.literal('x') }),
      Step.http({ method: HttpMethod.GET, url: ShellWord.literal(`http://127.0.0.1:${refused}${prefix}/refused`) }),
      Step.log('still here'),
    ));
    const reasons: Record<HttpToolChoice, [string, string, string]> = {
      'curl': ['curl: HTTP error status', 'curl: HTTP error status', 'curl: connection refused'],
      'wget': ['wget: HTTP error status', 'wget: HTTP error status', 'wget: network failure'],
      'busybox-wget': ['busybox wget: HTTP error status or no connection', 'busybox wget: HTTP error status or no connection', 'busybox wget: HTTP error status or no connection'],
      'busybox': ['busybox wget: HTTP error status or no connection', 'busybox wget: HTTP error status or no connection', 'busybox wget: HTTP error status or no connection'],
      'none': ['', '', ''],
    };
    for (const { shell, tool, prefix, r, requests } of results) {
      const where = `${shell}/${tool}`;
      expect({ where, code: r.code }).toEqual({ where, code: 0 });
      const [r404, r503, rRefused] = reasons[tool];
      expect({ where, messages: r.messages }).toEqual({
        where,
        messages: [
          `start (deadline t=15s), http via ${DETECTED[tool]}`,
          `GET ${srv.url}${prefix}/get?ip=\${POD_IP}&q=a%20b: ok`,
          'post it: ok',
          `GET ${srv.url}${prefix}/missing?status=404: failed: ${r404}`,
          '404 seen',
          `POST ${srv.url}${prefix}/boom?status=503: failed: ${r503}`,
          `GET http://127.0.0.1:PORT${prefix}/refused: failed: ${rRefused}`.replace('PORT', String(refused)),
          'still here',
          'done',
        ],
      });
      expectNoSecret(r);
      const reqs = requests();
      expect(reqs.map(q => `${q.method} ${q.url}`)).toEqual([
        `GET ${prefix}/get?ip=10.1.2.3&q=a%20b`,
        `POST ${prefix}/post`,
        `GET ${prefix}/missing?status=404`,
        `POST ${prefix}/boom?status=503`,
      ]);
      expect(reqs[0].headers['x-plain']).toBe("it's a \"value\" $x");
      expect(reqs[0].headers.authorization).toBe(secret);
      expect(reqs[1].body.toString()).toBe('{"a": "it\'s", "b": "$(id)"}');
      expect(reqs[1].headers['content-type']).toBe('application/json');
      expect(reqs[3].body.toString()).toBe('x');
    }
  });

  test('PUT and DELETE: curl and GNU wget send them; busybox wget says it cannot', async () => {
    const results = await runMatrix(prefix => new PosixScript({ name: 'methods', deadline: Duration.seconds(10) }).add(
      Step.http({ method: HttpMethod.PUT, url: ShellWord.literal(`${srv.url}${prefix}/put`), body: ShellWord.literal('{"enabled":false}'), description: 'put' }),
      Step.http({ method: HttpMethod.DELETE, url: ShellWord.literal(`${srv.url}${prefix}/del`), description: 'delete' }),
      Step.http({ method: HttpMethod.POST, url: ShellWord.literal(`${srv.url}${prefix}/empty`), description: 'empty post' }),
    ));
    for (const { shell, tool, r, requests } of results) {
      const where = `${shell}/${tool}`;
      const reqs = requests();
      if (tool === 'curl' || tool === 'wget') {
        expect({ where, messages: r.messages.slice(1, 4) }).toEqual({ where, messages: ['put: ok', 'delete: ok', 'empty post: ok'] });
        expect(reqs.map(q => [q.method, q.body.toString()])).toEqual([['PUT', '{"enabled":false}'], ['DELETE', ''], ['POST', '']]);
      } else {
        const why = 'failed: busybox wget sends only GET and POST: add curl or GNU wget to the image';
        expect({ where, messages: r.messages.slice(1, 4) }).toEqual({ where, messages: [`put: ${why}`, `delete: ${why}`, 'empty post: ok'] });
        expect(reqs.map(q => q.method)).toEqual(['POST']);
      }
    }
  });

  test('an endpoint that never answers is cut by the timeout, and the script still ends before its deadline', async () => {
    const results = await runMatrix(prefix => new PosixScript({ name: 'hang', deadline: Duration.seconds(4) }).add(
      Step.http({ method: HttpMethod.GET, url: ShellWord.literal(`${srv.url}${prefix}/hang1`), timeout: Duration.seconds(2), description: 'first' }),
      Step.http({ method: HttpMethod.POST, url: ShellWord.literal(`${srv.url}${prefix}/hang2`), timeout: Duration.seconds(5), description: 'second' }),
      Step.http({ method: HttpMethod.GET, url: ShellWord.literal(`${srv.url}${prefix}/hang3`), timeout: Duration.seconds(2), description: 'third' }),
      Step.http({ method: HttpMethod.GET, url: ShellWord.literal(`${srv.url}${prefix}/hang4`), timeout: Duration.seconds(2), description: 'fourth' }),
    ));
    for (const { shell, tool, r } of results) {
      const where = `${shell}/${tool}`;
      expect({ where, code: r.code, fast: r.elapsedMs < 4000 + 1500 }).toEqual({ where, code: 0, fast: true });
      const timedOut = tool === 'curl' ? 'curl: timed out' : 'no answer within the timeout';
      expect({ where, first: r.messages[1] }).toEqual({ where, first: `first: failed: ${timedOut}` });
      // The later calls either time out within what is left or are not attempted once the deadline has passed.
      for (const m of r.messages.slice(2, 5)) {
        expect(m).toMatch(new RegExp(`^(second|third|fourth): failed: (${timedOut}|the script's deadline has passed, not attempted)$`));
      }
      expect(r.messages).toContain("fourth: failed: the script's deadline has passed, not attempted");
      expect(r.messages[r.messages.length - 1]).toBe('done');
    }
  });

  test('with neither curl nor wget the script says so and carries on', async () => {
    const results = await Promise.all(SHELLS.map(shell => runScript(new PosixScript({ name: 'nohttp', deadline: Duration.seconds(5) }).add(
      Step.http({ method: HttpMethod.POST, url: ShellWord.literal(`${srv.url}/none`), description: 'fail health' }),
      Step.whenLastFailed([Step.log('fell back')]),
    ).render(), { shell, withPath: { http: 'none' } })));
    for (const r of results) {
      expect(r.code).toBe(0);
      expect(r.messages).toEqual([
        'start (deadline t=5s), http via none',
        'fail health: failed: neither curl nor wget is in the image',
        'fell back',
        'done',
      ]);
    }
    expect(srv.requests.filter(q => q.url === '/none')).toEqual([]);
  });
});
