import { describe, expect, it } from 'vitest';
import { ARGON2, fromB64, needsRewrap, newDataKey, open, prepareKdf, seal, toB64, unwrapDataKey, wrapDataKey, type KdfParams } from '../src/crypto/keys';

/** Cheap settings where a test only needs a wrapped key, not its cost. */
const FAST: KdfParams = { kdf: 'argon2id', memoryKiB: 64, iterations: 1 };

describe('data key wrapping', () => {
  it('wraps with Argon2id at or above the OWASP floor (19 MiB, 2 passes)', () => {
    expect(ARGON2.memoryKiB).toBeGreaterThanOrEqual(19 * 1024);
    expect(ARGON2.iterations).toBeGreaterThanOrEqual(2);
  });

  it('unwraps with the right password and the key still decrypts', async () => {
    const key = await newDataKey();
    const sealed = await seal(key, { body: 'patient calmer after talking' });
    const w = await wrapDataKey(key, 'correct horse');
    expect(w).toMatchObject({ kdf: 'argon2id', memoryKiB: ARGON2.memoryKiB, iterations: ARGON2.iterations });
    expect(needsRewrap(w)).toBe(false);
    const back = await unwrapDataKey(w, 'correct horse');
    expect(back).not.toBeNull();
    expect(await open(back!, sealed)).toEqual({ body: 'patient calmer after talking' });
  });

  it('refuses a wrong password', async () => {
    const key = await newDataKey();
    const w = await wrapDataKey(key, 'correct horse', FAST);
    expect(await unwrapDataKey(w, 'wrong horse')).toBeNull();
  });

  it('one data key wrapped for two crew members opens for each', async () => {
    const key = await newDataKey();
    const a = await wrapDataKey(key, 'alice-pass', FAST);
    const b = await wrapDataKey(key, '246810', FAST);
    const sealed = await seal(key, 'x');
    expect(await open((await unwrapDataKey(a, 'alice-pass'))!, sealed)).toBe('x');
    expect(await open((await unwrapDataKey(b, '246810'))!, sealed)).toBe('x');
    expect(a.salt).not.toBe(b.salt);
  });

  it('a key wrapped by an earlier app version (PBKDF2, no kdf field) still opens, and asks to be rewrapped', async () => {
    const key = await newDataKey();
    const { kdf: _kdf, ...old } = await wrapDataKey(key, '135790', { kdf: 'pbkdf2', iterations: 1000 });
    expect(needsRewrap(old)).toBe(true);
    const back = await unwrapDataKey(old, '135790');
    expect(await open(back!, await seal(key, 'y'))).toBe('y');
  });

  it('a different data key cannot open a sealed value', async () => {
    const sealed = await seal(await newDataKey(), 'secret');
    await expect(open(await newDataKey(), sealed)).rejects.toThrow();
  });
});

describe('base64 of sealed values', () => {
  it('encodes and decodes every byte value as standard base64 does', () => {
    const bytes = Uint8Array.from({ length: 256 * 3 + 1 }, (_, i) => (i * 7) % 256);
    const b64 = toB64(bytes);
    expect(b64).toBe(btoa(String.fromCharCode(...bytes)));
    expect(fromB64(b64)).toEqual(bytes);
    expect(toB64(bytes.buffer)).toBe(b64);
  });
});

describe('unlock preparation', () => {
  it('compiling Argon2id ahead leaves unwrapping as it was', async () => {
    const key = await newDataKey();
    const w = await wrapDataKey(key, 'correct horse', FAST);
    await prepareKdf();
    const back = await unwrapDataKey(w, 'correct horse');
    expect(back).not.toBeNull();
    expect(await open(back!, await seal(key, 'still opens'))).toBe('still opens');
  });
});
