/**
 * Write-only box: what the tablet records while locked (a position on duty) is sealed with a
 * public key kept in clear, so nothing is ever written readable. Only the private key opens it,
 * and that key is stored sealed under the data key: a finder of a locked tablet can add to the
 * box but not read it. Each sealed value has its own ephemeral ECDH key (ECIES: P-256, HKDF-SHA-256,
 * AES-GCM); at the next unlock such values are resealed under the data key, which is cheaper to open.
 */
import { fromB64, open, seal, toB64, utf8Decoder, utf8Encoder } from './keys';

/** Prefix of a value sealed into the box: "box1:<ephemeral public key>:<iv>:<ciphertext>". */
export const BOX_PREFIX = 'box1:';
const CURVE = { name: 'ECDH', namedCurve: 'P-256' } as const;
const IV_BYTES = 12;
/** Binds the derived key to this use, so the same ECDH secret can never serve another purpose. */
const HKDF_INFO = new TextEncoder().encode('heart-field box1');

/** The box as stored: public key in clear, private key sealed under the data key. */
export interface StoredBox {
  publicKey: string; // base64 raw P-256 point
  privateSealed: string; // enc1: of the base64 PKCS#8 private key
}

export async function newBox(dataKey: CryptoKey): Promise<StoredBox> {
  const pair = await crypto.subtle.generateKey(CURVE, true, ['deriveBits']);
  const pub = await crypto.subtle.exportKey('raw', pair.publicKey);
  const priv = await crypto.subtle.exportKey('pkcs8', pair.privateKey);
  return { publicKey: toB64(pub), privateSealed: await seal(dataKey, toB64(priv)) };
}

export async function openBoxKey(dataKey: CryptoKey, box: StoredBox): Promise<CryptoKey> {
  const pkcs8 = fromB64(await open<string>(dataKey, box.privateSealed));
  return crypto.subtle.importKey('pkcs8', pkcs8, CURVE, false, ['deriveBits']);
}

async function boxKey(priv: CryptoKey, pub: CryptoKey, ephemeralRaw: Uint8Array<ArrayBuffer>, usage: KeyUsage): Promise<CryptoKey> {
  const shared = await crypto.subtle.deriveBits({ name: 'ECDH', public: pub }, priv, 256);
  const hkdf = await crypto.subtle.importKey('raw', shared, 'HKDF', false, ['deriveKey']);
  return crypto.subtle.deriveKey({ name: 'HKDF', hash: 'SHA-256', salt: ephemeralRaw, info: HKDF_INFO }, hkdf, { name: 'AES-GCM', length: 256 }, false, [usage]);
}

/** Seals any JSON value with only the public key. */
export async function boxSeal(publicKey: string, value: unknown): Promise<string> {
  const recipient = await crypto.subtle.importKey('raw', fromB64(publicKey), CURVE, false, []);
  const eph = await crypto.subtle.generateKey(CURVE, true, ['deriveBits']);
  const ephRaw = new Uint8Array(await crypto.subtle.exportKey('raw', eph.publicKey));
  const key = await boxKey(eph.privateKey, recipient, ephRaw, 'encrypt');
  const iv = crypto.getRandomValues(new Uint8Array(IV_BYTES));
  const ct = await crypto.subtle.encrypt({ name: 'AES-GCM', iv }, key, utf8Encoder.encode(JSON.stringify(value)));
  return `${BOX_PREFIX}${toB64(ephRaw)}:${toB64(iv)}:${toB64(ct)}`;
}

export async function boxOpen<T = unknown>(privateKey: CryptoKey, sealed: string): Promise<T> {
  if (!sealed.startsWith(BOX_PREFIX)) throw new Error('not a boxed value');
  const [eph, iv, ct] = sealed.slice(BOX_PREFIX.length).split(':');
  const ephRaw = fromB64(eph!);
  const sender = await crypto.subtle.importKey('raw', ephRaw, CURVE, false, []);
  const key = await boxKey(privateKey, sender, ephRaw, 'decrypt');
  const pt = await crypto.subtle.decrypt({ name: 'AES-GCM', iv: fromB64(iv!) }, key, fromB64(ct!));
  return JSON.parse(utf8Decoder.decode(pt)) as T;
}
