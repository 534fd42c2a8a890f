import { Duration } from 'cdk8s';
import { IPollProbe, PollProbe, PosixScript, Step } from '../../src/script';

// A user may build a probe from a library one by spreading it and replacing its body. The script
// must render the body the probe has, not one remembered for the library probe it was copied from
// (a render cache keyed by a stamp that the spread copied once returned the library's body).

function pollScript(probe: IPollProbe): string {
  return new PosixScript({ name: 'spread', deadline: Duration.seconds(5) })
    .add(Step.pollUntilZero({ probe }))
    .render();
}

test('a spread copy of a library probe with its own renderBody renders its own body', () => {
  const library = PollProbe.processAlive('/tmp/app.pid');
  const mine = (): string => 'gs_count=0 # my own probe\nreturn 0';
  // The library probe's script first, as a platform would render it for another workload.
  const first = pollScript(library);
  expect(first).toContain('kill -0');
  const text = pollScript({ ...PollProbe.processAlive('/tmp/app.pid'), renderBody: mine });
  expect(text).toContain('# my own probe');
  expect(text).not.toContain('kill -0');
});

test('library probes carry nothing but their fields (no hidden stamps a spread would copy)', () => {
  for (const probe of [PollProbe.processAlive('/tmp/a'), PollProbe.listeningTcpPorts([8080]), PollProbe.establishedTcpConnections([8080])]) {
    expect(Object.getOwnPropertySymbols(probe)).toEqual([]);
    expect(Object.keys(probe).sort()).toEqual(['description', 'renderBody', 'usesHttp']);
  }
});
