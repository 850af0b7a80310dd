// Turns one resource's values into what etcd stores and back, by the provider list of the
// encryption config (Kubernetes' prefix transformers): the first provider writes; a stored
// value names the provider and key that wrote it in its prefix, so every listed provider can
// still read what it wrote, which is what makes key rotation possible.
//
// Stored format:
//   aesgcm   k8s:enc:aesgcm:v1:<key name>:base64(12-byte random nonce | ciphertext | 16-byte tag)
//            with the etcd key as additional authenticated data, so a value copied to another
//            key does not decrypt (Kubernetes binds its ciphertext to the key the same way)
//   aescbc   k8s:enc:aescbc:v1:<key name>:base64(16-byte random IV | ciphertext, PKCS#7 padded)
//   identity the value itself (JSON)
// The one difference from Kubernetes: Kubernetes stores the binary after the prefix as is; our
// Storage carries values as strings, so the binary is base64. Values encrypted by one cannot be
// read by the other.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { AesKey, ProviderConfig } from './config.js';

export const ENCRYPTED_PREFIX = 'k8s:enc:';
const GCM_NONCE = 12;
const GCM_TAG = 16;
const CBC_IV = 16;

/** A value this transformer cannot read; the message says why, without the key or the value. */
export class TransformError extends Error {
  override readonly name = 'TransformError';
  /** The provider that tried, as the transformer_prefix label (`unknown` when none matched). */
  constructor(message: string, readonly label = 'unknown') {
    super(message);
  }
}

export interface ReadResult {
  readonly value: string;
  /** Written by some provider or key other than the one that writes now (rotation pending). */
  readonly stale: boolean;
  /** The provider that read it, as the transformer_prefix metric label. */
  readonly label: string;
}

/** One provider and key able to read values carrying its prefix. */
interface Reader {
  /** The exact prefix of the values it reads ('' for identity). */
  readonly prefix: string;
  /** `k8s:enc:aesgcm:v1:` or `identity`: bounded, for metrics. */
  readonly label: string;
  readonly describe: string;
  /** Returns the plaintext, or throws TransformError. */
  read(body: string, key: string): string;
  write(plaintext: string, key: string): string;
}

/** AES-128, -192 or -256 by the secret's length (the config allows only 16, 24 and 32 bytes). */
function aesBits(secret: Buffer): 128 | 192 | 256 {
  return secret.length === 16 ? 128 : secret.length === 24 ? 192 : 256;
}

function decodeBody(body: string): Buffer {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(body) || body.length % 4 !== 0) throw new TransformError('the stored value is not valid base64 after its prefix');
  return Buffer.from(body, 'base64');
}

function gcmReader(k: AesKey): Reader {
  const algorithm = `aes-${aesBits(k.secret)}-gcm` as const;
  return {
    prefix: `${ENCRYPTED_PREFIX}aesgcm:v1:${k.name}:`,
    label: `${ENCRYPTED_PREFIX}aesgcm:v1:`,
    describe: `aesgcm key ${JSON.stringify(k.name)}`,
    write(plaintext, key) {
      const nonce = randomBytes(GCM_NONCE);
      const c = createCipheriv(algorithm, k.secret, nonce);
      c.setAAD(Buffer.from(key));
      const body = Buffer.concat([nonce, c.update(plaintext, 'utf8'), c.final(), c.getAuthTag()]);
      return this.prefix + body.toString('base64');
    },
    read(body, key) {
      const data = decodeBody(body);
      if (data.length < GCM_NONCE + GCM_TAG) throw new TransformError('the stored value is shorter than a nonce and a tag');
      const d = createDecipheriv(algorithm, k.secret, data.subarray(0, GCM_NONCE));
      d.setAAD(Buffer.from(key));
      d.setAuthTag(data.subarray(data.length - GCM_TAG));
      try {
        return Buffer.concat([d.update(data.subarray(GCM_NONCE, data.length - GCM_TAG)), d.final()]).toString('utf8');
      } catch {
        throw new TransformError(`${this.describe} cannot authenticate it (a different secret under that key name, a corrupted value, or one copied from another etcd key)`);
      }
    },
  };
}

