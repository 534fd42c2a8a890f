/**
 * The Istio version the workload runs under. Features this library relies on arrived in
 * different releases, so the version decides what can be generated and what is an error:
 *
 * - 1.12: `EXIT_ON_ZERO_ACTIVE_CONNECTIONS` and `MINIMUM_DRAIN_DURATION` in `proxyMetadata`
 *   (Istio 1.12 change notes; istio/istio#34855).
 * - 1.19: `ENABLE_NATIVE_SIDECARS` on istiod (default false, istio/istio#45959).
 * - 1.21: in native-sidecar mode the injected preStop calls pilot-agent's `/drain`
 *   (`drain_listeners?...&skip_exit`), and the SIGTERM that follows the app's exit ends the proxy at once.
 * - 1.24: the per-pod `sidecar.istio.io/nativeSidecar` annotation, which takes precedence over
 *   `ENABLE_NATIVE_SIDECARS` (Istio 1.24 release notes, istio/istio#53452).
 * - 1.27: `ENABLE_NATIVE_SIDECARS` defaults to `auto`: on when every node's kubelet is 1.33+
 *   (istio/istio#56428, `pkg/kube/inject/webhook.go`).
 */
export class IstioVersion {
  /** Istio 1.12: exit-on-zero-active-connections. */
  public static readonly V1_12 = new IstioVersion(1, 12);
  /** Istio 1.19: native sidecars behind `ENABLE_NATIVE_SIDECARS`. */
  public static readonly V1_19 = new IstioVersion(1, 19);
  /** Istio 1.21: native sidecars drain from their preStop hook. */
  public static readonly V1_21 = new IstioVersion(1, 21);
  /** Istio 1.22. */
  public static readonly V1_22 = new IstioVersion(1, 22);
  /** Istio 1.24: the per-pod `sidecar.istio.io/nativeSidecar` annotation. */
  public static readonly V1_24 = new IstioVersion(1, 24);
  /** Istio 1.27: native sidecars default to `auto`. */
  public static readonly V1_27 = new IstioVersion(1, 27);

  /** Parses `1.22`, `v1.22` or `1.22.3`. */
  public static of(version: string): IstioVersion {
    const m = /^v?(\d{1,3})\.(\d{1,3})(?:\.\d+)?(?:-[0-9A-Za-z.-]+)?$/.exec(version.trim());
    if (!m) throw new Error(`istioVersion '${version}' is not an Istio version like '1.22' or '1.22.3'.`);
    const major = Number(m[1]);
    const minor = Number(m[2]);
    if (major !== 1) throw new Error(`istioVersion '${version}': only Istio 1.x is known to this library. Use a version like '1.22'.`);
    return new IstioVersion(major, minor);
  }

  /** The major version (1). */
  public readonly major: number;
  /** The minor version, e.g. 22. */
  public readonly minor: number;

  private constructor(major: number, minor: number) {
    this.major = major;
    this.minor = minor;
  }

  /** Whether this version is at least `other`. */
  public isAtLeast(other: IstioVersion): boolean {
    return this.major > other.major || (this.major === other.major && this.minor >= other.minor);
  }

  /** Whether pilot-agent knows `EXIT_ON_ZERO_ACTIVE_CONNECTIONS` and `MINIMUM_DRAIN_DURATION` (1.12+). */
  public get supportsExitOnZeroActiveConnections(): boolean {
    return this.isAtLeast(IstioVersion.V1_12);
  }

  /** Whether istiod can inject the proxy as a Kubernetes native sidecar (1.19+). */
  public get supportsNativeSidecars(): boolean {
    return this.isAtLeast(IstioVersion.V1_19);
  }

  /** Whether the per-pod `sidecar.istio.io/nativeSidecar` annotation is honoured (1.24+). */
  public get supportsNativeSidecarAnnotation(): boolean {
    return this.isAtLeast(IstioVersion.V1_24);
  }

  /** `1.22`. */
  public toString(): string {
    return `${this.major}.${this.minor}`;
  }
}
