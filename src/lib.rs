//! `libImSDK.so`: the Tencent Cloud IM SDK's conversation module, as a
//! drop-in C library written in Rust.
//!
//! # Contract (see README.md)
//! - Every exported function is thread-safe and may be called from any
//!   thread, including from inside any callback of this library.
//! - A change takes effect before the function returns; reads see it.
//! - Callbacks run on one library thread (`ImSDK-callback`), one at a time,
//!   in the order the changes took effect: a change's global events first,
//!   then the call's own callback. No library lock is held while they run.
//! - A call that returns `TIM_SUCC` with a non-NULL callback gets exactly one
//!   callback; any other return means no callback and no change.
//! - No panic crosses the C boundary.
//!
//! # Layout
//! `ffi` (the only code that knows C) → `sdk` (locking and queueing) →
//! `store` (conversations and their order) and `model` (JSON, and the
//! requests the calls make of the store); `dispatch` runs the callback
//! thread.
#![deny(unsafe_op_in_unsafe_fn)]
// The crate is named after the vendor's library file, libImSDK.so.
#![allow(non_snake_case)]

mod dispatch;
mod durable;
pub mod error;
pub mod fault;
pub mod ffi;
pub mod listeners;
pub mod model;
mod sdk;
pub mod sink;
mod slot;
mod store;

pub use error::Error;
