import test from 'ava';
import { parseResourceArgs } from './resource-args.js';
import { CliError, UsageError } from './errors.js';

const shape = (args: string[]): [string, string[]][] => parseResourceArgs(args, 'get').map((r) => [r.info.resource, r.names]);

test('kinds by any kubectl name, with names after them', (t) => {
  t.deepEqual(shape(['po']), [['pods', []]]);
  t.deepEqual(shape(['deploy,rs,pods', 'web']), [['deployments', ['web']], ['replicasets', ['web']], ['pods', ['web']]]);
  t.deepEqual(shape(['deployments.apps', 'a', 'b']), [['deployments', ['a', 'b']]]);
  t.deepEqual(shape(['all']), [['pods', []], ['replicationcontrollers', []], ['daemonsets', []], ['replicasets', []], ['deployments', []], ['statefulsets', []], ['jobs', []], ['cronjobs', []]]);
});

test('KIND/NAME form, grouped by kind', (t) => {
  t.deepEqual(shape(['pod/a', 'deploy/api', 'po/b']), [['pods', ['a', 'b']], ['deployments', ['api']]]);
  t.throws(() => shape(['pod/a', 'b']), { instanceOf: UsageError });
});

test('errors', (t) => {
  t.throws(() => shape([]), { instanceOf: UsageError, message: /you must specify the type of resource/ });
  t.throws(() => shape(['foo']), { instanceOf: CliError, message: 'the server doesn\'t have a resource type "foo"' });
});
