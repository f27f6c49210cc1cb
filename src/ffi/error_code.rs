//! `TIMErrorCode.h`: the codes given to callbacks (defined with the core's
//! error table, `crate::error`; the header is written from the table).

pub use crate::error::TIMErrCode;