function cbcReader(k: AesKey): Reader {
  const algorithm = `aes-${aesBits(k.secret)}-cbc` as const;
  return {
    prefix: `${ENCRYPTED_PREFIX}aescbc:v1:${k.name}:`,
    label: `${ENCRYPTED_PREFIX}aescbc:v1:`,
    describe: `aescbc key ${JSON.stringify(k.name)}`,
    write(plaintext) {
      const iv = randomBytes(CBC_IV);
      const c = createCipheriv(algorithm, k.secret, iv);
      return this.prefix + Buffer.concat([iv, c.update(plaintext, 'utf8'), c.final()]).toString('base64');
    },
    read(body) {
      const data = decodeBody(body);
      if (data.length < 2 * CBC_IV || data.length % CBC_IV !== 0) throw new TransformError('the stored value is not an IV and whole AES blocks');
      const d = createDecipheriv(algorithm, k.secret, data.subarray(0, CBC_IV));
      try {
        return Buffer.concat([d.update(data.subarray(CBC_IV)), d.final()]).toString('utf8');
      } catch {
        throw new TransformError(`${this.describe} cannot decrypt it (bad padding: a different secret under that key name, or a corrupted value)`);
      }
    },
  };
}

const identityReader: Reader = {
  prefix: '',
  label: 'identity',
  describe: 'identity',
  write: (plaintext) => plaintext,
  read(body) {
    // Kubernetes' identity refuses what looks encrypted, so a value from a provider missing
    // from the list fails instead of reaching a client as garbage.
    if (body.startsWith(ENCRYPTED_PREFIX)) throw new TransformError('identity cannot read an encrypted value');
    return body;
  },
};

function readersOf(p: ProviderConfig): Reader[] {
  switch (p.type) {
    case 'aesgcm': return p.keys.map(gcmReader);
    case 'aescbc': return p.keys.map(cbcReader);
    case 'identity': return [identityReader];
  }
}

/** `aesgcm key "key1"`, `secretbox key "k"` or `plaintext`: what a stored value says wrote it. */
export function describeStored(stored: string): string {
  if (!stored.startsWith(ENCRYPTED_PREFIX)) return 'plaintext';
  const m = /^k8s:enc:([^:]+):([^:]+):([^:]*):/.exec(stored);
  return m ? `${m[1]} key ${JSON.stringify(m[3])}` : 'an unrecognised k8s:enc: prefix';
}

export class ValueTransformer {
  private readonly readers: readonly Reader[];

  constructor(providers: readonly ProviderConfig[]) {
    this.readers = providers.flatMap(readersOf);
    if (!this.readers.length) throw new Error('an encryption transformer needs at least one provider');
  }

  private get writer(): Reader {
    return this.readers[0]!;
  }

  /** What writes now, for messages: `aesgcm key "key2"` or `identity`. */
  get writes(): string {
    return this.writer.describe;
  }

  /** The transformer_prefix label of writes. */
  get writeLabel(): string {
    return this.writer.label;
  }

  /** The value to store for `plaintext` at etcd key `key`. */
  toStorage(plaintext: string, key: string): string {
    return this.writer.write(plaintext, key);
  }

  /**
   * The plaintext of a value stored at `key`. Every provider whose prefix matches is tried in
   * order (two aesgcm entries may both hold a key of one name); throws TransformError.
   */
  fromStorage(stored: string, key: string): ReadResult {
    const failures: string[] = [];
    let label: string | undefined;
    for (const [i, r] of this.readers.entries()) {
      if (!stored.startsWith(r.prefix)) continue;
      try {
        return { value: r.read(stored.slice(r.prefix.length), key), stale: i !== 0, label: r.label };
      } catch (e) {
        if (!(e instanceof TransformError)) throw e;
        // identity declining an encrypted value is not a failure: another provider may read it.
        if (r.prefix !== '') {
          failures.push(e.message);
          label ??= r.label;
        }
      }
    }
    if (failures.length) throw new TransformError(failures.join('; '), label);
    if (!stored.startsWith(ENCRYPTED_PREFIX)) throw new TransformError('the stored value is not encrypted and identity is not among the providers');
    throw new TransformError(`it was written with ${describeStored(stored)}, which the encryption config does not list`);
  }
}
