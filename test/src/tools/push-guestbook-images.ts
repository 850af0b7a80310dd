// Builds the guestbook example's images offline (Debian's redis-server and busybox-static, no
// internet needed) and pushes them to a registry:
//
//   node test/dist/tools/push-guestbook-images.js 127.0.0.1:5000/guestbook
//
// pushes 127.0.0.1:5000/guestbook/guestbook-redis:1 and …/guestbook-frontend:1, the images
// manifests/examples/guestbook/ names (test/src/harness/guestbook-images.ts builds them).
import { pushGuestbookImages } from '../harness/guestbook-images.js';

function main(argv: readonly string[]): number {
  const target = argv[0];
  if (argv.length !== 1 || !target || !/^[^/\s]+(\/[^\s:]+)?$/.test(target)) {
    process.stderr.write('usage: push-guestbook-images.js HOST:PORT[/PREFIX]   (e.g. 127.0.0.1:5000/guestbook)\n');
    return 2;
  }
  const slash = target.indexOf('/');
  const host = slash < 0 ? target : target.slice(0, slash);
  const prefix = slash < 0 ? '' : target.slice(slash + 1);
  const refs = pushGuestbookImages(host, prefix);
  process.stdout.write(`pushed ${refs.redis}\npushed ${refs.frontend}\n`);
  return 0;
}

try {
  process.exitCode = main(process.argv.slice(2));
} catch (e) {
  process.stderr.write(`push-guestbook-images: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exitCode = 1;
}
