import type { NativeMemory, NativeType, Pointer, SymbolTable } from "./native.ts";

/** The part of Deno's FFI used here (tsc in this project knows Bun's types, not Deno's). */
type PointerObject = object;
interface DenoFfi {
  dlopen(path: string, symbols: Record<string, { parameters: string[]; result: string }>): {
    symbols: Record<string, (...args: unknown[]) => unknown>;
    close(): void;
  };
  UnsafePointer: {
    create(value: bigint): PointerObject | null;
    of(value: ArrayBufferView): PointerObject | null;
    value(pointer: PointerObject | null): bigint;
  };
  UnsafePointerView: {
    new (pointer: PointerObject): {
      getInt32(offset?: number): number;
      getUint32(offset?: number): number;
      getBigInt64(offset?: number): bigint;
      getBigUint64(offset?: number): bigint;
    };
    getCString(pointer: PointerObject, offset?: number): string;
    getArrayBuffer(pointer: PointerObject, byteLength: number, offset?: number): ArrayBuffer;
  };
}
const Deno = (globalThis as unknown as { Deno: DenoFfi }).Deno;

// Pointers cross as usize (a bigint out, a number or bigint in) rather than as Deno's pointer objects, so
// that the wrappers' address arithmetic is the same as on Bun.
const DENO_TYPES: Record<NativeType, string> = { ptr: "usize", cstring: "usize", i32: "i32", i64: "i64", u64: "u64", u16: "u16", void: "void" };

function pointerObject(address: number): PointerObject {
  const pointer = Deno.UnsafePointer.create(BigInt(address));
  if (!pointer) throw new TypeError("null pointer dereferenced");
  return pointer;
}

function view(address: number) {
  return new Deno.UnsafePointerView(pointerObject(address));
}

const cString = (address: number): string => (address ? Deno.UnsafePointerView.getCString(pointerObject(address)) : "");

/** Adapts one Deno symbol to bun:ffi's conventions: null pointers in and out, strings for cstring. */
function adapt(call: (...args: unknown[]) => unknown, returns: NativeType): (...args: unknown[]) => unknown {
  const args = (values: unknown[]) => values.map((value) => value ?? 0);
  switch (returns) {
    case "ptr":
      return (...values) => {
        const address = Number(call(...args(values)));
        return address === 0 ? null : address;
      };
    case "cstring":
      return (...values) => cString(Number(call(...args(values))));
    default:
      return (...values) => call(...args(values));
  }
}

export const denoMemory: NativeMemory = {
  dlopen<Table extends SymbolTable>(path: string, table: Table) {
    const definitions = Object.fromEntries(
      Object.entries(table).map(([name, spec]) => [name, { parameters: spec.args.map((type) => DENO_TYPES[type]), result: DENO_TYPES[spec.returns] }]),
    );
    const library = Deno.dlopen(path, definitions);
    const symbols = Object.fromEntries(Object.entries(table).map(([name, spec]) => [name, adapt(library.symbols[name]!, spec.returns)]));
    return { symbols: symbols as never, close: () => library.close() };
  },
  ptr: (view, offset = 0) => (Number(Deno.UnsafePointer.value(Deno.UnsafePointer.of(view))) + offset) as Pointer,
  read: {
    ptr: (address, offset = 0) => Number(view(address).getBigUint64(offset)),
    i32: (address, offset = 0) => view(address).getInt32(offset),
    u32: (address, offset = 0) => view(address).getUint32(offset),
    i64: (address, offset = 0) => view(address).getBigInt64(offset),
    u64: (address, offset = 0) => view(address).getBigUint64(offset),
  },
  toArrayBuffer: (address, offset, length) => Deno.UnsafePointerView.getArrayBuffer(pointerObject(address), length, offset),
  cString,
};
