import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as fc from 'fast-check';
import { checkUserNginxConf, parseNginxDirectives, parseNginxTime, readKeepaliveSettings, renderNginxConf, renderNginxConfCached } from '../../src/nginx/nginx-conf';

const BASE = { port: 8080, keepaliveTimeoutSeconds: 3, keepaliveTimeSeconds: 5, workerShutdownTimeoutSeconds: 10, pidFile: '/run/nginx/nginx.pid', tempDir: '/var/cache/nginx' };

describe('renderNginxConf', () => {
  test('keep-alive, shutdown timeout, pid and temp paths come from the options', () => {
    const conf = renderNginxConf(BASE);
    expect(conf).toContain('pid /run/nginx/nginx.pid;');
    expect(conf).toContain('worker_shutdown_timeout 10s;');
    expect(conf).toContain('keepalive_timeout 3s;');
    expect(conf).toContain('keepalive_time 5s;');
    expect(conf).toContain('client_body_temp_path /var/cache/nginx/client_temp;');
    expect(conf).toContain('listen 8080;');
    expect(conf).not.toMatch(/^\s*user\s/m);
    const s = readKeepaliveSettings(conf);
    expect(s).toMatchObject({ keepaliveTimeoutMillis: 3000, keepaliveTimeMillis: 5000, workerShutdownTimeoutMillis: 10_000, pidFile: '/run/nginx/nginx.pid' });
  });

  test('server blocks go inside http {}, indented; access log can be off', () => {
    const conf = renderNginxConf({ ...BASE, servers: 'server {\n  listen 8080;\n}', accessLog: false });
    expect(conf).toContain('  server {\n    listen 8080;\n  }\n}');
    expect(conf).toContain('access_log off;');
  });

  test('bad values are refused', () => {
    expect(() => renderNginxConf({ ...BASE, port: 0 })).toThrow(/port 0 is out of range/);
    expect(() => renderNginxConf({ ...BASE, keepaliveTimeSeconds: 0 })).toThrow(/keepaliveTimeSeconds 0/);
    expect(() => renderNginxConf({ ...BASE, pidFile: 'nginx.pid' })).toThrow(/absolute path/);
    expect(() => renderNginxConf({ ...BASE, tempDir: '/tmp/a;b' })).toThrow(/absolute path/);
  });

  test('the rendered config passes nginx -t', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gs-conf-'));
    const file = path.join(dir, 'nginx.conf');
    fs.writeFileSync(file, renderNginxConf({ ...BASE, pidFile: path.join(dir, 'nginx.pid'), tempDir: dir }));
    // stdout to /dev/null: node's stdio pipes are socketpairs, which `access_log /dev/stdout` cannot open (a container's stdout can).
    const r = spawnSync('/usr/sbin/nginx', ['-t', '-e', 'stderr', '-c', file], { encoding: 'utf8', stdio: ['ignore', 'ignore', 'pipe'] });
    fs.rmSync(dir, { recursive: true, force: true });
    expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 0, stderr: expect.stringContaining('test is successful') });
  });
});

describe('parseNginxDirectives / parseNginxTime', () => {
  test('comments are ignored, quotes unquoted, nesting flattened, lines kept', () => {
    const d = parseNginxDirectives([
      '# keepalive_timeout 99s;',
      'http { keepalive_timeout 5s 4; # keepalive_time 1h;',
      '  server { return 200 "a;b#c"; keepalive_time 2s; }',
      '}',
    ].join('\n'));
    expect(d).toEqual([
      { name: 'keepalive_timeout', args: ['5s', '4'], line: 2 },
      { name: 'return', args: ['200', 'a;b#c'], line: 3 },
      { name: 'keepalive_time', args: ['2s'], line: 3 },
    ]);
  });

  test.each([
    ['75', 75_000], ['3s', 3000], ['500ms', 500], ['1m30s', 90_000], ['1h', 3_600_000], ['2d', 172_800_000],
  ])('%s is %d ms', (v, ms) => expect(parseNginxTime(v)).toBe(ms));

  test.each(['', 's', '3x', '1.5s', '-1s'])('%j is not a time', v => expect(parseNginxTime(v)).toBeUndefined());
});

