//! The library's one error type, and the only table that maps it to the
//! vendor's codes: `TIMResult` (synchronous return values, 0 or negative) and
//! `TIMErrCode` (the `code` given to a `TIMCommCallback`, 0 or positive).
//! The numbers are the vendor's (`tests/surface.rs` checks them against the
//! table of the vendor's headers); the core needs them for the result codes
//! it writes into JSON, without knowing any C type.

/// The vendor's `TIMResult` values this library returns.
#[allow(non_camel_case_types, clippy::upper_case_acronyms)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(i32)]
pub enum TIMResult {
    TIM_SUCC = 0,
    TIM_ERR_SDKUNINIT = -1,
    TIM_ERR_NOTLOGIN = -2,
    TIM_ERR_JSON = -3,
    TIM_ERR_PARAM = -4,
    TIM_ERR_CONV = -5,
}

/// The vendor's `TIMErrCode` values this library gives to callbacks.
#[allow(non_camel_case_types, clippy::upper_case_acronyms)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(i32)]
pub enum TIMErrCode {
    ERR_SUCC = 0,
    ERR_INVALID_CONVERSATION = 6004,
    ERR_SDK_NOT_INITIALIZED = 6013,
    ERR_SDK_NOT_LOGGED_IN = 6014,
    ERR_INVALID_PARAMETERS = 6017,
    ERR_INVALID_JSON = 6027,
    ERR_SDK_INTERNAL_ERROR = 7012,
    ERR_SDK_INTERFACE_NOT_SUPPORT = 7013,
    ERR_SDK_INVALID_OPERATION = 7014,
    ERR_SVR_CONV_CONV_MARK_REQ_COUNT_EXCEED_LIMIT = 51006,
    ERR_SVR_CONV_CONV_MARK_TOTAL_COUNT_EXCEED_LIMIT = 51008,
    ERR_SVR_CONV_CONV_GROUP_NOT_EXIST = 51009,
    ERR_SVR_CONV_CONV_GROUP_TOTAL_COUNT_EXCEED_LIMIT = 51010,
    ERR_SVR_CONV_CONV_GROUP_NAME_EXCEED_LENGTH = 51011,
}

/// Why a call was refused or failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Error {
    /// A NULL, over-long, non-UTF-8 or out-of-range argument.
    InvalidParam,
    /// JSON that does not parse, is nested too deep, or has the wrong shape.
    InvalidJson,
    /// The conversation does not exist.
    ConvNotFound,
    /// A bug caught inside the library (a panic).
    Internal,
    /// `TIMInit` has not been called (functions that need it).
    NotInitialized,
    /// After `TIMInit`, no user is logged in.
    NotLoggedIn,
    /// The function needs the vendor's servers (see the function table).
    NotSupported,
    /// More than 100 conversations in one request.
    TooManyInRequest,
    /// Marking it would make more than 1000 marked conversations.
    MarkLimit,
    /// Pinning it would make more than 50 pinned conversations.
    PinLimit,
    /// No conversation group of that name.
    GroupNotFound,
    /// Creating it would make more than 20 conversation groups.
    GroupLimit,
    /// A conversation group name over 32 bytes.
    GroupNameTooLong,
}

impl Error {
    /// The synchronous return value for a refused call.
    ///
    /// A caught panic has no `TIMResult` of its own in the vendor's enum; it
    /// is answered with `TIM_ERR_PARAM`, and so is a function that is not
    /// available and has no callback to say so (documented in the README).
    pub fn result_code(self) -> i32 {
        (match self {
            Error::InvalidParam
            | Error::Internal
            | Error::NotSupported
            | Error::TooManyInRequest
            | Error::MarkLimit
            | Error::PinLimit
            | Error::GroupNotFound
            | Error::GroupLimit
            | Error::GroupNameTooLong => TIMResult::TIM_ERR_PARAM,
            Error::InvalidJson => TIMResult::TIM_ERR_JSON,
            Error::ConvNotFound => TIMResult::TIM_ERR_CONV,
            Error::NotInitialized => TIMResult::TIM_ERR_SDKUNINIT,
            Error::NotLoggedIn => TIMResult::TIM_ERR_NOTLOGIN,
        }) as i32
    }

    /// The code given to a callback for a failure found after the call was
    /// accepted.
    pub fn callback_code(self) -> i32 {
        (match self {
            Error::InvalidParam => TIMErrCode::ERR_INVALID_PARAMETERS,
            Error::InvalidJson => TIMErrCode::ERR_INVALID_JSON,
            Error::ConvNotFound => TIMErrCode::ERR_INVALID_CONVERSATION,
            Error::Internal => TIMErrCode::ERR_SDK_INTERNAL_ERROR,
            Error::NotInitialized => TIMErrCode::ERR_SDK_NOT_INITIALIZED,
            Error::NotLoggedIn => TIMErrCode::ERR_SDK_NOT_LOGGED_IN,
            Error::NotSupported => TIMErrCode::ERR_SDK_INTERFACE_NOT_SUPPORT,
            Error::TooManyInRequest => TIMErrCode::ERR_SVR_CONV_CONV_MARK_REQ_COUNT_EXCEED_LIMIT,
            Error::MarkLimit => TIMErrCode::ERR_SVR_CONV_CONV_MARK_TOTAL_COUNT_EXCEED_LIMIT,
            Error::PinLimit => TIMErrCode::ERR_SDK_INVALID_OPERATION,
            Error::GroupNotFound => TIMErrCode::ERR_SVR_CONV_CONV_GROUP_NOT_EXIST,
            Error::GroupLimit => TIMErrCode::ERR_SVR_CONV_CONV_GROUP_TOTAL_COUNT_EXCEED_LIMIT,
            Error::GroupNameTooLong => TIMErrCode::ERR_SVR_CONV_CONV_GROUP_NAME_EXCEED_LENGTH,
        }) as i32
    }

    /// The `desc` given to a callback with [`Error::callback_code`].
    pub fn callback_desc(self) -> &'static std::ffi::CStr {
        match self {
            Error::InvalidParam => c"invalid parameters",
            Error::InvalidJson => c"invalid json",
            Error::ConvNotFound => c"conversation not found",
            Error::Internal => c"internal error",
            Error::NotInitialized => c"sdk not initialized: call TIMInit first",
            Error::NotLoggedIn => c"not logged in: call TIMLogin first",
            Error::NotSupported => c"not available in this library",
            Error::TooManyInRequest => c"at most 100 conversations per request",
            Error::MarkLimit => c"at most 1000 conversations can be marked",
            Error::PinLimit => c"at most 50 conversations can be pinned",
            Error::GroupNotFound => c"no conversation group of that name",
            Error::GroupLimit => c"at most 20 conversation groups",
            Error::GroupNameTooLong => c"a conversation group name is at most 32 bytes",
        }
    }
}

pub type Result<T> = std::result::Result<T, Error>;
