/**
 * Clinical text at rest: AES-GCM under one random data key per tablet. The data key is never
 * stored in clear: it is wrapped (AES-KW) once per crew member with a key derived from their
 * password or PIN (PBKDF2-SHA-256). While the app is locked the data key exists nowhere.
 */

/**
 * PBKDF2 iterations. 310k follows OWASP's 2023 guidance for PBKDF2-SHA-256 (>= 200k demanded by
 * our threat model: a finder of a lost tablet guessing offline). It costs ~0.3 s on a tablet, once
 * per unlock, which a responder does not notice; each guess costs an attacker the same.
 */
export const PBKDF2_ITERATIONS = 310_000;
const SALT_BYTES = 16;
const IV_BYTES = 12;
/** Prefix of every sealed value, so stored strings say what they are. */
export const SEALED_PREFIX = 'enc1:';

export interface WrappedKey {
  salt: string; // base64
  iterations: number;
  wrapped: string; // base64 AES-KW output
}

export function toB64(bytes: Uint8Array | ArrayBuffer): string {
  const u = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  let s = '';
  for (const b of u) s += String.fromCharCode(b);
  return btoa(s);
}

export function fromB64(s: string): Uint8Array<ArrayBuffer> {
  const bin = atob(s);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

/** A fresh data key. Extractable only so it can be wrapped; never exported in clear. */
export function newDataKey(): Promise<CryptoKey> {
  return crypto.subtle.generateKey({ name: 'AES-GCM', length: 256 }, true, ['encrypt', 'decrypt']);
}

async function deriveWrappingKey(secret: string, salt: Uint8Array<ArrayBuffer>, iterations: number): Promise<CryptoKey> {
  const material = await crypto.subtle.importKey('raw', new TextEncoder().encode(secret), 'PBKDF2', false, ['deriveKey']);
  return crypto.subtle.deriveKey(
    { name: 'PBKDF2', hash: 'SHA-256', salt, iterations },
    material,
    { name: 'AES-KW', length: 256 },
    false,
    ['wrapKey', 'unwrapKey'],
  );
}

export async function wrapDataKey(dataKey: CryptoKey, secret: string, iterations = PBKDF2_ITERATIONS): Promise<WrappedKey> {
  const salt = crypto.getRandomValues(new Uint8Array(SALT_BYTES));
  const kek = await deriveWrappingKey(secret, salt, iterations);
  const wrapped = await crypto.subtle.wrapKey('raw', dataKey, kek, 'AES-KW');
  return { salt: toB64(salt), iterations, wrapped: toB64(wrapped) };
}

/** Unwraps the data key, or returns null when the secret is wrong (AES-KW integrity check fails). */
export async function unwrapDataKey(w: WrappedKey, secret: string): Promise<CryptoKey | null> {
  const kek = await deriveWrappingKey(secret, fromB64(w.salt), w.iterations);
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
  const ct = await crypto.subtle.encrypt({ name: 'AES-GCM', iv }, key, new TextEncoder().encode(JSON.stringify(value)));
  return `${SEALED_PREFIX}${toB64(iv)}:${toB64(ct)}`;
}

export async function open<T = unknown>(key: CryptoKey, sealed: string): Promise<T> {
  if (!sealed.startsWith(SEALED_PREFIX)) throw new Error('not a sealed value');
  const [iv, ct] = sealed.slice(SEALED_PREFIX.length).split(':');
  const pt = await crypto.subtle.decrypt({ name: 'AES-GCM', iv: fromB64(iv!) }, key, fromB64(ct!));
  return JSON.parse(new TextDecoder().decode(pt)) as T;
}

/** Splits `data` into clear fields and one sealed blob holding the named clinical fields. */
export async function sealFields(
  key: CryptoKey,
  data: Record<string, unknown>,
  fields: readonly string[],
): Promise<{ clear: Record<string, unknown>; sealed: string | null }> {
  const clear: Record<string, unknown> = {};
  const secret: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(data)) {
    if (fields.includes(k)) secret[k] = v;
    else clear[k] = v;
  }
  return { clear, sealed: Object.keys(secret).length ? await seal(key, secret) : null };
}

/** The inverse of sealFields. */
export async function openFields(
  key: CryptoKey,
  clear: Record<string, unknown>,
  sealed: string | null | undefined,
): Promise<Record<string, unknown>> {
  if (!sealed) return { ...clear };
  return { ...clear, ...(await open<Record<string, unknown>>(key, sealed)) };
}
