/**
 * Data at rest: AES-GCM under one random data key per tablet (what is sealed: db/vault.ts). The data key is never
 * stored in clear: it is wrapped (AES-KW) once per crew member with a key derived from their
 * password or PIN (Argon2id, memory-hard, so a finder of a lost tablet cannot guess a PIN at GPU
 * speed). While the app is locked the data key exists nowhere.
 */
import type * as HashWasm from 'hash-wasm';
import { milestone } from '../lib/milestones';

/**
 * Argon2id cost: 32 MiB and 2 passes is ~0.12 s on a laptop core and ~0.25-0.35 s on a tablet,
 * once per unlock; above OWASP's floor (19 MiB, 2 passes). Memory, not time, is what stops a
 * GPU running thousands of guesses at once. Stored with each wrapped key, so it can be raised.
 */
export const ARGON2 = { memoryKiB: 32 * 1024, iterations: 2 } as const;
/** Keys wrapped by earlier app versions (PBKDF2-SHA-256) still open; they are rewrapped on unlock. */
export const PBKDF2_ITERATIONS = 310_000;
const SALT_BYTES = 16;
const IV_BYTES = 12;
/** Prefix of every sealed value, so stored strings say what they are. */
export const SEALED_PREFIX = 'enc1:';

export interface WrappedKey {
  salt: string; // base64
  /** Absent on keys of earlier app versions: PBKDF2. */
  kdf?: 'argon2id' | 'pbkdf2';
  iterations: number;
  /** Argon2id memory in KiB. */
  memoryKiB?: number;
  wrapped: string; // base64 AES-KW output
}

export type KdfParams = { kdf: 'argon2id'; memoryKiB: number; iterations: number } | { kdf: 'pbkdf2'; iterations: number };

/** Base64 built into the engine (Chromium 140, Safari 18.2, Firefox 133): no loop over each byte in script. */
const nativeFromB64 = (Uint8Array as { fromBase64?: (s: string) => Uint8Array<ArrayBuffer> }).fromBase64?.bind(Uint8Array);

export function toB64(bytes: Uint8Array | ArrayBuffer): string {
  const u: Uint8Array & { toBase64?: () => string } = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  if (u.toBase64) return u.toBase64();
  let s = '';
  for (const b of u) s += String.fromCharCode(b);
  return btoa(s);
}

