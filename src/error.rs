//! The library's one error type, and the only table that maps it to the
//! vendor's codes: `TIMResult` (synchronous return values, 0 or negative) and
//! `TIMErrCode` (the `code` given to a `TIMCommCallback`, 0 or positive).
//! The numbers are the vendor's (`tests/surface.rs` checks them against the
//! table of the vendor's headers); the core needs them for the result codes
//! it writes into JSON, without knowing any C type.

/// What a function returns: whether the call was accepted.
///
/// A call that returns `TIM_SUCC` with a non-NULL callback gets exactly one
/// callback; a call that returns anything else gets none and changed nothing.
#[allow(non_camel_case_types, clippy::upper_case_acronyms)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(i32)]
pub enum TIMResult {
    /// The call was accepted.
    TIM_SUCC = 0,
    /// The SDK is not initialized.
    TIM_ERR_SDKUNINIT = -1,
    /// No user is logged in.
    TIM_ERR_NOTLOGIN = -2,
    /// A JSON parameter does not parse, is nested too deep, or has the wrong shape.
    TIM_ERR_JSON = -3,
    /// A parameter is NULL, too long, not UTF-8 or out of range (also: an internal fault).
    TIM_ERR_PARAM = -4,
    /// The conversation does not exist (functions without a callback).
    TIM_ERR_CONV = -5,
    /// The group does not exist.
    TIM_ERR_GROUP = -6,
}

/// The `code` of a `TIMCommCallback`: 0 on success, otherwise one of these.
#[allow(non_camel_case_types, clippy::upper_case_acronyms)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(i32)]
pub enum TIMErrCode {
    /// Success.
    ERR_SUCC = 0,
    /// The conversation does not exist.
    ERR_INVALID_CONVERSATION = 6004,
    /// The local store could not load.
    ERR_LOADMSG_FAILED = 6005,
    /// The SDK is not initialized.
    ERR_SDK_NOT_INITIALIZED = 6013,
    /// No user is logged in.
    ERR_SDK_NOT_LOGGED_IN = 6014,
    /// The same call is already running.
    ERR_IN_PROGESS = 6015,
    /// A parameter is invalid.
    ERR_INVALID_PARAMETERS = 6017,
    /// A local database operation failed.
    ERR_DATABASE_OPERATE_FAILED = 6019,
    /// A local I/O operation failed.
    ERR_IO_OPERATION_FAILED = 6022,
    /// Auto-login without an earlier login.
    ERR_NO_PREVIOUS_LOGIN = 6026,
    /// Invalid JSON.
    ERR_INVALID_JSON = 6027,
    /// Out of memory.
    ERR_OUT_OF_MEMORY = 6028,
    /// The UserSig has expired.
    ERR_USER_SIG_EXPIRED = 6206,
    /// Kicked off by a login on another device.
    ERR_LOGIN_KICKED_OFF_BY_OTHER = 6208,
    /// The API is called too often.
    ERR_SDK_COMM_API_CALL_FREQUENCY_LIMIT = 7008,
    /// The operation was interrupted (for example by uninit).
    ERR_SDK_COMM_INTERRUPT = 7009,
    /// A database failure.
    ERR_SDK_COMM_DATABASE_FAILURE = 7010,
    /// A database record was not found.
    ERR_SDK_COMM_DATABASE_NOTFOUND = 7011,
    /// An internal error (a bug caught inside the SDK).
    ERR_SDK_INTERNAL_ERROR = 7012,
    /// The API is not in the app's plan.
    ERR_SDK_INTERFACE_NOT_SUPPORT = 7013,
    /// An invalid operation.
    ERR_SDK_INVALID_OPERATION = 7014,
    /// A login is already in progress.
    ERR_SDK_ACCOUNT_LOGIN_IN_PROCESS = 7501,
    /// A logout is already in progress.
    ERR_SDK_ACCOUNT_LOGOUT_IN_PROCESS = 7502,
    /// No network.
    ERR_SDK_NET_DISCONNECT = 9508,
    /// A request timed out.
    ERR_SDK_NET_WAIT_ACK_TIMEOUT = 9520,
    /// Conversation server: account not found.
    ERR_SVR_CONV_ACCOUNT_NOT_FOUND = 50001,
    /// Conversation server: invalid parameters.
    ERR_SVR_CONV_INVALID_PARAMETERS = 50002,
    /// Conversation server: admin required.
    ERR_SVR_CONV_ADMIN_REQUIRED = 50003,
    /// Conversation server: internal error.
    ERR_SVR_CONV_INTERNAL_ERROR = 50004,
    /// Conversation server: network timeout.
    ERR_SVR_CONV_NET_TIMEOUT = 50005,
    /// More than 100 conversations in one mark, group or custom-data request.
    ERR_SVR_CONV_CONV_MARK_REQ_COUNT_EXCEED_LIMIT = 51006,
    /// A mark operation failed.
    ERR_SVR_CONV_CONV_MARK_OPERATE_FAILED = 51007,
    /// More than 1000 marked conversations.
    ERR_SVR_CONV_CONV_MARK_TOTAL_COUNT_EXCEED_LIMIT = 51008,
    /// The conversation group does not exist.
    ERR_SVR_CONV_CONV_GROUP_NOT_EXIST = 51009,
    /// More than 20 conversation groups.
    ERR_SVR_CONV_CONV_GROUP_TOTAL_COUNT_EXCEED_LIMIT = 51010,
    /// A conversation group name longer than 32 bytes.
    ERR_SVR_CONV_CONV_GROUP_NAME_EXCEED_LENGTH = 51011,
    /// The UserSig has expired (login).
    ERR_SVR_ACCOUNT_USERSIG_EXPIRED = 70001,
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
    /// The durable store could not write a change (disk full, an I/O error,
    /// the database removed or made read-only): the change was undone.
    Storage,
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
            | Error::GroupNameTooLong
            | Error::Storage => TIMResult::TIM_ERR_PARAM,
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
            Error::Storage => TIMErrCode::ERR_SDK_COMM_DATABASE_FAILURE,
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
            Error::Storage => {
                c"the local database could not store the change (disk full or I/O error): nothing was changed"
            }
        }
    }
}

pub type Result<T> = std::result::Result<T, Error>;
