import { MAX_MESSAGE_CHARS, clipText } from './clip';

describe('clipText', () => {
  it('keeps a short text as it is', () => {
    expect(clipText('order o1 not found')).toBe('order o1 not found');
    expect(clipText('x'.repeat(MAX_MESSAGE_CHARS))).toBe('x'.repeat(MAX_MESSAGE_CHARS));
  });

  it('cuts a long one and says how long it was', () => {
    const clipped = clipText(`property ${'a'.repeat(95_000)} should not exist`);
    expect(clipped.startsWith(`property ${'a'.repeat(MAX_MESSAGE_CHARS - 9)}…`)).toBe(true);
    expect(clipped).toMatch(/clipped from 95026 characters\)$/);
    expect(clipped.length).toBeLessThan(MAX_MESSAGE_CHARS + 40);
  });

  it('never leaves half of a surrogate pair', () => {
    const clipped = clipText(`${'x'.repeat(4)}😀😀`, 5);
    expect(clipped.startsWith('xxxx…')).toBe(true);
    expect(clipText('😀😀😀', 4).startsWith('😀😀…')).toBe(true);
  });
});
