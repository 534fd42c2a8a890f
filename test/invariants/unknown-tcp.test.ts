/**
 * Invariant 3 for the /proc/net/tcp probes (nginx's connection drain and postStart, and any
 * PollProbe.listeningTcpPorts / establishedTcpConnections): files that are missing, empty or hold
 * only their header line are "cannot tell", never a count of zero. The script reads stand-in files
 * (the rendered paths are replaced), in each shell, with and without `cat` in the image.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Duration } from 'cdk8s';
import { PollProbe, PosixScript, Step } from '../../src/script';
import { DEFAULT_TOOLS, runScript, SHELLS } from '../script/run-script';

jest.setTimeout(60_000);

const HEADER = '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n';
/** A socket on port 22 (0x0016), listening: another socket of the namespace, not the one counted. */
const OTHER_SOCKET = '   0: 00000000:0016 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1234 1 0000000000000000 100 0 0 10 0\n';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'gs-tcp-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function scriptReading(tcp: string | undefined, tcp6: string | undefined, name: string): string {
  const dir = path.join(tmp, name);
  fs.mkdirSync(dir);
  if (tcp !== undefined) fs.writeFileSync(path.join(dir, 'tcp'), tcp);
  if (tcp6 !== undefined) fs.writeFileSync(path.join(dir, 'tcp6'), tcp6);
  const text = new PosixScript({ name: 'tcp-probe', deadline: Duration.seconds(2) })
    .add(Step.pollUntilZero({ probe: PollProbe.establishedTcpConnections([8080]) })).render();
  expect(text).toContain('for gs_f in /proc/net/tcp /proc/net/tcp6; do');
  return text.replace('for gs_f in /proc/net/tcp /proc/net/tcp6; do', `for gs_f in '${dir}/tcp' '${dir}/tcp6'; do`);
}

const CASES: Array<[string, string | undefined, string | undefined, 'unknown' | 'zero']> = [
  ['both empty', '', '', 'unknown'],
  ['both only their header', HEADER, HEADER, 'unknown'],
  ['tcp missing, tcp6 only its header', undefined, HEADER, 'unknown'],
  ['tcp empty, tcp6 missing', '', undefined, 'unknown'],
  ['another socket, none on the port: a real zero', HEADER + OTHER_SOCKET, HEADER, 'zero'],
];

describe.each([['with cat', undefined], ['without cat', DEFAULT_TOOLS.filter(t => t !== 'cat')]] as const)('%s', (_label, tools) => {
  test.each(CASES)('%s', async (name, tcp, tcp6, expected) => {
    const text = scriptReading(tcp, tcp6, `${name.replace(/\W+/g, '-')}-${tools ? 'nocat' : 'cat'}`);
    const results = await Promise.all(SHELLS.map(shell => runScript(text, { shell, withPath: tools ? { tools } : undefined })));
    for (const r of results) {
      expect(r.code).toBe(0);
      const log = r.messages.join('\n');
      if (expected === 'unknown') {
        expect(log).not.toContain('connections to port 8080: 0');
        expect(log).toMatch(/connections to port 8080: deadline reached at unknown/);
      } else {
        expect(log).toContain('connections to port 8080: 0');
      }
    }
  });
});
