import { Duration } from 'cdk8s';

/** Options of {@link NginxCutOver.readinessFile}. */
export interface ReadinessFileCutOverOptions {
  /**
   * The readiness probe's period.
   * @default Duration.seconds(5)
   */
  readonly period?: Duration;
  /**
   * Consecutive failures before the pod is unready.
   * @default 1
   */
  readonly failureThreshold?: number;
}

/** How a {@link GracefulNginx} pod is taken out of rotation. @internal */
export enum CutOverKind {
  READINESS_FILE = 'readinessFile',
  ENDPOINTS = 'endpoints',
}

/**
 * How a GracefulNginx pod is taken out of rotation before nginx stops.
 */
export class NginxCutOver {
  /**
   * The field-proven way: postStart creates a readiness file on an emptyDir, the readiness probe
   * tests it, and the preStop removes it first. Works with anything that follows readiness
   * (ingress controllers, cloud load balancer health checks) as well as with endpoint removal.
   * The preStop waits `period x failureThreshold` plus endpoint propagation.
   */
  public static readinessFile(options: ReadinessFileCutOverOptions = {}): NginxCutOver {
    return new NginxCutOver(CutOverKind.READINESS_FILE, options.period ?? Duration.seconds(5), options.failureThreshold ?? 1);
  }

  /**
   * For clusters where endpoint removal alone is trusted (every router follows EndpointSlices):
   * no readiness file; the preStop waits for propagation, then lets nginx go. The readiness probe
   * is a TCP check of the port.
   */
  public static endpointsOnly(): NginxCutOver {
    return new NginxCutOver(CutOverKind.ENDPOINTS, Duration.seconds(5), 1);
  }

  /** @internal */ public readonly _kind: CutOverKind;
  /** The readiness probe period. */
  public readonly period: Duration;
  /** The readiness probe failure threshold. */
  public readonly failureThreshold: number;

  private constructor(kind: CutOverKind, period: Duration, failureThreshold: number) {
    this._kind = kind;
    this.period = period;
    this.failureThreshold = failureThreshold;
  }

  /** Whether the pod uses a readiness file. */
  public get usesReadinessFile(): boolean {
    return this._kind === CutOverKind.READINESS_FILE;
  }
}
