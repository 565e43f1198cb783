import { UGATITFormatError } from '../errors';

/**
 * A restricted pickle reader: a stack machine that understands the opcodes `torch.save`
 * writes (protocols 2–5, plus a few protocol 0/1 ones) and builds plain data from them. It
 * never imports or calls anything: a `GLOBAL` may only name an entry of
 * {@link PICKLE_ALLOWED_GLOBALS}, each implemented here as a pure data constructor; any other
 * global refuses the whole file. The threat model and limits are in `docs/security.md`.
 */

/**
 * Most opcodes one pickle may execute. (Each opcode reads at least one byte, so a pickle can't exceed its length either.)
 *
 * @example
 * ```ts
 * unpickle(bytes, { maxOps: PICKLE_MAX_OPS / 10 });
 * ```
 */
export const PICKLE_MAX_OPS = 100_000_000;
/**
 * Most items the pickle stack (including items set aside by `MARK`) may hold at once.
 *
 * @example
 * ```ts
 * unpickle(bytes, { maxStack: PICKLE_MAX_STACK / 10 });
 * ```
 */
export const PICKLE_MAX_STACK = 1_000_000;
/**
 * Most `MARK`s that may be open at once.
 *
 * @example
 * ```ts
 * unpickle(bytes, { maxMarks: 100 }); // default PICKLE_MAX_MARKS
 * ```
 */
export const PICKLE_MAX_MARKS = 10_000;
/**
 * Most memo entries one pickle may create.
 *
 * @example
 * ```ts
 * unpickle(bytes, { maxMemo: PICKLE_MAX_MEMO / 10 });
 * ```
 */
export const PICKLE_MAX_MEMO = 1_000_000;
/**
 * Deepest nesting of containers in an unpickled value.
 *
 * @example
 * ```ts
 * unpickle(bytes, { maxDepth: 64 }); // default PICKLE_MAX_DEPTH
 * ```
 */
export const PICKLE_MAX_DEPTH = 1_000;
/**
 * Longest arbitrary-precision integer (`LONG1`/`LONG4`/`LONG`), in bytes (digits for `LONG`).
 *
 * @example
 * ```ts
 * console.log(`integers up to ${PICKLE_MAX_LONG_BYTES * 8} bits`);
 * ```
 */
export const PICKLE_MAX_LONG_BYTES = 1_024;
/**
 * Longest line a text opcode (`INT`, `LONG`, `FLOAT`, `GET`, `PUT`, `GLOBAL`, `PERSID`) may read.
 *
 * @example
 * ```ts
 * console.log(`text arguments up to ${PICKLE_MAX_LINE} bytes`);
 * ```
 */
export const PICKLE_MAX_LINE = 1_024;

/**
 * Limits a pickle is read under; each defaults to the `PICKLE_MAX_*` constant of the same name.
 *
 * @example
 * ```ts
 * const limits: PickleLimits = { maxMemo: 10_000, maxDepth: 32 };
 * ```
 */
export interface PickleLimits {
  /** Default {@link PICKLE_MAX_OPS}. */
  maxOps?: number;
  /** Default {@link PICKLE_MAX_STACK}. */
  maxStack?: number;
  /** Default {@link PICKLE_MAX_MARKS}. */
  maxMarks?: number;
  /** Default {@link PICKLE_MAX_MEMO}. */
  maxMemo?: number;
  /** Default {@link PICKLE_MAX_DEPTH}. */
  maxDepth?: number;
}

/**
 * Options of {@link unpickle}.
 *
 * @example
 * ```ts
 * unpickle(bytes, { name: 'data.pkl', persistentLoad: (pid) => storages.get(pid) });
 * ```
 */
export interface PickleOptions extends PickleLimits {
  /**
   * Called for each persistent id (`PERSID`/`BINPERSID`) with the id as read (a tuple is a
   * frozen array, a dict a `Map`); returns the object the id stands for. Without it, a pickle
   * with persistent ids is refused. Throw a {@link ugatit-tf!UGATITFormatError} to refuse an id.
   */
  persistentLoad?: (pid: unknown) => unknown;
  /** Offset of the first opcode in `bytes`. Default 0. */
  offset?: number;
  /** Name used in error messages, e.g. `'data.pkl'`. Default `'pickle'`. */
  name?: string;
}

