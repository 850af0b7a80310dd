import test from 'ava';
import { aggregatedRules, ruleListsEqual, rulesEqual, type ClusterRole, type PolicyRule } from './rbac.js';

const role = (name: string, labels: Record<string, string>, rules: PolicyRule[], selectors?: ClusterRole['aggregationRule']): ClusterRole =>
  ({ metadata: { name, labels }, rules, ...(selectors ? { aggregationRule: selectors } : {}) });
const r = (resource: string, verb = 'get'): PolicyRule => ({ apiGroups: [''], resources: [resource], verbs: [verb] });

test('an aggregated role gathers the rules of the roles its selectors match, by name, each rule once', (t) => {
  const agg = role('agg', {}, [r('stale')], { clusterRoleSelectors: [{ matchLabels: { a: 'true' } }, { matchLabels: { b: 'true' } }] });
  const all = [
    agg,
    role('z-second', { a: 'true' }, [r('pods'), r('nodes')]),
    role('a-first', { a: 'true', b: 'true' }, [r('nodes'), r('secrets')]),
    role('b-only', { b: 'true' }, [r('configmaps')]),
    role('unrelated', { c: 'true' }, [r('leases')]),
  ];
  t.deepEqual(aggregatedRules(agg, all), [r('nodes'), r('secrets'), r('pods'), r('configmaps')]);
  t.is(aggregatedRules(all[1]!, all), undefined, 'not an aggregated role');
});

test('a role never gathers itself; an empty selector matches every other role', (t) => {
  const self = role('self', { a: 'true' }, [r('own')], { clusterRoleSelectors: [{}] });
  t.deepEqual(aggregatedRules(self, [self, role('x', {}, [r('pods')])]), [r('pods')]);
  t.deepEqual(aggregatedRules({ ...self, aggregationRule: { clusterRoleSelectors: [] } }, [self]), []);
});

test('rules compare field by field; absent and empty lists are the same', (t) => {
  t.true(rulesEqual({ verbs: ['get'], apiGroups: [''], resources: ['pods'] }, { verbs: ['get'], apiGroups: [''], resources: ['pods'], resourceNames: [] }));
  t.false(rulesEqual(r('pods', 'get'), r('pods', 'list')));
  t.false(ruleListsEqual([r('a'), r('b')], [r('b'), r('a')]), 'order counts, as it does for Kubernetes');
  t.true(ruleListsEqual(undefined, []));
});
