import { Duration } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { checkPort, checkWholeSeconds, ValidationError } from '../core';
import { PosixScript } from '../script';

/** Options of {@link PreStopHook.httpGet}. */
export interface PreStopHttpGetOptions {
  /** The container port to call. */
  readonly port: number;
}

/** How a preStop hook is rendered. @internal */
export enum PreStopKind {
  NONE = 'none',
  SCRIPT = 'script',
  SLEEP = 'sleep',
  HTTP_GET = 'httpGet',
}

/**
 * What a container does in its preStop hook. The kubelet starts every container's preStop at once
 * when the pod is marked terminating; the stop signal follows when it returns.
 */
export class PreStopHook {
  /** Runs a generated POSIX sh script (`/bin/sh -c`): needs a shell in the image. */
  public static script(script: PosixScript): PreStopHook {
    return new PreStopHook(PreStopKind.SCRIPT, script);
  }

  /**
   * Waits `duration` (whole seconds). On Kubernetes 1.30+ this is the lifecycle `sleep` action,
   * run by the kubelet, so it needs no shell or `sleep` binary (distroless images). Before 1.30 it
   * is `exec sleep N`, which needs a `sleep` binary in the image.
   */
  public static sleep(duration: Duration): PreStopHook {
    return new PreStopHook(PreStopKind.SLEEP, undefined, checkWholeSeconds(duration, 'preStop sleep', 1));
  }

  /** An HTTP GET to the pod IP made by the kubelet (no tools needed in the image); it blocks until answered. */
  public static httpGet(path: string, options: PreStopHttpGetOptions): PreStopHook {
    if (!path.startsWith('/')) throw new ValidationError('preStop httpGet path', path, "must start with '/'.");
    checkPort(options.port, 'preStop httpGet port');
    return new PreStopHook(PreStopKind.HTTP_GET, undefined, undefined, path, options);
  }

  /** No preStop hook. */
  public static none(): PreStopHook {
    return new PreStopHook(PreStopKind.NONE);
  }

  /** @internal */ public readonly _kind: PreStopKind;
  /** The script, for `script` hooks. */
  public readonly posixScript?: PosixScript;
  /** The seconds, for `sleep` hooks. */
  public readonly sleepSeconds?: number;
  private readonly path?: string;
  private readonly httpOptions?: PreStopHttpGetOptions;

  private constructor(kind: PreStopKind, script?: PosixScript, sleepSeconds?: number, path?: string, httpOptions?: PreStopHttpGetOptions) {
    this._kind = kind;
    this.posixScript = script;
    this.sleepSeconds = sleepSeconds;
    this.path = path;
    this.httpOptions = httpOptions;
  }

  /**
   * The cdk8s-plus handler. A sleep on a version with the sleep action renders as a placeholder
   * exec that `SchemaEscape` replaces after serialization (cdk8s-plus-28 has no sleep handler and
   * drops the field from patches).
   * @internal
   */
  public _toHandler(useSleepAction: boolean): kplus.Handler | undefined {
    switch (this._kind) {
      case PreStopKind.NONE:
        return undefined;
      case PreStopKind.SCRIPT:
        return kplus.Handler.fromCommand(this.posixScript!.toCommand());
      case PreStopKind.SLEEP:
        return kplus.Handler.fromCommand(useSleepAction ? [SLEEP_PLACEHOLDER, String(this.sleepSeconds)] : ['sleep', String(this.sleepSeconds)]);
      case PreStopKind.HTTP_GET:
        return kplus.Handler.fromHttpGet(this.path!, { port: this.httpOptions!.port });
    }
  }
}

/** Marks an exec that becomes the lifecycle sleep action after serialization. @internal */
export const SLEEP_PLACEHOLDER = '__cdk8s_graceful_shutdown_sleep_action__';
