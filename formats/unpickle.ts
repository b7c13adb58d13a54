// A restricted unpickler for the data.pkl that torch.save writes: it interprets only the
// opcodes torch uses and never calls anything. GLOBAL yields a symbol ({module, name});
// REDUCE records the call as data; the caller recognises torch's tensor-rebuild calls.
// Persistent ids (torch storages) are passed to `persistentLoad`.

export interface PySymbol {
  kind: 'global';
  module: string;
  name: string;
}
export interface PyCall {
  kind: 'call';
  fn: unknown;
  args: unknown[];
  state?: unknown;
}
type PyDict = Map<unknown, unknown>;

const MARK = Symbol('mark');

export function unpickle(data: Uint8Array, persistentLoad: (pid: unknown) => unknown): unknown {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const stack: unknown[] = [];
  const memo = new Map<number, unknown>();
  let p = 0;
  const u8 = () => data[p++];
  const u16 = () => {
    const v = view.getUint16(p, true);
    p += 2;
    return v;
  };
  const u32 = () => {
    const v = view.getUint32(p, true);
    p += 4;
    return v;
  };
  const i32 = () => {
    const v = view.getInt32(p, true);
    p += 4;
    return v;
  };
  const bytes = (n: number) => {
    const b = data.subarray(p, p + n);
    p += n;
    if (p > data.length) throw new Error('pickle ends early');
    return b;
  };
  const text = (n: number) => new TextDecoder().decode(bytes(n));
  const line = () => {
    const start = p;
    while (p < data.length && data[p] !== 0x0a) p++;
    const s = new TextDecoder().decode(data.subarray(start, p));
    p++;
    return s;
  };
  const popMark = (): unknown[] => {
    const i = stack.lastIndexOf(MARK);
    if (i < 0) throw new Error('pickle MARK missing');
    const items = stack.splice(i);
    items.shift();
    return items;
  };
  const top = () => stack[stack.length - 1];
  const setItems = (dict: unknown, items: unknown[]) => {
    if (!(dict instanceof Map)) throw new Error('SETITEMS on a non-dict');
    for (let i = 0; i + 1 < items.length; i += 2) dict.set(items[i], items[i + 1]);
  };
  while (p < data.length) {
    const op = u8();
    switch (op) {
      case 0x80:
        u8();
        break; // PROTO
      case 0x95:
        p += 8;
        break; // FRAME
      case 0x2e:
        return stack.pop(); // STOP
      case 0x28:
        stack.push(MARK);
        break; // MARK
      case 0x7d:
        stack.push(new Map());
        break; // EMPTY_DICT
      case 0x5d:
        stack.push([]);
        break; // EMPTY_LIST
      case 0x29:
        stack.push([]);
        break; // EMPTY_TUPLE
      case 0x4e:
        stack.push(null);
        break; // NONE
      case 0x88:
        stack.push(true);
        break; // NEWTRUE
      case 0x89:
        stack.push(false);
        break; // NEWFALSE
      case 0x4b:
        stack.push(u8());
        break; // BININT1
      case 0x4d:
        stack.push(u16());
        break; // BININT2
      case 0x4a:
        stack.push(i32());
        break; // BININT
      case 0x8a: {
        // LONG1
        const n = u8();
        const b = bytes(n);
        let v = 0n;
        for (let i = n - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]);
        if (n > 0 && b[n - 1] & 0x80) v -= 1n << BigInt(8 * n);
        stack.push(Number(v));
        break;
      }
      case 0x47: {
        const v = view.getFloat64(p, false);
        p += 8;
        stack.push(v);
        break;
      } // BINFLOAT
      case 0x58:
        stack.push(text(u32()));
        break; // BINUNICODE
      case 0x8c:
        stack.push(text(u8()));
        break; // SHORT_BINUNICODE
      case 0x42:
        stack.push(bytes(u32()));
        break; // BINBYTES
      case 0x43:
        stack.push(bytes(u8()));
        break; // SHORT_BINBYTES
      case 0x71:
        memo.set(u8(), top());
        break; // BINPUT
      case 0x72:
        memo.set(u32(), top());
        break; // LONG_BINPUT
      case 0x94:
        memo.set(memo.size, top());
        break; // MEMOIZE
      case 0x68:
        stack.push(memo.get(u8()));
        break; // BINGET
      case 0x6a:
        stack.push(memo.get(u32()));
        break; // LONG_BINGET
      case 0x63: {
        const module = line();
        const name = line();
        stack.push({ kind: 'global', module, name } satisfies PySymbol);
        break;
      } // GLOBAL
      case 0x93: {
        const name = stack.pop() as string;
        const module = stack.pop() as string;
        stack.push({ kind: 'global', module, name });
        break;
      } // STACK_GLOBAL
      case 0x74:
        stack.push(popMark());
        break; // TUPLE
      case 0x85:
        stack.push([stack.pop()]);
        break; // TUPLE1
      case 0x86: {
        const b = stack.pop();
        const a = stack.pop();
        stack.push([a, b]);
        break;
      } // TUPLE2
      case 0x87: {
        const c = stack.pop();
        const b = stack.pop();
        const a = stack.pop();
        stack.push([a, b, c]);
        break;
      } // TUPLE3
      case 0x6c:
        stack.push(popMark());
        break; // LIST
      case 0x61: {
        const v = stack.pop();
        (top() as unknown[]).push(v);
        break;
      } // APPEND
      case 0x65: {
        const items = popMark();
        (top() as unknown[]).push(...items);
        break;
      } // APPENDS
      case 0x73: {
        const v = stack.pop();
        const k = stack.pop();
        setItems(top(), [k, v]);
        break;
      } // SETITEM
      case 0x75: {
        const items = popMark();
        setItems(top(), items);
        break;
      } // SETITEMS
      case 0x64: {
        const items = popMark();
        const d = new Map();
        setItems(d, items);
        stack.push(d);
        break;
      } // DICT
      case 0x52: {
        const args = stack.pop() as unknown[];
        const fn = stack.pop();
        stack.push(reduce(fn, args));
        break;
      } // REDUCE
      case 0x81: {
        const args = stack.pop() as unknown[];
        const cls = stack.pop();
        stack.push({ kind: 'call', fn: cls, args } satisfies PyCall);
        break;
      } // NEWOBJ
      case 0x62: {
        // BUILD: attach state; an OrderedDict's _metadata and the like are kept aside
        const state = stack.pop();
        const obj = top();
        if (obj && typeof obj === 'object' && (obj as PyCall).kind === 'call') (obj as PyCall).state = state;
        break;
      }
      case 0x51:
        stack.push(persistentLoad(stack.pop()));
        break; // BINPERSID
      default:
        throw new Error(`pickle opcode 0x${op.toString(16)} at byte ${p - 1} is not one torch.save writes`);
    }
  }
  throw new Error('pickle has no STOP');
}

function reduce(fn: unknown, args: unknown[]): unknown {
  const g = fn as PySymbol;
  if (g?.kind === 'global' && g.module === 'collections' && g.name === 'OrderedDict') {
    const d: PyDict = new Map();
    const pairs = (args[0] as unknown[][] | undefined) ?? [];
    for (const [k, v] of pairs) d.set(k, v);
    return d;
  }
  return { kind: 'call', fn, args } satisfies PyCall;
}