/**
 * Element types of PyTorch storages, named as in `torch.<Name>Storage`.
 *
 * @example
 * ```ts
 * const d: TorchStorageDtype = 'float32';
 * ```
 */
export type TorchStorageDtype = 'float64' | 'float32' | 'float16' | 'bfloat16' | 'int64' | 'int32' | 'int16' | 'int8' | 'uint8' | 'bool';

/**
 * The value of a `torch.<Name>Storage` global: which element type a storage holds.
 *
 * @example
 * ```ts
 * (unpickle(bytes) as TorchStorageType).itemSize; // 4 for torch.FloatStorage
 * ```
 */
export class TorchStorageType {
  /**
   * @param name - the class name, e.g. `'FloatStorage'`.
   * @param dtype - its element type.
   * @param itemSize - bytes per element.
   */
  constructor(readonly name: string, readonly dtype: TorchStorageDtype, readonly itemSize: number) {}
}

/**
 * What `torch._utils._rebuild_tensor_v2` (and friends) produce here: a description of a view
 * into a storage, not yet read. `storage` is whatever the persistent-load callback returned.
 * `shape` and `stride` have equal lengths; offset, sizes and strides are counted in elements
 * and are non-negative safe integers (checked against the storage by the checkpoint reader).
 *
 * @example
 * ```ts
 * const ref = unpickle(bytes, { persistentLoad }) as TorchTensorRef;
 * console.log(ref.shape, ref.stride, ref.offset);
 * ```
 */
export class TorchTensorRef {
  constructor(
    /** What the persistent-load callback returned for the storage. */
    readonly storage: unknown,
    /** Offset of the first element in the storage, in elements. */
    readonly offset: number,
    /** Size of each dimension. */
    readonly shape: readonly number[],
    /** Step in elements between neighbours along each dimension. */
    readonly stride: readonly number[],
  ) {}
}

/**
 * A global that the pickle named and the allowlist accepted (a class or function, by name).
 *
 * @example
 * ```ts
 * if (value instanceof PickleGlobal) console.log(`${value.module}.${value.name}`);
 * ```
 */
export class PickleGlobal {
  constructor(
    /** e.g. `'collections'` */
    readonly module: string,
    /** e.g. `'OrderedDict'` */
    readonly name: string,
    /** Pure implementation of calling it (`REDUCE`); absent for globals that are only values. */
    readonly call?: (args: readonly unknown[]) => unknown,
    /** The value the global stands for, for non-callable ones (storage types). */
    readonly value?: unknown,
  ) {}
}

const STORAGE_TYPES: Array<[string, TorchStorageDtype, number]> = [
  ['DoubleStorage', 'float64', 8], ['FloatStorage', 'float32', 4], ['HalfStorage', 'float16', 2],
  ['BFloat16Storage', 'bfloat16', 2], ['LongStorage', 'int64', 8], ['IntStorage', 'int32', 4],
  ['ShortStorage', 'int16', 2], ['CharStorage', 'int8', 1], ['ByteStorage', 'uint8', 1], ['BoolStorage', 'bool', 1],
];

class CallError extends Error {}

function isIndex(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}

function indexList(v: unknown, what: string): number[] {
  if (!Array.isArray(v) || !v.every(isIndex)) throw new CallError(`${what} must be a tuple of non-negative integers, got ${describe(v)}`);
  return [...v];
}

function rebuildTensor(args: readonly unknown[], fn: string, arities: number[]): TorchTensorRef {
  if (!arities.includes(args.length)) throw new CallError(`${fn} takes ${arities.join(' or ')} arguments, got ${args.length}`);
  const [storage, offset, size, stride] = args;
  if (!isIndex(offset)) throw new CallError(`${fn}: storage offset must be a non-negative integer, got ${describe(offset)}`);
  const shape = indexList(size, `${fn}: size`);
  const strides = indexList(stride, `${fn}: stride`);
  if (shape.length !== strides.length) throw new CallError(`${fn}: size [${shape}] and stride [${strides}] differ in length`);
  return new TorchTensorRef(storage, offset, shape, strides);
}

