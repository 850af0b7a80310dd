import test from 'ava';
import { chooseProtocol } from './tls-mux.js';

test('ALPN: http/1.1 whenever offered (curl, Go); h2 alone is gRPC; nothing we speak refuses', (t) => {
  t.is(chooseProtocol(['h2', 'http/1.1']), 'http/1.1');
  t.is(chooseProtocol(['http/1.1']), 'http/1.1');
  t.is(chooseProtocol(['h2']), 'h2');
  t.is(chooseProtocol(['h3']), undefined);
});
