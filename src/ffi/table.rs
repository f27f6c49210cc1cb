//! The vendor's 8.x C API surface as one table: every function, callback
//! typedef, enum, JSON key and alias macro of the vendor's 13 headers, with
//! the header that declares it, and for every function what this library
//! does with it ([`Kind`]).
//!
//! The facts (names, types, values, strings) were read out of the vendor's
//! published 8.0 headers by `scripts/vendor_tables.py` into `table_data.rs`,
//! with the 8.x changes of `vendor-api.md` applied; the kinds are ours and are
//! edited by hand as functions become implemented.
//!
//! From this table come: the headers' enums, typedefs, key and alias macros
//! (`build.rs`), the Rust of every function that is not written by hand
//! (`build.rs`), the exported-symbol list, the README's function table, and
//! the test over every function.
//!
//! This file is also compiled by `build.rs` through `#[path]`, so it must not
//! refer to anything else in the crate.
#![allow(dead_code)]

/// A vendor header, in the order `TIMCloud.h` includes them.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Hash, PartialOrd, Ord)]
pub enum Header {
    CloudDef,
    ErrorCode,
    Manager,
    Conversation,
    Message,
    Group,
    Community,
    Friendship,
    OfflinePush,
    Signaling,
    Experimental,
}

impl Header {
    pub const ALL: [Header; 11] = [
        Header::CloudDef,
        Header::ErrorCode,
        Header::Manager,
        Header::Conversation,
        Header::Message,
        Header::Group,
        Header::Community,
        Header::Friendship,
        Header::OfflinePush,
        Header::Signaling,
        Header::Experimental,
    ];

    /// The header's file name.
    pub const fn file(self) -> &'static str {
        match self {
            Header::CloudDef => "TIMCloudDef.h",
            Header::ErrorCode => "TIMErrorCode.h",
            Header::Manager => "TIMManager.h",
            Header::Conversation => "TIMConversationManager.h",
            Header::Message => "TIMMessageManager.h",
            Header::Group => "TIMGroupManager.h",
            Header::Community => "TIMCommunityManager.h",
            Header::Friendship => "TIMFriendshipManager.h",
            Header::OfflinePush => "TIMOfflinePushManager.h",
            Header::Signaling => "TIMSignalingManager.h",
            Header::Experimental => "TIMExperimentalAPI.h",
        }
    }
}

/// What this library does with a function.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Kind {
    /// It does what the vendor documents (within the README's differences).
    Implemented,
    /// A `TIMSet…Callback` / `TIMAdd…Callback` / `TIMRemove…Callback`: keeps
    /// its slot; the callback runs only for events this library produces.
    Listener,
    /// Needs the vendor's servers: arguments are checked as far as their C
    /// types go, then the callback gets `ERR_SDK_INTERFACE_NOT_SUPPORT`.
    NotAvailable,
}

/// A parameter: its C type as the vendor writes it (normalized: `const
/// char*`, `char*`, `const void*`, `bool`, `int`, `int32_t`, `uint32_t`,
/// `int64_t`, `uint64_t`, `enum TIMxxx`, or a callback typedef name), its
/// name, and whether the vendor gives NULL a meaning for it.
#[derive(Clone, Copy, Debug)]
pub struct Param {
    pub ty: &'static str,
    pub name: &'static str,
    pub nullable: bool,
}

/// A parameter for which NULL is an error.
pub const fn p(ty: &'static str, name: &'static str) -> Param {
    Param {
        ty,
        name,
        nullable: false,
    }
}

/// A parameter for which the vendor gives NULL a meaning.
pub const fn n(ty: &'static str, name: &'static str) -> Param {
    Param {
        ty,
        name,
        nullable: true,
    }
}

/// An exported function.
#[derive(Clone, Copy, Debug)]
pub struct Function {
    pub header: Header,
    pub kind: Kind,
    /// The return type (`void`, `int`, `const char*`, `uint64_t`, `enum TIMxxx`).
    pub ret: &'static str,
    pub name: &'static str,
    pub params: &'static [Param],
}

/// A callback typedef: `typedef <ret> (*<name>)(<params>);`.
#[derive(Clone, Copy, Debug)]
pub struct Callback {
    pub header: Header,
    pub name: &'static str,
    pub ret: &'static str,
    pub params: &'static [Param],
}

/// An enum with every enumerator's value.
#[derive(Clone, Copy, Debug)]
pub struct Enum {
    pub header: Header,
    pub name: &'static str,
    pub items: &'static [(&'static str, i64)],
}

/// A JSON key macro: its name, its string, and its JSON type as the vendor
/// gives it (`string`, `uint64`, `array string`, `object GroupMemberInfo`, ...).
#[derive(Clone, Copy, Debug)]
pub struct Key {
    pub header: Header,
    pub name: &'static str,
    pub value: &'static str,
    pub ty: &'static str,
}

/// `#define <name> <target>`: an old (often misspelled) name the vendor keeps
/// for a key or an enumerator.
#[derive(Clone, Copy, Debug)]
pub struct Alias {
    pub header: Header,
    pub name: &'static str,
    pub target: &'static str,
}

include!("table_data.rs");
