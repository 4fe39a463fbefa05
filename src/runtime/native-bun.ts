import { CString, dlopen, ptr, read, toArrayBuffer } from "bun:ffi";
import type { NativeMemory } from "./native.ts";

// bun:ffi's own functions, unwrapped: read.* and ptr are JIT intrinsics there, and a wrapper would cost a call.
// Our table's type names are bun:ffi's, so a table passes through as it is.
export const bunMemory = {
  dlopen,
  ptr,
  read,
  toArrayBuffer,
  cString: (address: number) => new CString(address as never).toString(),
} as unknown as NativeMemory;
