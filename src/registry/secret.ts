import * as kplus from 'cdk8s-plus-28';
import { ValidationError } from '../core';
import { HttpHeader, Shell } from '../script';

/**
 * A credential kept in a Kubernetes Secret. It reaches the container only as an environment
 * variable with `valueFrom.secretKeyRef`: never the manifest, never the script text, never the log.
 */
export class RegistrySecret {
  /** A key of a Secret object defined in the app (or imported with `kplus.Secret.fromSecretName`). */
  public static fromSecret(secret: kplus.ISecret, key: string): RegistrySecret {
    return new RegistrySecret(key, secret, undefined);
  }

  /** A key of a Secret that exists in the namespace, by name. */
  public static fromSecretName(name: string, key: string): RegistrySecret {
    if (!/^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/.test(name)) {
      throw new ValidationError('RegistrySecret.fromSecretName name', name, "is not a valid Kubernetes object name: use lower-case letters, digits, '-' and '.', starting and ending with a letter or digit (e.g. 'nacos-cred').");
    }
    return new RegistrySecret(key, undefined, name);
  }

  /** The key inside the Secret. */
  public readonly key: string;
  /** The Secret object, when given as one. */
  public readonly secret?: kplus.ISecret;
  /** The Secret's name, when given by name. */
  public readonly secretName?: string;

  private constructor(key: string, secret?: kplus.ISecret, secretName?: string) {
    if (!/^[-._a-zA-Z0-9]{1,253}$/.test(key)) {
      throw new ValidationError('RegistrySecret key', key, "is not a valid Secret data key: use letters, digits, '-', '_' and '.' (e.g. 'password').");
    }
    this.key = key;
    this.secret = secret;
    this.secretName = secretName;
  }

  /** How the secret is named in logs and errors: `secret/name:key`, never its value. */
  public toString(): string {
    return `secret/${this.secret?.name ?? this.secretName}:${this.key}`;
  }
}

/** An extra request header for registry or admin-API calls: literal, or from a Secret. */
export class RegistryHeader {
  /** A header with a literal value, written into the script. Not for credentials: use `fromSecret`. */
  public static of(name: string, value: string): RegistryHeader {
    HttpHeader.of(name, value);
    return new RegistryHeader(name, value, undefined);
  }

  /** A header whose value comes from a Secret through an environment variable. */
  public static fromSecret(name: string, secret: RegistrySecret): RegistryHeader {
    HttpHeader.fromEnv(name, 'X');
    return new RegistryHeader(name, undefined, secret);
  }

  /** The header name. */
  public readonly name: string;
  private readonly value?: string;
  private readonly secret?: RegistrySecret;

  private constructor(name: string, value?: string, secret?: RegistrySecret) {
    this.name = name;
    this.value = value;
    this.secret = secret;
  }

  /** The script header and, for secret headers, the env var it reads. @internal */
  public _bind(envName: string): { header: HttpHeader; env?: { name: string; secret: RegistrySecret } } {
    Shell.assertEnvName(envName, 'header env var');
    if (this.secret) return { header: HttpHeader.fromEnv(this.name, envName), env: { name: envName, secret: this.secret } };
    return { header: HttpHeader.of(this.name, this.value!) };
  }
}

