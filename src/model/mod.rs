//! JSON shapes: the vendor's key strings, the conversation record and its
//! ConvInfo writer, the requests the calls make of the store (`request.rs`:
//! conversation ids, filters, read points, the vendor's limits), and the
//! checks on JSON that comes in from C. No FFI types; nothing from the
//! layers above (`sdk`, `store`).

pub mod config;
pub mod conv;
pub mod draft;
pub mod id;
pub mod json;
pub mod keys;
pub mod message;
pub mod request;

pub use conv::{AtInfo, Conv, ConvType, LastMsg, PINNED_BIT};
pub use id::ConvId;
