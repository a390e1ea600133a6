/**
 * The BPF upgradeable loader's instructions (bincode: a u32 LE variant tag, then the fields), and the
 * system program's create_account, as `Instruction`s for programs/client/message.ts.
 */
import { fromBase58 } from "../client/base58.ts"
import type { Instruction } from "../client/message.ts"
import { findPda } from "../client/pda.ts"

export const LOADER_ID = fromBase58("BPFLoaderUpgradeab1e11111111111111111111111")
export const SYSTEM_PROGRAM = new Uint8Array(32)
export const SYSVAR_RENT = fromBase58("SysvarRent111111111111111111111111111111111")
export const SYSVAR_CLOCK = fromBase58("SysvarC1ock11111111111111111111111111111111")

/** UpgradeableLoaderState::Buffer: tag u32 + Option<Pubkey> authority. */
export const BUFFER_METADATA = 37
/** UpgradeableLoaderState::Program: tag u32 + programdata address. */
export const PROGRAM_ACCOUNT_SIZE = 36
/** UpgradeableLoaderState::ProgramData: tag u32 + slot u64 + Option<Pubkey> upgrade authority. */
export const PROGRAMDATA_METADATA = 45

const u32 = (v: number): number[] => [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff]
const u64 = (v: bigint): number[] => Array.from({ length: 8 }, (_, i) => Number((v >> BigInt(8 * i)) & 0xffn))

const w = (pubkey: Uint8Array, isSigner = false) => ({ pubkey, isSigner, isWritable: true })
const r = (pubkey: Uint8Array, isSigner = false) => ({ pubkey, isSigner, isWritable: false })

export const programDataAddress = (programId: Uint8Array): Uint8Array => findPda([programId], LOADER_ID).address

export const createAccount = (payer: Uint8Array, account: Uint8Array, lamports: bigint, space: number, owner: Uint8Array): Instruction => ({
  programId: SYSTEM_PROGRAM,
  keys: [w(payer, true), w(account, true)],
  data: Uint8Array.from([...u32(0), ...u64(lamports), ...u64(BigInt(space)), ...owner])
})

export const initializeBuffer = (buffer: Uint8Array, authority: Uint8Array): Instruction => ({
  programId: LOADER_ID,
  keys: [w(buffer), r(authority)],
  data: Uint8Array.from(u32(0))
})

export const write = (buffer: Uint8Array, authority: Uint8Array, offset: number, bytes: Uint8Array): Instruction => ({
  programId: LOADER_ID,
  keys: [w(buffer), r(authority, true)],
  data: Uint8Array.from([...u32(1), ...u32(offset), ...u64(BigInt(bytes.length)), ...bytes])
})

export const deployWithMaxDataLen = (payer: Uint8Array, program: Uint8Array, buffer: Uint8Array, authority: Uint8Array, maxDataLen: number): Instruction => ({
  programId: LOADER_ID,
  keys: [w(payer, true), w(programDataAddress(program)), w(program), w(buffer), r(SYSVAR_RENT), r(SYSVAR_CLOCK), r(SYSTEM_PROGRAM), r(authority, true)],
  data: Uint8Array.from([...u32(2), ...u64(BigInt(maxDataLen))])
})

export const upgrade = (program: Uint8Array, buffer: Uint8Array, spill: Uint8Array, authority: Uint8Array): Instruction => ({
  programId: LOADER_ID,
  keys: [w(programDataAddress(program)), w(program), w(buffer), w(spill), r(SYSVAR_RENT), r(SYSVAR_CLOCK), r(authority, true)],
  data: Uint8Array.from(u32(3))
})

/** Moves a program's upgrade authority to `next`, or makes it immutable when `next` is null. */
export const setAuthority = (program: Uint8Array, current: Uint8Array, next: Uint8Array | null): Instruction => ({
  programId: LOADER_ID,
  keys: [w(programDataAddress(program)), r(current, true), ...(next === null ? [] : [r(next)])],
  data: Uint8Array.from(u32(4))
})

/** The upgrade authority recorded in a ProgramData account (null: immutable). */
export const programDataAuthority = (data: Uint8Array): Uint8Array | null => (data[12] === 1 ? data.slice(13, 45) : null)