function parameter(args: readonly unknown[], fn: string, arity: number): unknown {
  if (args.length !== arity) throw new CallError(`${fn} takes ${arity} arguments, got ${args.length}`);
  if (!(args[0] instanceof TorchTensorRef)) throw new CallError(`${fn}: data must be a tensor, got ${describe(args[0])}`);
  return args[0];
}

function orderedDict(args: readonly unknown[]): Map<unknown, unknown> {
  if (args.length === 0) return new Map();
  if (args.length === 1 && args[0] instanceof Map) return new Map(args[0]);
  if (args.length === 1 && Array.isArray(args[0]) && args[0].every((p) => Array.isArray(p) && p.length === 2)) {
    return new Map((args[0] as unknown[][]).map(([k, v]) => [k, v]));
  }
  throw new CallError(`collections.OrderedDict takes no argument, a dict or a list of pairs, got ${describe(args)}`);
}

function codecsEncode(args: readonly unknown[]): Uint8Array {
  const [text, encoding] = args;
  if (args.length !== 2 || typeof text !== 'string' || typeof encoding !== 'string' || !['latin1', 'latin-1', 'iso-8859-1', 'iso8859-1'].includes(encoding.toLowerCase())) {
    throw new CallError(`_codecs.encode is only allowed as (str, 'latin1'), got ${describe(args)}`);
  }
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c > 255) throw new CallError('_codecs.encode: character above U+00FF in latin1 text');
    out[i] = c;
  }
  return out;
}

const ALLOWED = new Map<string, PickleGlobal>();
function allow(module: string, name: string, call?: (args: readonly unknown[]) => unknown, value?: unknown): void {
  ALLOWED.set(`${module}.${name}`, new PickleGlobal(module, name, call, value));
}
allow('collections', 'OrderedDict', orderedDict);
allow('torch._utils', '_rebuild_tensor_v2', (a) => rebuildTensor(a, '_rebuild_tensor_v2', [6, 7]));
allow('torch._utils', '_rebuild_tensor', (a) => rebuildTensor(a, '_rebuild_tensor', [4]));
allow('torch._utils', '_rebuild_parameter', (a) => parameter(a, '_rebuild_parameter', 3));
allow('torch._utils', '_rebuild_parameter_with_state', (a) => parameter(a, '_rebuild_parameter_with_state', 4));
allow('_codecs', 'encode', codecsEncode);
for (const [name, dtype, size] of STORAGE_TYPES) allow('torch', name, undefined, new TorchStorageType(name, dtype, size));

/**
 * Every global a pickle may name, as `module.name`; any other refuses the file. Each is
 * implemented here as a pure data constructor (nothing is imported or executed):
 * `collections.OrderedDict` builds a `Map`; `torch._utils._rebuild_tensor_v2` /
 * `_rebuild_tensor` build a {@link TorchTensorRef}; `_rebuild_parameter(_with_state)` return
 * their tensor; `torch.<X>Storage` stand for a {@link TorchStorageType}; `_codecs.encode(s,
 * 'latin1')` builds bytes (how protocol-2 pickles store `bytes`).
 *
 * @example
 * ```ts
 * PICKLE_ALLOWED_GLOBALS.includes('torch._utils._rebuild_tensor_v2'); // true
 * ```
 */
export const PICKLE_ALLOWED_GLOBALS: readonly string[] = Object.freeze([...ALLOWED.keys()]);

