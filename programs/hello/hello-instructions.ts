// Instruction data for programs/hello (see src/hello.c for the format).

export const HELLO_PDA_SEED = "hello"

export const hashInstruction = (payload: Uint8Array): Uint8Array => Uint8Array.of(0, ...payload)

export const createPdaInstruction = (bump: number, lamports: bigint, space: bigint): Uint8Array => {
  const data = new Uint8Array(18)
  const view = new DataView(data.buffer)
  data[0] = 1
  data[1] = bump
  view.setBigUint64(2, lamports, true)
  view.setBigUint64(10, space, true)
  return data
}

export const failInstruction = (code: number): Uint8Array => {
  const data = new Uint8Array(5)
  data[0] = 2
  new DataView(data.buffer).setUint32(1, code, true)
  return data
}

/** Bytes the program writes at the start of a freshly created PDA. */
export const PDA_MAGIC = new TextEncoder().encode("hello!")
