//! `TIMErrorCode.h`: the codes given to callbacks.

/// The `code` of a `TIMCommCallback`: 0 on success, otherwise one of these.
#[repr(C)]
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