/** Opcodes understood, by name → byte. Any other byte (including `INST`, `OBJ`, `NEWOBJ`, `EXT*`, out-of-band buffers) refuses the file. */
const OP = {
  MARK: 0x28, STOP: 0x2e, POP: 0x30, POP_MARK: 0x31, DUP: 0x32, FLOAT: 0x46, INT: 0x49, BININT: 0x4a,
  BININT1: 0x4b, LONG: 0x4c, BININT2: 0x4d, NONE: 0x4e, PERSID: 0x50, BINPERSID: 0x51, REDUCE: 0x52,
  BINSTRING: 0x54, SHORT_BINSTRING: 0x55, BINUNICODE: 0x58, APPEND: 0x61, BUILD: 0x62, GLOBAL: 0x63,
  DICT: 0x64, EMPTY_DICT: 0x7d, APPENDS: 0x65, GET: 0x67, BINGET: 0x68, LONG_BINGET: 0x6a, LIST: 0x6c,
  EMPTY_LIST: 0x5d, PUT: 0x70, BINPUT: 0x71, LONG_BINPUT: 0x72, SETITEM: 0x73, TUPLE: 0x74,
  EMPTY_TUPLE: 0x29, SETITEMS: 0x75, BINFLOAT: 0x47, PROTO: 0x80, TUPLE1: 0x85, TUPLE2: 0x86,
  TUPLE3: 0x87, NEWTRUE: 0x88, NEWFALSE: 0x89, LONG1: 0x8a, LONG4: 0x8b, BINBYTES: 0x42,
  SHORT_BINBYTES: 0x43, SHORT_BINUNICODE: 0x8c, BINUNICODE8: 0x8d, BINBYTES8: 0x8e, EMPTY_SET: 0x8f,
  ADDITEMS: 0x90, FROZENSET: 0x91, STACK_GLOBAL: 0x93, MEMOIZE: 0x94, FRAME: 0x95, BYTEARRAY8: 0x96,
} as const;

/**
 * Names of every opcode {@link unpickle} executes; any other opcode refuses the file.
 *
 * @example
 * ```ts
 * PICKLE_OPCODES.includes('NEWOBJ'); // false: object construction is never supported
 * ```
 */
export const PICKLE_OPCODES: readonly string[] = Object.freeze(Object.keys(OP));

const OP_NAMES = new Map<number, string>(Object.entries(OP).map(([k, v]) => [v, k]));
const REFUSED: Record<number, string> = {
  0x53: 'STRING', 0x56: 'UNICODE', 0x69: 'INST', 0x6f: 'OBJ', 0x81: 'NEWOBJ', 0x92: 'NEWOBJ_EX',
  0x82: 'EXT1', 0x83: 'EXT2', 0x84: 'EXT4', 0x97: 'NEXT_BUFFER', 0x98: 'READONLY_BUFFER',
};

function describe(v: unknown): string {
  if (v === null) return 'None';
  if (v instanceof Map) return 'dict';
  if (Array.isArray(v)) return Object.isFrozen(v) ? `tuple of ${v.length}` : `list of ${v.length}`;
  if (v instanceof Set) return 'set';
  if (v instanceof Uint8Array) return `bytes of ${v.length}`;
  if (v instanceof PickleGlobal) return `global ${v.module}.${v.name}`;
  if (v instanceof TorchTensorRef) return 'tensor';
  if (v instanceof TorchStorageType) return `torch.${v.name}`;
  if (typeof v === 'string') return v.length > 40 ? `str of ${v.length}` : JSON.stringify(v);
  if (typeof v === 'number' || typeof v === 'bigint' || typeof v === 'boolean') return String(v);
  return typeof v;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

function latin1(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i += 4096) s += String.fromCharCode(...bytes.subarray(i, i + 4096));
  return s;
}

function decodeLong(bytes: Uint8Array): number | bigint {
  if (bytes.length === 0) return 0;
  let v = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(bytes[i]);
  if (bytes[bytes.length - 1] & 0x80) v -= 1n << BigInt(8 * bytes.length);
  return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
}

/**
 * The result of {@link unpickleAt}: the value and the offset just after its `STOP`.
 *
 * @example
 * ```ts
 * const { value, end } = unpickleAt(bytes); const next = unpickleAt(bytes, { offset: end });
 * ```
 */
export interface UnpickleResult {
  /** The decoded value. */
  value: unknown;
  /** Byte offset just past the pickle's STOP opcode. */
  end: number;
}

