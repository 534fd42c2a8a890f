import { parseGoDuration, parseIstioProxyConfig, parseKubernetesVersion } from '../../src/checks/parse';
import { analyzeScript, findBashisms, findStatsReadAsZero, parseSleepArgument } from '../../src/checks/shell';
import { hookInfo } from '../../src/checks/workload';

test('parseGoDuration reads Go durations and refuses bare numbers', () => {
  expect(parseGoDuration('1m30s')).toBe(90_000);
  expect(parseGoDuration('1.5h')).toBe(5_400_000);
  expect(parseGoDuration('500ms')).toBe(500);
  expect(parseGoDuration('0')).toBe(0);
  expect(parseGoDuration('30')).toBeUndefined();
  expect(parseGoDuration('abc')).toBeUndefined();
});

test('parseIstioProxyConfig reads terminationDrainDuration and proxyMetadata; bad YAML gives an error, not a throw', () => {
  const c = parseIstioProxyConfig('terminationDrainDuration: 45s\nproxyMetadata:\n  EXIT_ON_ZERO_ACTIVE_CONNECTIONS: true\n');
  expect(c.terminationDrainMillis).toBe(45_000);
  expect(c.proxyMetadata.EXIT_ON_ZERO_ACTIVE_CONNECTIONS).toBe('true');
  expect(parseIstioProxyConfig('a: [1').error).toMatch(/not valid YAML/);
  expect(parseIstioProxyConfig('- x').error).toMatch(/not a YAML mapping/);
});

test('parseKubernetesVersion', () => {
  expect(parseKubernetesVersion('v1.29.3')).toEqual([1, 29]);
  expect(parseKubernetesVersion('1.30.0-gke.1')).toEqual([1, 30]);
  expect(parseKubernetesVersion('latest')).toBeUndefined();
});

test('sleeps: arguments, sh -c scripts, top level versus inside loops', () => {
  expect(parseSleepArgument('1m')).toBe(60);
  expect(parseSleepArgument('$X')).toBeUndefined();
  const h = hookInfo({ exec: { command: ['sh', '-c', 'echo "a; sleep 99"; sleep 30 # sleep 5\nfor i in 1 2 3; do sleep 2; done'] } });
  expect(h.shell).toBe('sh');
  expect(h.analysis!.fixedWaitSeconds).toBe(30);
  expect(h.analysis!.loops).toHaveLength(1);
  expect(h.analysis!.loops[0]).toMatchObject({ iterations: 3, perIterationSeconds: 2, boundSeconds: 6, unbounded: false });
});

test('loop bounds: seq, counters, deadlines, unbounded', () => {
  expect(analyzeScript('for i in $(seq 5 10); do sleep 1; done').loops[0].iterations).toBe(6);
  expect(analyzeScript('n=30\nwhile [ $n -gt 0 ]; do sleep 2; n=$((n-1)); done').loops[0].boundSeconds).toBe(60);
  expect(analyzeScript('T=40; end=$(( $(date +%s) + T ))\nuntil [ "$(date +%s)" -ge "$end" ]; do sleep 1; done').loops[0].deadlineSeconds).toBe(40);
  expect(analyzeScript('while :; do curl -sf localhost/x && break; sleep 1; done').loops[0].unbounded).toBe(true);
});

test('findBashisms and findStatsReadAsZero', () => {
  expect(findBashisms('x=(a b)\necho ${x[0]}\n[ "$a" == b ]\ncat <<< hi').map(b => b.construct)).toEqual(['array', 'array', '== in [ ]', 'here-string <<<']);
  expect(findBashisms('[ "$a" = b ] && echo \'[[ in quotes ]]\'')).toEqual([]);
  expect(findStatsReadAsZero('until [ "$(wget -qO- localhost:9901/stats | grep -c x)" = 0 ]; do sleep 1; done')).toHaveLength(1);
  expect(findStatsReadAsZero('echo no stats here')).toEqual([]);
});
