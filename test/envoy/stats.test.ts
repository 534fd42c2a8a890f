import { canonicalAddress, escapeRe2, listenerStatScope } from '../../src/envoy/stat-names';
import { DrainSelection, DrainTarget } from '../../src/envoy/stats';

describe('listener stat names', () => {
  test.each([
    ['0.0.0.0', 8080, '0.0.0.0_8080'],
    ['::', 2222, '[__]_2222'],
    ['[::]', 2222, '[__]_2222'],
    ['0:0:0:0:0:0:0:0', 2222, '[__]_2222'],
    ['::1', 19000, '[__1]_19000'],
    ['FE80:0:0:0:0:0:0:1', 443, '[fe80__1]_443'],
    ['10.1.2.3', 1, '10.1.2.3_1'],
    ['127.0.0.1', 65535, '127.0.0.1_65535'],
  ])('%s:%d -> listener.%s.downstream_cx_active', (address, port, scope) => {
    expect(listenerStatScope(address, port)).toBe(scope);
    expect(DrainTarget.listener({ port, address }).statName).toBe(`listener.${scope}.downstream_cx_active`);
  });

  test('default address is 0.0.0.0', () => {
    expect(DrainTarget.listener({ port: 8080 }).statName).toBe('listener.0.0.0.0_8080.downstream_cx_active');
  });

  test.each([
    ['localhost', /not an IP address/],
    ['0.0.0.0:8080', /not an IP address/],
    ['[0.0.0.0]', /not an IP address/],
    ['::ffff:10.0.0.1', /IPv4-mapped/],
    ['fe80::1%eth0', /zone index|not an IP/],
    ['', /not an IP address/],
  ])('address %j is refused', (address, message) => {
    expect(() => canonicalAddress(address)).toThrow(message);
  });

  test.each([0, -1, 65536, 80.5, NaN])('port %p is refused', port => {
    expect(() => DrainTarget.listener({ port })).toThrow(/out of range: use a whole number 1-65535/);
  });

  test('stat prefixes: plain ones pass, regex- or shell-breaking ones and admin/worker names are refused', () => {
    expect(DrainTarget.statPrefix('ssh').statName).toBe('listener.ssh.downstream_cx_active');
    expect(DrainTarget.statPrefix('edge.https-443').statName).toBe('listener.edge.https-443.downstream_cx_active');
    for (const bad of ['a|b', 'x.*', "it's", 'a b', '$(reboot)', '.x', 'x.', 'a..b', '', 'ssh[0]']) {
      expect(() => DrainTarget.statPrefix(bad)).toThrow(/is not a plain stat prefix/);
    }
    for (const bad of ['admin', 'envoy_internal_x', 'ssh.worker_0', 'main_thread']) {
      expect(() => DrainTarget.statPrefix(bad)).toThrow(/never drained/);
    }
  });
});

