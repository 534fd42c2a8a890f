import { Duration } from 'cdk8s';
import { parse } from 'yaml';
import { parseDurationMillis, protoDuration, renderProxyConfig } from '../../src/istio/proxy-config';

describe('proxy-config helpers', () => {
  test('protoDuration writes seconds with an s suffix', () => {
    expect(protoDuration(Duration.seconds(60))).toBe('60s');
    expect(protoDuration(Duration.minutes(2))).toBe('120s');
    expect(protoDuration(Duration.millis(250))).toBe('0.25s');
  });

  test('parseDurationMillis reads Go and protobuf forms, refuses the rest', () => {
    expect(parseDurationMillis('60s')).toBe(60_000);
    expect(parseDurationMillis('1m')).toBe(60_000);
    expect(parseDurationMillis('1m30s')).toBe(90_000);
    expect(parseDurationMillis('1.5s')).toBe(1500);
    expect(parseDurationMillis('500ms')).toBe(500);
    expect(parseDurationMillis('1h')).toBe(3_600_000);
    expect(parseDurationMillis('60')).toBeUndefined();
    expect(parseDurationMillis('sixty seconds')).toBeUndefined();
  });

  test('renders without a user annotation; an empty one counts as none', () => {
    const c = { terminationDrainDuration: Duration.seconds(45), exitOnZeroActiveConnections: false };
    expect(parse(renderProxyConfig(c))).toEqual({ terminationDrainDuration: '45s' });
    expect(parse(renderProxyConfig(c, '  '))).toEqual({ terminationDrainDuration: '45s' });
    expect(parse(renderProxyConfig(c, '# only a comment'))).toEqual({ terminationDrainDuration: '45s' });
  });

  test('a proxyMetadata that is not a mapping is refused', () => {
    const c = { terminationDrainDuration: Duration.seconds(5), exitOnZeroActiveConnections: true };
    expect(() => renderProxyConfig(c, 'proxyMetadata: [a]')).toThrow('proxyMetadata must be a mapping of environment variables');
  });

  test('an equal exit-on-zero value written as a YAML boolean is accepted', () => {
    const c = { terminationDrainDuration: Duration.seconds(5), exitOnZeroActiveConnections: true };
    expect(parse(renderProxyConfig(c, 'proxyMetadata:\n  EXIT_ON_ZERO_ACTIVE_CONNECTIONS: true'))).toEqual({
      terminationDrainDuration: '5s',
      proxyMetadata: { EXIT_ON_ZERO_ACTIVE_CONNECTIONS: 'true' },
    });
  });
});
