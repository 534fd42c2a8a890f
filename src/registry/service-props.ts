/** The props of a RegistryAwareService and the names its pod uses. */
import * as kplus from 'cdk8s-plus-28';
import { KubernetesVersion } from '../workload';
import { OfflineEndpoint } from './offline-endpoint';
import { RegistryShutdownOptions } from './options';
import { Registry } from './registry';
import type { RegistryAwareService } from './registry-aware-service';

/** Where the deregistration script runs. */
export enum DeregistrationPlacement {
  /** In the app container's preStop: the app image needs `sh` and curl or wget. */
  APP_CONTAINER = 'app-container',
  /**
   * In a sidecar: the app needs no SDK and no HTTP client. How the app waits (and what starts the
   * sidecar's deregistration) is `appWait`.
   */
  SIDECAR = 'sidecar',
}

/** How the app container waits for the sidecar in the SIDECAR placement. */
export enum AppWait {
  /**
   * The sidecar (an ordinary container) runs the deregistration in its own preStop, which the
   * kubelet starts at t=0 together with the app's; the app's preStop script polls for the
   * sidecar's done-file on a shared emptyDir (needs `sh`, `date` and `sleep` in the app image).
   */
  DONE_FILE = 'done-file',
  /**
   * As DONE_FILE, but the app's preStop sleeps until the plan's preStop deadline: the kubelet's
   * sleep action on 1.30+ (no tools at all), `sleep N` before. Always waits the whole window.
   */
  SLEEP = 'sleep',
  /**
   * The app's preStop is an `httpGet` the kubelet makes to the sidecar (no tools in the app
   * image); the sidecar serves it with busybox `httpd` and a CGI that runs the deregistration and
   * answers when it has ended, so the app's SIGTERM follows as soon as the deregistration is done.
   * The sidecar is a native sidecar on 1.29+ (started before the app, stopped after it); before
   * 1.29 an ordinary container whose own preStop holds it until the deregistration has ended.
   * Needs `sidecarImage` with `sh`, busybox `httpd` and curl (or GNU wget for PUT/DELETE calls).
   */
  HTTP_GET = 'http-get',
}

/** Props of a {@link RegistryAwareService}. */
export interface RegistryAwareServiceProps extends RegistryShutdownOptions {
  /** The registry the app is registered in, and how to leave it. */
  readonly registry: Registry;
  /**
   * The app's own offline endpoint, called first.
   * @default none: the registry flavour's offline call (custom) or its removal call is the first step
   */
  readonly offlineEndpoint?: OfflineEndpoint;
  /** The app container (cdk8s-plus container props; its preStop is set here). */
  readonly app: kplus.ContainerProps;
  /**
   * Where the deregistration runs.
   * @default DeregistrationPlacement.APP_CONTAINER
   */
  readonly placement?: DeregistrationPlacement;
  /**
   * The sidecar image: needs `sh`, `date`, `sleep`, `touch` and curl (or GNU wget for PUT/DELETE);
   * with `AppWait.HTTP_GET` also busybox `httpd` (e.g. Alpine with `curl` and `busybox-extras`).
   * @default 'curlimages/curl:8.8.0' (DONE_FILE and SLEEP); required with HTTP_GET
   */
  readonly sidecarImage?: string;
  /**
   * How the app waits for the sidecar (SIDECAR placement only).
   * @default AppWait.SLEEP on Kubernetes 1.30+ (no tools needed), AppWait.DONE_FILE before
   */
  readonly appWait?: AppWait;
  /**
   * The port of the sidecar's trigger (`AppWait.HTTP_GET` only). It listens on the pod IP, as the
   * kubelet calls it there: restrict it with a NetworkPolicy (a GET deregisters the pod).
   * @default 19010
   */
  readonly triggerPort?: number;
  /**
   * The Kubernetes version targeted.
   * @default KubernetesVersion.V1_28
   */
  readonly kubernetesVersion?: KubernetesVersion;
  /**
   * Replicas.
   * @default 2
   */
  readonly replicas?: number;
  /**
   * Whether a credential (a token, a password, a secret header) may be passed to wget as an
   * argument when the image has no curl. With curl, credentials always go to `curl -K -` on stdin,
   * never into a process's arguments. GNU and busybox wget take headers and bodies only as
   * arguments, which any process in the pod (or on the node, with a shared process namespace or a
   * debug container) can read from /proc/PID/cmdline while the request runs. With `false`, the script
   * refuses such a call when it finds only wget, and logs why (the image's tools are known only at
   * run time, so this is enforced there). With the default, the construct warns at synthesis
   * (printed once per process, and in `credentialWarning` and the node metadata
   * `graceful-shutdown:warning`).
   * @default true
   */
  readonly allowCredentialsInArguments?: boolean;
}

/** Mount path of the shared emptyDir in the SIDECAR placement. */
export const SIGNAL_DIR = '/var/run/graceful-shutdown';
/** The sidecar's done-file. */
export const DONE_FILE = `${SIGNAL_DIR}/deregistered`;
/** Name of the sidecar container. */
export const SIDECAR_NAME = 'registry-deregister';