describe('DrainSelection', () => {
  test('exact listeners: anchored RE2 filter, URL-encoded stats path, exact names', () => {
    const s = DrainSelection.of([DrainTarget.listener({ port: 8080 }), DrainTarget.listener({ address: '::', port: 2222 })]);
    expect(s.filterRegex).toBe('^(server\\.live|listener\\.(0\\.0\\.0\\.0_8080|\\[__\\]_2222)\\.downstream_cx_active)$');
    expect(s.statNames).toEqual(['listener.0.0.0.0_8080.downstream_cx_active', 'listener.[__]_2222.downstream_cx_active']);
    expect(s.statsPath).toBe(`/stats?usedonly&filter=${encodeURIComponent(s.filterRegex)}`);
    expect(s.statsPath).not.toMatch(/[[\]|\\^$ ]/);
    const re = new RegExp(s.filterRegex);
    expect(re.test('listener.0.0.0.0_8080.downstream_cx_active')).toBe(true);
    expect(re.test('listener.[__]_2222.downstream_cx_active')).toBe(true);
    // Escaped dots: an address that differs only where a dot stands must not match.
    expect(re.test('listener.0x0.0.0_8080.downstream_cx_active')).toBe(false);
    expect(re.test('listener.0.0.0.0_8080.worker_0.downstream_cx_active')).toBe(false);
    expect(re.test('listener._2222.downstream_cx_active')).toBe(false);
    expect(re.test('listener.0.0.0.0_80800.downstream_cx_active')).toBe(false);
    // The sentinel, and nothing that only starts or ends like it.
    expect(re.test('server.live')).toBe(true);
    expect(re.test('server.live_x')).toBe(false);
    expect(re.test('xserver.live')).toBe(false);
    expect(re.test('serverxlive')).toBe(false);
    expect(s.selects('listener.0.0.0.0_8080.downstream_cx_active')).toBe(true);
    expect(s.selects('listener.0.0.0.0_8080.worker_1.downstream_cx_active')).toBe(false);
    // No lookarounds, no backreferences: RE2 would refuse them.
    expect(s.filterRegex).not.toMatch(/\(\?|\\[1-9]/);
  });

  test('one listener needs no group; duplicates collapse', () => {
    const s = DrainSelection.of([DrainTarget.statPrefix('ssh'), DrainTarget.statPrefix('ssh')]);
    expect(s.filterRegex).toBe('^(server\\.live|listener\\.ssh\\.downstream_cx_active)$');
    expect(s.statNames).toEqual(['listener.ssh.downstream_cx_active']);
  });

  test('all listeners: wide filter, exclusions applied when summing', () => {
    const s = DrainSelection.of([DrainTarget.allListeners({ excludePorts: [19001], excludeStatPrefixes: ['stats'] })]);
    expect(s.filterRegex).toBe('^(server\\.live|listener\\..*\\.downstream_cx_active)$');
    expect(s.statNames).toEqual([]);
    expect(new RegExp(s.filterRegex).test('listener.0.0.0.0_8080.downstream_cx_total')).toBe(false);
    expect(s.selects('server.live')).toBe(false);
    const cases: Array<[string, boolean]> = [
      ['listener.0.0.0.0_8080.downstream_cx_active', true],
      ['listener.[__]_2222.downstream_cx_active', true],
      ['listener.ssh.downstream_cx_active', true],
      ['listener.admin.downstream_cx_active', false],
      ['listener.0.0.0.0_8080.worker_0.downstream_cx_active', false],
      ['listener.0.0.0.0_8080.main_thread.downstream_cx_active', false],
      ['listener.envoy_internal_abc.downstream_cx_active', false],
      ['listener.0.0.0.0_19001.downstream_cx_active', false],
      ['listener.stats.downstream_cx_active', false],
      ['listener.0.0.0.0_8080.downstream_cx_total', false],
      ['http.ingress_http.downstream_cx_active', false],
    ];
    for (const [name, want] of cases) expect([name, s.selects(name)]).toEqual([name, want]);
  });

  test('allListeners stands alone; an empty selection is refused', () => {
    expect(() => DrainSelection.of([DrainTarget.allListeners(), DrainTarget.listener({ port: 1 })])).toThrow(/cannot be combined with listener 0.0.0.0_1/);
    expect(() => DrainSelection.of([])).toThrow(/at least one target/);
    expect(() => DrainTarget.allListeners({ excludePorts: [0] })).toThrow(/excludePorts 0 is out of range/);
  });

  test('escapeRe2 escapes every RE2 metacharacter', () => {
    expect(escapeRe2('a.b[c]d|e(f)g*h+i?j^k$l{m}n\\o')).toBe('a\\.b\\[c\\]d\\|e\\(f\\)g\\*h\\+i\\?j\\^k\\$l\\{m\\}n\\\\o');
    expect(new RegExp(`^${escapeRe2('[__]_2222')}$`).test('[__]_2222')).toBe(true);
  });
});
