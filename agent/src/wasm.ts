// WebAssembly text assembled at run time by wabt (the WebAssembly Binary Toolkit's parser, an
// Emscripten build from npm). The modules are our own text: the decoders' stages
// (decode/wasm-stage.ts) and the Parquet encoder's kernels (parquet/kernels.ts).

/** wabt's parser: loaded for each call and then let go, its memory with it. */
interface Wabt {
  parseWat(name: string, text: string, features: Record<string, boolean>): WatModule;
}
interface WatModule {
  validate(): void;
  toBinary(options: object): { buffer: Uint8Array };
  destroy(): void;
}

/** The binary of the module in `text` (with SIMD and bulk memory); throws wabt's message if it does not parse or validate. */
export async function assembleWat(name: string, text: string): Promise<Uint8Array> {
  const wabt: Wabt = await (await import('wabt')).default();
  const parsed = wabt.parseWat(name, text, { simd: true, bulk_memory: true });
  try {
    parsed.validate();
    return parsed.toBinary({}).buffer;
  } finally {
    parsed.destroy();
  }
}

// The WebAssembly API, which TypeScript declares only in its DOM library.
export interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object) => { exports: Record<string, unknown> };
}
const wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

/** The exports of a new instance of the module in `binary` (synchronous: the modules here are small). */
export function instantiate(binary: Uint8Array): Record<string, unknown> {
  return new wasm.Instance(new wasm.Module(binary)).exports;
}