/**
 * Reads one pickle from `bytes` without executing anything, and returns the value it
 * describes as plain data: `None` → `null`, `int` → `number` (`bigint` beyond 2⁵³), `float` →
 * `number`, `str` → `string`, `bytes`/`bytearray` → `Uint8Array`, `list`/`tuple` → arrays,
 * `set`/`frozenset` → `Set`, `dict`/`OrderedDict` → a plain object in insertion order when every
 * key is a string (a `Map` otherwise), tensors → {@link TorchTensorRef}, other allowed globals →
 * {@link PickleGlobal} or their value. Shared references stay shared; cycles are refused.
 *
 * @param bytes - the pickle (trailing bytes after `STOP` are ignored; see {@link UnpickleResult.end}).
 * @throws {@link ugatit-tf!UGATITFormatError} naming the opcode and byte offset of the first problem:
 *   an unknown or refused opcode, a global outside {@link PICKLE_ALLOWED_GLOBALS}, truncation,
 *   a malformed argument, or a limit exceeded.
 * @example
 * ```ts
 * const { value, end } = unpickleAt(bytes, { persistentLoad: (pid) => lookUp(pid) });
 * ```
 */
export function unpickleAt(bytes: Uint8Array, options: PickleOptions = {}): UnpickleResult {
  const maxOps = options.maxOps ?? PICKLE_MAX_OPS;
  const maxStack = options.maxStack ?? PICKLE_MAX_STACK;
  const maxMarks = options.maxMarks ?? PICKLE_MAX_MARKS;
  const maxMemo = options.maxMemo ?? PICKLE_MAX_MEMO;
  const maxDepth = options.maxDepth ?? PICKLE_MAX_DEPTH;
  const label = options.name ?? 'pickle';
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = bytes.byteLength;
  let pos = options.offset ?? 0;
  if (!isIndex(pos) || pos > n) throw new UGATITFormatError(label, `offset ${pos} is outside the ${n} bytes`);

  const stack: unknown[] = [];
  const marks: number[] = [];
  const memo = new Map<number, unknown>();
  let opName = 'start';
  let opPos = pos;

  const fail = (message: string): never => {
    throw new UGATITFormatError(`${label} ${opName} at byte ${opPos}`, message);
  };
  const need = (k: number): void => {
    if (k > n - pos) fail(`needs ${k} bytes but only ${n - pos} remain (truncated pickle)`);
  };
  const take = (k: number): Uint8Array => {
    need(k);
    const out = bytes.subarray(pos, pos + k);
    pos += k;
    return out;
  };
  const u8 = (): number => { need(1); return bytes[pos++]; };
  const u16 = (): number => { need(2); const v = view.getUint16(pos, true); pos += 2; return v; };
  const u32 = (): number => { need(4); const v = view.getUint32(pos, true); pos += 4; return v; };
  const u64 = (): number => {
    need(8);
    const v = view.getBigUint64(pos, true);
    pos += 8;
    if (v > BigInt(n - pos)) fail(`length ${v} exceeds the ${n - pos} bytes that remain`);
    return Number(v);
  };
  const line = (): string => {
    const limit = Math.min(n, pos + PICKLE_MAX_LINE + 1);
    for (let i = pos; i < limit; i++) {
      if (bytes[i] === 0x0a) {
        const s = latin1(bytes.subarray(pos, i));
        pos = i + 1;
        return s;
      }
    }
    return fail(limit === n ? 'text argument has no terminating newline (truncated pickle)' : `text argument longer than ${PICKLE_MAX_LINE} bytes`);
  };
  const text = (k: number): string => {
    const raw = take(k);
    try {
      return utf8.decode(raw);
    } catch {
      return fail('string is not valid UTF-8');
    }
  };
  const push = (v: unknown): void => {
    if (stack.length >= maxStack) fail(`stack would exceed ${maxStack} items`);
    stack.push(v);
  };
  const floor = (): number => (marks.length ? marks[marks.length - 1] : 0);
  const pop = (): unknown => {
    if (stack.length <= floor()) fail('stack underflow');
    return stack.pop();
  };
  const top = (): unknown => {
    if (stack.length <= floor()) fail('stack underflow');
    return stack[stack.length - 1];
  };
  const popMark = (): unknown[] => {
    const m = marks.pop();
    if (m === undefined) fail('no MARK to pop to');
    return stack.splice(m as number);
  };
  const memoPut = (key: number): void => {
    if (!memo.has(key) && memo.size >= maxMemo) fail(`memo would exceed ${maxMemo} entries`);
    memo.set(key, top());
  };
  const memoGet = (key: number): void => {
    if (!memo.has(key)) fail(`memo key ${key} was never stored`);
    push(memo.get(key));
  };
  const tuple = (items: unknown[]): unknown[] => Object.freeze(items) as unknown[];
  const list = (v: unknown): unknown[] => {
    if (!Array.isArray(v) || Object.isFrozen(v)) fail(`expected a list, found ${describe(v)}`);
    return v as unknown[];
  };
  const dict = (v: unknown): Map<unknown, unknown> => {
    if (!(v instanceof Map)) fail(`expected a dict, found ${describe(v)}`);
    return v as Map<unknown, unknown>;
  };
  const global = (module: string, name: string): PickleGlobal => {
    const g = ALLOWED.get(`${module}.${name}`);
    if (!g) fail(`global ${module}.${name} is not allowed (only ${PICKLE_ALLOWED_GLOBALS.join(', ')} are); refusing the file`);
    return g as PickleGlobal;
  };
  const persistent = (pid: unknown): void => {
    if (!options.persistentLoad) fail('persistent id found but no persistent loader was given');
    try {
      push(options.persistentLoad!(pid));
    } catch (e) {
      if (e instanceof UGATITFormatError) throw e;
      fail(`persistent id ${describe(pid)} was refused: ${(e as Error).message}`);
    }
  };

  let ops = 0;
  for (;;) {
    if (++ops > maxOps) fail(`more than ${maxOps} opcodes`);
    opPos = pos;
    opName = 'opcode';
    if (pos >= n) fail('pickle ends without STOP (truncated)');
    const code = bytes[pos++];
    const name = OP_NAMES.get(code);
    if (name === undefined) {
      opName = REFUSED[code] ?? 'opcode';
      return fail(REFUSED[code] ? `opcode ${REFUSED[code]} (0x${code.toString(16)}) is not supported: it constructs or imports objects` : `unknown opcode 0x${code.toString(16).padStart(2, '0')}`);
    }
    opName = name;
    switch (code) {
      case OP.PROTO: { const v = u8(); if (v > 5) fail(`protocol ${v} is newer than 5`); break; }
      case OP.FRAME: u64(); break;
      case OP.STOP: {
        if (marks.length) fail(`${marks.length} MARK(s) left open`);
        if (stack.length !== 1) fail(`stack holds ${stack.length} items at STOP, expected 1`);
        return { value: toPlain(stack[0], maxDepth, (m) => fail(m)), end: pos };
      }
      case OP.MARK:
        if (marks.length >= maxMarks) fail(`more than ${maxMarks} open MARKs`);
        marks.push(stack.length);
        break;
      case OP.POP:
        if (marks.length && stack.length === floor()) marks.pop(); else pop();
        break;
      case OP.POP_MARK: popMark(); break;
      case OP.DUP: push(top()); break;
      case OP.NONE: push(null); break;
      case OP.NEWTRUE: push(true); break;
      case OP.NEWFALSE: push(false); break;
      case OP.INT: {
        const s = line();
        if (s === '01') push(true);
        else if (s === '00') push(false);
        else if (/^[+-]?\d{1,18}$/.test(s)) push(Number(s));
        else fail(`malformed INT ${JSON.stringify(s.slice(0, 40))}`);
        break;
      }
      case OP.LONG: {
        const s = line().replace(/L$/, '');
        if (!/^[+-]?\d+$/.test(s) || s.length > PICKLE_MAX_LONG_BYTES) fail(`malformed LONG ${JSON.stringify(s.slice(0, 40))}`);
        const v = BigInt(s);
        push(v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v);
        break;
      }
      case OP.FLOAT: {
        const s = line();
        const v = Number(s);
        if (s.trim() === '' || (Number.isNaN(v) && !/^[+-]?nan$/i.test(s))) fail(`malformed FLOAT ${JSON.stringify(s.slice(0, 40))}`);
        push(v);
        break;
      }
      case OP.BININT: { need(4); push(view.getInt32(pos, true)); pos += 4; break; }
      case OP.BININT1: push(u8()); break;
      case OP.BININT2: push(u16()); break;
      case OP.LONG1: push(decodeLong(take(u8()))); break;
      case OP.LONG4: {
        need(4);
        const k = view.getInt32(pos, true);
        pos += 4;
        if (k < 0 || k > PICKLE_MAX_LONG_BYTES) fail(`LONG4 of ${k} bytes (limit ${PICKLE_MAX_LONG_BYTES})`);
        push(decodeLong(take(k)));
        break;
      }
      case OP.BINFLOAT: { need(8); push(view.getFloat64(pos, false)); pos += 8; break; }
      case OP.BINUNICODE: push(text(u32())); break;
      case OP.SHORT_BINUNICODE: push(text(u8())); break;
      case OP.BINUNICODE8: push(text(u64())); break;
      // Python 2 `str` (torch checkpoints written by Python 2): bytes decoded as latin-1.
      case OP.BINSTRING: { need(4); const k = view.getInt32(pos, true); pos += 4; if (k < 0) fail(`negative length ${k}`); push(latin1(take(k))); break; }
      case OP.SHORT_BINSTRING: push(latin1(take(u8()))); break;
      case OP.BINBYTES: push(take(u32()).slice()); break;
      case OP.SHORT_BINBYTES: push(take(u8()).slice()); break;
      case OP.BINBYTES8: case OP.BYTEARRAY8: push(take(u64()).slice()); break;
      case OP.EMPTY_TUPLE: push(tuple([])); break;
      case OP.TUPLE: push(tuple(popMark())); break;
      case OP.TUPLE1: { const a = pop(); push(tuple([a])); break; }
      case OP.TUPLE2: { const b = pop(); const a = pop(); push(tuple([a, b])); break; }
      case OP.TUPLE3: { const c = pop(); const b = pop(); const a = pop(); push(tuple([a, b, c])); break; }
      case OP.EMPTY_LIST: push([]); break;
      case OP.LIST: push(popMark()); break;
      case OP.APPEND: { const v = pop(); list(top()).push(v); break; }
      case OP.APPENDS: { const items = popMark(); const l = list(top()); for (const v of items) l.push(v); break; }
      case OP.EMPTY_DICT: push(new Map()); break;
      case OP.DICT: {
        const items = popMark();
        if (items.length % 2) fail('odd number of items for a dict');
        const m = new Map();
        for (let i = 0; i < items.length; i += 2) m.set(items[i], items[i + 1]);
        push(m);
        break;
      }
      case OP.SETITEM: { const v = pop(); const k = pop(); dict(top()).set(k, v); break; }
      case OP.SETITEMS: {
        const items = popMark();
        if (items.length % 2) fail('odd number of items for SETITEMS');
        const m = dict(top());
        for (let i = 0; i < items.length; i += 2) m.set(items[i], items[i + 1]);
        break;
      }
      case OP.EMPTY_SET: push(new Set()); break;
      case OP.ADDITEMS: {
        const items = popMark();
        const s = top();
        if (!(s instanceof Set) || Object.isFrozen(s)) fail(`expected a set, found ${describe(s)}`);
        for (const v of items) (s as Set<unknown>).add(v);
        break;
      }
      case OP.FROZENSET: push(Object.freeze(new Set(popMark()))); break;
      case OP.PUT: { const s = line(); if (!/^\d{1,10}$/.test(s)) fail('malformed PUT key'); memoPut(Number(s)); break; }
      case OP.BINPUT: memoPut(u8()); break;
      case OP.LONG_BINPUT: memoPut(u32()); break;
      case OP.MEMOIZE: memoPut(memo.size); break;
      case OP.GET: { const s = line(); if (!/^\d{1,10}$/.test(s)) fail('malformed GET key'); memoGet(Number(s)); break; }
      case OP.BINGET: memoGet(u8()); break;
      case OP.LONG_BINGET: memoGet(u32()); break;
      case OP.GLOBAL: {
        const module = line();
        const name = line();
        push(global(module, name));
        break;
      }
      case OP.STACK_GLOBAL: {
        const name = pop();
        const module = pop();
        if (typeof module !== 'string' || typeof name !== 'string') fail(`module and name must be strings, got ${describe(module)} and ${describe(name)}`);
        push(global(module as string, name as string));
        break;
      }
      case OP.REDUCE: {
        const args = pop();
        const callable = pop();
        if (!Array.isArray(args)) fail(`arguments must be a tuple, got ${describe(args)}`);
        if (!(callable instanceof PickleGlobal) || !callable.call) fail(`${describe(callable)} is not callable`);
        const g = callable as PickleGlobal;
        try {
          push(g.call!(args as unknown[]));
        } catch (e) {
          if (e instanceof CallError) fail(e.message);
          throw e;
        }
        break;
      }
      case OP.BUILD: {
        const state = pop();
        const target = top();
        // OrderedDict.__reduce__ passes the instance __dict__ (torch's `_metadata`, the
        // per-module version numbers) as state: it is not part of the mapping, so drop it.
        if (!(target instanceof Map)) fail(`cannot set state on ${describe(target)}`);
        if (state !== null && !(state instanceof Map) && !Array.isArray(state)) fail(`state must be a dict, got ${describe(state)}`);
        break;
      }
      case OP.PERSID: persistent(line()); break;
      case OP.BINPERSID: persistent(pop()); break;
      default:
        fail(`opcode 0x${code.toString(16)} is not implemented`);
    }
  }
}