export function fromB64(s: string): Uint8Array<ArrayBuffer> {
  if (nativeFromB64) return nativeFromB64(s);
  const bin = atob(s);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

/** One of each for every sealed value (making one per value showed in the cost of opening a list). */
export const utf8Encoder = new TextEncoder();
export const utf8Decoder = new TextDecoder();

/** A fresh data key. Extractable only so it can be wrapped; never exported in clear. */
export function newDataKey(): Promise<CryptoKey> {
  return crypto.subtle.generateKey({ name: 'AES-GCM', length: 256 }, true, ['encrypt', 'decrypt']);
}

const KEK_USES: KeyUsage[] = ['wrapKey', 'unwrapKey'];

let argon2: Promise<typeof HashWasm.argon2id> | null = null;
/** Argon2id's module: loaded for the first unlock (or by prepareKdf), not with the app shell. */
const loadArgon2 = () => (argon2 ??= import('hash-wasm').then(({ argon2id }) => argon2id));

/** Argon2id's least cost (8 KiB, one pass; hash-wasm refuses an empty password): enough to compile its WebAssembly. */
const WARM_UP = { password: 'warm-up', memorySize: 8, iterations: 1, saltBytes: 8 } as const;

/** Loads Argon2id and compiles its WebAssembly while the unlock form waits for a person, so Unlock pays only the derivation. */
export async function prepareKdf(): Promise<void> {
  const argon2id = await loadArgon2();
  await argon2id({
    password: WARM_UP.password,
    salt: new Uint8Array(WARM_UP.saltBytes),
    parallelism: 1,
    iterations: WARM_UP.iterations,
    memorySize: WARM_UP.memorySize,
    hashLength: 32,
    outputType: 'binary',
  });
}

async function deriveWrappingKey(secret: string, salt: Uint8Array<ArrayBuffer>, params: KdfParams): Promise<CryptoKey> {
  if (params.kdf === 'argon2id') {
    const argon2id = await loadArgon2();
    milestone('kdf:loaded');
    const raw = await argon2id({
      password: secret,
      salt,
      parallelism: 1,
      iterations: params.iterations,
      memorySize: params.memoryKiB,
      hashLength: 32,
      outputType: 'binary',
    });
    milestone('kdf:derived');
    return crypto.subtle.importKey('raw', new Uint8Array(raw), 'AES-KW', false, KEK_USES);
  }
  const material = await crypto.subtle.importKey('raw', utf8Encoder.encode(secret), 'PBKDF2', false, ['deriveKey']);
  return crypto.subtle.deriveKey(
    { name: 'PBKDF2', hash: 'SHA-256', salt, iterations: params.iterations },
    material,
    { name: 'AES-KW', length: 256 },
    false,
    KEK_USES,
  );
}

/** How a stored key was wrapped. */
export function kdfOf(w: WrappedKey): KdfParams {
  return w.kdf === 'argon2id' ? { kdf: 'argon2id', memoryKiB: w.memoryKiB ?? ARGON2.memoryKiB, iterations: w.iterations } : { kdf: 'pbkdf2', iterations: w.iterations };
}

/** True when the key was wrapped with weaker settings than this app version's: rewrap it at unlock. */
export function needsRewrap(w: WrappedKey): boolean {
  return w.kdf !== 'argon2id' || (w.memoryKiB ?? 0) < ARGON2.memoryKiB || w.iterations < ARGON2.iterations;
}

export async function wrapDataKey(dataKey: CryptoKey, secret: string, params: KdfParams = { kdf: 'argon2id', ...ARGON2 }): Promise<WrappedKey> {
  const salt = crypto.getRandomValues(new Uint8Array(SALT_BYTES));
  const kek = await deriveWrappingKey(secret, salt, params);
  const wrapped = await crypto.subtle.wrapKey('raw', dataKey, kek, 'AES-KW');
  return { salt: toB64(salt), ...params, wrapped: toB64(wrapped) };
}

/** Unwraps the data key, or returns null when the secret is wrong (AES-KW integrity check fails). */
export async function unwrapDataKey(w: WrappedKey, secret: string): Promise<CryptoKey | null> {
  const kek = await deriveWrappingKey(secret, fromB64(w.salt), kdfOf(w));
  try {
    return await crypto.subtle.unwrapKey('raw', fromB64(w.wrapped), kek, 'AES-KW', { name: 'AES-GCM', length: 256 }, true, [
      'encrypt',
      'decrypt',
    ]);
  } catch {
    return null;
  }
}

/** Encrypts any JSON value to "enc1:<iv b64>:<ciphertext b64>". */
export async function seal(key: CryptoKey, value: unknown): Promise<string> {
  const iv = crypto.getRandomValues(new Uint8Array(IV_BYTES));
  const ct = await crypto.subtle.encrypt({ name: 'AES-GCM', iv }, key, utf8Encoder.encode(JSON.stringify(value)));
  return `${SEALED_PREFIX}${toB64(iv)}:${toB64(ct)}`;
}

export async function open<T = unknown>(key: CryptoKey, sealed: string): Promise<T> {
  if (!sealed.startsWith(SEALED_PREFIX)) throw new Error('not a sealed value');
  const [iv, ct] = sealed.slice(SEALED_PREFIX.length).split(':');
  const pt = await crypto.subtle.decrypt({ name: 'AES-GCM', iv: fromB64(iv!) }, key, fromB64(ct!));
  return JSON.parse(utf8Decoder.decode(pt)) as T;
}
