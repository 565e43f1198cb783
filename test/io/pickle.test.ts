import { describe, expect, it } from 'vitest';
import { UGATITFormatError } from '../../src/errors';
import { PICKLE_ALLOWED_GLOBALS, PICKLE_OPCODES, TorchStorageType, TorchTensorRef, unpickle, unpickleAt } from '../../src/io/pickle';
import { PickleWriter } from './builders';

const bytes = (...xs: Array<number | string>): Uint8Array =>
  Uint8Array.from(xs.flatMap((x) => (typeof x === 'string' ? [...x].map((c) => c.charCodeAt(0)) : [x])));

function expectFormatError(f: () => unknown, pattern: RegExp): void {
  expect(f).toThrow(UGATITFormatError);
  expect(f).toThrow(pattern);
}

describe('unpickle: values', () => {
  it('reads scalars, strings, bytes and containers', () => {
    expect(unpickle(bytes(0x80, 2, 'K', 7, '.'))).toBe(7);
    expect(unpickle(bytes('J', 0xff, 0xff, 0xff, 0xff, '.'))).toBe(-1);
    expect(unpickle(bytes('M', 0x34, 0x12, '.'))).toBe(0x1234);
    expect(unpickle(bytes('I01\n.'))).toBe(true);
    expect(unpickle(bytes('I-42\n.'))).toBe(-42);
    expect(unpickle(bytes('F2.5\n.'))).toBe(2.5);
    expect(unpickle(bytes('G', 0x40, 0x09, 0x21, 0xfb, 0x54, 0x44, 0x2d, 0x18, '.'))).toBe(Math.PI);
    expect(unpickle(bytes(0x8a, 0, '.'))).toBe(0);
    expect(unpickle(bytes(0x8a, 2, 0xff, 0x7f, '.'))).toBe(0x7fff);
    expect(unpickle(bytes(0x8a, 1, 0xff, '.'))).toBe(-1);
    expect(unpickle(bytes(0x8a, 9, 0, 0, 0, 0, 0, 0, 0, 0, 1, '.'))).toBe(2n ** 64n);
    expect(unpickle(bytes('N', '.'))).toBe(null);
    expect(unpickle(bytes(0x8c, 3, 'abc', '.'))).toBe('abc');
    expect(unpickle(bytes('X', 2, 0, 0, 0, 0xc3, 0xa9, '.'))).toBe('é');
    expect(unpickle(bytes('C', 2, 1, 2, '.'))).toEqual(new Uint8Array([1, 2]));
    expect(unpickle(bytes(')', '.'))).toEqual([]);
    expect(unpickle(bytes('(', 'K', 1, 'K', 2, 'l', '.'))).toEqual([1, 2]);
    expect(unpickle(bytes(']', '(', 'K', 1, 'K', 2, 'e', 'K', 3, 'a', '.'))).toEqual([1, 2, 3]);
    expect(unpickle(bytes(0x8f, '(', 'K', 1, 0x90, '.'))).toEqual(new Set([1]));
    expect(unpickle(bytes('K', 1, 'K', 2, 'K', 3, 0x87, '.'))).toEqual([1, 2, 3]);
    expect(unpickle(bytes('}', 'K', 1, 'K', 2, 's', '.'))).toEqual(new Map([[1, 2]]));
    // _codecs.encode(str, 'latin1'): how protocol 2 stores bytes.
    const enc = new PickleWriter().proto(2).global('_codecs', 'encode').str('\u00ff\u0001').str('latin1').tupleN(2).reduce().stop().bytes();
    expect(unpickle(enc)).toEqual(new Uint8Array([255, 1]));
  });

  it('turns string-keyed dicts into plain objects in insertion order, keeping "__proto__" a key', () => {
    const w = new PickleWriter().proto(2).emptyDict().mark().str('b').int(1).str('a').int(2).str('__proto__').int(3).setitems().stop();
    const v = unpickle(w.bytes()) as Record<string, number>;
    expect(Object.getPrototypeOf(v)).toBe(Object.prototype);
    expect(Object.keys(v)).toEqual(['b', 'a', '__proto__']);
    expect(v.__proto__).toBe(3);
    expect(({} as Record<string, unknown>).b).toBeUndefined();
  });

  it('keeps shared references shared and reads the memo', () => {
    const w = new PickleWriter().proto(2).emptyList().put().get(0).tupleN(2).stop();
    const [a, b] = unpickle(w.bytes()) as unknown[][];
    expect(a).toBe(b);
  });

  it('rebuilds tensors and storage types as data, never calling anything', () => {
    const w = new PickleWriter().proto(2).global('torch._utils', '_rebuild_tensor_v2')
      .mark().str('pid').binpersid().int(2).mark().int(3).tuple().mark().int(1).tuple().bool(false)
      .global('collections', 'OrderedDict').emptyTuple().reduce().tuple().reduce().stop();
    const seen: unknown[] = [];
    const t = unpickle(w.bytes(), { persistentLoad: (pid) => { seen.push(pid); return { storage: pid }; } }) as TorchTensorRef;
    expect(seen).toEqual(['pid']);
    expect(t).toBeInstanceOf(TorchTensorRef);
    expect(t.offset).toBe(2);
    expect(t.shape).toEqual([3]);
    expect(t.stride).toEqual([1]);
    expect(unpickle(new PickleWriter().proto(2).global('torch', 'HalfStorage').stop().bytes())).toEqual(new TorchStorageType('HalfStorage', 'float16', 2));
  });

  it('returns where the pickle ended, for files holding several', () => {
    const data = bytes(0x80, 2, 'K', 1, '.', 0x80, 2, 'K', 2, '.');
    const first = unpickleAt(data);
    expect(first).toEqual({ value: 1, end: 5 });
    expect(unpickleAt(data, { offset: first.end })).toEqual({ value: 2, end: 10 });
  });

  it('documents its allowlists', () => {
    expect(PICKLE_ALLOWED_GLOBALS).toContain('collections.OrderedDict');
    expect(PICKLE_ALLOWED_GLOBALS).toContain('torch.FloatStorage');
    expect(PICKLE_ALLOWED_GLOBALS.some((g) => /posix|os\.|builtins|subprocess|eval/.test(g))).toBe(false);
    expect(PICKLE_OPCODES).toContain('BINPERSID');
    for (const refused of ['INST', 'OBJ', 'NEWOBJ', 'NEWOBJ_EX', 'EXT1', 'NEXT_BUFFER']) expect(PICKLE_OPCODES).not.toContain(refused);
  });
});

