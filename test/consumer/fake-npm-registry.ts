import * as http from 'http';
import { AddressInfo } from 'net';

/**
 * A minimal npm registry on 127.0.0.1, for the internal-registry path of README "Install": npm
 * itself publishes to it and installs from it. It follows the registry's wire format as npm uses it:
 *
 * - `PUT /<name>` (a scoped name arrives as `@scope%2fname`): the publish document npm sends,
 *   `{ name, 'dist-tags', versions: { <v>: manifest with dist.shasum and dist.integrity },
 *   _attachments: { '<file>.tgz': { data: base64 } } }` (libnpmpublish, npm/cli
 *   workspaces/libnpmpublish/lib/publish.js).
 * - `GET /<name>`: the packument, `{ name, 'dist-tags', versions }`, each version's `dist.tarball`
 *   pointing back here (npm/registry docs/REGISTRY-API.md, "Getting a package").
 * - `GET /<name>/-/<file>.tgz`: the tarball bytes.
 *
 * Every request must carry `Authorization: Bearer <token>`, which npm sends from the `_authToken`
 * of the .npmrc entry for this host; anything else gets 401, so a test passes only if npm was
 * configured as the README says. Unknown packages get 404 (npm reports E404).
 */
export class FakeNpmRegistry {
  public static async start(token: string): Promise<FakeNpmRegistry> {
    const registry = new FakeNpmRegistry(token);
    await new Promise<void>(resolve => registry.server.listen(0, '127.0.0.1', resolve));
    return registry;
  }

  /** Requests by method and path, with whether they carried the token. */
  public readonly requests: { method: string; path: string; authorized: boolean }[] = [];
  private readonly packuments = new Map<string, any>();
  private readonly tarballs = new Map<string, Buffer>();
  private readonly server: http.Server;

  private constructor(private readonly token: string) {
    this.server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', c => chunks.push(c));
      req.on('end', () => this.handle(req, Buffer.concat(chunks), res));
    });
  }

  public get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/`;
  }

  public async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise(resolve => this.server.close(resolve));
  }

  /** The versions published under a name. */
  public versions(name: string): string[] {
    return Object.keys(this.packuments.get(name)?.versions ?? {});
  }

  private handle(req: http.IncomingMessage, body: Buffer, res: http.ServerResponse): void {
    const path = decodeURIComponent((req.url ?? '/').split('?')[0]);
    const authorized = req.headers.authorization === `Bearer ${this.token}`;
    this.requests.push({ method: req.method ?? '', path, authorized });
    const send = (status: number, value: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(value));
    };
    if (!authorized) return send(401, { error: 'authentication required' });

    const tarball = /^\/(.+)\/-\/([^/]+\.tgz)$/.exec(path);
    if (req.method === 'GET' && tarball) {
      const bytes = this.tarballs.get(`${tarball[1]}/${tarball[2]}`);
      if (!bytes) return send(404, { error: 'not found' });
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      return void res.end(bytes);
    }
    const name = path.slice(1);
    if (req.method === 'GET') {
      const packument = this.packuments.get(name);
      return packument ? send(200, packument) : send(404, { error: 'not found' });
    }
    if (req.method === 'PUT') {
      const doc = JSON.parse(body.toString('utf8'));
      if (doc.name !== name) return send(400, { error: `document names ${doc.name}, path ${name}` });
      const packument = this.packuments.get(name) ?? { 'name': name, 'dist-tags': {}, 'versions': {} };
      for (const [version, manifest] of Object.entries<any>(doc.versions)) {
        if (packument.versions[version]) return send(403, { error: `cannot publish over ${name}@${version}` });
        const file = `${name.split('/').pop()}-${version}.tgz`;
        const attachment = Object.values<any>(doc._attachments)[0];
        this.tarballs.set(`${name}/${file}`, Buffer.from(attachment.data, 'base64'));
        packument.versions[version] = { ...manifest, dist: { ...manifest.dist, tarball: `${this.url}${name}/-/${file}` } };
      }
      Object.assign(packument['dist-tags'], doc['dist-tags']);
      this.packuments.set(name, packument);
      return send(201, { ok: true });
    }
    return send(405, { error: `${req.method} not supported` });
  }
}
