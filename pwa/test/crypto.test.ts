import { describe, expect, it } from 'vitest';
import { newDataKey, open, seal, unwrapDataKey, wrapDataKey, PBKDF2_ITERATIONS } from '../src/crypto/keys';

describe('data key wrapping', () => {
  it('uses at least 200k PBKDF2 iterations', () => {
    expect(PBKDF2_ITERATIONS).toBeGreaterThanOrEqual(200_000);
  });

  it('unwraps with the right password and the key still decrypts', async () => {
    const key = await newDataKey();
    const sealed = await seal(key, { body: 'patient calmer after talking' });
    const w = await wrapDataKey(key, 'correct horse');
    expect(w.iterations).toBe(PBKDF2_ITERATIONS);
    const back = await unwrapDataKey(w, 'correct horse');
    expect(back).not.toBeNull();
    expect(await open(back!, sealed)).toEqual({ body: 'patient calmer after talking' });
  });

  it('refuses a wrong password', async () => {
    const key = await newDataKey();
    const w = await wrapDataKey(key, 'correct horse', 1000);
    expect(await unwrapDataKey(w, 'wrong horse')).toBeNull();
  });

  it('one data key wrapped for two crew members opens for each', async () => {
    const key = await newDataKey();
    const a = await wrapDataKey(key, 'alice-pass', 1000);
    const b = await wrapDataKey(key, '246810', 1000);
    const sealed = await seal(key, 'x');
    expect(await open((await unwrapDataKey(a, 'alice-pass'))!, sealed)).toBe('x');
    expect(await open((await unwrapDataKey(b, '246810'))!, sealed)).toBe('x');
    expect(a.salt).not.toBe(b.salt);
  });

  it('a different data key cannot open a sealed value', async () => {
    const sealed = await seal(await newDataKey(), 'secret');
    await expect(open(await newDataKey(), sealed)).rejects.toThrow();
  });
});
