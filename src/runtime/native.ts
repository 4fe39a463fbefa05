import { runtime } from "./which.ts";

/**
 * Calling C and reading its memory, the same on Bun (bun:ffi) and Deno (Deno.dlopen). Pointers are plain
 * numbers (addresses) on both, as bun:ffi has them: Deno's pointer objects are turned into numbers at this
 * boundary, so the librdkafka wrappers do address arithmetic once, for both. Addresses of user space on
 * x86-64 and arm64 fit a double exactly.
 */
export type Pointer = number & { readonly __pointer__: null };

/** The C types our symbol tables use. `ptr` is any pointer; `cstring` a returned const char*. */
export type NativeType = "ptr" | "cstring" | "i32" | "i64" | "u64" | "u16" | "void";
export interface SymbolSpec {
  readonly args: readonly NativeType[];
  readonly returns: NativeType;
}
export type SymbolTable = Readonly<Record<string, SymbolSpec>>;

/** What a symbol's result is in JavaScript: pointers may be null, 64-bit integers are bigints. */
export type NativeResult = {
  ptr: Pointer | null;
  cstring: { toString(): string };
  i32: number;
  u16: number;
  i64: bigint;
  u64: bigint;
  void: void;
};
export type NativeArgument = Pointer | number | bigint | null;
export type NativeFunctions<Table extends SymbolTable> = {
  [Name in keyof Table]: (...args: NativeArgument[]) => NativeResult[Table[Name]["returns"]];
};

export interface NativeLibrary<Table extends SymbolTable> {
  symbols: NativeFunctions<Table>;
  close(): void;
}

export interface NativeMemory {
  dlopen<Table extends SymbolTable>(path: string, table: Table): NativeLibrary<Table>;
  /** The address of a typed array's byte `offset` (0: its first); the array must stay referenced while C uses it. */
  ptr(view: ArrayBufferView, offset?: number): Pointer;
  /** Reads a value at `address + offset`. */
  read: {
    ptr(address: Pointer | number, offset?: number): number;
    i32(address: Pointer | number, offset?: number): number;
    u32(address: Pointer | number, offset?: number): number;
    i64(address: Pointer | number, offset?: number): bigint;
    u64(address: Pointer | number, offset?: number): bigint;
  };
  /** C memory seen as an ArrayBuffer, without copying: valid only while C keeps it. */
  toArrayBuffer(address: Pointer | number, offset: number, length: number): ArrayBuffer;
  /** The NUL-terminated UTF-8 string at `address`. */
  cString(address: Pointer | number): string;
}

const memory: NativeMemory =
  runtime === "bun" ? (await import("./native-bun.ts")).bunMemory : (await import("./native-deno.ts")).denoMemory;

export const { dlopen, ptr, read, toArrayBuffer, cString } = memory;
