//! The C ABI. The only code that touches C types. One file per vendor header
//! (`build.rs` runs cbindgen over each to write `include/`):
//!
//! | file | header |
//! |---|---|
//! | `def.rs` | `TIMCloudDef.h` |
//! | `error_code.rs` | `TIMErrorCode.h` |
//! | `conversation.rs` | `TIMConversationManager.h` |
//! | `message.rs` | `TIMMessageManager.h` |
//!
//! Every exported function is `#[no_mangle] pub unsafe extern "C"`, and its
//! body is one [`args::guard`]: decode arguments, call [`crate::sdk`], map the
//! result to a code. Enum arguments arrive as plain `c_int`s and are checked,
//! never transmuted.
#![allow(non_camel_case_types, non_snake_case, clippy::missing_safety_doc)]

pub mod args;
pub mod callback;
pub mod conversation;
pub mod def;
pub mod error_code;
pub mod message;
