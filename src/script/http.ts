import { Duration } from 'cdk8s';
import { Shell, ShellWord } from './shell';
import { checkHttpUrl, ValidationError } from '../core';

/** HTTP methods the script's HTTP helper sends. Busybox wget sends only GET and POST. */
export enum HttpMethod {
  /** GET: every client. */
  GET = 'GET',
  /** POST: every client, busybox wget included. */
  POST = 'POST',
  /** PUT: curl or GNU wget. */
  PUT = 'PUT',
  /** DELETE: curl or GNU wget. */
  DELETE = 'DELETE',
}

const HEADER_NAME = /^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/;

/** A request header whose value is either literal or read from an environment variable at run time. */
export class HttpHeader {
  /** A header with a literal value (quoted into the script). Not for secrets: use `fromEnv`. */
  public static of(name: string, value: string): HttpHeader {
    HttpHeader.assertName(name);
    if (/[\r\n]/.test(value)) throw new Error(`header ${name}: value contains a line break, which would split the request. Remove it.`);
    return new HttpHeader(name, ShellWord.literal(`${name}: ${value}`), `${name}: ${value}`);
  }

  /**
   * A header whose value is the environment variable `envVar` at run time, e.g. a token from a
   * Secret through `secretKeyRef`. The value never appears in the manifest, the script or its log.
   */
  public static fromEnv(name: string, envVar: string): HttpHeader {
    HttpHeader.assertName(name);
    Shell.assertEnvName(envVar, `header ${name}: envVar`);
    return new HttpHeader(name, ShellWord.concat([ShellWord.literal(`${name}: `), ShellWord.env(envVar)]), `${name}: <from $${envVar}>`);
  }

  private static assertName(name: string): void {
    if (!HEADER_NAME.test(name)) throw new ValidationError('HTTP header name', name, 'is not a valid token: use letters, digits and -.');
  }

  /** The header name. */
  public readonly name: string;
  /** `Name: value` as one shell word. */
  public readonly word: ShellWord;
  /** How the header is logged: secret values are never shown. */
  public readonly display: string;

  private constructor(name: string, word: ShellWord, display: string) {
    this.name = name;
    this.word = word;
    this.display = display;
  }
}

/** An HTTP call a script makes. */
export interface HttpCallOptions {
  /** The method. */
  readonly method: HttpMethod;
  /** The URL, as literal text or built with `ShellWord` from literals and environment variables. */
  readonly url: ShellWord;
  /**
   * The request body.
   * @default empty
   */
  readonly body?: ShellWord;
  /**
   * Request headers.
   * @default none
   */
  readonly headers?: HttpHeader[];
  /**
   * How long the call may take; capped by the script's deadline.
   * @default Duration.seconds(2)
   */
  readonly timeout?: Duration;
  /**
   * What the call does, for the log.
   * @default "<METHOD> <url>"
   */
  readonly description?: string;
}

/**
 * Validates a URL a prop sets: http(s) with a host, and only the run-time placeholders the library
 * substitutes (`${POD_IP}`, `${HOST_IP}`, `${POD_NAME}`). Throws a `ValidationError`.
 */
export function assertHttpUrl(url: string, property: string): void {
  checkHttpUrl(url, property);
}

/** Renders the `gs_http` argument list of a call, each argument one shell word. */
export function renderHttpArgs(call: HttpCallOptions, timeoutExpr: string): string {
  return [
    call.method,
    call.url.text,
    timeoutExpr,
    (call.body ?? ShellWord.literal('')).text,
    ...(call.headers ?? []).map(h => h.word.text),
  ].join(' ');
}
