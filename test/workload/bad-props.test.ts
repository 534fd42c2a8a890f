import { App, Chart, Duration } from 'cdk8s';
import {
  GracefulEnvoyGateway, GracefulNginx, GracefulWorkload, IstioDrainedWorkload, IstioProtocol, IstioVersion, PreStopHook, Registry,
  RegistryAwareService, ShutdownPlan,
} from '../../src';
import { PLACEHOLDER_NAMES, ValidationError } from '../../src/core';

// Bad props fail at synthesis with a ValidationError whose message names the construct path, the
// property, the value and the fix, including props that plain JavaScript callers leave out (no
// type checker stops them), so nothing is accepted that would fail later or at run time.

const s = Duration.seconds;

/** The error `build` throws in a fresh chart named 'bad'. */
function errorOf(build: (chart: Chart) => void): ValidationError {
  const chart = new Chart(new App(), 'bad');
  try {
    build(chart);
  } catch (e) {
    expect(e).toBeInstanceOf(ValidationError);
    return e as ValidationError;
  }
  throw new Error('no error was thrown');
}

/** Asserts the four parts: path, property, value (as shown), and a fix. */
function expectNames(e: ValidationError, path: string, property: string, shown: string, fix: RegExp): void {
  expect(e.constructPath).toBe(path);
  expect(e.property).toBe(property);
  expect(e.message.startsWith(`${path}: ${property} ${shown} `)).toBe(true);
  expect(e.fix).toMatch(fix);
  expect(e.message).not.toMatch(/Cannot read properties|undefined \(reading/);
}

// Plain JavaScript: props as `any`, the way an untyped caller passes them.
const js = (props: object): any => props;

describe('required props from plain JavaScript', () => {
  test('GracefulEnvoyGateway without image', () => {
    const e = errorOf(c => new GracefulEnvoyGateway(c, 'gw', js({ listeners: [{ name: 'http', port: 8080 }] })));
    expectNames(e, 'bad/gw', 'image', '(missing)', /is required: give the Envoy image, e.g. '/);
  });

  test('GracefulEnvoyGateway without listeners', () => {
    const e = errorOf(c => new GracefulEnvoyGateway(c, 'gw', js({ image: 'envoy:1' })));
    expectNames(e, 'bad/gw', 'listeners', '(missing)', /is required.*listener/);
  });

  test('GracefulEnvoyGateway without any props', () => {
    const e = errorOf(c => new GracefulEnvoyGateway(c, 'gw', js(undefined as any)));
    expectNames(e, 'bad/gw', 'image', '(missing)', /is required/);
  });

  test('IstioDrainedWorkload without image, istioVersion or ports', () => {
    const ports = [{ port: 8080, protocol: IstioProtocol.HTTP }];
    expectNames(errorOf(c => new IstioDrainedWorkload(c, 'w', js({ istioVersion: IstioVersion.of('1.22'), ports }))),
      'bad/w', 'image', '(missing)', /is required/);
    expectNames(errorOf(c => new IstioDrainedWorkload(c, 'w', js({ image: 'app:1', ports }))),
      'bad/w', 'istioVersion', '(missing)', /IstioVersion\.of/);
    expectNames(errorOf(c => new IstioDrainedWorkload(c, 'w', js({ image: 'app:1', istioVersion: IstioVersion.of('1.22') }))),
      'bad/w', 'ports', '(missing)', /is required/);
  });

  test('GracefulWorkload without a plan', () => {
    expectNames(errorOf(c => new GracefulWorkload(c, 'w', js({}))), 'bad/w', 'plan', '(missing)', /ShutdownPlan/);
  });
});

describe('names', () => {
  test("an empty container name is refused, not synthesized as name: ''", () => {
    const e = errorOf(c => new RegistryAwareService(c, 'svc', {
      registry: Registry.eureka({ serverUrl: 'http://eureka:8761/eureka', appName: 'a', port: 8080 }),
      app: { name: '', image: 'svc:1' },
    }));
    expectNames(e, 'bad/svc/Default', 'containers[].name', "''", /DNS-1123 label/);
  });

  test('a container name that is not a DNS-1123 label is refused', () => {
    const e = errorOf(c => {
      const w = new GracefulWorkload(c, 'w', { plan: ShutdownPlan.standard() });
      w.addContainer({ name: 'App_1', image: 'a:1' });
    });
    expectNames(e, 'bad/w', 'containers[].name', "'App_1'", /DNS-1123 label/);
  });
});

describe('placeholders', () => {
  test('a URL naming a placeholder the library never sets is a synthesis error listing the supported ones', () => {
    let error: unknown;
    try {
      Registry.nacos({ serverUrl: 'http://${NACOS_HOST}:8848', serviceName: 'a', port: 8080 });
    } catch (e) {
      error = e;
    }
    // The registry checks its URLs itself before the shared validator sees them: the message is
    // what must name the property, the value and every supported placeholder.
    expect(error).toBeInstanceOf(Error);
    const message = (error as Error).message;
    expect(message).toContain("serverUrl 'http://${NACOS_HOST}:8848'");
    for (const name of PLACEHOLDER_NAMES) expect(message).toContain(`\${${name}}`);
  });

  test('the supported placeholders pass', () => {
    expect(() => Registry.nacos({ serverUrl: 'http://${HOST_IP}:8848', serviceName: 'a', port: 8080 })).not.toThrow();
  });
});

describe('durations', () => {
  test('zero where a wait is promised, negative, and non-whole where scripts count seconds', () => {
    expectNames(errorOf(c => new GracefulEnvoyGateway(c, 'gw', { image: 'e:1', listeners: [{ name: 'http', port: 8080 }], pollInterval: s(0) })),
      'bad/gw', 'pollInterval', '0s', /at least 1s .*zero would skip a wait/);
    expectNames(errorOf(c => new GracefulEnvoyGateway(c, 'gw', { image: 'e:1', listeners: [{ name: 'http', port: 8080 }], minDrain: Duration.millis(1500) })),
      'bad/gw', 'minDrain', '1.5s', /whole number of seconds/);
    expectNames(errorOf(c => new IstioDrainedWorkload(c, 'w', {
      image: 'a:1', istioVersion: IstioVersion.of('1.22'), ports: [{ port: 8080, protocol: IstioProtocol.HTTP }], terminationDrainDuration: s(0),
    })), 'bad/w', 'terminationDrainDuration', '0s', /longer than zero/);
    // cdk8s refuses negative Durations itself; a duck-typed one (plain JavaScript) still gets a clear error.
    const negative = { toMilliseconds: () => -1000, toHumanString: () => '-1s' };
    expectNames(errorOf(c => new GracefulNginx(c, 'n', { propagation: js(negative) })), 'bad/n', 'propagation', '-1s', /whole number of seconds, at least 0s/);
    expectNames(errorOf(c => new GracefulNginx(c, 'n', { propagation: Duration.millis(500) })), 'bad/n', 'propagation', '0.5s', /whole/);
  });

  test('a preStop sleep of zero is refused: the hook promises a wait', () => {
    expect(() => PreStopHook.sleep(s(0))).toThrow(ValidationError);
    expect(() => PreStopHook.sleep(s(0))).toThrow('preStop sleep 0s must be a whole number of seconds, at least 1s');
  });
});