describe('checkUserNginxConf', () => {
  const limits = { maxKeepaliveTimeoutSeconds: 3, maxKeepaliveTimeSeconds: 5 };
  const whole = { ...limits, wholeConfig: { maxWorkerShutdownTimeoutSeconds: 10, pidFile: '/run/nginx/nginx.pid' } };

  test('server blocks without keep-alive settings fit (the generated http block sets them)', () => {
    expect(checkUserNginxConf('server { listen 8080; }', limits)).toEqual([]);
  });

  test('a server block that raises keepalive_timeout or keepalive_time is refused', () => {
    const p = checkUserNginxConf('server { keepalive_timeout 75s; keepalive_time 1h; }', limits);
    expect(p).toHaveLength(2);
    expect(p[0]).toMatch(/keepalive_timeout 75s is longer than the plan allows \(3s\)/);
    expect(p[1]).toMatch(/keepalive_time 3600s is longer than the plan allows \(5s\)/);
  });

  test('the largest value of several blocks counts; commented-out values do not', () => {
    expect(checkUserNginxConf('server { keepalive_timeout 2s; } server { keepalive_timeout 4s; }', limits)[0]).toMatch(/keepalive_timeout 4s/);
    expect(checkUserNginxConf('server { # keepalive_timeout 75s;\n keepalive_timeout 3s; }', limits)).toEqual([]);
    expect(checkUserNginxConf('server { keepalive_timeout 0; }', limits)).toEqual([]);
  });

  test('a whole config must set everything the plan relies on', () => {
    const p = checkUserNginxConf('events {} http { server { listen 8080; } }', whole);
    expect(p.join('\n')).toMatch(/does not set keepalive_timeout, so nginx keeps idle connections 75s/);
    expect(p.join('\n')).toMatch(/does not set keepalive_time/);
    expect(p.join('\n')).toMatch(/does not set worker_shutdown_timeout/);
    expect(p.join('\n')).toMatch(/pid is unset/);
  });

  test('a whole config that fits passes; a longer worker_shutdown_timeout or another pid does not', () => {
    const ok = 'pid /run/nginx/nginx.pid; worker_shutdown_timeout 10s; events {} http { keepalive_timeout 3s; keepalive_time 5s; }';
    expect(checkUserNginxConf(ok, whole)).toEqual([]);
    expect(checkUserNginxConf(ok.replace('10s', '30s').replace('/run/nginx/nginx.pid', '/tmp/nginx.pid'), whole)).toEqual([
      'worker_shutdown_timeout 30s is longer than the plan\'s stop phase allows (10s)',
      'pid is \'/tmp/nginx.pid\', but the preStop waits for the master through \'/run/nginx/nginx.pid\'; set pid /run/nginx/nginx.pid',
    ]);
  });

  test('unreadable values are reported', () => {
    expect(checkUserNginxConf('keepalive_timeout forever;', limits)).toEqual(['cannot read line 1: keepalive_timeout forever: write times like 3s or 500ms']);
  });
});

describe('renderNginxConfCached', () => {
  // Options drawn from small sets (so configs that differ in one option are frequent), each
  // rendered through the cache and fresh: a key that leaves out an option, or reads "unset" as a
  // value, hands one config another's text and fails here.
  const options = fc.record({
    port: fc.constantFrom(8080, 9090),
    keepaliveTimeoutSeconds: fc.constantFrom(0, 3),
    keepaliveTimeSeconds: fc.constantFrom(1, 2),
    workerShutdownTimeoutSeconds: fc.constantFrom(10, 11),
    pidFile: fc.constantFrom('/run/nginx/nginx.pid', '/tmp/nginx.pid'),
    tempDir: fc.constantFrom('/tmp/nginx', '/var/tmp'),
    servers: fc.constantFrom(undefined, '', 'undefined', 'server { listen 8080; }'),
    workerProcesses: fc.constantFrom(undefined, 'auto', '2', 'undefined'),
    accessLog: fc.constantFrom(undefined, true, false),
  }, { requiredKeys: ['port', 'keepaliveTimeoutSeconds', 'keepaliveTimeSeconds', 'workerShutdownTimeoutSeconds', 'pidFile', 'tempDir'] });

  test('cached and fresh renders are equal over many configs that share options', () => {
    const texts = new Set<string>();
    fc.assert(fc.property(fc.array(options, { minLength: 2, maxLength: 20 }), all => {
      for (const o of all) {
        const cached = renderNginxConfCached(o);
        expect(cached).toBe(renderNginxConf(o));
        texts.add(cached);
      }
    }), { numRuns: 300, seed: 20261122 });
    expect(texts.size).toBeGreaterThan(100);
  });
});
