//! The C ABI. The only code that touches C types. One file per vendor header
//! whose functions are (partly) written by hand; `build.rs` writes the rest
//! from the table (`table.rs`), and the headers in `include/` (cbindgen over
//! these files and the generated functions, plus the table's enums,
//! typedefs, keys and aliases):
//!
//! | file | header |
//! |---|---|
//! | `def.rs` | `TIMCloudDef.h` |
//! | `error_code.rs` | `TIMErrorCode.h` |
//! | `manager.rs` | `TIMManager.h` |
//! | `conversation.rs` | `TIMConversationManager.h` |
//! | `message.rs` | `TIMMessageManager.h` |
//! | `experimental.rs` | `TIMExperimentalAPI.h` |
//! | `surface.rs` | every function not written by hand |
//!
//! Every exported function is `#[no_mangle] pub unsafe extern "C"`, and its
//! body is one [`args::guard`]: decode arguments, call [`crate::sdk`], map the
//! result to a code. Enum arguments arrive as plain `c_int`s and are checked,
//! never transmuted; `bool` arguments arrive as bytes.
#![allow(non_camel_case_types, non_snake_case, clippy::missing_safety_doc)]

pub mod args;
pub mod callback;
pub mod conversation;
pub mod def;
pub mod error_code;
pub mod experimental;
pub mod manager;
pub mod message;
pub mod surface;
pub mod table;

/// The C types of the table's callback typedefs and enum parameters, as
/// Rust types (written by `build.rs`).
pub mod types {
    #![allow(non_camel_case_types, dead_code)]
    use std::ffi::{c_char, c_int, c_void};
    include!(concat!(env!("OUT_DIR"), "/gen/types.rs"));
}
