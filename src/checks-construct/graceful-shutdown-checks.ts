import { ApiObject } from 'cdk8s';
import { IConstruct, IValidation } from 'constructs';
import { CheckFinding, CheckLevel, ICheckRule } from '../checks/model';
import { RulePack } from '../checks/rule-pack';

/** Options of {@link GracefulShutdownChecks.addTo}. */
export interface GracefulShutdownChecksOptions {
  /**
   * The Kubernetes version the chart targets.
   * @default '1.28'
   */
  readonly kubernetesVersion?: string;
  /**
   * Ids of rules to leave out, e.g. `['GS005']`.
   * @default none
   */
  readonly disabledRules?: string[];
  /**
   * The rules to apply instead of the built-in ones.
   * @default the built-in rules
   */
  readonly rules?: ICheckRule[];
  /**
   * Whether warnings fail the synth like errors.
   * @default false
   */
  readonly warningsAsErrors?: boolean;
  /**
   * Whether warnings are printed (with console.warn) when they do not fail the synth.
   * @default true
   */
  readonly printWarnings?: boolean;
}

/**
 * Runs the consistency rules over every workload in a scope (usually a chart) when the app is
 * synthesized: `GracefulShutdownChecks.addTo(chart)`. It reads every `ApiObject` under the scope,
 * including ones this library did not create, through `ApiObject.toJson()`, so escape hatches and
 * JSON patches are seen. Errors fail `app.synth()` and `Testing.synth()` with the construct path;
 * warnings are printed.
 */
export class GracefulShutdownChecks implements IValidation {
  /** Adds the checks to `scope` as a construct validation and returns them. */
  public static addTo(scope: IConstruct, options: GracefulShutdownChecksOptions = {}): GracefulShutdownChecks {
    const checks = new GracefulShutdownChecks(scope, options);
    scope.node.addValidation(checks);
    return checks;
  }

  /** The rule pack that runs. */
  public readonly pack: RulePack;
  private readonly scope: IConstruct;
  private readonly options: GracefulShutdownChecksOptions;

  private readonly printed = new Set<string>();

  private constructor(scope: IConstruct, options: GracefulShutdownChecksOptions) {
    this.scope = scope;
    this.options = options;
    this.pack = new RulePack({ kubernetesVersion: options.kubernetesVersion, disabledRules: options.disabledRules, rules: options.rules });
  }

  /** Runs the rules now over every ApiObject under the scope, with the construct path as `source`. */
  public findings(): CheckFinding[] {
    const objects = this.scope.node.findAll().filter((c): c is ApiObject => ApiObject.isApiObject(c));
    const found: CheckFinding[] = [];
    const located = [];
    for (const o of objects) {
      let json: unknown;
      try {
        json = o.toJson();
      } catch (e) {
        found.push({
          ruleId: RulePack.READER_RULE_ID,
          ruleName: 'not-checked',
          level: CheckLevel.WARNING,
          message: `could not render ${o.kind} ${o.name} to check it: ${(e as Error).message.split('\n')[0]}`,
          fix: 'Fix the error the object reports when synthesized.',
          kind: o.kind,
          name: o.name,
          source: o.node.path,
        });
        continue;
      }
      located.push({ object: json, source: o.node.path });
    }
    return [...found, ...this.pack._checkLocated(located)];
  }

  /** Called by constructs at synth time: error messages, each naming the construct path. */
  public validate(): string[] {
    const findings = this.findings();
    const fail = (f: CheckFinding) => f.level === CheckLevel.ERROR || (this.options.warningsAsErrors === true && f.level === CheckLevel.WARNING);
    if (this.options.printWarnings ?? true) {
      for (const f of findings) {
        const line = `${f.ruleId} [${f.source}] ${f.message}`;
        // cdk8s may validate a chart more than once per synth: say each warning once.
        if (f.level === CheckLevel.WARNING && !fail(f) && !this.printed.has(line)) {
          this.printed.add(line);
          console.warn(`[graceful-shutdown] warning ${f.ruleId} [${f.source}] ${f.message} Fix: ${f.fix}`);
        }
      }
    }
    return findings.filter(fail).map(f => `${f.ruleId} [${f.source}] ${f.message} Fix: ${f.fix}`);
  }
}