/**
 * Like {@link unpickleAt}, returning only the value.
 *
 * @example
 * ```ts
 * unpickle(new Uint8Array([0x80, 0x02, 0x4b, 0x07, 0x2e])); // 7
 * ```
 */
export function unpickle(bytes: Uint8Array, options: PickleOptions = {}): unknown {
  return unpickleAt(bytes, options).value;
}

function setOwn(obj: Record<string, unknown>, key: string, value: unknown): void {
  // defineProperty, not assignment: a key named "__proto__" must stay a key.
  Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
}

function toPlain(root: unknown, maxDepth: number, fail: (m: string) => never): unknown {
  const done = new Map<unknown, unknown>();
  const active = new Set<unknown>();
  const walk = (v: unknown, depth: number): unknown => {
    if (v === null || typeof v !== 'object' || v instanceof Uint8Array || v instanceof PickleGlobal || v instanceof TorchStorageType) {
      return v instanceof PickleGlobal && v.value !== undefined ? v.value : v;
    }
    if (done.has(v)) return done.get(v);
    if (active.has(v)) fail('the value contains itself (cyclic structure)');
    if (depth > maxDepth) fail(`containers nested deeper than ${maxDepth}`);
    active.add(v);
    let out: unknown;
    if (v instanceof TorchTensorRef) {
      out = new TorchTensorRef(walk(v.storage, depth + 1), v.offset, v.shape, v.stride);
    } else if (Array.isArray(v)) {
      out = v.map((x) => walk(x, depth + 1));
    } else if (v instanceof Set) {
      out = new Set([...v].map((x) => walk(x, depth + 1)));
    } else if (v instanceof Map) {
      if ([...v.keys()].every((k) => typeof k === 'string')) {
        const o: Record<string, unknown> = {};
        for (const [k, x] of v) setOwn(o, k as string, walk(x, depth + 1));
        out = o;
      } else {
        out = new Map([...v].map(([k, x]) => [walk(k, depth + 1), walk(x, depth + 1)]));
      }
    } else {
      out = v;
    }
    active.delete(v);
    done.set(v, out);
    return out;
  };
  return walk(root, 0);
}
