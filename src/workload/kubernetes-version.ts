/**
 * The Kubernetes version the manifests target. Newer versions unlock fields the default 1.28
 * target lacks: the lifecycle `sleep` action (beta, on by default, in 1.30) and native sidecars
 * (`initContainers[].restartPolicy: Always`, beta and on by default in 1.29).
 */
export class KubernetesVersion {
  /** Kubernetes 1.28, the default target (cdk8s-plus-28). */
  public static readonly V1_28 = new KubernetesVersion(1, 28);
  /** Kubernetes 1.29: native sidecars. */
  public static readonly V1_29 = new KubernetesVersion(1, 29);
  /** Kubernetes 1.30: native sidecars and the lifecycle sleep action. */
  public static readonly V1_30 = new KubernetesVersion(1, 30);
  /** Kubernetes 1.33: native sidecars GA. */
  public static readonly V1_33 = new KubernetesVersion(1, 33);
  /** Kubernetes 1.34: the sleep action GA, zero-second sleeps allowed. */
  public static readonly V1_34 = new KubernetesVersion(1, 34);

  /** Parses `1.30`, `v1.30` or `1.30.2`. */
  public static of(version: string): KubernetesVersion {
    const m = /^v?1\.(\d{1,3})(?:\.\d+)?$/.exec(version.trim());
    if (!m) throw new Error(`kubernetesVersion '${version}' is not a Kubernetes version like '1.30'.`);
    const minor = Number(m[1]);
    if (minor < 28) throw new Error(`kubernetesVersion '${version}' is older than 1.28, the oldest this library targets (it builds on cdk8s-plus-28). Use '1.28' or newer.`);
    return new KubernetesVersion(1, minor);
  }

  /** The major version (1). */
  public readonly major: number;
  /** The minor version, e.g. 30. */
  public readonly minor: number;

  private constructor(major: number, minor: number) {
    this.major = major;
    this.minor = minor;
  }

  /** Whether the lifecycle `sleep` action is on by default (1.30+). */
  public get supportsSleepAction(): boolean {
    return this.minor >= 30;
  }

  /** Whether native sidecars are on by default (1.29+). */
  public get supportsNativeSidecars(): boolean {
    return this.minor >= 29;
  }

  /** Whether this version is at least `other`. */
  public isAtLeast(other: KubernetesVersion): boolean {
    return this.major > other.major || (this.major === other.major && this.minor >= other.minor);
  }

  /** `1.30`. */
  public toString(): string {
    return `${this.major}.${this.minor}`;
  }
}