describe('unpickle: refusals', () => {
  it('refuses globals outside the allowlist, naming them', () => {
    const evil = new PickleWriter().proto(2).global('posix', 'system').mark().str('rm -rf /').tuple().reduce().stop().bytes();
    expectFormatError(() => unpickle(evil), /pickle GLOBAL at byte 2: global posix\.system is not allowed/);
    expectFormatError(() => unpickle(bytes('c', 'builtins\ngetattr\n', '.')), /global builtins\.getattr is not allowed/);
    expectFormatError(() => unpickle(bytes(0x8c, 2, 'os', 0x8c, 6, 'system', 0x93, '.')), /pickle STACK_GLOBAL at byte 12: global os\.system is not allowed/);
    // An allowed class may not be smuggled through a different module name.
    expectFormatError(() => unpickle(bytes('c', 'collections.abc\nOrderedDict\n', '.')), /global collections\.abc\.OrderedDict is not allowed/);
  });

  it('refuses object-constructing and unknown opcodes', () => {
    expectFormatError(() => unpickle(bytes('(', 'i', 'os\nsystem\n', '.')), /INST .* is not supported/);
    expectFormatError(() => unpickle(bytes(0x81, '.')), /NEWOBJ .* is not supported/);
    expectFormatError(() => unpickle(bytes(0x82, 1, '.')), /EXT1 .* is not supported/);
    expectFormatError(() => unpickle(bytes(0xff)), /unknown opcode 0xff/);
    expectFormatError(() => unpickle(bytes(0x80, 6, '.')), /protocol 6 is newer than 5/);
  });

  it('refuses calling non-callables and bad arguments to allowed globals', () => {
    expectFormatError(() => unpickle(bytes('c', 'torch\nFloatStorage\n', ')', 'R', '.')), /global torch\.FloatStorage is not callable/);
    expectFormatError(() => unpickle(bytes('K', 1, ')', 'R', '.')), /1 is not callable/);
    const badTensor = new PickleWriter().proto(2).global('torch._utils', '_rebuild_tensor_v2').mark().none().int(-1).tuple().reduce().stop().bytes();
    expectFormatError(() => unpickle(badTensor), /_rebuild_tensor_v2 takes 6 or 7 arguments, got 2/);
    expectFormatError(() => unpickle(bytes('c', 'collections\nOrderedDict\n', 'K', 1, 0x85, 'R', '.')), /OrderedDict takes no argument/);
  });

  it('refuses malformed streams', () => {
    expectFormatError(() => unpickle(new Uint8Array(0)), /ends without STOP/);
    expectFormatError(() => unpickle(bytes('K')), /needs 1 bytes but only 0 remain/);
    expectFormatError(() => unpickle(bytes('X', 0xff, 0xff, 0xff, 0xff, 'ab')), /needs 4294967295 bytes but only 2 remain/);
    expectFormatError(() => unpickle(bytes(0x8d, 0, 0, 0, 0, 0, 0, 0, 0x10, '.')), /exceeds the 1 bytes that remain/);
    expectFormatError(() => unpickle(bytes('.')), /stack holds 0 items at STOP/);
    expectFormatError(() => unpickle(bytes('K', 1, 'K', 2, '.')), /stack holds 2 items at STOP/);
    expectFormatError(() => unpickle(bytes('(', 'K', 1, '.')), /MARK\(s\) left open/);
    expectFormatError(() => unpickle(bytes('0', '.')), /stack underflow/);
    expectFormatError(() => unpickle(bytes('(', 'a', '.')), /stack underflow/);
    expectFormatError(() => unpickle(bytes('h', 3, '.')), /memo key 3 was never stored/);
    expectFormatError(() => unpickle(bytes('K', 1, 'K', 2, 'a', '.')), /expected a list, found 1/);
    expectFormatError(() => unpickle(bytes(')', 'K', 1, 'a', '.')), /expected a list, found tuple of 0/);
    expectFormatError(() => unpickle(bytes('X', 1, 0, 0, 0, 0xff, '.')), /not valid UTF-8/);
    expectFormatError(() => unpickle(bytes('I', '1'.repeat(2000))), /longer than 1024 bytes/);
    expectFormatError(() => unpickle(bytes('Ixyz\n.')), /malformed INT/);
    expectFormatError(() => unpickle(bytes('Q', '.')), /stack underflow/);
    expectFormatError(() => unpickle(bytes('N', 'Q', '.')), /no persistent loader/);
    expectFormatError(() => unpickle(bytes('K', 1, 'b', '.')), /stack underflow/);
    expectFormatError(() => unpickle(bytes(']', 'N', 'b', '.')), /cannot set state on list of 0/);
  });

  it('refuses cycles and enforces its limits', () => {
    // l = []; l.append(l)
    expectFormatError(() => unpickle(bytes(']', 'q', 0, 'h', 0, 'a', '.')), /contains itself/);
    const deep = bytes(...Array(50).fill(']'), ...Array(49).fill('a'), '.');
    expect(() => unpickle(deep)).not.toThrow();
    expectFormatError(() => unpickle(deep, { maxDepth: 10 }), /nested deeper than 10/);
    expectFormatError(() => unpickle(bytes(...Array(20).fill('N')), { maxStack: 10 }), /stack would exceed 10 items/);
    expectFormatError(() => unpickle(bytes(...Array(20).fill('(')), { maxMarks: 10 }), /more than 10 open MARKs/);
    expectFormatError(() => unpickle(bytes('N', ...Array(20).fill(0x94)), { maxMemo: 1 }), /memo would exceed 1 entries/);
    expectFormatError(() => unpickle(bytes('N', ...Array(20).fill('0N')), { maxOps: 10 }), /more than 10 opcodes/);
    expectFormatError(() => unpickle(bytes(0x8b, 0, 0, 1, 0, '.')), /LONG4 of 65536 bytes/);
  });
});
