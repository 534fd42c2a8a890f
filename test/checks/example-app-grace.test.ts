import { App } from 'cdk8s';
import { buildExampleApp } from '../../examples/main';
import { CheckLevel, RulePack } from '../../src';
import { decodePlanAnnotation, PLAN_ANNOTATION } from '../../src/plan/plan-annotation';

// The example app's Deployments with their grace period edited after synthesis, as a reviewer
// found them: each edit is reported, and every fix asks for the plan's own grace period (nginx 29,
// Istio 92, Envoy 86,421, registry 62, web-api 32), not the shell reader's estimate.

const app = new App({ outdir: 'dist-unused' });
buildExampleApp(app);
const objects: any[] = app.charts.flatMap(c => c.toJson());
const deployments = objects.filter(o => o.kind === 'Deployment' && o.spec.template.metadata?.annotations?.[PLAN_ANNOTATION]);
const lint = (os: any[]) => RulePack.builtIn({ kubernetesVersion: '1.33' }).checkObjects(os).filter(f => f.level !== CheckLevel.INFO);

test('the example app lints with no error', () => {
  expect(deployments.length).toBeGreaterThanOrEqual(5);
  expect(lint(objects).filter(f => f.level === CheckLevel.ERROR).map(f => f.message)).toEqual([]);
});

test.each(deployments.map(d => [d.metadata.name, d]))('%s: grace lowered by 1s and to half is reported with the plan\'s grace as the fix', (_name, d: any) => {
  const planned = decodePlanAnnotation(d.spec.template.metadata.annotations[PLAN_ANNOTATION]).gracePeriodSeconds;
  expect(d.spec.template.spec.terminationGracePeriodSeconds).toBe(planned);
  for (const lowered of [planned - 1, Math.floor(planned / 2)]) {
    const edited = JSON.parse(JSON.stringify(d));
    edited.spec.template.spec.terminationGracePeriodSeconds = lowered;
    const found = lint(objects.map(o => (o === d ? edited : o))).filter(f => f.name === d.metadata.name);
    expect(found.length).toBeGreaterThan(0);
    const asked = found.flatMap(f => [...f.fix.matchAll(/terminationGracePeriodSeconds (?:to )?at least (\d+)/g)].map(m => Number(m[1])));
    expect(asked.length).toBeGreaterThan(0);
    expect([...new Set(asked)]).toEqual([planned]);
  }
});

test('library scripts are judged by the plan annotation, whatever form the runtime\'s deadline line takes', () => {
  let rewritten = 0;
  const edited = JSON.parse(JSON.stringify(objects), (_key, value) => {
    if (typeof value === 'string' && value.includes('# cdk8s-graceful-shutdown: ') && /^gs_deadline=.*$/m.test(value)) {
      rewritten++;
      return value.replace(/^gs_deadline=.*$/m, 'gs_deadline=$(gs_deadline_from_header)');
    }
    return value;
  });
  expect(rewritten).toBeGreaterThan(0);
  expect(lint(edited).filter(f => f.ruleId === 'GS010').map(f => f.message)).toEqual([]);
});
